"""Recording what chargers say: the raw log and the domain rows taken from it.

Every function here runs inside the transaction that the OCPP session opens for one frame (see
chargers.protocol.session): the raw frame, its domain rows and the answer commit together, and only
then is the answer sent. Announcements and live events wait for that commit (group_commit.after_commit).

The common frames cost no round trip of their own inside a group commit (PostgreSQL): their log
rows, status reports and meter readings are inserted with the batch, the retransmission check is
one query per batch, port statuses and boots are applied by one statement per batch, and ports and
open transactions are remembered by id once looked up.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils.dateparse import parse_datetime

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
from chargers.protocol import bulk_insert, group_commit
from chargers.protocol.frames import Frame, event_time, parse_timestamp
from chargers.protocol.group_commit import (
    after_commit,
    insert_all_with_batch,
    insert_with_batch,
    rows_waiting,
)

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


def _announce_row(name: str, row) -> None:
    """Announce `row` by id; read once committed, as a row inserted with the batch has none before."""
    after_commit(lambda: announce.announce(name, row.pk))


# --- Remembered ids -----------------------------------------------------------------------------
# Ports and transactions are never renumbered; should one be deleted, the batch that refers to it
# fails, these are forgotten, and its writes are retried one by one with fresh lookups.

_CACHE_LIMIT = 200_000
_port_ids: dict[tuple[int, int, int], int] = {}
_transaction_ids: dict[tuple[int, str], tuple[int, int | None]] = {}  # → (pk, connector id)


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def forget_remembered_ids() -> None:
    _port_ids.clear()
    _transaction_ids.clear()


group_commit.on_batch_failure(forget_remembered_ids)
group_commit.on_batch_failure(bulk_insert.forget_reserved_ids)


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
    message = bulk_insert.new_row(
        OcppMessage,
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
    if group_commit.in_batch() and (with_batch or _reserve_message_id(message)):
        insert_with_batch(message)
    else:
        message.save(force_insert=True)
    return message


def _reserve_message_id(message: OcppMessage) -> bool:
    """Give `message` an id reserved for the batch, so that it can be inserted with the batch while
    rows pointing to it are created. PostgreSQL only (a sequence); False elsewhere."""
    if not bulk_insert.uses_copy():
        return False
    message.pk = bulk_insert.take_ids(OcppMessage, 1)[0]
    return True


# Retransmissions come within minutes; a charger may reuse ids after a reboot, much later.
RETRANSMISSION_WINDOW = timedelta(hours=24)


def call_key(charger_id: int, frame: Frame) -> tuple[int, str, str]:
    """What a group commit is told of a CALL, so that one query checks the batch for retransmissions."""
    return (charger_id, frame.unique_id[:64], frame.action[:64])


def _earlier_calls(keys: list[tuple[int, str, str]], since: datetime) -> dict[tuple, list]:
    """Payloads of the CALLs logged since `since` under each (charger, unique id, action) of `keys`."""
    found: dict[tuple, list] = {}
    if not keys:
        return found
    wanted = set(keys)
    pairs = sorted({(charger_id, unique_id) for charger_id, unique_id, _ in wanted})
    if bulk_insert.uses_copy():
        # Two arrays, not a VALUES list: the same short SQL for every batch (PostgreSQL).
        where = "(charger_id, unique_id) IN (SELECT * FROM unnest(%s::bigint[], %s::varchar[]))"
        params = [[pair[0] for pair in pairs], [pair[1] for pair in pairs]]
    else:
        where = "(charger_id, unique_id) IN (VALUES " + ", ".join(["(%s, %s)"] * len(pairs)) + ")"
        params = [value for pair in pairs for value in pair]
    rows = (
        OcppMessage.objects.filter(
            direction=Direction.IN, message_type=MessageType.CALL, received_at__gte=since
        )
        .extra(where=[where], params=params)
        .values_list("charger_id", "unique_id", "action", "payload")
    )
    for charger_id, unique_id, action, payload in rows:
        if (charger_id, unique_id, action) in wanted:
            found.setdefault((charger_id, unique_id, action), []).append(payload)
    return found


def previous_answer(charger_id: int, frame: Frame, received_at: datetime) -> dict | None:
    """The answer already sent to this very CALL (same id, action and payload), if any.

    Inside a group commit, one query looks for every CALL of the batch; the CALLs of the batch
    itself count too, for a charger that repeats itself on a second socket.
    """
    key = call_key(charger_id, frame)
    since = received_at - RETRANSMISSION_WINDOW
    keys = group_commit.batch_keys("call")
    earlier = group_commit.batch_memo("earlier_calls", lambda: _earlier_calls(list(keys), since))
    if key not in keys and key not in earlier:
        earlier.update(_earlier_calls([key], since))  # outside a batch, or queued without its key
    payloads = earlier.get(key, [])
    if not any(payload == frame.payload for payload in payloads):
        # Seen now: the same CALL again later in this batch is a retransmission of this one.
        earlier.setdefault(key, []).append(frame.payload)
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
    """The port, created on first mention; a reference by id once known (fields beyond the location
    are not loaded: status updates go through `record_status`)."""
    key = (charger_id, evse_id, connector_id)
    known = _port_ids.get(key)
    if known is not None:
        return bulk_insert.new_row(
            Connector, id=known, charger_id=charger_id, evse_id=evse_id, connector_id=connector_id
        )
    location = {"charger_id": charger_id, "evse_id": evse_id, "connector_id": connector_id}
    if group_commit.in_batch():
        # No savepoint: should another process create the port meanwhile, the batch fails on the
        # unique constraint and is rewritten write by write, and then finds it.
        connector = Connector.objects.filter(**location).first() or Connector.objects.create(**location)
    else:
        connector, _ = Connector.objects.get_or_create(**location)
    _remember(_port_ids, key, connector.pk)
    return connector


def remember_ports(charger_id: int) -> None:
    """Look up the ports of a charger that just connected, so that its frames need no lookup (the
    chargers connecting in one group commit are looked up together)."""
    if not group_commit.in_batch():
        _remember_ports_of([charger_id])
        return
    group_commit.batch_memo("connecting", set).add(charger_id)
    group_commit.at_batch_end(_remember_ports_of_connecting)


def _remember_ports_of_connecting() -> None:
    _remember_ports_of(sorted(group_commit.batch_memo("connecting", set)))


def _remember_ports_of(charger_ids: list[int]) -> None:
    if not charger_ids:
        return
    ports = Connector.objects.filter(charger_id__in=charger_ids).values_list(
        "pk", "charger_id", "evse_id", "connector_id"
    )
    for pk, charger_id, evse_id, connector_id in ports:
        _remember(_port_ids, (charger_id, evse_id, connector_id), pk)


def port_v16(charger_id: int, connector_id: int) -> Connector:
    # 1.6 has no EVSE level: connector N is (N, N), and 0 is the charger as a whole.
    return port(charger_id, connector_id, connector_id)


def port_of_evse(charger_id: int, evse_id: int | None, connector_id: int | None = None) -> Connector:
    """A 2.0.1 location as a port: no EVSE is the charger itself, an EVSE alone its first connector."""
    if not evse_id:
        return port(charger_id, 0, 0)
    if connector_id is not None:
        return port(charger_id, evse_id, connector_id)
    known = _port_ids.get((charger_id, evse_id, -1))
    if known is not None:
        return port(charger_id, evse_id, known)
    existing = (
        Connector.objects.filter(charger_id=charger_id, evse_id=evse_id).order_by("connector_id").first()
    )
    found = existing or port(charger_id, evse_id, 1)
    _remember(_port_ids, (charger_id, evse_id, -1), found.connector_id)
    return found


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

    identity = [
        vendor[:50],
        model[:50],
        (serial_number or "")[:50],
        (firmware_version or "")[:50],
        inbound.version,
        inbound.received_at,
    ]
    if group_commit.in_batch() and bulk_insert.uses_copy():
        # A reconnect storm is mostly boots: their identities are written in one statement.
        group_commit.batch_memo("boots", dict)[inbound.charger_id] = identity
        group_commit.at_batch_end(_apply_gathered_boots)
        registration_state, heartbeat_interval = _boot_settings(inbound.charger_id)
    else:
        identity[-1] = connection.ops.adapt_datetimefield_value(inbound.received_at)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Charger._meta.db_table} SET vendor = %s, model = %s, serial_number = %s, "
                "firmware_version = %s, ocpp_version = %s, last_boot_at = %s WHERE id = %s "
                "RETURNING registration_state, heartbeat_interval",
                [*identity, inbound.charger_id],
            )
            registration_state, heartbeat_interval = cursor.fetchone()
    _announce(announce.CHARGER_BOOTED, inbound.charger_id, inbound.received_at.isoformat())
    status = "Pending" if registration_state == RegistrationState.PENDING else "Accepted"
    return status, heartbeat_interval or settings.OCPP_HEARTBEAT_INTERVAL


def _boot_settings(charger_id: int) -> tuple[str, int | None]:
    """(registration state, heartbeat interval) of a booting charger: one query for every charger
    booting in the batch (known from the keys its CALLs were queued with)."""
    booting = {key[0] for key in group_commit.batch_keys("call") if key[2] == "BootNotification"}
    found = group_commit.batch_memo(
        "boot_settings",
        lambda: {
            pk: (state, interval)
            for pk, state, interval in Charger.objects.filter(pk__in=booting).values_list(
                "pk", "registration_state", "heartbeat_interval"
            )
        },
    )
    if charger_id not in found:
        found[charger_id] = Charger.objects.values_list("registration_state", "heartbeat_interval").get(
            pk=charger_id
        )
    return found[charger_id]


_BOOT = """
    UPDATE {table} AS charger SET vendor = boot.vendor, model = boot.model,
        serial_number = boot.serial_number, firmware_version = boot.firmware_version,
        ocpp_version = boot.ocpp_version, last_boot_at = boot.at
    FROM {rows} AS boot (id, vendor, model, serial_number, firmware_version, ocpp_version, at)
    WHERE charger.id = boot.id
"""
_BOOT_TYPES = ("bigint", *["varchar"] * 5, "timestamptz")


def _apply_gathered_boots() -> None:
    boots = group_commit.batch_memo("boots", dict)
    if not boots:
        return
    rows = [(charger_id, *boots[charger_id]) for charger_id in sorted(boots)]
    bulk_insert.update_from_rows(_BOOT, _BOOT_TYPES, rows, table=Charger._meta.db_table)


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
    report = bulk_insert.new_row(
        StatusReport,
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
    insert_with_batch(report)
    if group_commit.in_batch() and bulk_insert.uses_copy():
        # Applied to the ports together when the batch's writes are done (one statement).
        gathered = group_commit.batch_memo("port_updates", dict)
        earlier = gathered.get(connector.pk)
        if earlier is None or earlier[0].event_at <= report.event_at:
            gathered[connector.pk] = (report, inbound.charge_point_id, connector)
        group_commit.at_batch_end(_apply_gathered_port_updates)
    else:
        since = _apply_to_port(report)
        if since is not None:
            _publish_port_status(inbound.charge_point_id, connector, report, since)
    _announce_row(announce.STATUS_REPORTED, report)
    return report


def _publish_port_status(charge_point_id: str, connector: Connector, report: StatusReport, since) -> None:
    live.publish_on_commit(
        [live.DASHBOARD_GROUP],
        {
            "event": "connector.status",
            "charge_point_id": charge_point_id,
            "evse_id": connector.evse_id,
            "connector_id": connector.connector_id,
            "status": report.status,
            "error_code": report.error_code,
            "vendor_error_code": report.vendor_error_code,
            "info": report.info,
            "since": since.isoformat(),
        },
    )


_APPLY_GATHERED = """
    UPDATE {table} AS port SET
        status_since = CASE
            WHEN port.status_since IS NULL OR port.status <> new.status OR port.error_code <> new.error_code
            THEN new.at ELSE port.status_since END,
        status = new.status, error_code = new.error_code, vendor_id = new.vendor_id,
        vendor_error_code = new.vendor_error_code, info = new.info
    FROM {rows} AS new (id, status, error_code, vendor_id, vendor_error_code, info, at)
    WHERE port.id = new.id AND (port.status_since IS NULL OR port.status_since <= new.at)
    RETURNING port.id, port.status_since
"""
_GATHERED_TYPES = ("bigint", *["varchar"] * 5, "timestamptz")


def _apply_gathered_port_updates() -> None:
    """`_apply_to_port` for every port the batch reported on, in one statement (PostgreSQL)."""
    gathered = group_commit.batch_memo("port_updates", dict)
    if not gathered:
        return
    rows = [
        (r.connector_id, r.status, r.error_code, r.vendor_id, r.vendor_error_code, r.info, r.event_at)
        for r, _, _ in gathered.values()
    ]
    applied = bulk_insert.update_from_rows(
        _APPLY_GATHERED, _GATHERED_TYPES, rows, table=Connector._meta.db_table
    )
    for connector_id, since in applied:
        report, charge_point_id, connector = gathered[connector_id]
        _publish_port_status(charge_point_id, connector, report, since)


_APPLY_STATUS = """
    UPDATE {table} SET
        status_since = CASE
            WHEN status_since IS NULL OR status <> %s OR error_code <> %s THEN %s ELSE status_since END,
        status = %s, error_code = %s, vendor_id = %s, vendor_error_code = %s, info = %s
    WHERE id = %s AND (status_since IS NULL OR status_since <= %s)
    RETURNING status_since
"""


def _apply_to_port(report: StatusReport) -> datetime | None:
    """Make `report` the port's present status unless the port already knows a later one (statuses
    queued while offline arrive late: they are history). One statement that reads and writes the
    row; returns since when the port's status holds, or None when the report was older."""
    at = connection.ops.adapt_datetimefield_value(report.event_at)
    with connection.cursor() as cursor:
        cursor.execute(
            _APPLY_STATUS.format(table=Connector._meta.db_table),
            [
                report.status,
                report.error_code,
                at,
                report.status,
                report.error_code,
                report.vendor_id,
                report.vendor_error_code,
                report.info,
                report.connector_id,
                at,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    since = row[0]
    if isinstance(since, str):  # SQLite hands the stored text back
        since = parse_datetime(since)
    return since if since.tzinfo else since.replace(tzinfo=UTC)


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
        event = DeviceEvent(
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
        insert_with_batch(event)
        _announce_row(announce.DEVICE_EVENT_REPORTED, event)
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
        insert_all_with_batch(readings)
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
    return bulk_insert.new_row(
        MeterReading,
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
    tx = Transaction(
        charger_id=inbound.charger_id,
        connector=connector,
        id_tag=id_tag[:36],
        started_at=started_at,
        meter_start_wh=meter_start,
    )
    if group_commit.in_batch() and bulk_insert.uses_copy():
        # The row's number is known before the insert: the row goes in with the batch.
        tx.pk = bulk_insert.take_ids(Transaction, 1)[0]
        tx.transaction_id = str(tx.pk)
        insert_with_batch(tx)
    else:
        # The row's number becomes the id: a unique placeholder holds the place until it is known.
        tx.transaction_id = f"pending-{uuid.uuid4().hex}"[:36]
        tx.save(force_insert=True)
        tx.transaction_id = str(tx.pk)
        tx.save(update_fields=["transaction_id"])
    _remember(_transaction_ids, (inbound.charger_id, tx.transaction_id), (tx.pk, tx.connector_id))
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
    tx = transaction_reference(inbound.charger_id, transaction_id)
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
    _record_stop(tx)
    if transaction_data and tx.connector_id:
        record_meter_values(inbound, tx.connector, transaction_data, tx)
    _announce(announce.TRANSACTION_CHANGED, tx.pk)
    return tx


def _record_stop(tx: Transaction) -> None:
    """Store how `tx` ended: with the batch's other stops in one statement (PostgreSQL), else now.

    Its start is never in the same batch: a charger learns the transaction id from the start's
    answer, which is sent only after that batch committed."""
    if group_commit.in_batch() and bulk_insert.uses_copy():
        group_commit.batch_memo("transaction_stops", dict)[tx.pk] = (
            tx.pk,
            tx.stopped_at,
            tx.meter_stop_wh,
            tx.stop_reason,
        )
        group_commit.at_batch_end(_apply_gathered_stops)
    else:
        Transaction.objects.filter(pk=tx.pk).update(
            stopped_at=tx.stopped_at, meter_stop_wh=tx.meter_stop_wh, stop_reason=tx.stop_reason
        )


_STOPS = """
    UPDATE {table} AS tx SET stopped_at = stop.at, meter_stop_wh = stop.meter, stop_reason = stop.reason
    FROM {rows} AS stop (id, at, meter, reason)
    WHERE tx.id = stop.id
"""
_STOP_TYPES = ("bigint", "timestamptz", "double precision", "varchar")


def _apply_gathered_stops() -> None:
    stops = group_commit.batch_memo("transaction_stops", dict)
    if stops:
        rows = [stops[pk] for pk in sorted(stops)]
        bulk_insert.update_from_rows(_STOPS, _STOP_TYPES, rows, table=Transaction._meta.db_table)


def find_transaction(charger_id: int, transaction_id) -> Transaction | None:
    if transaction_id in (None, ""):
        return None
    return Transaction.objects.filter(charger_id=charger_id, transaction_id=str(transaction_id)).first()


def transaction_reference(charger_id: int, transaction_id) -> Transaction | None:
    """The transaction as a reference by id (for rows that point to it), remembered once found."""
    if transaction_id in (None, ""):
        return None
    key = (charger_id, str(transaction_id))
    known = _transaction_ids.get(key)
    if known is None:
        known = (
            Transaction.objects.filter(charger_id=charger_id, transaction_id=key[1])
            .values_list("pk", "connector_id")
            .first()
        )
        if known is None:
            return None
        _remember(_transaction_ids, key, known)
    pk, connector_id = known
    return bulk_insert.new_row(
        Transaction, id=pk, charger_id=charger_id, transaction_id=key[1], connector_id=connector_id
    )


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
