"""The message log on PostgreSQL: a table partitioned by day, a default partition, days made ahead."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chargers import retention
from chargers.models import Direction, MessageType, OcppMessage, StatusReport
from tests.factories import ChargerFactory, ConnectorFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.now().astimezone(UTC).date()


def noon(day) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def log(charger, received_at, action="Heartbeat", **fields):
    return OcppMessage.objects.create(
        charger=charger,
        received_at=received_at,
        direction=Direction.IN,
        message_type=MessageType.CALL,
        unique_id=f"{action}-{received_at:%Y%m%d%H%M%S}",
        action=action,
        payload={},
        **fields,
    )


def partition_of(message: OcppMessage) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM chargers_ocppmessage WHERE id = %s AND received_at = %s",
            [message.id, message.received_at],
        )
        return cursor.fetchone()[0]


def partitions() -> dict[str, str]:
    """Each partition of the log and its bounds, as PostgreSQL prints them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'chargers_ocppmessage'::regclass"
        )
        return dict(cursor.fetchall())


def day_partition(day) -> str:
    return f"chargers_ocppmessage_p{day:%Y%m%d}"


@pytest.fixture
def charger():
    return ChargerFactory(charge_point_id="CP-PARTS")


def test_the_log_is_partitioned_by_range_on_received_at():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
            "WHERE p.partrelid = 'chargers_ocppmessage'::regclass"
        )
        assert cursor.fetchall() == [("r", "received_at")]


def test_the_migration_made_a_default_partition_and_a_week_of_days_ahead():
    found = partitions()
    assert found["chargers_ocppmessage_default"] == "DEFAULT"
    for ahead in range(8):
        day = today() + timedelta(days=ahead)
        bound = found[day_partition(day)]
        assert f"FROM ('{day:%Y-%m-%d} 00:00:00+00')" in bound
        assert f"TO ('{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00')" in bound


def test_the_primary_key_carries_the_partition_key():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'chargers_ocppmessage'::regclass AND contype = 'p'"
        )
        assert cursor.fetchall() == [("PRIMARY KEY (id, received_at)",)]


def test_the_indexes_serve_newest_first_per_charger_and_time_ranges():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chargers_ocppmessage'")
        indexes = dict(cursor.fetchall())
    assert "(charger_id, received_at DESC, id DESC)" in indexes["chargers_msg_charger_newest"]
    assert "(received_at)" in indexes["chargers_msg_received"]


def test_domain_rows_link_to_the_log_without_a_database_constraint_but_with_an_index():
    for model in ("statusreport", "deviceevent", "meterreading"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' "
                "AND confrelid = 'chargers_ocppmessage'::regclass",
                [f"chargers_{model}"],
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                [f"chargers_{model}", "%(message_id)%"],
            )
            assert cursor.fetchone()[0] == 1


def test_frames_of_today_a_future_day_and_the_far_past_all_land(charger):
    now = timezone.now()
    current = log(charger, now)
    next_week = log(charger, now + timedelta(days=5))
    far_future = log(charger, now + timedelta(days=60))
    far_past = log(charger, datetime(2019, 3, 1, 8, tzinfo=UTC))

    assert partition_of(current) == day_partition(now.astimezone(UTC).date())
    assert partition_of(next_week) == day_partition((now + timedelta(days=5)).astimezone(UTC).date())
    assert partition_of(far_future) == "chargers_ocppmessage_default"
    assert partition_of(far_past) == "chargers_ocppmessage_default"
    assert set(OcppMessage.objects.filter(charger=charger).values_list("id", flat=True)) == {
        current.id,
        next_week.id,
        far_future.id,
        far_past.id,
    }


def test_making_partitions_twice_creates_nothing_the_second_time():
    first = retention.ensure_partitions(today() + timedelta(days=20), ahead_days=2)
    before = partitions()
    second = retention.ensure_partitions(today() + timedelta(days=20), ahead_days=2)
    assert (first, second) == (3, 0)
    assert partitions() == before


def test_a_new_day_takes_the_frames_that_waited_in_the_default_partition(charger):
    day = today() + timedelta(days=30)
    waiting = log(charger, noon(day), action="StatusNotification")
    report = StatusReport.objects.create(
        charger=charger,
        connector=ConnectorFactory(charger=charger),
        status="Faulted",
        event_at=waiting.received_at,
        message=waiting,
    )
    assert partition_of(waiting) == "chargers_ocppmessage_default"

    assert retention.ensure_partitions(day, ahead_days=0) == 1

    assert partition_of(waiting) == day_partition(day)
    report.refresh_from_db()
    assert report.message == waiting
    assert OcppMessage.objects.get(pk=waiting.pk).action == "StatusNotification"


def test_a_time_range_reads_only_the_partitions_it_covers(charger):
    day = today() + timedelta(days=2)
    frames = OcppMessage.objects.filter(
        received_at__gte=noon(day), received_at__lt=noon(day) + timedelta(hours=1)
    )
    sql, params = frames.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert day_partition(day) in plan
    assert day_partition(day + timedelta(days=1)) not in plan
    assert "chargers_ocppmessage_default" not in plan


def test_the_message_log_api_reads_across_partitions_newest_first(api_client, operator, charger):
    api_client.force_authenticate(operator)
    now = timezone.now()
    log(charger, now - timedelta(days=900), action="BootNotification")
    log(charger, now, action="StatusNotification")
    log(charger, now + timedelta(days=3), action="Heartbeat")
    url = f"/api/v1/chargers/{charger.charge_point_id}/messages/"

    body = api_client.get(url).json()
    assert [row["action"] for row in body["results"]] == [
        "Heartbeat",
        "StatusNotification",
        "BootNotification",
    ]

    with CaptureQueriesContext(connection) as few:
        api_client.get(url)
    for hours in range(1, 30):
        log(charger, now - timedelta(hours=hours), action="MeterValues")
    with CaptureQueriesContext(connection) as many:
        assert api_client.get(url).json()["count"] == 32
    assert len(many) == len(few)
