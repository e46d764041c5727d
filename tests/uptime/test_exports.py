"""CSV exports: the federal quarterly layout and the outage list, as the API serves them."""

import csv
import io
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faults.models import EpisodeKind
from faults.uptime.exclusions import record_exclusion
from knowledgebase.vocabulary import Category, ExclusionReason
from tests.uptime.support import DAY, at, build_charger, compute, energy_reading, episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_outage_list_has_each_outage_split_where_an_exclusion_begins(as_operator, operator):
    charger, whole, (port, _) = build_charger()
    episode(port, at(10), at(11), category=Category.GROUND_FAULT)
    episode(whole, at(10, 30), at(11, 30), kind=EpisodeKind.OFFLINE)
    episode(port, at(15), at(15, 10), phantom=True)
    record_exclusion(
        by=operator, connector=port, start=at(11), end=at(13), reason=ExclusionReason.UTILITY_OUTAGE
    )

    rows = rows_of(as_operator.get("/api/v1/uptime/outages/", {"charger": "CP-1", "start": DAY, "end": DAY}))

    mine = [r for r in rows if r["port_id"] == "CP-1/1/1"]
    assert [
        (r["outage_start"], r["outage_end"], r["outage_duration"], r["outage_exempted"]) for r in mine
    ] == [
        (at(10).isoformat(), at(11).isoformat(), "60", "no"),
        (at(11).isoformat(), at(11, 30).isoformat(), "30", "yes"),
    ]
    assert mine[0]["outage_cause"] == "ground_fault; offline"
    assert mine[1]["exemption_reason"] == "utility_outage"
    assert [r["outage_duration"] for r in rows if r["port_id"] == "CP-1/2/2"] == ["60"]

    raw = rows_of(
        as_operator.get(
            "/api/v1/uptime/outages/", {"charger": "CP-1", "start": DAY, "end": DAY, "filtered": "false"}
        )
    )
    assert len(raw) == len(rows) + 1  # the phantom appears in the raw list only


def test_the_quarterly_layout_has_one_row_per_port_and_month_whose_numbers_reproduce_the_uptime(
    as_operator, operator
):
    charger, _, (port,) = build_charger("CP-Q", ports=1)
    for month, hours in ((1, 1), (2, 2), (3, 3)):
        day = date(2026, month, 10)
        episode(port, at(10, day=day), at(10 + hours, day=day))
    record_exclusion(
        by=operator,
        connector=port,
        start=at(10, day=date(2026, 3, 10)),
        end=at(10, 30, day=date(2026, 3, 10)),
        reason=ExclusionReason.VEHICLE_FAULT,
    )
    compute(charger, date(2025, 2, 1), date(2026, 3, 31), now=datetime(2026, 4, 1, tzinfo=UTC))

    response = as_operator.get(
        "/api/v1/uptime/federal-quarterly/", {"charger": "CP-Q", "year": 2026, "quarter": 1}
    )
    rows = rows_of(response)

    assert list(rows[0]) == [
        "port_id",
        "station_id",
        "uptime_reporting_start",
        "uptime_reporting_end",
        "reporting_month",
        "uptime_pct",
        "outage_total",
        "outage_excluded",
    ]
    assert [(r["reporting_month"], r["outage_total"], r["outage_excluded"]) for r in rows] == [
        ("202601", "60", "0"),
        ("202602", "180", "0"),
        ("202603", "360", "30"),
    ]
    assert (rows[2]["uptime_reporting_start"], rows[2]["uptime_reporting_end"]) == (
        "2025-04-01",
        "2026-03-31",
    )
    for row in rows:
        counted = int(row["outage_total"]) - int(row["outage_excluded"])
        assert row["uptime_pct"] == f"{(525_600 - counted) / 525_600 * 100:.2f}"
    assert 'filename="uptime-2026-Q1.csv"' in response["Content-Disposition"]


def test_a_charge_point_id_that_looks_like_a_formula_is_quoted_in_the_csv(as_operator):
    charger, _, (port,) = build_charger("=HYPERLINK(1)", ports=1)
    episode(port, at(10), at(11))
    rows = rows_of(as_operator.get("/api/v1/uptime/outages/", {"start": DAY, "end": DAY}))
    assert rows[0]["station_id"] == "'=HYPERLINK(1)"


def test_csv_parameters_are_checked_like_the_json_ones(as_operator):
    response = as_operator.get("/api/v1/uptime/federal-quarterly/", {"year": "2026", "quarter": "5"})
    assert response.status_code == 400
    assert "quarter" in response.json()
    response = as_operator.get("/api/v1/uptime/outages/", {"start": DAY + timedelta(days=1), "end": DAY})
    assert response.status_code == 400


def test_csv_errors_asked_for_as_csv_are_readable_lines(as_operator):
    response = as_operator.get(
        "/api/v1/uptime/outages/", {"start": "someday", "end": DAY}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 400
    assert response.content.decode().splitlines()[0] == "field,message"
    assert "start," in response.content.decode()


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/uptime/outages/", {"start": DAY, "end": DAY}),
        ("/api/v1/uptime/federal-quarterly/", {"year": 2026, "quarter": 1}),
    ],
)
def test_the_exports_cost_the_same_queries_for_many_ports(as_operator, operator, url, params):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    charger, whole, (port, _) = build_charger("CP-0")
    episode(whole, at(1), at(2), kind=EpisodeKind.OFFLINE)
    energy_reading(port, at(1, 10), 100)
    count_queries()
    few = count_queries()
    for n in range(1, 12):
        charger, whole, (port, _) = build_charger(f"CP-{n}", site=charger.site)
        episode(port, at(3), at(4))
        episode(whole, at(1), at(2), kind=EpisodeKind.OFFLINE)
        energy_reading(port, at(1, 10), 100)
        record_exclusion(
            by=operator, connector=port, start=at(3), end=at(5), reason=ExclusionReason.VANDALISM
        )
    assert count_queries() == few


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_operator_downloads_the_outage_list_from_the_real_server_with_a_token(
    live_server_process, operator
):
    from rest_framework.authtoken.models import Token

    charger, _, (port, _) = build_charger("CP-E2E")
    episode(port, at(10), at(10, 45))
    token = Token.objects.create(user=operator)

    request = urllib.request.Request(
        f"{live_server_process.url}/api/v1/uptime/outages/?charger=CP-E2E&start={DAY}&end={DAY}",
        headers={"Authorization": f"Token {token.key}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.read().decode())))
    assert [(r["port_id"], r["outage_duration"], r["outage_exempted"]) for r in rows] == [
        ("CP-E2E/1/1", "45", "no")
    ]

    anonymous = urllib.request.Request(
        f"{live_server_process.url}/api/v1/uptime/outages/?start={DAY}&end={DAY}"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(anonymous, timeout=30)
    assert refused.value.code in {401, 403}
