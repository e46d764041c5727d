"""What a group commit gathers from its writes and applies once for the whole batch: port statuses,
socket openings and closings, signs of life, boots, retransmission checks, and rows inserted by COPY
with ids reserved in advance. Each batch here is several writes queued together on the real writer."""

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chargers import connectivity, ingest
from chargers.models import (
    Charger,
    ConnectivityChange,
    Connector,
    Direction,
    MessageType,
    OcppMessage,
    StatusReport,
    Transaction,
)
from chargers.protocol import bulk_insert, group_commit
from chargers.protocol.frames import CALL, Frame

pytestmark = pytest.mark.django_db(transaction=True)

# Recent: the message log is partitioned by day around the present.
T0 = timezone.now().replace(microsecond=0) - timedelta(minutes=30)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def call(unique_id: str, action: str, payload: dict) -> Frame:
    return Frame(
        raw=json.dumps([CALL, unique_id, action, payload]),
        message_type=CALL,
        unique_id=unique_id,
        action=action,
        payload=payload,
    )


def inbound(charger: Charger, frame: Frame, received_at: datetime) -> ingest.Inbound:
    message = ingest.log_frame(charger.pk, "1.6", Direction.IN, frame, received_at)
    return ingest.Inbound(
        charger_id=charger.pk,
        charge_point_id=charger.charge_point_id,
        version="1.6",
        message=message,
        received_at=received_at,
    )


def status_write(charger: Charger, unique_id: str, connector_id: int, status: str, seconds: float):
    def write():
        payload = {"connectorId": connector_id, "status": status, "errorCode": "NoError"}
        frame = call(unique_id, "StatusNotification", payload)
        report = ingest.record_status(
            inbound(charger, frame, at(seconds)),
            ingest.port_v16(charger.pk, connector_id),
            status=status,
            error_code="NoError",
            timestamp=at(seconds).isoformat(),
        )
        return report

    return write


async def together(*writes):
    """Queue `writes` at once on this loop's writer: they share one batch."""
    writer = group_commit.writer()
    return await asyncio.gather(*(writer.write(write) for write in writes))


def in_thread(function):
    # Not asyncio.to_thread: its threads would keep their pooled connections after the test.
    return database_sync_to_async(function, thread_sensitive=False)()


@pytest.fixture
def charger(make_charger):
    return make_charger("CP-BATCH")


async def test_a_batch_of_statuses_leaves_each_port_at_its_newest_report(charger):
    first = await together(status_write(charger, "warm", 1, "Available", 0))
    assert first[0].pk is not None

    reports = await together(
        status_write(charger, "a", 1, "Charging", 20),
        status_write(charger, "b", 1, "Preparing", 10),  # older, arriving second: history only
        status_write(charger, "c", 2, "Faulted", 15),
        status_write(charger, "d", 0, "Available", 5),
    )

    ports = await in_thread(
        lambda: {
            port.connector_id: (port.status, port.status_since)
            for port in Connector.objects.filter(charger=charger)
        }
    )
    assert ports == {1: ("Charging", at(20)), 2: ("Faulted", at(15)), 0: ("Available", at(5))}
    stored = await in_thread(lambda: list(StatusReport.objects.filter(charger=charger).order_by("event_at")))
    assert len(stored) == 5
    # Every report was inserted with the batch and points to its own logged frame.
    assert {report.pk for report in reports} <= {report.pk for report in stored}
    frames = await in_thread(
        lambda: dict(OcppMessage.objects.filter(charger=charger).values_list("pk", "unique_id"))
    )
    assert sorted(frames[report.message_id] for report in stored) == ["a", "b", "c", "d", "warm"]


async def test_a_report_older_than_the_ports_present_is_kept_as_history_only(charger):
    await together(status_write(charger, "now", 1, "Faulted", 100))
    await together(status_write(charger, "late", 1, "Available", 50))

    port = await in_thread(lambda: Connector.objects.get(charger=charger, connector_id=1))
    assert (port.status, port.status_since) == ("Faulted", at(100))
    assert await in_thread(lambda: StatusReport.objects.filter(charger=charger).count()) == 2


async def test_an_unchanged_status_keeps_the_time_it_began(charger):
    await together(status_write(charger, "one", 1, "Charging", 10))
    await together(status_write(charger, "two", 1, "Charging", 30))

    port = await in_thread(lambda: Connector.objects.get(charger=charger, connector_id=1))
    assert port.status_since == at(10)


def changes_of(charger: Charger) -> list[tuple[bool, str]]:
    return list(
        ConnectivityChange.objects.filter(charger=charger)
        .order_by("at", "id")
        .values_list("online", "reason")
    )


async def test_a_close_then_a_reopen_in_one_batch_reads_offline_then_online(charger):
    await together(lambda: connectivity.connected(charger.pk, "old-socket", at(0), "1.6"))

    await together(
        lambda: connectivity.disconnected(charger.pk, "old-socket", at(10)),
        lambda: connectivity.connected(charger.pk, "new-socket", at(11), "1.6"),
    )

    assert await in_thread(lambda: changes_of(charger)) == [
        (True, connectivity.SOCKET_OPENED),
        (False, connectivity.SOCKET_CLOSED),
        (True, connectivity.SOCKET_OPENED),
    ]
    fresh = await in_thread(lambda: Charger.objects.get(pk=charger.pk))
    assert fresh.connection_channel == "new-socket"
    assert fresh.last_seen_at == at(11)


async def test_the_old_socket_closing_after_the_new_one_opened_changes_nothing(charger):
    await together(lambda: connectivity.connected(charger.pk, "old-socket", at(0), "1.6"))

    await together(
        lambda: connectivity.connected(charger.pk, "new-socket", at(11), "2.0.1"),
        lambda: connectivity.disconnected(charger.pk, "old-socket", at(12)),
    )

    assert await in_thread(lambda: changes_of(charger)) == [(True, connectivity.SOCKET_OPENED)]
    fresh = await in_thread(lambda: Charger.objects.get(pk=charger.pk))
    assert (fresh.connection_channel, fresh.ocpp_version) == ("new-socket", "2.0.1")


async def test_traffic_from_a_charger_marked_offline_brings_it_online_once(charger):
    await in_thread(
        lambda: ConnectivityChange.objects.create(charger=charger, at=at(0), online=False, reason="silent")
    )

    await together(
        lambda: connectivity.saw(charger.pk, at(5)),
        lambda: connectivity.saw(charger.pk, at(6)),
    )

    assert await in_thread(lambda: changes_of(charger)) == [
        (False, "silent"),
        (True, connectivity.TRAFFIC_RESUMED),
    ]
    assert (await in_thread(lambda: Charger.objects.get(pk=charger.pk))).last_seen_at == at(6)


async def test_boots_of_one_batch_answer_each_chargers_own_registration(make_charger):
    accepted = await in_thread(lambda: make_charger("CP-BOOT-A"))
    pending = await in_thread(
        lambda: make_charger("CP-BOOT-B", registration_state="pending", heartbeat_interval=90)
    )

    def boot(charger: Charger, unique_id: str, model: str):
        def write():
            frame = call(
                unique_id, "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": model}
            )
            return ingest.record_boot(inbound(charger, frame, at(1)), vendor="Acme", model=model)

        return write

    writer = group_commit.writer()
    answers = await asyncio.gather(
        writer.write(boot(accepted, "b1", "AC22"), key=("call", (accepted.pk, "b1", "BootNotification"))),
        writer.write(boot(pending, "b2", "DC50"), key=("call", (pending.pk, "b2", "BootNotification"))),
    )

    assert answers[0][0] == "Accepted"
    assert answers[1] == ("Pending", 90)
    models = await in_thread(
        lambda: dict(Charger.objects.filter(pk__in=[accepted.pk, pending.pk]).values_list("pk", "model"))
    )
    assert models == {accepted.pk: "AC22", pending.pk: "DC50"}


async def test_a_call_repeated_within_one_batch_gets_the_first_answer(charger):
    frame = call("twice", "Heartbeat", {})
    key = ingest.call_key(charger.pk, frame)

    def handle():
        earlier = ingest.previous_answer(charger.pk, frame, at(1))
        if earlier is not None:
            return ("repeat", earlier)
        ingest.log_frame(charger.pk, "1.6", Direction.IN, frame, at(1))
        answer = Frame(raw="", message_type=MessageType.CALLRESULT, unique_id="twice", payload={"n": 1})
        ingest.log_frame(charger.pk, "1.6", Direction.OUT, answer, at(1), with_batch=True)
        return ("first", None)

    writer = group_commit.writer()
    outcomes = await asyncio.gather(
        writer.write(handle, key=("call", key)), writer.write(handle, key=("call", key))
    )

    assert outcomes == [("first", None), ("repeat", {"n": 1})]
    # A later batch finds it in the log.
    assert await writer.write(handle, key=("call", key)) == ("repeat", {"n": 1})


def start_write(charger: Charger):
    """A 1.6 StartTransaction on connector 1, as the batch's write."""

    def write():
        frame = call(f"s-{charger.pk}", "StartTransaction", {})
        return ingest.start_transaction_v16(
            inbound(charger, frame, at(0)),
            ingest.port_v16(charger.pk, 1),
            id_tag="TAG",
            meter_start=10,
            timestamp=at(0).isoformat(),
        )

    return write


async def test_a_1_6_transaction_started_in_a_batch_is_numbered_by_its_own_id(charger):
    started = (await together(start_write(charger)))[0]

    stored = await in_thread(lambda: Transaction.objects.get(charger=charger))
    assert stored.pk == started.pk
    assert stored.transaction_id == str(stored.pk)
    assert ingest.transaction_reference(charger.pk, stored.transaction_id).pk == stored.pk


def test_copy_inserts_give_every_row_its_id_and_keep_payloads_exactly(charger):
    payloads = [
        {"text": 'Türstecker ❌ "quoted" \\ back\tslash', "n": [1, 2.5, None]},
        {},
        {"deep": {"x": True}},
    ]
    rows = [
        OcppMessage(
            charger_id=charger.pk,
            direction=Direction.IN,
            message_type=MessageType.CALL,
            unique_id=f"copy-{number}",
            action="DataTransfer",
            payload=payload,
            ocpp_version="1.6",
        )
        for number, payload in enumerate(payloads)
    ]

    bulk_insert.insert_rows(OcppMessage, rows)

    assert all(row.pk is not None for row in rows)
    stored = dict(
        OcppMessage.objects.filter(pk__in=[row.pk for row in rows]).values_list("unique_id", "payload")
    )
    assert stored == {f"copy-{number}": payload for number, payload in enumerate(payloads)}


async def test_stops_of_one_batch_each_store_their_own_end(make_charger):
    chargers = [await in_thread(lambda n=n: make_charger(f"CP-STOP-{n}")) for n in range(3)]

    def stop(charger, tx, meter, reason):
        def write():
            frame = call(f"e-{charger.pk}", "StopTransaction", {})
            return ingest.stop_transaction_v16(
                inbound(charger, frame, at(60)),
                transaction_id=int(tx.transaction_id),
                meter_stop=meter,
                timestamp=at(60 + meter % 7).isoformat(),
                reason=reason,
            )

        return write

    started = await together(*(start_write(c) for c in chargers))
    ends = [(1500, "EVDisconnected"), (2750, "Local"), (900, "Remote")]
    await together(*(stop(c, tx, *end) for c, tx, end in zip(chargers, started, ends, strict=True)))

    stored = await in_thread(
        lambda: {
            tx.charger_id: (tx.meter_stop_wh, tx.stop_reason, tx.stopped_at)
            for tx in Transaction.objects.filter(charger__in=chargers)
        }
    )
    assert stored == {
        charger.pk: (float(meter), reason, at(60 + meter % 7))
        for charger, (meter, reason) in zip(chargers, ends, strict=True)
    }


async def test_authorization_in_one_batch_follows_each_chargers_own_site():
    from chargers.models import LocalAuthorization, Site

    def setup():
        strict = Site.objects.create(name="Strict", use_local_authorization_list=True)
        LocalAuthorization.objects.create(site=strict, id_tag="KNOWN")
        open_site = Site.objects.create(name="Open")
        return (
            Charger.objects.create(charge_point_id="CP-AUTH-STRICT", site=strict),
            Charger.objects.create(charge_point_id="CP-AUTH-OPEN", site=open_site),
        )

    strict_charger, open_charger = await in_thread(setup)
    from chargers import authorization

    def check(charger, tag):
        return lambda: authorization.authorize(charger.pk, tag, at(0))

    writer = group_commit.writer()
    keys = [
        ("call", (c.pk, f"a{n}", "Authorize")) for n, c in enumerate([strict_charger] * 2 + [open_charger])
    ]
    answers = await asyncio.gather(
        writer.write(check(strict_charger, "KNOWN"), key=keys[0]),
        writer.write(check(strict_charger, "STRANGER"), key=keys[1]),
        writer.write(check(open_charger, "STRANGER"), key=keys[2]),
    )
    assert answers == ["Accepted", "Invalid", "Accepted"]


def test_reserved_ids_are_handed_out_once_across_batches(charger):
    first = bulk_insert.take_ids(OcppMessage, 3)
    second = bulk_insert.take_ids(OcppMessage, 2000)  # more than a block: the pool tops itself up
    bulk_insert.forget_reserved_ids()
    third = bulk_insert.take_ids(OcppMessage, 1)
    every = first + second + third
    assert len(set(every)) == len(every) == 2004
    # Drawn from the table's own sequence: an ordinary insert never collides with them.
    row = OcppMessage.objects.create(
        charger_id=charger.pk, direction=Direction.IN, message_type=MessageType.CALL, ocpp_version="1.6"
    )
    assert row.pk not in every
