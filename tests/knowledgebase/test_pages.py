"""The knowledge-base pages: everyone reads, only knowledge-base admins import and approve."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from knowledgebase.models import CodeEntry, Manual, Manufacturer, UnknownCode
from knowledgebase.translate import Report, record_unknown, translate
from knowledgebase.vocabulary import Category, EntryStatus, ImportStatus
from tests.knowledgebase import manuals

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme(knowledge):
    return Manufacturer.objects.create(name="Acme Charging", aliases="ACME")


def test_every_page_needs_a_login(client, knowledge):
    for name in ("codes", "playbooks", "manuals", "upload", "unknown_codes"):
        response = client.get(reverse(f"knowledgebase:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_technician_reads_codes_and_playbooks(client, technician, knowledge):
    client.force_login(technician)
    page = client.get(reverse("knowledgebase:codes"), {"q": "CX008"})
    assert page.status_code == 200
    assert b"emergency stop" in page.content.lower()
    playbook = client.get(reverse("knowledgebase:playbook", args=["estop-release-reset"]))
    assert b"Release the button" in playbook.content
    assert b"Never release an emergency stop" in playbook.content  # the safety note


@pytest.mark.parametrize("name", ["upload", "unknown_codes"])
def test_a_technician_cannot_open_the_admin_pages(client, technician, knowledge, name):
    client.force_login(technician)
    assert client.get(reverse(f"knowledgebase:{name}")).status_code == 403


def test_an_operator_cannot_approve_a_draft_even_by_posting(client, operator, acme):
    draft = CodeEntry.objects.create(manufacturer=acme, code="E1", meaning="x", status=EntryStatus.DRAFT)
    client.force_login(operator)
    assert client.post(reverse("knowledgebase:approve", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == EntryStatus.DRAFT


def test_drafts_are_hidden_from_readers(client, technician, acme):
    draft = CodeEntry.objects.create(
        manufacturer=acme, code="E1", meaning="secret draft", status=EntryStatus.DRAFT
    )
    client.force_login(technician)
    assert client.get(reverse("knowledgebase:entry", args=[draft.pk])).status_code == 404
    listing = client.get(reverse("knowledgebase:codes"), {"status": "draft", "q": "E1"})
    assert b"secret draft" not in listing.content


def test_approving_needs_post(client, kb_admin, acme):
    draft = CodeEntry.objects.create(manufacturer=acme, code="E1", meaning="x", status=EntryStatus.DRAFT)
    client.force_login(kb_admin)
    assert client.get(reverse("knowledgebase:approve", args=[draft.pk])).status_code == 405


def test_vendor_text_is_escaped(client, kb_admin, acme):
    record_unknown(
        Report(
            vendor="ACME",
            error_code="OtherError",
            vendor_error_code="<b>X1</b>",
            info="<script>alert(1)</script>",
        ),
        "CP-<i>1</i>",
        timezone.now(),
    )
    client.force_login(kb_admin)
    page = client.get(reverse("knowledgebase:unknown_codes")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>X1</b>" not in page


def test_the_admin_uploads_maps_reviews_and_approves_a_csv(client, kb_admin, acme):
    client.force_login(kb_admin)
    response = client.post(
        reverse("knowledgebase:upload"),
        {"manufacturer": acme.pk, "version": "1.0", "file": manuals.csv_file(name="codes.csv")},
    )
    manual = Manual.objects.get()
    assert response["Location"] == reverse("knowledgebase:manual_mapping", args=[manual.pk])
    preview = client.get(response["Location"])
    assert b"Cooling fan failure" in preview.content  # the preview shows rows
    response = client.post(
        reverse("knowledgebase:manual_mapping", args=[manual.pk]),
        {"code": "0", "meaning": "1", "next_action": "2"},
    )
    assert response["Location"] == reverse("knowledgebase:manual_review", args=[manual.pk])
    review = client.get(response["Location"])
    assert b"Approve all 3 drafts" in review.content
    edit = manual.entries.get(code="E205")
    client.post(
        reverse("knowledgebase:edit_entry", args=[edit.pk]),
        {
            "manufacturer": acme.pk,
            "code": "E205",
            "meaning": "Cooling fan failed (edited)",
            "category": Category.TEMPERATURE,
            "severity": "warning",
            "responsible": "site_staff",
            "next_action": "Replace the fan",
            "charging_possible": "unknown",
        },
    )
    client.post(reverse("knowledgebase:approve", args=[edit.pk]))
    assert translate(Report(vendor="ACME", vendor_error_code="E205")).meaning == "Cooling fan failed (edited)"
    client.post(reverse("knowledgebase:approve_all", args=[manual.pk]))
    manual.refresh_from_db()
    assert manual.status == ImportStatus.DONE
    assert not manual.entries.filter(status=EntryStatus.DRAFT).exists()


def test_a_refused_upload_shows_why_and_stores_nothing(client, kb_admin, acme):
    client.force_login(kb_admin)
    fake = manuals.csv_file(name="manual.pdf")
    response = client.post(
        reverse("knowledgebase:upload"), {"manufacturer": acme.pk, "file": fake}, follow=True
    )
    assert b"named .pdf but its content is not a PDF" in response.content
    assert not Manual.objects.exists()


def test_writing_the_entry_for_an_unknown_code_takes_it_out_of_the_queue(client, kb_admin, acme):
    report = Report(vendor="ACME", error_code="OtherError", vendor_error_code="E999", info="pump dry")
    record_unknown(report, "CP-1", timezone.now())
    unknown = UnknownCode.objects.get()
    client.force_login(kb_admin)
    form = client.get(reverse("knowledgebase:write_entry", args=[unknown.pk]))
    assert b"pump dry" in form.content
    response = client.post(
        reverse("knowledgebase:write_entry", args=[unknown.pk]),
        {
            "manufacturer": acme.pk,
            "code": "E999",
            "meaning": "Coolant pump runs dry",
            "category": Category.TEMPERATURE,
            "severity": "fault",
            "responsible": "vendor_service",
            "next_action": "Book vendor service to refill coolant",
            "charging_possible": "false",
        },
    )
    assert response.status_code == 302
    unknown.refresh_from_db()
    assert unknown.resolved_by is not None
    assert translate(report).meaning == "Coolant pump runs dry"
    assert b"unknown-queue" not in client.get(reverse("knowledgebase:unknown_codes")).content


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context.captured_queries)


def test_the_code_list_costs_the_same_queries_for_many_rows(client, technician, acme):
    client.force_login(technician)
    url = reverse("knowledgebase:codes")
    count_queries(client, url)
    few = count_queries(client, url)
    CodeEntry.objects.bulk_create(
        CodeEntry(manufacturer=acme, code=f"E{i}", meaning="m", match_key=f"k{i}", status=EntryStatus.LIVE)
        for i in range(40)
    )
    assert count_queries(client, url) == few


def test_the_unknown_queue_and_review_page_cost_the_same_queries_for_many_rows(client, kb_admin, acme):
    client.force_login(kb_admin)
    record_unknown(Report(vendor="ACME", vendor_error_code="U0"), "CP-0", timezone.now())
    queue = reverse("knowledgebase:unknown_codes")
    count_queries(client, queue)
    few = count_queries(client, queue)
    for i in range(1, 30):
        record_unknown(Report(vendor="ACME", vendor_error_code=f"U{i}"), f"CP-{i}", timezone.now())
    assert count_queries(client, queue) == few

    from knowledgebase.importers.manuals import start_import

    small = start_import(
        manuals.csv_file(), manufacturer=acme, user=kb_admin, mapping={"code": 0, "meaning": 1}
    )
    big = start_import(
        manuals.csv_file([(f"B{i}", "Thing", "") for i in range(40)]),
        manufacturer=acme,
        user=kb_admin,
        mapping={"code": 0, "meaning": 1},
    )
    review = count_queries(client, reverse("knowledgebase:manual_review", args=[small.pk]))
    assert count_queries(client, reverse("knowledgebase:manual_review", args=[big.pk])) == review


def test_the_playbook_list_costs_the_same_queries_for_many_rows(client, technician, knowledge):
    from knowledgebase.models import Playbook

    client.force_login(technician)
    url = reverse("knowledgebase:playbooks")
    count_queries(client, url)
    few = count_queries(client, url)
    Playbook.objects.bulk_create(Playbook(slug=f"p{i}", name=f"P{i}", escalation="call") for i in range(20))
    assert count_queries(client, url) == few


def test_the_manual_list_costs_the_same_queries_for_many_rows(client, kb_admin, acme):
    from knowledgebase.importers.manuals import start_import

    client.force_login(kb_admin)
    url = reverse("knowledgebase:manuals")
    start_import(manuals.csv_file(), manufacturer=acme, user=kb_admin)
    count_queries(client, url)
    few = count_queries(client, url)
    for version in range(5):
        start_import(manuals.csv_file(), manufacturer=acme, user=kb_admin, version=str(version))
    assert count_queries(client, url) == few
