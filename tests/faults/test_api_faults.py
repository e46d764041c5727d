"""The faults API: contract fields, filters, clear 400s, and a query count that does not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ChargerFactory, ConnectorFactory, SiteFactory
from tests.faults.conftest import at, port, report


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


def test_an_episode_has_the_contract_fields(as_operator, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "OtherError", vendor_error_code="F400", info="Emergency stop")
    [body] = as_operator.get("/api/v1/faults/").json()["results"]
    assert set(body) >= {
        "id",
        "charge_point_id",
        "evse_id",
        "connector_id",
        "opened_at",
        "closed_at",
        "status",
        "error_code",
        "vendor_id",
        "vendor_error_code",
        "info",
        "category",
        "severity",
        "responsible",
        "meaning",
        "next_action",
        "playbook",
        "is_phantom",
        "phantom_reason",
        "knowledge_entry",
    }
    assert body["charge_point_id"] == "CP-7" and (body["evse_id"], body["connector_id"]) == (1, 1)
    assert body["category"] == "emergency_stop" and body["responsible"] == "site_staff"
    assert body["playbook"] == {"id": knowledge["estop_playbook"].pk, "name": "Emergency stop pressed"}
    assert body["knowledge_entry"] == knowledge["estop"].pk


def test_the_filters_select_what_they_say(as_operator, charger, knowledge):
    other_site = SiteFactory(name="Harbour")
    far = ChargerFactory(charge_point_id="CP-99", site=other_site)
    ConnectorFactory(charger=far, evse_id=1)
    report(port(charger, 1), "Faulted", at(0), "GroundFailure")  # open, real
    report(port(charger, 2), "Faulted", at(100), "NoError")
    report(port(charger, 2), "Available", at(110))  # closed, phantom
    report(port(far, 1), "Faulted", at(5000), "InternalError")  # other site

    def ids(query):
        response = as_operator.get(f"/api/v1/faults/?{query}")
        assert response.status_code == 200, response.content
        return sorted((r["charge_point_id"], r["evse_id"]) for r in response.json()["results"])

    assert ids("state=open") == [("CP-7", 1), ("CP-99", 1)]
    assert ids("state=closed") == [("CP-7", 2)]
    assert ids("phantom=true") == [("CP-7", 2)]
    assert ids("phantom=false&site=Depot North") == [("CP-7", 1)]
    assert ids(f"site={other_site.pk}") == [("CP-99", 1)]
    assert ids("charger=CP-99") == [("CP-99", 1)]
    assert ids("category=ground_fault") == [("CP-7", 1)]
    assert ids("responsible=electrician") == [("CP-7", 1)]
    assert ids("since=2026-11-20T06:30:00Z") == [("CP-7", 1), ("CP-99", 1)]
    assert ids("until=2026-11-20T06:01:00Z") == [("CP-7", 1)]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("state=maybe", "state"),
        ("phantom=perhaps", "phantom"),
        ("responsible=mechanic", "responsible"),
        ("since=yesterday", "since"),
        ("until=2026-13-40", "until"),
        ("since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z", "until"),
        ("kind=noise", "kind"),
    ],
)
def test_a_bad_filter_gets_a_400_naming_it(as_operator, query, parameter):
    response = as_operator.get(f"/api/v1/faults/?{query}")
    assert response.status_code == 400
    assert parameter in response.json()


def test_anonymous_callers_get_nothing(api_client):
    assert api_client.get("/api/v1/faults/").status_code in (401, 403)


def test_the_list_costs_the_same_queries_for_one_row_or_many(as_operator, site, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    as_operator.get("/api/v1/faults/")  # the first request also loads the user's permissions
    with CaptureQueriesContext(connection) as one:
        assert len(as_operator.get("/api/v1/faults/").json()["results"]) == 1
    for number in range(8):
        extra = ChargerFactory(charge_point_id=f"CP-X{number}", site=site)
        report(ConnectorFactory(charger=extra, evse_id=1), "Faulted", at(number), "InternalError")
    with CaptureQueriesContext(connection) as many:
        assert len(as_operator.get("/api/v1/faults/").json()["results"]) == 9
    assert len(many) == len(one)


def _queries_for(client, url) -> int:
    client.get(url)  # the first request also loads the user's permissions
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_phantom_rule_and_alert_contact_lists_cost_the_same_queries_for_one_row_or_many(
    api_client, kb_admin, operator, site, knowledge
):
    from faults.models import AlertContact, PhantomRule

    def add(number):
        PhantomRule.objects.create(name=f"Rule {number}", vendor_error_code=f"W{number}*")
        other = SiteFactory(name=f"Site {number}")
        AlertContact.objects.create(site=other, name=f"Contact {number}", email=f"c{number}@example.com")

    add(0)
    api_client.force_authenticate(kb_admin)
    rules_one = _queries_for(api_client, "/api/v1/phantom-rules/")
    api_client.force_authenticate(operator)
    contacts_one = _queries_for(api_client, "/api/v1/alert-contacts/")
    for number in range(1, 9):
        add(number)
    api_client.force_authenticate(kb_admin)
    assert _queries_for(api_client, "/api/v1/phantom-rules/") == rules_one
    api_client.force_authenticate(operator)
    assert _queries_for(api_client, "/api/v1/alert-contacts/") == contacts_one
