"""Retention of the raw message log: each kind kept its own number of days, domain rows never touched."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from chargers import retention, tasks
from chargers.models import Direction, MessageType, MeterReading, OcppMessage, StatusReport
from chargers.retention import MessageKind
from tests.factories import ChargerFactory, ConnectorFactory

pytestmark = pytest.mark.django_db

KEEP = {"heartbeat": 7, "meter_values": 30, "status": 400, "other": 90}


@pytest.fixture(autouse=True)
def policy(settings):
    settings.MESSAGE_LOG_RETENTION_DAYS = dict(KEEP)


@pytest.fixture(autouse=True)
def checked_at_once():
    # In production the frames committed long before retention runs; in a test they share its
    # transaction, and PostgreSQL refuses to drop a table with deferred foreign-key checks pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def charger():
    return ChargerFactory(charge_point_id="CP-KEEP")


def at_noon(days_from_today: int) -> datetime:
    day = timezone.now().astimezone(UTC).date() + timedelta(days=days_from_today)
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def log(charger, received_at, action, direction=Direction.IN):
    return OcppMessage.objects.create(
        charger=charger,
        received_at=received_at,
        direction=direction,
        message_type=MessageType.CALL if direction == Direction.IN else MessageType.CALLRESULT,
        unique_id=f"{action}-{received_at:%d%H%M%S}",
        action=action,
        payload={},
    )


def one_of_each_kind(charger, received_at) -> dict[str, OcppMessage]:
    return {
        "Heartbeat": log(charger, received_at, "Heartbeat"),
        "Heartbeat answer": log(charger, received_at, "Heartbeat", Direction.OUT),
        "MeterValues": log(charger, received_at, "MeterValues"),
        "StatusNotification": log(charger, received_at, "StatusNotification"),
        "NotifyEvent": log(charger, received_at, "NotifyEvent"),
        "DataTransfer": log(charger, received_at, "DataTransfer"),
        "unparseable": log(charger, received_at, ""),
    }


def surviving(frames: dict[str, OcppMessage]) -> set[str]:
    ids = set(
        OcppMessage.objects.filter(id__in=[frame.id for frame in frames.values()]).values_list(
            "id", flat=True
        )
    )
    return {name for name, frame in frames.items() if frame.id in ids}


def partition_exists(received_at: datetime) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"chargers_ocppmessage_p{received_at:%Y%m%d}"])
        return cursor.fetchone()[0] is not None


def test_each_action_belongs_to_one_kind():
    assert retention.kind_of("Heartbeat") == MessageKind.HEARTBEAT
    assert retention.kind_of("MeterValues") == MessageKind.METER_VALUES
    assert retention.kind_of("StatusNotification") == MessageKind.STATUS
    assert retention.kind_of("NotifyEvent") == MessageKind.STATUS
    assert retention.kind_of("DataTransfer") == MessageKind.OTHER
    assert retention.kind_of("") == MessageKind.OTHER


def test_a_day_loses_each_kind_once_its_retention_has_passed_and_is_dropped_last(charger):
    day = at_noon(1)
    frames = one_of_each_kind(charger, day)
    everything = set(frames)

    retention.apply_retention(now=day + timedelta(days=7))
    assert surviving(frames) == everything, "a day is kept whole until it is entirely older than 7 days"

    run = retention.apply_retention(now=day + timedelta(days=8))
    assert surviving(frames) == everything - {"Heartbeat", "Heartbeat answer"}
    assert run.deleted == {f"chargers_ocppmessage_p{day:%Y%m%d}": 2}

    retention.apply_retention(now=day + timedelta(days=31))
    assert surviving(frames) == {"StatusNotification", "NotifyEvent", "DataTransfer", "unparseable"}

    retention.apply_retention(now=day + timedelta(days=91))
    assert surviving(frames) == {"StatusNotification", "NotifyEvent"}
    assert partition_exists(day)

    run = retention.apply_retention(now=day + timedelta(days=401))
    assert surviving(frames) == set()
    assert f"chargers_ocppmessage_p{day:%Y%m%d}" in run.dropped_partitions
    assert not partition_exists(day)


def test_a_day_holding_only_expired_kinds_is_dropped_whole(charger):
    short_lived = at_noon(2)
    kept = at_noon(3)
    heartbeats = {
        f"Heartbeat {n}": log(charger, short_lived + timedelta(minutes=n), "Heartbeat") for n in range(3)
    }
    status = {"StatusNotification": log(charger, kept, "StatusNotification")}

    run = retention.apply_retention(now=kept + timedelta(days=8))

    assert f"chargers_ocppmessage_p{short_lived:%Y%m%d}" in run.dropped_partitions
    assert f"chargers_ocppmessage_p{kept:%Y%m%d}" not in run.dropped_partitions
    assert not partition_exists(short_lived)
    assert surviving(heartbeats) == set()
    assert surviving(status) == {"StatusNotification"}


def test_domain_rows_stay_when_their_frames_go(charger):
    day = at_noon(1)
    port = ConnectorFactory(charger=charger)
    meter_frame = log(charger, day, "MeterValues")
    status_frame = log(charger, day, "StatusNotification")
    reading = MeterReading.objects.create(
        charger=charger, connector=port, sampled_at=day, value=1234.0, unit="Wh", message=meter_frame
    )
    report = StatusReport.objects.create(
        charger=charger,
        connector=port,
        status="Faulted",
        error_code="GroundFailure",
        event_at=day,
        message=status_frame,
    )

    run = retention.apply_retention(now=day + timedelta(days=401))

    assert f"chargers_ocppmessage_p{day:%Y%m%d}" in run.dropped_partitions
    assert not OcppMessage.objects.filter(id__in=[meter_frame.id, status_frame.id]).exists()
    reading.refresh_from_db()
    report.refresh_from_db()
    assert (reading.value, reading.message_id) == (1234.0, meter_frame.id)
    assert (report.error_code, report.message_id) == ("GroundFailure", status_frame.id)


def test_the_default_partition_is_cleaned_in_batches_per_kind(charger):
    # 40 days ahead has no partition yet: these frames wait in the default one.
    day = at_noon(40)
    heartbeats = {f"Heartbeat {n}": log(charger, day + timedelta(seconds=n), "Heartbeat") for n in range(5)}
    others = one_of_each_kind(charger, day + timedelta(minutes=5))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chargers_ocppmessage_default")
        assert cursor.fetchone()[0] == 12

    run = retention.apply_retention(now=day + timedelta(days=8), batch_size=2)

    assert surviving(heartbeats) == set()
    assert surviving(others) == set(others) - {"Heartbeat", "Heartbeat answer"}
    assert run.deleted == {"chargers_ocppmessage_default": 7}


def test_a_purged_day_is_not_scanned_again_for_the_same_kinds(charger):
    day = at_noon(1)
    frames = one_of_each_kind(charger, day)
    retention.apply_retention(now=day + timedelta(days=8))
    [partition] = [found for found in retention.daily_partitions() if found.day == day.date()]
    assert partition.purged == {MessageKind.HEARTBEAT}

    run = retention.apply_retention(now=day + timedelta(days=9))

    assert run.deleted == {}
    assert surviving(frames) == set(frames) - {"Heartbeat", "Heartbeat answer"}


def test_retention_follows_the_configured_days(settings, charger):
    settings.MESSAGE_LOG_RETENTION_DAYS = {**KEEP, "heartbeat": 20}
    day = at_noon(1)
    frames = one_of_each_kind(charger, day)

    retention.apply_retention(now=day + timedelta(days=10))
    assert surviving(frames) == set(frames)

    retention.apply_retention(now=day + timedelta(days=21))
    assert surviving(frames) == set(frames) - {"Heartbeat", "Heartbeat answer"}


def test_the_daily_task_makes_partitions_ahead_and_applies_retention(charger):
    ahead = timezone.now().astimezone(UTC).date() + timedelta(days=settings.MESSAGE_LOG_PARTITIONS_AHEAD_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE chargers_ocppmessage_p{ahead:%Y%m%d}")

    summary = tasks.apply_message_log_retention()

    assert partition_exists(datetime(ahead.year, ahead.month, ahead.day, tzinfo=UTC))
    assert summary == {"dropped_partitions": [], "deleted": {}}
    assert tasks.create_message_log_partitions() == 0


def test_beat_runs_retention_daily_and_makes_partitions_ahead():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["chargers-apply-message-log-retention"]["task"] == tasks.APPLY_MESSAGE_LOG_RETENTION
    assert schedule["chargers-apply-message-log-retention"]["schedule"].hour == {
        settings.MESSAGE_LOG_RETENTION_HOUR
    }
    assert schedule["chargers-create-message-log-partitions"]["task"] == tasks.CREATE_MESSAGE_LOG_PARTITIONS
