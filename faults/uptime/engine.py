"""Per-port outage accounting: which minutes a port was down, and which of those are excluded.

A port is down while it, its EVSE (2.0.1, connector id 0) or its charger's connector 0 has a fault
episode, or while its charger is offline, except for the time it was still delivering energy
(meter readings sampled during the offline period, delivered later). Warnings are never outage.
Phantom episodes count in the raw figure only. Time before commissioning or after decommissioning
(of the port or of its charger) is outside the period. Everything is loaded with a handful of
set-based queries for any number of ports, then computed in memory on whole-minute intervals
(faults/uptime/intervals.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from chargers.models import MeterReading
from faults.models import EpisodeKind, Exclusion, FaultEpisode
from faults.uptime import caps
from faults.uptime.calendar import local_day, local_midnight, open_intervals
from faults.uptime.intervals import (
    Interval,
    clip,
    intersect,
    inward,
    merge,
    minute_ceil,
    minute_floor,
    outward,
    subtract,
    to_datetime,
)
from knowledgebase.vocabulary import ExclusionReason

FAR_PAST = -(10**12)
FAR_FUTURE = 10**12
OFFLINE_CAUSE = "offline"


def ports_of(connectors: QuerySet) -> QuerySet:
    """The charging ports among `connectors` (connector 0, the charger as a whole, is not a port)."""
    return connectors.filter(evse_id__gt=0, connector_id__gt=0)


@dataclass(frozen=True)
class Port:
    id: int
    charger_id: int
    site_id: int | None
    site_name: str | None
    charge_point_id: str
    evse_id: int
    connector_id: int
    tz: str
    hours: dict
    service: Interval


def load_ports(connectors: QuerySet) -> list[Port]:
    rows = ports_of(connectors).values_list(
        "id",
        "charger_id",
        "charger__site_id",
        "charger__site__name",
        "charger__charge_point_id",
        "evse_id",
        "connector_id",
        "charger__site__timezone",
        "charger__site__hours_of_operation",
        "commissioned_at",
        "decommissioned_at",
        "charger__commissioned_at",
        "charger__decommissioned_at",
    )
    ports = []
    for row in rows.order_by("charger__charge_point_id", "evse_id", "connector_id"):
        (pk, charger_id, site_id, site_name, charge_point_id, evse_id, number, tz, hours) = row[:9]
        starts = [moment for moment in (row[9], row[11]) if moment]
        ends = [moment for moment in (row[10], row[12]) if moment]
        service = (
            minute_ceil(max(starts)) if starts else FAR_PAST,
            minute_floor(min(ends)) if ends else FAR_FUTURE,
        )
        ports.append(
            Port(
                pk,
                charger_id,
                site_id,
                site_name,
                charge_point_id,
                evse_id,
                number,
                tz or "UTC",
                hours or {},
                service,
            )
        )
    return ports


@dataclass
class Episode:
    id: int
    span: Interval
    is_phantom: bool
    cause: str


@dataclass
class History:
    """The raw material for a set of ports over a window, grouped for lookup by port."""

    port_faults: dict[int, list[Episode]] = field(default_factory=lambda: defaultdict(list))
    charger_faults: dict[int, list[Episode]] = field(default_factory=lambda: defaultdict(list))
    evse_faults: dict[tuple[int, int], list[Episode]] = field(default_factory=lambda: defaultdict(list))
    charger_offline: dict[int, list[Episode]] = field(default_factory=lambda: defaultdict(list))
    delivering: dict[int, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    exclusions: dict[tuple[str, int], list[tuple[Interval, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    closed_hours: dict[tuple[int | None, int, int], list[Interval]] = field(default_factory=dict)


def load_history(connectors: QuerySet, start: int, end: int, now: datetime) -> History:
    """Episodes, energy delivered while offline, and exclusions touching [start, end) minutes."""
    history = History()
    start_at, end_at = to_datetime(start), to_datetime(end)
    now_minute = minute_ceil(now)
    ports = ports_of(connectors)
    episodes = (
        FaultEpisode.objects.filter(
            charger_id__in=ports.values("charger_id"),
            kind__in=[EpisodeKind.FAULT, EpisodeKind.OFFLINE],
            opened_at__lt=end_at,
        )
        .exclude(closed_at__lte=start_at)
        .values_list(
            "id",
            "charger_id",
            "connector_id",
            "kind",
            "opened_at",
            "closed_at",
            "is_phantom",
            "category",
            "connector__evse_id",
            "connector__connector_id",
        )
    )
    for pk, charger_id, connector_id, kind, opened, closed, phantom, category, evse, number in episodes:
        span = (
            outward(opened, closed)
            if closed
            else (minute_floor(opened), max(now_minute, minute_ceil(opened)))
        )
        if kind == EpisodeKind.OFFLINE:
            history.charger_offline[charger_id].append(Episode(pk, span, phantom, OFFLINE_CAUSE))
        elif evse == 0 and number == 0:
            history.charger_faults[charger_id].append(Episode(pk, span, phantom, category))
        elif number == 0:
            # An OCPP 2.0.1 EVSE-level report: every connector of that EVSE is down.
            history.evse_faults[(charger_id, evse)].append(Episode(pk, span, phantom, category))
        else:
            history.port_faults[connector_id].append(Episode(pk, span, phantom, category))

    if history.charger_offline:
        _load_delivery_while_offline(history, ports, start_at, end_at)

    first_exclusion = caps.earliest_relevant_start(start)
    exclusions = (
        Exclusion.objects.filter(start__lt=end_at, end__gt=to_datetime(first_exclusion))
        .filter(
            Q(connector_id__in=ports.values("id"))
            | Q(charger_id__in=ports.values("charger_id"))
            | Q(site_id__in=ports.values("charger__site_id"))
        )
        .values_list("site_id", "charger_id", "connector_id", "start", "end", "reason")
    )
    for site_id, charger_id, connector_id, excl_start, excl_end, reason in exclusions:
        key = (
            ("port", connector_id)
            if connector_id
            else ("charger", charger_id)
            if charger_id
            else ("site", site_id)
        )
        history.exclusions[key].append((inward(excl_start, excl_end), reason))
    return history


def _load_delivery_while_offline(history: History, ports: QuerySet, start_at: datetime, end_at: datetime):
    offline_then = FaultEpisode.objects.filter(
        charger_id=OuterRef("charger_id"), kind=EpisodeKind.OFFLINE, opened_at__lte=OuterRef("sampled_at")
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=OuterRef("sampled_at")))
    samples = (
        MeterReading.objects.filter(
            connector_id__in=ports.values("id"),
            measurand=MeterReading.ENERGY_REGISTER,
            sampled_at__gte=start_at,
            sampled_at__lt=end_at,
        )
        .filter(Exists(offline_then))
        .order_by("connector_id", "sampled_at")
        .values_list("connector_id", "sampled_at")
    )
    gap = settings.UPTIME_METER_GAP_MINUTES
    runs: dict[int, list[list[datetime]]] = defaultdict(list)
    for connector_id, sampled_at in samples:
        port_runs = runs[connector_id]
        if port_runs and (sampled_at - port_runs[-1][1]).total_seconds() <= gap * 60:
            port_runs[-1][1] = sampled_at
        else:
            port_runs.append([sampled_at, sampled_at])
    for connector_id, port_runs in runs.items():
        # Readings prove delivery only between the first and last sample of a run: credit inward.
        history.delivering[connector_id] = merge(inward(first, last) for first, last in port_runs)


@dataclass
class Timeline:
    """One port's minutes over a window, as normal lists (raw = phantoms included)."""

    port: Port
    service: list[Interval]
    faulted_raw: list[Interval]
    faulted_filtered: list[Interval]
    offline_raw: list[Interval]
    offline_filtered: list[Interval]
    outage_raw: list[Interval]
    outage_filtered: list[Interval]
    excludable: list[Interval]
    windows_by_reason: dict[str, list[Interval]]
    episodes: list[Episode]

    def outage(self, filtered: bool) -> list[Interval]:
        return self.outage_filtered if filtered else self.outage_raw

    def excluded(self, filtered: bool) -> list[Interval]:
        return intersect(self.outage(filtered), self.excludable)


def timeline(port: Port, history: History, start: int, end: int) -> Timeline:
    """Account for one port over [start, end) minutes."""
    service = clip([port.service], start, end)
    faults = (
        history.port_faults.get(port.id, [])
        + history.evse_faults.get((port.charger_id, port.evse_id), [])
        + history.charger_faults.get(port.charger_id, [])
    )
    offline = history.charger_offline.get(port.charger_id, [])
    delivering = history.delivering.get(port.id, [])

    def down(episodes, *, filtered, minus=()):
        spans = merge(e.span for e in episodes if not (filtered and e.is_phantom))
        return intersect(subtract(spans, list(minus)), service)

    faulted_raw, faulted_filtered = down(faults, filtered=False), down(faults, filtered=True)
    offline_raw = down(offline, filtered=False, minus=delivering)
    offline_filtered = down(offline, filtered=True, minus=delivering)

    windows = (
        history.exclusions.get(("port", port.id), [])
        + history.exclusions.get(("charger", port.charger_id), [])
        + history.exclusions.get(("site", port.site_id), [])
    )
    by_reason = {
        reason: intersect(spans, service) for reason, spans in caps.capped_windows(windows, port.tz).items()
    }
    closed = _closed_hours(port, history, start, end)
    if closed:
        by_reason[ExclusionReason.OUTSIDE_OPERATING_HOURS] = merge(
            by_reason.get(ExclusionReason.OUTSIDE_OPERATING_HOURS, []) + intersect(closed, service)
        )
    return Timeline(
        port=port,
        service=service,
        faulted_raw=faulted_raw,
        faulted_filtered=faulted_filtered,
        offline_raw=offline_raw,
        offline_filtered=offline_filtered,
        outage_raw=merge(faulted_raw + offline_raw),
        outage_filtered=merge(faulted_filtered + offline_filtered),
        excludable=merge(span for spans in by_reason.values() for span in spans),
        windows_by_reason={reason: spans for reason, spans in by_reason.items() if spans},
        episodes=[e for e in faults + offline if e.span[1] > start and e.span[0] < end],
    )


def _closed_hours(port: Port, history: History, start: int, end: int) -> list[Interval]:
    key = (port.site_id, start, end)
    if key not in history.closed_hours:
        first = local_day(to_datetime(start), port.tz)
        last = local_day(to_datetime(end), port.tz)
        opened = open_intervals(port.hours, first, last, port.tz)
        history.closed_hours[key] = [] if opened is None else subtract([(start, end)], opened)
    return history.closed_hours[key]


@dataclass(frozen=True)
class Outage:
    """One piece of a port's downtime: wholly excluded or wholly counted."""

    port: Port
    start: datetime
    end: datetime
    minutes: int
    causes: tuple[str, ...]
    excluded: bool
    exclusion_reasons: tuple[str, ...]
    episode_ids: tuple[int, ...]

    @property
    def outage_id(self) -> str:
        return f"{self.port.id}-{self.start:%Y%m%d%H%M}"


def outages(line: Timeline, filtered: bool) -> list[Outage]:
    """The port's downtime as a list: merged outage spans, split where an exclusion starts or ends."""
    result = []
    for span in line.outage(filtered):
        involved = [
            e
            for e in line.episodes
            if not (filtered and e.is_phantom) and e.span[0] < span[1] and e.span[1] > span[0]
        ]
        causes = tuple(sorted({e.cause for e in involved}))
        episode_ids = tuple(sorted(e.id for e in involved))
        pieces = [(piece, True) for piece in intersect([span], line.excludable)]
        pieces += [(piece, False) for piece in subtract([span], line.excludable)]
        for (start, end), excluded in sorted(pieces):
            reasons = ()
            if excluded:
                reasons = tuple(
                    sorted(
                        r for r, spans in line.windows_by_reason.items() if intersect([(start, end)], spans)
                    )
                )
            result.append(
                Outage(
                    line.port,
                    to_datetime(start),
                    to_datetime(end),
                    end - start,
                    causes,
                    excluded,
                    reasons,
                    episode_ids,
                )
            )
    return result


def window_for_days(first: date, last: date) -> tuple[int, int]:
    """A UTC window wide enough to hold the local days first..last in every time zone."""
    return local_midnight(first, "Etc/GMT-14"), local_midnight(last, "Etc/GMT+12") + 1440
