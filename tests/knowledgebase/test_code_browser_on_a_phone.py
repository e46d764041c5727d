"""A technician on site looks a code up on a phone and reads its playbook."""

import pytest
from django.core.management import call_command

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_technician_finds_a_code_and_its_playbook_on_a_phone(browser, live_server_process, technician):
    call_command("load_knowledge", verbosity=0)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server_process, technician)
        page.click("nav >> text=Knowledge")
        page.fill("#q", "CX008")
        page.click("form[role=search] button[type=submit]")
        assert fits_the_screen(page)
        page.click("table.codes-table >> text=CX008")
        assert "Release the button and reset the charger." in page.locator(".next-action-big").inner_text()
        assert page.locator(".safety-note").first.is_visible()
        assert fits_the_screen(page)
        assert page.locator("text=Edit").count() == 0  # technicians read; they do not edit
    finally:
        context.close()
