"""An admin uploads a PDF manual in a real browser, reviews and approves the drafts, and the
translation of a matching fault changes."""

import pytest
from django.core.management import call_command

from knowledgebase.models import CodeEntry, Manual, Manufacturer
from knowledgebase.translate import Report, translate
from knowledgebase.vocabulary import Category, EntryStatus, ImportStatus
from tests.conftest import log_in
from tests.knowledgebase import manuals

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_imports_reviews_and_approves_a_manual(page, live_server_process, kb_admin):
    call_command("load_knowledge", verbosity=0)
    Manufacturer.objects.create(name="Acme Charging", aliases="ACME")
    fault = Report(
        vendor="ACME", model="DC60", status="Faulted", error_code="OtherError", vendor_error_code="E205"
    )
    assert translate(fault).matched_by == "unknown"

    log_in(page, live_server_process, kb_admin)
    page.click("nav >> text=Knowledge")
    page.click("text=Manuals")
    page.click("text=Upload a manual")
    page.select_option("#id_manufacturer", label="Acme Charging")
    page.fill("#id_version", "2.2")
    page.set_input_files(
        "#id_file", {"name": "acme-dc60.pdf", "mimeType": "application/pdf", "buffer": manuals.pdf_bytes()}
    )
    page.click("#upload-form button[type=submit]")

    page.wait_for_url("**/review/")
    assert page.locator("#drafts .entry-row").count() == 3
    assert "draft entries to review" in page.locator(".messages").inner_text()
    manual = Manual.objects.get()
    assert manual.status == ImportStatus.IN_REVIEW
    assert translate(fault).matched_by == "unknown"  # drafts are not live

    # Review one draft: correct who acts, then approve it on its own.
    page.locator('#drafts .entry-row[data-code="E205"] >> text=Edit').click()
    page.fill("#id_meaning", "Cooling fan failed: the charger derates")
    page.select_option("#id_responsible", "site_staff")
    page.click("#entry-form button[type=submit]")
    page.wait_for_url("**/review/")
    page.locator('#drafts .entry-row[data-code="E205"] >> button:has-text("Approve")').click()
    page.wait_for_url("**/review/")
    found = translate(fault)
    assert (found.matched_by, found.meaning) == ("manufacturer", "Cooling fan failed: the charger derates")
    assert found.category == Category.TEMPERATURE

    # The rest in bulk.
    page.click("#approve-all")
    page.wait_for_url("**/review/")
    assert page.locator("#import-status").inner_text() == "All drafts reviewed"
    assert not CodeEntry.objects.filter(manual=manual, status=EntryStatus.DRAFT).exists()
    estop = translate(
        Report(vendor="ACME", connector_id=0, error_code="OtherError", vendor_error_code="E101")
    )
    assert (estop.matched_by, estop.category) == ("manufacturer", Category.EMERGENCY_STOP)
    manual.file.delete(save=False)
