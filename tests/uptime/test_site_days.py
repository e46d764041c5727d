"""Daily boundaries follow each site's time zone, and hours outside posted opening hours are excluded."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from faults.models import EpisodeKind
from tests.uptime.support import DAY, at, build_charger, compute, episode, rollup

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_a_los_angeles_day_runs_from_local_midnight_to_local_midnight():
    charger, _, (port, _) = build_charger(tz="America/Los_Angeles")
    # 22:00–02:00 local time straddles the local midnight, and both are on the same UTC day.
    episode(port, at(22, tz=LOS_ANGELES), at(26, tz=LOS_ANGELES))
    compute(charger, DAY, date(2026, 3, 11))

    assert rollup(port, DAY).outage_minutes == 120
    assert rollup(port, date(2026, 3, 11)).outage_minutes == 120


def test_the_spring_forward_day_has_twenty_three_hours():
    charger, _, (port, _) = build_charger(tz="America/Los_Angeles")
    compute(charger, date(2026, 3, 8))  # US clocks go forward on 8 March 2026

    assert rollup(port, date(2026, 3, 8)).service_minutes == 23 * 60


def test_outage_outside_posted_hours_is_excluded_automatically_in_the_sites_zone():
    every_day = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    charger, whole, (port, _) = build_charger(tz="America/Los_Angeles", hours_of_operation=every_day)
    # Offline 21:00–23:30 local time; the site closes at 22:00, so 90 of the 150 minutes are excluded.
    episode(whole, at(21, tz=LOS_ANGELES), at(23, 30, tz=LOS_ANGELES), kind=EpisodeKind.OFFLINE)
    compute(charger)

    day = rollup(port)
    assert (day.service_minutes, day.outage_minutes, day.excluded_minutes) == (1440, 150, 90)


def test_a_weekday_missing_from_the_schedule_is_a_closed_day():
    weekdays_only = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    charger, _, (port, _) = build_charger(hours_of_operation=weekdays_only)
    saturday = date(2026, 3, 14)
    episode(port, at(9, day=saturday), at(12, day=saturday))
    episode(port, at(9), at(12))  # DAY is a Tuesday
    compute(charger, DAY, saturday)

    assert (rollup(port, saturday).outage_minutes, rollup(port, saturday).excluded_minutes) == (180, 180)
    assert (rollup(port, DAY).outage_minutes, rollup(port, DAY).excluded_minutes) == (180, 0)
