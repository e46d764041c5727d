"""The exclusions/ API: operators record, change and withdraw excluded downtime; others only read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faults.models import AuditAction, Exclusion, ExclusionAudit
from tests.uptime.support import at, build_charger

pytestmark = pytest.mark.django_db

URL = "/api/v1/exclusions/"


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


@pytest.fixture
def charger():
    charger, _, _ = build_charger("CP-1")
    return charger


def payload(**fields):
    return {
        "start": at(10).isoformat(),
        "end": at(11).isoformat(),
        "reason": "utility_outage",
        "note": "",
        **fields,
    }


def test_an_operator_records_a_port_exclusion_and_it_is_audited_under_their_name(
    as_operator, operator, charger
):
    response = as_operator.post(
        URL, payload(charge_point_id="CP-1", connector_id=2, note="grid"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["scope"], body["charge_point_id"], body["connector_id"], body["entered_by"]) == (
        "port",
        "CP-1",
        2,
        "olga.operator",
    )
    exclusion = Exclusion.objects.get()
    assert (exclusion.connector.connector_id, exclusion.entered_by, exclusion.note) == (2, operator, "grid")
    assert ExclusionAudit.objects.get().changed_by == operator


def test_a_charger_or_a_whole_site_can_be_excluded(as_operator, charger):
    assert as_operator.post(URL, payload(charge_point_id="CP-1"), format="json").json()["scope"] == "charger"
    assert as_operator.post(URL, payload(site=charger.site.name), format="json").json()["scope"] == "site"


def test_changes_and_withdrawals_go_through_the_audit(as_operator, charger):
    created = as_operator.post(URL, payload(charge_point_id="CP-1"), format="json").json()
    changed = as_operator.patch(f"{URL}{created['id']}/", {"end": at(12).isoformat()}, format="json")
    assert changed.status_code == 200, changed.content
    trail = as_operator.get(f"{URL}{created['id']}/audit/").json()
    assert [row["action"] for row in trail] == ["created", "changed"]
    assert trail[1]["changes"] == {"end": [at(11).isoformat(), at(12).isoformat()]}

    assert as_operator.delete(f"{URL}{created['id']}/").status_code == 204
    assert not Exclusion.objects.exists()
    assert ExclusionAudit.objects.filter(action=AuditAction.WITHDRAWN).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"charge_point_id": "CP-404"}, "charge_point_id", "No charger"),
        ({"charge_point_id": "CP-1", "connector_id": 9}, "connector_id", "has no connector 9"),
        ({"site": "Nowhere"}, "site", "No site is named"),
        ({}, "charge_point_id", "either charge_point_id"),
        ({"charge_point_id": "CP-1", "reason": "bad_weather"}, "reason", "not a valid choice"),
        ({"charge_point_id": "CP-1", "end": at(9).isoformat()}, "end", "after start"),
        ({"charge_point_id": "CP-1", "start": "yesterday"}, "start", "wrong format"),
    ],
)
def test_a_bad_exclusion_is_refused_field_by_field_and_nothing_is_written(
    as_operator, charger, fields, field, message
):
    response = as_operator.post(URL, payload(**fields), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Exclusion.objects.exists()
    assert not ExclusionAudit.objects.exists()


def test_a_technician_reads_exclusions_but_may_not_record_one(api_client, technician, charger):
    api_client.force_authenticate(technician)
    assert api_client.get(URL).status_code == 200
    assert api_client.post(URL, payload(charge_point_id="CP-1"), format="json").status_code == 403
    assert not Exclusion.objects.exists()


def test_the_exclusion_list_costs_the_same_queries_for_many_rows(as_operator, charger):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get(URL).status_code == 200
        return len(ctx.captured_queries)

    as_operator.post(URL, payload(charge_point_id="CP-1", connector_id=1), format="json")
    count_queries()
    few = count_queries()
    for n in range(10):
        as_operator.post(URL, payload(charge_point_id="CP-1", connector_id=1 + n % 2), format="json")
        as_operator.post(URL, payload(site=charger.site.name), format="json")
    assert count_queries() == few
