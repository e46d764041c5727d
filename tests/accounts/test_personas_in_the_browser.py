"""Each persona logs in through a real browser against the real server and sees what its role allows."""

import pytest

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitors_land_on_the_login_page(page, live_server_process):
    page.goto(f"{live_server_process.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Log in to Faultline"


def test_an_operator_sees_the_board_but_not_the_admin(page, live_server_process, operator):
    log_in(page, live_server_process, operator)
    assert page.locator("h1").first.inner_text() == "Faulted ports"
    assert page.locator("nav >> text=Admin").count() == 0
    page.goto(f"{live_server_process.url}/admin/")
    assert "/admin/login/" in page.url
    assert page.locator("text=not authorized").count() == 1


def test_a_technician_cannot_reach_the_admin(page, live_server_process, technician):
    log_in(page, live_server_process, technician)
    page.goto(f"{live_server_process.url}/admin/")
    assert "/admin/login/" in page.url


def test_a_knowledge_base_admin_opens_the_admin(page, live_server_process, kb_admin):
    log_in(page, live_server_process, kb_admin)
    page.click("nav >> text=Admin")
    assert page.locator("#site-name").inner_text() == "Faultline administration"
