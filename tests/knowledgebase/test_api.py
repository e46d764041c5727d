"""The knowledge-base API: codes (list, create), playbooks, manual upload with its import report."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledgebase.models import CodeEntry, Manual, Manufacturer
from knowledgebase.translate import Report, translate
from knowledgebase.vocabulary import Category, EntryStatus
from tests.knowledgebase import manuals

pytestmark = pytest.mark.django_db

CODES = "/api/v1/knowledgebase/codes/"
PLAYBOOKS = "/api/v1/knowledgebase/playbooks/"
MANUALS = "/api/v1/knowledgebase/manuals/"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def as_admin(api_client, kb_admin, knowledge):
    api_client.force_authenticate(kb_admin)
    return api_client


@pytest.fixture
def as_technician(api_client, technician, knowledge):
    api_client.force_authenticate(technician)
    return api_client


def test_codes_filter_by_scope_manufacturer_and_code(as_technician):
    chargex = as_technician.get(CODES, {"scope": "chargex", "page_size": 100}).json()
    assert chargex["count"] == 26
    voltaro = as_technician.get(CODES, {"manufacturer": "Voltaro (sample)", "code": "0x6012"}).json()[
        "results"
    ]
    assert {row["charger_model_name"] for row in voltaro} == {"", "VX-150"}
    assert all(row["status"] == "live" for row in voltaro)


def test_a_technician_reads_but_cannot_create(as_technician):
    response = as_technician.post(CODES, {"scope": "ocpp", "code": "X", "meaning": "x"}, format="json")
    assert response.status_code == 403


def test_an_admin_creates_a_live_entry_that_translates(as_admin):
    maker = Manufacturer.objects.create(name="Acme Charging", aliases="ACME")
    response = as_admin.post(
        CODES,
        {
            "manufacturer": maker.pk,
            "code": "E42",
            "meaning": "Door switch open",
            "category": Category.OTHER,
            "responsible": "site_staff",
            "next_action": "Close the door",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert translate(Report(vendor="ACME", vendor_error_code="E42")).entry_id == response.json()["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scope": "manufacturer", "code": "E1", "meaning": "x"}, "manufacturer"),
        ({"scope": "ocpp", "code": "E1", "meaning": "x", "category": "nonsense"}, "category"),
        ({"scope": "ocpp", "meaning": "x"}, "code"),
        ({"scope": "ocpp", "code": "GroundFailure", "meaning": "duplicate of a live entry"}, "code"),
    ],
)
def test_a_bad_entry_is_refused_field_by_field(as_admin, payload, field):
    before = CodeEntry.objects.count()
    response = as_admin.post(CODES, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert CodeEntry.objects.count() == before


def test_playbooks_come_with_ordered_steps(as_technician):
    body = as_technician.get(f"{PLAYBOOKS}estop-release-reset/").json()
    assert [step["position"] for step in body["steps"]] == list(range(1, len(body["steps"]) + 1))
    assert body["escalation"]


def test_uploading_a_manual_returns_its_import_report(as_admin):
    maker = Manufacturer.objects.create(name="Acme Charging", aliases="ACME")
    response = as_admin.post(
        MANUALS,
        {"file": manuals.xlsx_file(), "manufacturer": "Acme Charging", "version": "3"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["drafts"]) == ("xlsx", "in_review", 3)
    assert body["report"]["changes"]["added"] == ["E101", "E205", "0x6012"]
    assert Manual.objects.get().uploaded_by.username == "ada.admin"
    assert not CodeEntry.objects.filter(manufacturer=maker, status=EntryStatus.LIVE).exists()


def test_a_manual_with_an_explicit_mapping(as_admin):
    Manufacturer.objects.create(name="Acme Charging")
    upload = manuals.csv_file(header=("x", "y", "z"))
    response = as_admin.post(
        MANUALS,
        {"file": upload, "manufacturer": "Acme Charging", "mapping": '{"code": 0, "meaning": 2}'},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert CodeEntry.objects.get(code="E205").meaning == "Replace the fan"


def test_a_refused_manual_upload_answers_400_and_stores_nothing(as_admin):
    Manufacturer.objects.create(name="Acme Charging")
    response = as_admin.post(
        MANUALS,
        {"file": manuals.csv_file(name="manual.pdf"), "manufacturer": "Acme Charging"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "not a PDF" in response.json()["file"][0]
    assert not Manual.objects.exists()


def test_an_operator_cannot_upload_manuals(api_client, operator, knowledge):
    Manufacturer.objects.create(name="Acme Charging")
    api_client.force_authenticate(operator)
    response = api_client.post(
        MANUALS, {"file": manuals.csv_file(), "manufacturer": "Acme Charging"}, format="multipart"
    )
    assert response.status_code == 403
    assert not Manual.objects.exists()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_code_list_costs_the_same_queries_for_many_rows(as_technician):
    maker = Manufacturer.objects.create(name="Acme Charging")
    url = f"{CODES}?manufacturer={maker.pk}"
    CodeEntry.objects.create(manufacturer=maker, code="E", meaning="m")
    count_queries(as_technician, url)
    few = count_queries(as_technician, url)
    CodeEntry.objects.bulk_create(
        CodeEntry(manufacturer=maker, code=f"E{i}", meaning="m", match_key=f"k{i}", status=EntryStatus.LIVE)
        for i in range(40)
    )
    assert as_technician.get(url).json()["count"] == 41
    assert count_queries(as_technician, url) == few


def test_the_playbook_list_costs_the_same_queries_for_many_rows(as_technician):
    from knowledgebase.models import Playbook, PlaybookStep

    count_queries(as_technician, PLAYBOOKS)
    few = count_queries(as_technician, PLAYBOOKS)
    for i in range(10):
        playbook = Playbook.objects.create(slug=f"extra-{i}", name=f"Extra {i}", escalation="call")
        PlaybookStep.objects.create(playbook=playbook, position=1, title="Look", role="site_staff")
    assert count_queries(as_technician, PLAYBOOKS) == few
