"""OCPP 1.6 handlers: one per message the charger initiates, each a few lines that call chargers.ingest.

They run inside the frame's transaction (see session.py) and return the library's CALLRESULT dataclass.
"""

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from chargers import authorization, ingest
from chargers.protocol.session import SessionMixin
from chargers.protocol.times import wire_time


class ChargePoint16(SessionMixin, ChargePoint):
    @on(Action.boot_notification)
    def on_boot_notification(
        self, inbound, *, charge_point_vendor, charge_point_model, firmware_version="", **identity
    ):
        serial = identity.get("charge_point_serial_number") or identity.get("charge_box_serial_number") or ""
        status, interval = ingest.record_boot(
            inbound,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=serial,
            firmware_version=firmware_version,
        )
        self.vendor, self.model = charge_point_vendor, charge_point_model
        return call_result.BootNotification(
            current_time=wire_time(inbound.received_at), interval=interval, status=status
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, inbound, **_):
        return call_result.Heartbeat(current_time=wire_time(inbound.received_at))

    @on(Action.status_notification)
    def on_status_notification(self, inbound, *, connector_id, error_code, status, **details):
        ingest.record_status(
            inbound,
            ingest.port_v16(inbound.charger_id, connector_id),
            status=status,
            error_code=error_code,
            vendor_id=details.get("vendor_id", ""),
            vendor_error_code=details.get("vendor_error_code", ""),
            info=details.get("info", ""),
            timestamp=details.get("timestamp"),
        )
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, inbound, *, connector_id, meter_value, transaction_id=None, **_):
        connector = ingest.port_v16(inbound.charger_id, connector_id)
        tx = ingest.transaction_reference(inbound.charger_id, transaction_id)
        ingest.record_meter_values(inbound, connector, meter_value, tx)
        return call_result.MeterValues()

    @on(Action.start_transaction)
    def on_start_transaction(self, inbound, *, connector_id, id_tag, meter_start, timestamp, **_):
        tx = ingest.start_transaction_v16(
            inbound,
            ingest.port_v16(inbound.charger_id, connector_id),
            id_tag=id_tag,
            meter_start=meter_start,
            timestamp=timestamp,
        )
        status = authorization.authorize(inbound.charger_id, id_tag, inbound.received_at)
        return call_result.StartTransaction(
            transaction_id=int(tx.transaction_id), id_tag_info={"status": status}
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(self, inbound, *, meter_stop, timestamp, transaction_id, **details):
        ingest.stop_transaction_v16(
            inbound,
            transaction_id=transaction_id,
            meter_stop=meter_stop,
            timestamp=timestamp,
            reason=details.get("reason", ""),
            id_tag=details.get("id_tag", ""),
            transaction_data=details.get("transaction_data"),
        )
        if not details.get("id_tag"):
            return call_result.StopTransaction()
        status = authorization.authorize(inbound.charger_id, details["id_tag"], inbound.received_at)
        return call_result.StopTransaction(id_tag_info={"status": status})

    @on(Action.authorize)
    def on_authorize(self, inbound, *, id_tag, **_):
        status = authorization.authorize(inbound.charger_id, id_tag, inbound.received_at)
        return call_result.Authorize(id_tag_info={"status": status})

    @on(Action.data_transfer)
    def on_data_transfer(self, inbound, *, vendor_id, **_):
        # Kept in the message log; Faultline implements no vendor extension, as the spec lets it say.
        return call_result.DataTransfer(status="UnknownVendorId")

    # Notifications below are evidence in the message log; they change no domain row.

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, inbound, *, status, **_):
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, inbound, *, status, **_):
        return call_result.FirmwareStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, inbound, *, type, timestamp, **_):
        return call_result.SecurityEventNotification()

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status_notification(self, inbound, *, status, **_):
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, inbound, *, status, **_):
        return call_result.LogStatusNotification()

    @on(Action.sign_certificate)
    def on_sign_certificate(self, inbound, *, csr, **_):
        # Faultline runs no certificate authority (Security Profile 3 is out of scope).
        return call_result.SignCertificate(status="Rejected")
