"""OCPP 2.0.1 handlers: one per message the charging station initiates, each calling chargers.ingest.

2.0.1 reports faults through NotifyEvent (StatusNotification has no error fields); its transactions
are named by the station and told as TransactionEvent Started/Updated/Ended.
"""

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from chargers import authorization, ingest
from chargers.protocol.session import SessionMixin
from chargers.protocol.times import wire_time


class ChargePoint201(SessionMixin, ChargePoint):
    @on(Action.boot_notification)
    def on_boot_notification(self, inbound, *, charging_station, reason, **_):
        status, interval = ingest.record_boot(
            inbound,
            vendor=charging_station["vendor_name"],
            model=charging_station["model"],
            serial_number=charging_station.get("serial_number", ""),
            firmware_version=charging_station.get("firmware_version", ""),
        )
        self.vendor, self.model = charging_station["vendor_name"], charging_station["model"]
        return call_result.BootNotification(
            current_time=wire_time(inbound.received_at), interval=interval, status=status
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, inbound, **_):
        return call_result.Heartbeat(current_time=wire_time(inbound.received_at))

    @on(Action.status_notification)
    def on_status_notification(self, inbound, *, timestamp, connector_status, evse_id, connector_id, **_):
        ingest.record_status(
            inbound,
            ingest.port_of_evse(inbound.charger_id, evse_id, connector_id),
            status=connector_status,
            timestamp=timestamp,
        )
        return call_result.StatusNotification()

    @on(Action.notify_event)
    def on_notify_event(self, inbound, *, generated_at, event_data, **_):
        ingest.record_device_events(inbound, event_data, generated_at)
        return call_result.NotifyEvent()

    @on(Action.transaction_event)
    def on_transaction_event(self, inbound, *, event_type, timestamp, transaction_info, **details):
        ingest.record_transaction_event(
            inbound,
            event_type=event_type,
            timestamp=timestamp,
            transaction_info=transaction_info,
            evse=details.get("evse"),
            id_token=details.get("id_token"),
            meter_value=details.get("meter_value"),
        )
        id_token = details.get("id_token")
        if not id_token:
            return call_result.TransactionEvent()
        status = authorization.authorize(inbound.charger_id, id_token["id_token"], inbound.received_at)
        return call_result.TransactionEvent(id_token_info={"status": status})

    @on(Action.meter_values)
    def on_meter_values(self, inbound, *, evse_id, meter_value, **_):
        ingest.record_meter_values(inbound, ingest.port_of_evse(inbound.charger_id, evse_id), meter_value)
        return call_result.MeterValues()

    @on(Action.authorize)
    def on_authorize(self, inbound, *, id_token, **_):
        status = authorization.authorize(inbound.charger_id, id_token["id_token"], inbound.received_at)
        return call_result.Authorize(id_token_info={"status": status})

    # Notifications below are evidence in the message log; they change no domain row.

    @on(Action.security_event_notification)
    def on_security_event_notification(self, inbound, *, type, timestamp, **_):
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, inbound, *, status, **_):
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, inbound, *, status, **_):
        return call_result.LogStatusNotification()

    @on(Action.notify_report)
    def on_notify_report(self, inbound, *, request_id, generated_at, seq_no, **_):
        return call_result.NotifyReport()
