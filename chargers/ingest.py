"""Recording what chargers say: the raw log and the domain rows taken from it.

Every function here runs inside the transaction that the OCPP session opens for one frame (see
chargers.protocol.session): the raw frame, its domain rows and the answer commit together, and only
then is the answer sent. Announcements and live events wait for that commit (group_commit.after_commit).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from chargers import announce, live
from chargers.models import (
    Charger,
    Connector,
    DeviceEvent,
    Direction,
    MessageType,
    MeterReading,
    OcppMessage,
    RegistrationState,
    StatusReport,
    Transaction,
)
from chargers.protocol.frames import Frame, event_time, parse_timestamp
from chargers.protocol.group_commit import after_commit, insert_with_batch, rows_waiting

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    """One accepted CALL from a charger, already written to the log."""

    charger_id: int
    charge_point_id: str
    version: str
    message: OcppMessage
    received_at: datetime
    nonconforming: bool = False

    def event_at(self, charger_timestamp: datetime | None) -> datetime:
        return event_time(charger_timestamp, self.received_at)


def _announce(name: str, *args) -> None:
    after_commit(lambda: announce.announce(name, *args))


# --- The raw log --------------------------------------------------------------------------------


def log_frame(
    charger_id: int,
    version: str,
    direction: str,
    frame: Frame,
    received_at: datetime,
    error: str = "",
    with_batch: bool = False,
) -> OcppMessage:
    """`with_batch`: insert it with the rest of the group commit (for rows nothing points to)."""
    payload = frame.payload
    # The exact text is kept whenever the parsed form may not tell the whole story.
    keep_text = frame.message_type == MessageType.UNPARSEABLE or frame.is_refused or bool(error)
    message = OcppMessage(
        charger_id=charger_id,
        received_at=received_at,
        direction=direction,
        message_type=frame.message_type,
        unique_id=frame.unique_id[:64],
        action=frame.action[:64],
        payload=payload,
        raw=frame.raw if keep_text else "",
        ocpp_version=version,
        error=error[:300],
    )
    if with_batch:
        insert_with_batch(message)
    else:
        message.save(force_insert=True)
    return message


# Retransmissions come within minutes; a charger may reuse ids after a reboot, much later.
RETRANSMISSION_WINDOW = timedelta(hours=24)


def previous_answer(charger_id: int, frame: Frame, received_at: datetime) -> dict | None:
    """The answer already sent to this very CALL (same id, action and payload), if any."""
    earlier = OcppMessage.objects.filter(
        charger_id=charger_id,
        unique_id=frame.unique_id,
        direction=Direction.IN,
        message_type=MessageType.CALL,
        action=frame.action,
        received_at__gte=received_at - RETRANSMISSION_WINDOW,
    ).values_list("payload", flat=True)
    if not any(payload == frame.payload for payload in earlier):
        return None
    for waiting in reversed(rows_waiting(OcppMessage)):
        # Retransmitted within the same batch: the first answer is not inserted yet.
        if (waiting.charger_id, waiting.unique_id, waiting.direction, waiting.message_type) == (
            charger_id,
            frame.unique_id,
            Direction.OUT,
            MessageType.CALLRESULT,
        ):
            return waiting.payload
    answer = (
        OcppMessage.objects.filter(
            charger_id=charger_id,
            unique_id=frame.unique_id,
            direction=Direction.OUT,
            message_type=MessageType.CALLRESULT,
        )
        .order_by("-id")
        .values_list("payload", flat=True)
        .first()
    )
    return answer


def action_of_call(charger_id: int, unique_id: str) -> str:
    """The action of the CALL Faultline sent with this id (answers name no action of their own)."""
    action = (
        OcppMessage.objects.filter(
            charger_id=charger_id, unique_id=unique_id, direction=Direction.OUT, message_type=MessageType.CALL
        )
        .values_list("action", flat=True)
        .first()
    )
    return action or ""


# --- Ports --------------------------------------------------------------------------------------


def port(charger_id: int, evse_id: int, connector_id: int) -> Connector:
    connector, _ = Connector.objects.get_or_create(
        charger_id=charger_id, evse_id=evse_id, connector_id=connector_id
    )
    return connector


def port_v16(charger_id: int, connector_id: int) -> Connector:
    # 1.6 has no EVSE level: connector N is (N, N), and 0 is the charger as a whole.
    return port(charger_id, connector_id, connector_id)


def port_of_evse(charger_id: int, evse_id: int | None, connector_id: int | None = None) -> Connector:
    """A 2.0.1 location as a port: no EVSE is the charger itself, an EVSE alone its first connector."""
    if not evse_id:
        return port(charger_id, 0, 0)
    if connector_id is not None:
        return port(charger_id, evse_id, connector_id)
    existing = (
        Connector.objects.filter(charger_id=charger_id, evse_id=evse_id).order_by("connector_id").first()
    )
    return existing or port(charger_id, evse_id, 1)


# --- Boot and identity --------------------------------------------------------------------------


def record_boot(
    inbound: Inbound,
    *,
    vendor: str,
    model: str,
    serial_number: str = "",
    firmware_version: str = "",
) -> tuple[str, int]:
    """Update the charger's identity; returns (registration status to answer, heartbeat interval)."""
    from django.conf import settings

    charger = Charger.objects.get(pk=inbound.charger_id)
    charger.vendor = vendor[:50]
    charger.model = model[:50]
    charger.serial_number = (serial_number or "")[:50]
    charger.firmware_version = (firmware_version or "")[:50]
    charger.ocpp_version = inbound.version
    charger.last_boot_at = inbound.received_at
    charger.save(
        update_fields=["vendor", "model", "serial_number", "firmware_version", "ocpp_version", "last_boot_at"]
    )
    _announce(announce.CHARGER_BOOTED, charger.pk, inbound.received_at.isoformat())
    status = "Pending" if charger.registration_state == RegistrationState.PENDING else "Accepted"
    return status, charger.heartbeat_interval or settings.OCPP_HEARTBEAT_INTERVAL


# --- Status -------------------------------------------------------------------------------------


def record_status(
    inbound: Inbound,
    connector: Connector,
    *,
    status: str,
    error_code: str = "",
    vendor_id: str = "",
    vendor_error_code: str = "",
    info: str = "",
    timestamp: str | None = None,
) -> StatusReport:
    """One status report, and the port's current status when this report is the newest."""
    charger_timestamp = parse_timestamp(timestamp)
    report = StatusReport.objects.create(
        charger_id=inbound.charger_id,
        connector=connector,
        status=status[:32],
        error_code=(error_code or "")[:50],
        vendor_id=(vendor_id or "")[:255],
        vendor_error_code=(vendor_error_code or "")[:50],
        info=(info or "")[:500],
        charger_timestamp=charger_timestamp,
        received_at=inbound.received_at,
        event_at=inbound.event_at(charger_timestamp),
        message=inbound.message,
        nonconforming=inbound.nonconforming,
    )
    # Statuses queued while offline arrive late: they are history, not the port's present.
    if connector.status_since is None or connector.status_since <= report.event_at:
        if connector.status != report.status or connector.error_code != report.error_code:
            connector.status_since = report.event_at
        connector.status = report.status
        connector.error_code = report.error_code
        connector.vendor_id = report.vendor_id
        connector.vendor_error_code = report.vendor_error_code
        connector.info = report.info
        connector.save(
            update_fields=["status", "error_code", "vendor_id", "vendor_error_code", "info", "status_since"]
        )
        live.publish_on_commit(
            [live.DASHBOARD_GROUP, live.charger_group(inbound.charge_point_id)],
            {
                "event": "connector.status",
                "charge_point_id": inbound.charge_point_id,
                "evse_id": connector.evse_id,
                "connector_id": connector.connector_id,
                "status": connector.status,
                "error_code": connector.error_code,
                "vendor_error_code": connector.vendor_error_code,
                "info": connector.info,
                "since": connector.status_since.isoformat(),
            },
        )
    _announce(announce.STATUS_REPORTED, report.pk)
    return report


# --- 2.0.1 device events ------------------------------------------------------------------------


def record_device_events(
    inbound: Inbound, event_data: list[dict], generated_at: str | None
) -> list[DeviceEvent]:
    """Each eventData entry of a NotifyEvent (snake_case keys, as the ocpp library hands them over)."""
    generated = parse_timestamp(generated_at)
    events = []
    for entry in event_data:
        component = entry.get("component") or {}
        variable = entry.get("variable") or {}
        evse = component.get("evse") or {}
        charger_timestamp = parse_timestamp(entry.get("timestamp")) or generated
        connector = port_of_evse(inbound.charger_id, evse.get("id"), evse.get("connector_id"))
        event = DeviceEvent.objects.create(
            charger_id=inbound.charger_id,
            connector=connector,
            event_id=entry["event_id"],
            event_at=inbound.event_at(charger_timestamp),
            received_at=inbound.received_at,
            charger_timestamp=charger_timestamp,
            trigger=str(entry.get("trigger", ""))[:16],
            cause=entry.get("cause"),
            actual_value=str(entry.get("actual_value", ""))[:2500],
            tech_code=str(entry.get("tech_code") or "")[:50],
            tech_info=str(entry.get("tech_info") or "")[:500],
            cleared=entry.get("cleared"),
            transaction_id=str(entry.get("transaction_id") or "")[:36],
            variable_monitoring_id=entry.get("variable_monitoring_id"),
            notification_type=str(entry.get("event_notification_type", ""))[:32],
            component_name=str(component.get("name", ""))[:50],
            component_instance=str(component.get("instance") or "")[:50],
            component_evse_id=evse.get("id"),
            component_connector_id=evse.get("connector_id"),
            variable_name=str(variable.get("name", ""))[:50],
            variable_instance=str(variable.get("instance") or "")[:50],
            message=inbound.message,
        )
        _announce(announce.DEVICE_EVENT_REPORTED, event.pk)
        events.append(event)
    return events


# --- Meter values -------------------------------------------------------------------------------

_ENERGY_UNITS_TO_WH = {"Wh": 1.0, "kWh": 1000.0, "varh": 1.0, "kvarh": 1000.0}


def record_meter_values(
    inbound: Inbound,
    connector: Connector,
    meter_values: list[dict],
    transaction: Transaction | None = None,
) -> list[MeterReading]:
    """Sampled values (snake_case keys); energy is normalised to Wh, unreadable values are skipped."""
    readings = []
    for meter_value in meter_values or []:
        sampled_at = inbound.event_at(parse_timestamp(meter_value.get("timestamp")))
        for sample in meter_value.get("sampled_value") or []:
            reading = _reading(inbound, connector, transaction, sampled_at, sample)
            if reading is not None:
                readings.append(reading)
    if readings:
        MeterReading.objects.bulk_create(readings)
        first = min(reading.sampled_at for reading in readings)
        last = max(reading.sampled_at for reading in readings)
        _announce(announce.METER_VALUES_REPORTED, connector.pk, first.isoformat(), last.isoformat())
    return readings


def _reading(inbound, connector, transaction, sampled_at, sample: dict) -> MeterReading | None:
    unit_of_measure = sample.get("unit_of_measure")
    unit = sample.get("unit") or (unit_of_measure or {}).get("unit") or ""
    measurand = sample.get("measurand") or MeterReading.ENERGY_REGISTER
    try:
        value = float(sample.get("value"))
    except (TypeError, ValueError):
        return None  # signed data or a vendor's text: kept in the raw log only
    if unit_of_measure and unit_of_measure.get("multiplier"):
        value *= 10 ** int(unit_of_measure["multiplier"])
    if measurand.startswith("Energy") and unit in _ENERGY_UNITS_TO_WH:
        value *= _ENERGY_UNITS_TO_WH[unit]
        unit = "varh" if "var" in unit else "Wh"
    elif measurand.startswith("Energy") and not unit:
        unit = "Wh"  # the schema's default
    location = sample.get("location") or ""
    return MeterReading(
        charger_id=inbound.charger_id,
        connector=connector,
        transaction=transaction,
        sampled_at=sampled_at,
        received_at=inbound.received_at,
        measurand=measurand[:64],
        phase=(sample.get("phase") or "")[:8],
        location=location[:16],
        context=(sample.get("context") or "")[:32],
        value=value,
        unit=unit[:16],
        message=inbound.message,
    )


# --- Transactions -------------------------------------------------------------------------------


def start_transaction_v16(
    inbound: Inbound, connector: Connector, *, id_tag: str, meter_start: int, timestamp: str
) -> Transaction:
    """A 1.6 session; Faultline assigns its transaction id (the row's own number)."""
    started_at = inbound.event_at(parse_timestamp(timestamp))
    # The row's number becomes the id: a unique placeholder holds the place until it is known.
    tx = Transaction.objects.create(
        charger_id=inbound.charger_id,
        connector=connector,
        transaction_id=f"pending-{inbound.message.pk}",
        id_tag=id_tag[:36],
        started_at=started_at,
        meter_start_wh=meter_start,
    )
    tx.transaction_id = str(tx.pk)
    tx.save(update_fields=["transaction_id"])
    _announce(announce.TRANSACTION_CHANGED, tx.pk)
    return tx


def stop_transaction_v16(
    inbound: Inbound,
    *,
    transaction_id: int,
    meter_stop: int,
    timestamp: str,
    reason: str = "",
    id_tag: str = "",
    transaction_data: list[dict] | None = None,
) -> Transaction:
    stopped_at = inbound.event_at(parse_timestamp(timestamp))
    tx = Transaction.objects.filter(charger_id=inbound.charger_id, transaction_id=str(transaction_id)).first()
    if tx is None:
        # A session started while Faultline could not hear it: keep what the stop tells us.
        tx = Transaction.objects.create(
            charger_id=inbound.charger_id,
            connector=None,
            transaction_id=str(transaction_id),
            id_tag=(id_tag or "")[:36],
            started_at=stopped_at,
        )
    tx.stopped_at = stopped_at
    tx.meter_stop_wh = meter_stop
    tx.stop_reason = (reason or "Local")[:50]
    tx.save(update_fields=["stopped_at", "meter_stop_wh", "stop_reason"])
    if transaction_data and tx.connector_id:
        record_meter_values(inbound, tx.connector, transaction_data, tx)
    _announce(announce.TRANSACTION_CHANGED, tx.pk)
    return tx


def find_transaction(charger_id: int, transaction_id) -> Transaction | None:
    if transaction_id in (None, ""):
        return None
    return Transaction.objects.filter(charger_id=charger_id, transaction_id=str(transaction_id)).first()


def record_transaction_event(
    inbound: Inbound,
    *,
    event_type: str,
    timestamp: str,
    transaction_info: dict,
    evse: dict | None,
    id_token: dict | None,
    meter_value: list[dict] | None,
) -> Transaction:
    """A 2.0.1 TransactionEvent: the charger names the transaction; Started/Updated/Ended."""
    at = inbound.event_at(parse_timestamp(timestamp))
    evse = evse or {}
    tx = find_transaction(inbound.charger_id, transaction_info["transaction_id"])
    connector = port_of_evse(inbound.charger_id, evse.get("id"), evse.get("connector_id")) if evse else None
    if tx is None:
        tx = Transaction.objects.create(
            charger_id=inbound.charger_id,
            connector=connector,
            transaction_id=str(transaction_info["transaction_id"])[:36],
            id_tag=str((id_token or {}).get("id_token", ""))[:36],
            started_at=at,
        )
    else:
        changed = []
        if connector is not None and tx.connector_id is None:
            tx.connector = connector
            changed.append("connector")
        if id_token and not tx.id_tag:
            tx.id_tag = str(id_token.get("id_token", ""))[:36]
            changed.append("id_tag")
        if changed:
            tx.save(update_fields=changed)
    if event_type == "Ended":
        tx.stopped_at = at
        tx.stop_reason = str(transaction_info.get("stopped_reason") or "Local")[:50]
        tx.save(update_fields=["stopped_at", "stop_reason"])
    if meter_value and tx.connector_id:
        readings = record_meter_values(inbound, tx.connector, meter_value, tx)
        energy = [r.value for r in readings if r.measurand == MeterReading.ENERGY_REGISTER]
        if energy and event_type == "Started" and tx.meter_start_wh is None:
            tx.meter_start_wh = min(energy)
            tx.save(update_fields=["meter_start_wh"])
        if energy and event_type == "Ended":
            tx.meter_stop_wh = max(energy)
            tx.save(update_fields=["meter_stop_wh"])
    _announce(announce.TRANSACTION_CHANGED, tx.pk)
    return tx
