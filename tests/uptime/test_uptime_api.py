"""The uptime/ API: figures per port with charger and site sums, clear refusals, flat query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chargers.models import Connector
from faults.models import EpisodeKind
from tests.uptime.support import DAY, at, build_charger, compute, episode

pytestmark = pytest.mark.django_db

URL = "/api/v1/uptime/"


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


@pytest.fixture
def fleet():
    """Two chargers on one site: a one-hour fault on CP-1 #1, a phantom on CP-1 #2, CP-2 offline 2 h."""
    charger, _, (first, second) = build_charger("CP-1")
    other, other_whole, _ = build_charger("CP-2", site=charger.site)
    episode(first, at(10), at(11))
    episode(second, at(12), at(12, 30), phantom=True)
    episode(other_whole, at(1), at(3), kind=EpisodeKind.OFFLINE)
    compute(charger)
    compute(other)
    return charger


def test_it_reports_each_port_and_sums_minutes_for_chargers_and_sites(as_operator, fleet):
    body = as_operator.get(URL, {"site": fleet.site.name, "start": DAY, "end": DAY}).json()

    assert body["method"] == "period" and body["filtered"] is True
    assert [(p["charge_point_id"], p["connector_id"], p["outage_minutes"]) for p in body["ports"]] == [
        ("CP-1", 1, 60),
        ("CP-1", 2, 0),
        ("CP-2", 1, 120),
        ("CP-2", 2, 120),
    ]
    assert body["ports"][0] == {
        "charge_point_id": "CP-1",
        "evse_id": 1,
        "connector_id": 1,
        "period_minutes": 1440,
        "outage_minutes": 60,
        "excluded_minutes": 0,
        "uptime_percent": round((1440 - 60) / 1440 * 100, 3),
    }
    chargers = {c["charge_point_id"]: c for c in body["chargers"]}
    assert chargers["CP-1"]["uptime_percent"] == round((2880 - 60) / 2880 * 100, 3)
    assert body["sites"] == [
        {
            "site": fleet.site.name,
            "period_minutes": 4 * 1440,
            "outage_minutes": 300,
            "excluded_minutes": 0,
            "uptime_percent": round((4 * 1440 - 300) / (4 * 1440) * 100, 3),
        }
    ]
    assert "not means of port percentages" in body["aggregation"]


def test_the_raw_figure_counts_the_phantom(as_operator, fleet):
    body = as_operator.get(URL, {"charger": "CP-1", "start": DAY, "end": DAY, "filtered": "false"}).json()
    assert [p["outage_minutes"] for p in body["ports"]] == [60, 30]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"method": "weekly"}, "method", "not a valid choice"),
        ({"start": "2026-13-01"}, "start", "Date has wrong format"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end", "not be before start"),
        ({"site": "Nowhere"}, "site", "No site is named"),
        ({"charger": "CP-404"}, "charger", "No charger has the id"),
        ({"filtered": "maybe"}, "filtered", "Must be a valid boolean"),
        ({"method": "nevi", "start": "2026-01-01"}, "method", "leave out start and end"),
        ({"method": "nevi", "month": "2026-3"}, "month", "YYYY-MM"),
        ({"month": "2026-03"}, "month", "for method=nevi"),
        ({"fitered": "true"}, "fitered", "Unknown parameter"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "end", "at most"),
    ],
)
def test_bad_parameters_are_refused_with_a_message_naming_the_problem(
    as_operator, fleet, params, field, message
):
    response = as_operator.get(URL, params)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_nevi_takes_a_month_and_answers_over_its_twelve_month_window(as_operator, fleet):
    body = as_operator.get(URL, {"method": "nevi", "month": "2026-03", "charger": "CP-1"}).json()
    assert (body["first_day"], body["last_day"]) == ("2025-04-01", "2026-03-31")
    # Only one day has rollups here: the port is measured over the minutes it has figures for.
    assert body["ports"][0]["period_minutes"] == 1440


def test_a_user_without_a_role_reads_nothing(api_client, django_user_model, fleet):
    api_client.force_authenticate(django_user_model.objects.create_user("nobody"))
    assert api_client.get(URL).status_code == 403


def test_the_query_count_does_not_grow_with_ports(as_operator, fleet):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get(URL, {"start": DAY, "end": DAY}).status_code == 200
        return len(ctx.captured_queries)

    count_queries()  # the first request also loads the user's permissions
    few = count_queries()
    for n in range(3, 13):
        charger, _, _ = build_charger(f"CP-{n}", ports=3, site=fleet.site)
        compute(charger)
    assert Connector.objects.count() > 40
    assert count_queries() == few


def test_missing_dates_default_to_the_thirty_days_before_today(as_operator, fleet):
    body = as_operator.get(URL).json()
    last = date.fromisoformat(body["last_day"])
    assert (last - date.fromisoformat(body["first_day"])) == timedelta(days=29)
