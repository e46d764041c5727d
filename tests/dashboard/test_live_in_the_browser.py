"""Live pages in a real browser: the connection indicator through a server restart, and a technician
seeing the port come back while working on it."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

import tests.support.processes as processes
from faults import actions
from faults.models import FaultEpisode
from knowledgebase.seed.loader import load_knowledge
from knowledgebase.vocabulary import Responsible
from tests.chargers.ocpp_client import TestCharger
from tests.conftest import log_in
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_board_shows_when_the_live_connection_drops_and_when_it_is_back(page, operator, monkeypatch):
    server = processes.LiveServer()
    try:
        log_in(page, server, operator)
        indicator = page.locator("#live-indicator")
        expect(indicator).to_have_attribute("data-state", "live")
        server.stop()
        expect(indicator).to_have_attribute("data-state", "lost")
        expect(indicator).to_contain_text("reconnecting")
        # The same address comes back: the page reconnects by itself, without a reload.
        page.evaluate("window.stillTheSamePage = true")
        monkeypatch.setattr(processes, "free_port", lambda: server.port)
        server = processes.LiveServer()
        expect(indicator).to_have_attribute("data-state", "live", timeout=45_000)
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        server.stop()


def test_a_technician_sees_the_port_come_back_while_on_the_checklist(
    page, live_server_process, celery_worker_process, technician
):
    load_knowledge()
    charger = ChargerFactory(charge_point_id="CP-BACK-1", vendor="Voltaro", model="VX-150")
    client = TestCharger.connect(live_server_process, "CP-BACK-1")
    try:
        client.result("BootNotification", {"chargePointVendor": "Voltaro", "chargePointModel": "VX-150"})
        client.result(
            "StatusNotification",
            {"connectorId": 1, "status": "Faulted", "errorCode": "OtherError", "vendorErrorCode": "F400"},
        )
        episode = wait_for_open_episode(charger)
        log_in(page, live_server_process, technician)
        page.goto(f"{live_server_process.url}/faults/{episode.pk}/")
        page.click("text=Start the repair playbook")
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
        status = page.locator("#live-port [data-live-status]")
        expect(status).to_have_text("Faulted")

        client.result("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
        expect(status).to_have_text("Available", timeout=30_000)
        expect(page.locator("#episode-state")).to_have_text("cleared", timeout=30_000)
        assert FaultEpisode.objects.get(pk=episode.pk).closed_at is not None
    finally:
        client.close_and_wait_until_released(charger)


def wait_for_open_episode(charger, timeout: float = 30) -> FaultEpisode:
    # The worker opens the episode on its own schedule and the test has no page open yet to await.
    deadline = time.monotonic() + timeout
    while (episode := FaultEpisode.objects.filter(charger=charger, closed_at=None).first()) is None:
        assert time.monotonic() < deadline, "the worker never opened the episode"
        time.sleep(0.05)
    return episode


def test_a_row_moves_to_its_new_group_when_the_fault_is_escalated(page, live_server_process, operator):
    episode = open_episode(
        ChargerFactory(charge_point_id="CP-MOVE-1"),
        responsible=Responsible.REMOTE_OPERATOR,
        escalation_responsible=Responsible.VENDOR_SERVICE,
    )
    log_in(page, live_server_process, operator)
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(page.locator(f"#group-remote_operator #episode-{episode.pk}")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    # As in a view or a worker: the named action runs on a thread with no event loop (Playwright's sync
    # API keeps one on the test's thread, where the channel layer cannot be driven synchronously).
    escalated = in_a_plain_thread(actions.escalate, episode, note="Three resets did not help.")
    assert escalated is True

    expect(page.locator(f"#group-vendor_service #episode-{episode.pk}")).to_be_visible(timeout=30_000)
    expect(page.locator(f"#group-remote_operator #episode-{episode.pk}")).to_have_count(0)
    expect(page.locator("#group-vendor_service [data-count]")).to_have_text("1")
    assert page.evaluate("window.stillTheSamePage") is True


def in_a_plain_thread(function, *args, **kwargs):
    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()  # the thread's own database connection, so teardown can drop the database

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=30)
