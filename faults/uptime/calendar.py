"""Site-local days and posted hours of operation, turned into minute intervals."""

import zoneinfo
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from faults.uptime.intervals import Interval, merge, minute_floor

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=256)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_midnight(day: date, tz_name: str) -> int:
    """The minute at which `day` begins in the zone (DST days are 23 or 25 hours long)."""
    return minute_floor(datetime.combine(day, time(), tzinfo=zone(tz_name)))


def day_boundaries(first: date, last: date, tz_name: str) -> list[int]:
    """Minutes of each local midnight from `first` to the one after `last` (len = days + 1)."""
    days = (last - first).days + 1
    return [local_midnight(first + timedelta(days=n), tz_name) for n in range(days + 1)]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def local_day(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(zone(tz_name)).date()


def _clock(value: str) -> timedelta:
    hours, minutes = str(value).split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def open_intervals(hours_of_operation: dict, first: date, last: date, tz_name: str) -> list[Interval] | None:
    """Minutes the site is open on the local days first..last; None when it never closes.

    A span whose closing time is not after its opening time runs past midnight ("22:00"–"02:00").
    A weekday missing from a non-empty schedule is a closed day.
    """
    if not hours_of_operation:
        return None
    tz = zone(tz_name)
    spans = []
    # Start a day early so that a span running past midnight into `first` is counted.
    for day in days_between(first - timedelta(days=1), last):
        for opens, closes in hours_of_operation.get(WEEKDAYS[day.weekday()], []):
            start, end = _clock(opens), _clock(closes)
            if end <= start:
                end += timedelta(days=1)
            midnight = datetime.combine(day, time())
            # Wall-clock times become instants in the site's zone (folds resolve to the first).
            spans.append(
                (
                    minute_floor((midnight + start).replace(tzinfo=tz)),
                    minute_floor((midnight + end).replace(tzinfo=tz)),
                )
            )
    return merge(spans)
