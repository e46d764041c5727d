"""The fleet API: sites and chargers, as in DESIGN.md's contracts."""

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chargers.models import Charger, Connector, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


def test_an_operator_creates_a_site_and_registers_a_charger(as_operator):
    response = as_operator.post(
        "/api/v1/sites/", {"name": "Depot North", "timezone": "Europe/Berlin"}, format="json"
    )
    assert response.status_code == 201, response.content
    response = as_operator.post(
        "/api/v1/chargers/",
        {"charge_point_id": "CP-1", "site": "Depot North", "password": "sixteen-chars-min!"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    charger = Charger.objects.get(charge_point_id="CP-1")
    assert charger.site.name == "Depot North"
    identify_hasher(charger.password_hash)  # a hash, never the password itself
    assert "sixteen" not in charger.password_hash
    assert charger.check_password("sixteen-chars-min!")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "timezone": "Nowhere/Land"}, "timezone"),
        ({"timezone": "UTC"}, "name"),
    ],
)
def test_a_bad_site_is_refused_field_by_field(as_operator, payload, field):
    response = as_operator.post("/api/v1/sites/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Site.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"charge_point_id": "CP:1"}, "charge_point_id"),
        ({"charge_point_id": "CP-2", "password": "short"}, "password"),
        ({"charge_point_id": "CP-3", "site": "No such site"}, "site"),
    ],
)
def test_a_bad_charger_is_refused_field_by_field(as_operator, payload, field):
    response = as_operator.post("/api/v1/chargers/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Charger.objects.exists()


def test_charger_detail_has_the_contract_fields(as_operator):
    site = Site.objects.create(name="Depot")
    charger = Charger.objects.create(charge_point_id="CP-9", site=site, vendor="Acme", model="DC50")
    Connector.objects.create(charger=charger, evse_id=0, connector_id=0, status="Available")
    Connector.objects.create(
        charger=charger, evse_id=1, connector_id=1, status="Faulted", error_code="GroundFailure"
    )
    body = as_operator.get("/api/v1/chargers/CP-9/").json()
    assert set(body) >= {
        "charge_point_id",
        "site",
        "vendor",
        "model",
        "serial_number",
        "firmware_version",
        "ocpp_version",
        "online",
        "last_seen_at",
        "summary",
        "connectors",
    }
    assert body["online"] is False
    assert [(c["evse_id"], c["connector_id"], c["status"]) for c in body["connectors"]] == [
        (0, 0, "Available"),
        (1, 1, "Faulted"),
    ]
    assert set(body["connectors"][1]) >= {
        "evse_id",
        "connector_id",
        "status",
        "error_code",
        "vendor_error_code",
        "info",
        "since",
    }


def test_the_charger_list_costs_the_same_queries_for_many_rows(as_operator):
    site = Site.objects.create(name="Depot")

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get("/api/v1/chargers/").status_code == 200
        return len(ctx.captured_queries)

    Charger.objects.create(charge_point_id="CP-0", site=site)
    count_queries()  # the first request also loads the user's permissions
    few = count_queries()
    Charger.objects.bulk_create(Charger(charge_point_id=f"CP-{i}", site=site) for i in range(1, 40))
    assert count_queries() == few


def test_the_openapi_schema_is_served(as_operator):
    response = as_operator.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/chargers/" in response.content


def test_token_authentication_works(api_client, operator):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=operator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/sites/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/v1/sites/").status_code == 401


def test_factories_build_a_charger_whose_password_is_checked():
    from tests.factories import ChargerFactory, ConnectorFactory

    charger = ChargerFactory(password="a-sixteen-char-secret")
    port = ConnectorFactory(charger=charger, evse_id=2)
    assert charger.check_password("a-sixteen-char-secret")
    assert not charger.check_password("wrong")
    assert (port.evse_id, port.connector_id, port.label) == (2, 2, "#2")


def test_charger_secrets_use_the_cheaper_machine_key_hash_and_old_hashes_still_verify():
    from django.contrib.auth.hashers import make_password

    charger = Charger(charge_point_id="CP-HASH")
    charger.set_password("a-sixteen-char-secret")
    assert charger.password_hash.startswith("pbkdf2_sha256_charger$20000$")
    assert charger.check_password("a-sixteen-char-secret")
    assert not charger.check_password("a-sixteen-char-secreT")

    charger.password_hash = make_password("an-older-stored-secret")  # Django's default, as stored before
    assert charger.password_hash.startswith("pbkdf2_sha256$")
    assert charger.check_password("an-older-stored-secret")
    assert not charger.check_password("something-else-entirely")
