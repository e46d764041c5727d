"""How long the raw message log keeps each kind of frame, and the daily partitions that make it cheap.

On PostgreSQL the log is partitioned by UTC day (chargers migration 0003). A day whose every frame is
past its kind's retention is dropped as a whole table; in a day still kept for its long-lived kinds,
the expired short-lived kinds are deleted in bounded batches, once, and the partition is marked so
later runs skip it. The DEFAULT partition (and, on SQLite, the whole table) is cleaned by batched
deletes. Retention works in whole UTC days: a frame goes once its day is entirely older than its kind's
retention, so it is kept at least that long and at most a day longer.

Only the raw log is touched: status reports, device events and meter readings stay, and their
`message_id` may then name a frame that is no longer kept.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from chargers.models import OcppMessage

LOG_TABLE = OcppMessage._meta.db_table
DEFAULT_PARTITION = f"{LOG_TABLE}_default"
_DAILY_PARTITION = re.compile(rf"^{LOG_TABLE}_p(\d{{8}})$")
_PURGED_MARK = "retention purged:"


class MessageKind(models.TextChoices):
    HEARTBEAT = "heartbeat", "Heartbeats"
    METER_VALUES = "meter_values", "Meter values"
    STATUS = "status", "Status, fault and event messages"
    OTHER = "other", "Everything else"


# Answers are logged under the action of the CALL they answer, so they share its kind.
ACTIONS_OF_KIND: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.HEARTBEAT: ("Heartbeat",),
    MessageKind.METER_VALUES: ("MeterValues",),
    MessageKind.STATUS: (
        "StatusNotification",
        "NotifyEvent",
        "SecurityEventNotification",
        "BootNotification",
        "FirmwareStatusNotification",
        "DiagnosticsStatusNotification",
        "LogStatusNotification",
    ),
}
_LISTED_ACTIONS = tuple(action for actions in ACTIONS_OF_KIND.values() for action in actions)


def kind_of(action: str) -> MessageKind:
    for kind, actions in ACTIONS_OF_KIND.items():
        if action in actions:
            return kind
    return MessageKind.OTHER


def retention_days() -> dict[MessageKind, int]:
    return {MessageKind(kind): days for kind, days in settings.MESSAGE_LOG_RETENTION_DAYS.items()}


def cutoffs(now: datetime) -> dict[MessageKind, datetime]:
    """Per kind, the start of the first UTC day still kept: frames received before it have expired."""
    result = {}
    for kind, days in retention_days().items():
        day = (now - timedelta(days=days)).astimezone(UTC).date()
        result[kind] = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return result


def _kinds_sql(kinds: set[MessageKind]) -> tuple[str, list[str]]:
    """A WHERE clause (and its parameters) matching frames of any of these kinds."""
    if MessageKind.OTHER in kinds:
        # "Everything else" is what no other kind lists: exclude the kinds not asked for.
        excluded = [
            action for kind, actions in ACTIONS_OF_KIND.items() if kind not in kinds for action in actions
        ]
        if not excluded:
            return "1 = 1", []
        return f"action NOT IN ({', '.join(['%s'] * len(excluded))})", excluded
    included = [action for kind in kinds for action in ACTIONS_OF_KIND[kind]]
    return f"action IN ({', '.join(['%s'] * len(included))})", included


def _delete_in_batches(table: str, kinds: set[MessageKind], before: datetime, batch_size: int) -> int:
    """Delete this table's frames of these kinds received before `before`, one short transaction per
    batch; walking the ids upwards visits each row once instead of rescanning deleted ones."""
    where, params = _kinds_sql(kinds)
    deleted = 0
    last_id = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE received_at < %s AND id > %s AND {where} ORDER BY id LIMIT %s",
                [before, last_id, *params, batch_size],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return deleted
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE received_at < %s AND id IN ({', '.join(['%s'] * len(ids))})",
                [before, *ids],
            )
            deleted += cursor.rowcount
        last_id = ids[-1]
        if len(ids) < batch_size:
            return deleted


# --- Partitions (PostgreSQL) --------------------------------------------------------------------


@dataclass(frozen=True)
class DailyPartition:
    name: str
    day: date
    purged: frozenset[MessageKind]

    @property
    def lower(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)

    @property
    def upper(self) -> datetime:
        return self.lower + timedelta(days=1)


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def ensure_partitions(today: date | None = None, ahead_days: int | None = None) -> int:
    """Create the daily partitions from today to `ahead_days` ahead; returns how many were missing."""
    if not is_partitioned():
        return 0
    today = today or timezone.now().astimezone(UTC).date()
    ahead_days = settings.MESSAGE_LOG_PARTITIONS_AHEAD_DAYS if ahead_days is None else ahead_days
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {LOG_TABLE}_ensure_partitions(%s, %s)", [today, today + timedelta(days=ahead_days)]
        )
        return cursor.fetchone()[0]


def daily_partitions() -> list[DailyPartition]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [LOG_TABLE],
        )
        rows = cursor.fetchall()
    partitions = []
    for name, comment in rows:
        match = _DAILY_PARTITION.match(name)
        if match is None:
            continue
        purged = frozenset()
        if comment and comment.startswith(_PURGED_MARK):
            purged = frozenset(
                MessageKind(value) for value in comment[len(_PURGED_MARK) :].split(",") if value
            )
        partitions.append(DailyPartition(name, datetime.strptime(match[1], "%Y%m%d").date(), purged))  # noqa: DTZ007 (a date)
    return partitions


def _mark_purged(partition: DailyPartition, kinds: set[MessageKind]) -> None:
    # Kind values are our own identifiers, so the literal needs no escaping beyond the quotes.
    mark = _PURGED_MARK + ",".join(sorted(kinds))
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON TABLE {partition.name} IS '{mark}'")


def _holds_any(partition: DailyPartition, kinds: set[MessageKind]) -> bool:
    where, params = _kinds_sql(kinds)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {partition.name} WHERE {where})", params)
        return cursor.fetchone()[0]


# --- The policy ---------------------------------------------------------------------------------


@dataclass
class RetentionRun:
    """What one retention run removed."""

    dropped_partitions: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, number: int) -> None:
        if number:
            self.deleted[table] = self.deleted.get(table, 0) + number


def apply_retention(now: datetime | None = None, batch_size: int | None = None) -> RetentionRun:
    """Remove every logged frame past its kind's retention, and nothing else."""
    now = now or timezone.now()
    batch_size = batch_size or settings.MESSAGE_LOG_DELETE_BATCH
    expiry = cutoffs(now)
    run = RetentionRun()
    if not is_partitioned():
        for kind, before in expiry.items():
            run.count(LOG_TABLE, _delete_in_batches(LOG_TABLE, {kind}, before, batch_size))
        return run
    for partition in daily_partitions():
        expired = {kind for kind, before in expiry.items() if partition.upper <= before}
        if not expired:
            continue
        kept = set(MessageKind) - expired
        if not kept or not _holds_any(partition, kept):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {partition.name}")
            run.dropped_partitions.append(partition.name)
            continue
        to_purge = expired - partition.purged
        if to_purge:
            run.count(
                partition.name, _delete_in_batches(partition.name, to_purge, partition.upper, batch_size)
            )
            _mark_purged(partition, expired | partition.purged)
    for kind, before in expiry.items():
        run.count(DEFAULT_PARTITION, _delete_in_batches(DEFAULT_PARTITION, {kind}, before, batch_size))
    return run
