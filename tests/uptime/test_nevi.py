"""The NEVI figure: twelve months ending with a month, over a 525,600-minute year, from monthly sums."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chargers.models import Connector
from faults.uptime.exclusions import record_exclusion
from faults.uptime.reports import Method, aggregate, nevi_by_month, nevi_window, port_figures
from knowledgebase.vocabulary import ExclusionReason
from tests.uptime.support import at, build_charger, compute, episode

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


@pytest.fixture
def a_year_of_faults(operator):
    """A 100-minute fault on the 5th of every month from February 2025 to March 2026, and one hour of
    a utility outage excluded in January 2026."""
    charger, _, (port, steady) = build_charger()
    month = date(2025, 2, 5)
    while month <= date(2026, 3, 5):
        episode(port, at(10, day=month), at(11, 40, day=month))
        month = (month.replace(day=1) + timedelta(days=32)).replace(day=5)
    record_exclusion(
        by=operator,
        connector=port,
        start=at(10, day=date(2026, 1, 5)),
        end=at(11, day=date(2026, 1, 5)),
        reason=ExclusionReason.UTILITY_OUTAGE,
    )
    compute(charger, date(2025, 2, 1), date(2026, 3, 31), now=datetime(2026, 4, 2, tzinfo=UTC))
    return charger, port, steady


def test_the_nevi_figure_for_march_covers_april_to_march_over_525600_minutes(a_year_of_faults):
    charger, port, steady = a_year_of_faults
    first, last = nevi_window(MARCH)
    assert (first, last) == (date(2025, 4, 1), date(2026, 3, 31))

    rows = dict(
        (p.id, f)
        for p, f in port_figures(
            Connector.objects.filter(charger=charger), first, last, method=Method.NEVI, filtered=True
        )
    )
    faulty = rows[port.id]
    assert (faulty.period_minutes, faulty.outage_minutes, faulty.excluded_minutes) == (525_600, 1200, 60)
    assert faulty.uptime_percent == round((525_600 - (1200 - 60)) / 525_600 * 100, 3)
    assert rows[steady.id].uptime_percent == 100.0


def test_the_charger_figure_sums_port_minutes(a_year_of_faults):
    charger, _, _ = a_year_of_faults
    rows = port_figures(
        Connector.objects.filter(charger=charger), *nevi_window(MARCH), method=Method.NEVI, filtered=True
    )
    by_charger, by_site = aggregate(rows)

    assert by_charger[charger.id].period_minutes == 2 * 525_600
    assert by_charger[charger.id].uptime_percent == round((2 * 525_600 - 1140) / (2 * 525_600) * 100, 3)
    assert by_site[charger.site_id].uptime_percent == by_charger[charger.id].uptime_percent


def test_each_month_of_a_quarter_gets_its_own_twelve_month_window_from_monthly_sums(a_year_of_faults):
    charger, port, _ = a_year_of_faults
    months = [date(2026, 1, 1), date(2026, 2, 1), MARCH]
    figures = {
        month: f
        for p, month, f in nevi_by_month(Connector.objects.filter(charger=charger), months, filtered=True)
        if p.id == port.id
    }
    # Feb 2025–Jan 2026 is 365 days; every window holds twelve faults.
    assert [figures[m].outage_minutes for m in months] == [1200, 1200, 1200]
    assert [figures[m].excluded_minutes for m in months] == [60, 60, 60]
    assert [figures[m].period_minutes for m in months] == [525_600] * 3


def test_the_strict_view_ignores_exclusions(a_year_of_faults):
    charger, port, _ = a_year_of_faults
    rows = dict(
        (p.id, f)
        for p, f in port_figures(
            Connector.objects.filter(charger=charger),
            *nevi_window(MARCH),
            method=Method.STRICT,
            filtered=True,
        )
    )
    assert (rows[port.id].outage_minutes, rows[port.id].excluded_minutes) == (1200, 0)
