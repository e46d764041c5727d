"""Caps on excluded downtime, where a rule sets one.

`settings.UPTIME_EXCLUSION_CAPS` maps an exclusion reason to `(per, minutes)`:

- `per="incident"`: each exclusion of that reason credits at most `minutes` from its start
  (California: vandalism, up to 10 days per incident);
- `per="year"`: a port's windows of that reason credit at most `minutes` per calendar year in the
  site's time zone, taken in time order (California: planned maintenance, up to 72 hours a year).

The cap limits the *window* an operator entered, not only the minutes of it that were down: a
maintenance window consumes the allowance whether or not the port failed during it. That is the
conservative reading, and it keeps a day's figure independent of how other days went.
"""

from datetime import date

from django.conf import settings

from faults.uptime.calendar import local_midnight, zone
from faults.uptime.intervals import Interval, merge, to_datetime

PER_INCIDENT = "incident"
PER_YEAR = "year"


def configured_caps() -> dict[str, tuple[str, int]]:
    return {
        reason: (per, minutes)
        for reason, (per, minutes) in getattr(settings, "UPTIME_EXCLUSION_CAPS", {}).items()
        if minutes > 0
    }


def _local_year(minute: int, tz_name: str) -> int:
    return to_datetime(minute).astimezone(zone(tz_name)).year


def capped_windows(windows: list[tuple[Interval, str]], tz_name: str) -> dict[str, list[Interval]]:
    """Per reason, the normal list of minutes the port's exclusion windows may credit."""
    caps = configured_caps()
    by_reason: dict[str, list[Interval]] = {}
    for (start, end), reason in windows:
        per, limit = caps.get(reason, ("", 0))
        if per == PER_INCIDENT:
            end = min(end, start + limit)
        by_reason.setdefault(reason, []).append((start, end))
    result = {}
    for reason, intervals in by_reason.items():
        merged = merge(intervals)
        per, limit = caps.get(reason, ("", 0))
        if per == PER_YEAR:
            merged = _allow_per_year(merged, limit, tz_name)
        result[reason] = merged
    return result


def _allow_per_year(merged: list[Interval], limit: int, tz_name: str) -> list[Interval]:
    """Credit windows in time order until each local calendar year's allowance is used up."""
    allowed = []
    used: dict[int, int] = {}
    for start, end in merged:
        cursor = start
        while cursor < end:
            year = _local_year(cursor, tz_name)
            piece_end = min(end, local_midnight(date(year + 1, 1, 1), tz_name))
            credit = min(limit - used.get(year, 0), piece_end - cursor)
            if credit > 0:
                allowed.append((cursor, cursor + credit))
                used[year] = used.get(year, 0) + credit
            cursor = piece_end
    return allowed


def earliest_relevant_start(start_minute: int, tz_name: str = "UTC") -> int:
    """Where to start reading exclusions so that yearly allowances are counted from 1 January."""
    if not any(per == PER_YEAR for per, _ in configured_caps().values()):
        return start_minute
    # A day of margin covers every zone's offset from UTC.
    return local_midnight(date(_local_year(start_minute, tz_name), 1, 1), tz_name) - 1440
