"""Daily per-port rollups, kept current so that reports never read raw history.

- `roll_up_recent()` (hourly, Celery beat) recomputes every port's current and previous local day;
- `mark_dirty()` records that a port's past changed (a late status, a corrected episode, an
  exclusion), and `roll_up_dirty()` (every few minutes) recomputes just those port-days;
- `roll_up()` recomputes any days for any ports, e.g. a month after a rule change.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from chargers.models import Connector
from faults.models import DirtyUptimeRange, PortDayRollup
from faults.uptime.calendar import day_boundaries, days_between, local_day
from faults.uptime.engine import Port, load_history, load_ports, ports_of, timeline, window_for_days
from faults.uptime.intervals import minute_floor, split_by

COUNTED = (
    "service_minutes",
    "outage_minutes",
    "excluded_minutes",
    "offline_minutes",
    "faulted_minutes",
    "outage_minutes_filtered",
    "excluded_minutes_filtered",
    "offline_minutes_filtered",
    "faulted_minutes_filtered",
)
# The hourly pass looks this far back, so that a missed run still completes yesterday.
RECENT = timedelta(hours=3)
# One dirty sweep recomputes at most this many marks, and groups them into windows this long.
DIRTY_BATCH = 20_000
DIRTY_WINDOW_DAYS = 31
WRITE_BATCH = 5_000


def roll_up(
    connectors: QuerySet,
    first: date,
    last: date,
    *,
    days_for: Callable[[Port], Iterable[date]] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute the rollups of `connectors`' ports for local days first..last (those that have
    begun; today's up to now). `days_for(port)` narrows the days per port. Returns rows written."""
    now = now or timezone.now()
    ports = load_ports(connectors)
    if not ports:
        return 0
    now_minute = minute_floor(now)
    start, end = window_for_days(first, last)
    history = load_history(connectors, start, min(end, now_minute + 1), now)
    days = days_between(first, last)
    bounds_by_zone = {zone: day_boundaries(first, last, zone) for zone in {port.tz for port in ports}}
    computed_at = timezone.now()
    rows = []
    for port in ports:
        bounds = bounds_by_zone[port.tz]
        wanted = set(days_for(port)) if days_for else None
        line = timeline(port, history, bounds[0], min(bounds[-1], now_minute))
        columns = [
            split_by(spans, bounds)
            for spans in (
                line.service,
                line.outage_raw,
                line.excluded(False),
                line.offline_raw,
                line.faulted_raw,
                line.outage_filtered,
                line.excluded(True),
                line.offline_filtered,
                line.faulted_filtered,
            )
        ]
        for k, day in enumerate(days):
            if bounds[k] >= now_minute:
                break
            if wanted is not None and day not in wanted:
                continue
            rows.append((port.id, day, *(column[k] for column in columns), computed_at))
    _write(rows)
    return len(rows)


def _write(rows: list[tuple]) -> None:
    """Insert or replace rollup rows given as (connector_id, day, *COUNTED, computed_at)."""
    columns = ["connector_id", "day", *COUNTED, "computed_at"]
    with transaction.atomic():
        if connection.vendor != "postgresql":
            for offset in range(0, len(rows), WRITE_BATCH):
                PortDayRollup.objects.bulk_create(
                    [
                        PortDayRollup(**dict(zip(columns, row, strict=True)))
                        for row in rows[offset : offset + WRITE_BATCH]
                    ],
                    update_conflicts=True,
                    unique_fields=["connector", "day"],
                    update_fields=[*COUNTED, "computed_at"],
                )
            return
        # A month for 10,000 ports is 300,000 rows: COPY into a scratch table and upsert from it in one
        # statement, instead of building and binding hundreds of thousands of model instances.
        table = PortDayRollup._meta.db_table
        listed = ", ".join(columns)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS uptime_rollup_incoming (connector_id bigint, day date, "
                + ", ".join(f"{name} integer" for name in COUNTED)
                + ", computed_at timestamptz) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE uptime_rollup_incoming")
            with cursor.cursor.copy(f"COPY uptime_rollup_incoming ({listed}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({listed}) SELECT {listed} FROM uptime_rollup_incoming "
                f"ON CONFLICT (connector_id, day) DO UPDATE SET "
                + ", ".join(f"{name} = EXCLUDED.{name}" for name in [*COUNTED, "computed_at"])
            )


def roll_up_recent(now: datetime | None = None) -> int:
    """The hourly pass: every port's local day of now, and of a few hours ago."""
    now = now or timezone.now()
    earlier = now - RECENT
    first, last = (earlier - timedelta(days=1)).date(), (now + timedelta(days=1)).date()

    def recent_days(port: Port) -> set[date]:
        return {local_day(earlier, port.tz), local_day(now, port.tz)}

    return roll_up(Connector.objects.all(), first, last, days_for=recent_days, now=now)


def mark_dirty(connector_id: int, start: datetime, end: datetime | None = None) -> None:
    """Note that a port's history changed between start and end (default: now).

    For connector 0 every port of its charger is marked. Call it after writing a late or corrected
    episode; the next dirty sweep recomputes the touched days.
    """
    connector = Connector.objects.filter(pk=connector_id).values_list("charger_id", "evse_id", "connector_id")
    found = connector.first()
    if found is None:
        return
    charger_id, evse_id, number = found
    if evse_id == 0 and number == 0:
        mark_ports_dirty(ports_of(Connector.objects.filter(charger_id=charger_id)), start, end)
    else:
        mark_ports_dirty(Connector.objects.filter(pk=connector_id), start, end)


def mark_ports_dirty(connectors: QuerySet, start: datetime, end: datetime | None = None) -> None:
    end = max(end or timezone.now(), start)
    DirtyUptimeRange.objects.bulk_create(
        DirtyUptimeRange(connector_id=pk, start=start, end=end)
        for pk in ports_of(connectors).values_list("id", flat=True)
    )


def roll_up_dirty(now: datetime | None = None) -> int:
    """Recompute the port-days that marks point at, then drop those marks. Returns rows written."""
    now = now or timezone.now()
    marks = list(DirtyUptimeRange.objects.values_list("id", "connector_id", "start", "end")[:DIRTY_BATCH])
    if not marks:
        return 0
    ports = {port.id: port for port in load_ports(Connector.objects.filter(id__in={m[1] for m in marks}))}
    wanted: dict[int, set[date]] = defaultdict(set)
    for _, connector_id, start, end in marks:
        port = ports.get(connector_id)
        if port is None:
            continue
        first = local_day(start, port.tz)
        last = min(local_day(end, port.tz), local_day(now, port.tz))
        wanted[connector_id].update(days_between(first, last))

    written = 0
    for group in _windows(wanted):
        first = min(day for pk in group for day in wanted[pk])
        last = max(day for pk in group for day in wanted[pk])
        written += roll_up(
            Connector.objects.filter(id__in=group),
            first,
            last,
            days_for=lambda port: wanted[port.id],
            now=now,
        )
    DirtyUptimeRange.objects.filter(id__in=[m[0] for m in marks]).delete()
    return written


def _windows(wanted: dict[int, set[date]]) -> list[list[int]]:
    """Group ports whose dirty days fit one window, so that each group costs one set of queries."""
    groups: list[list[int]] = []
    window_start: date | None = None
    for pk in sorted((pk for pk in wanted if wanted[pk]), key=lambda pk: (min(wanted[pk]), max(wanted[pk]))):
        if (
            groups
            and window_start is not None
            and max(wanted[pk]) - window_start < timedelta(days=DIRTY_WINDOW_DAYS)
        ):
            groups[-1].append(pk)
        else:
            groups.append([pk])
            window_start = min(wanted[pk])
    return groups
