"""Each persona end to end in a real browser against the real server, worker and a charger that speaks
hand-written OCPP-J over a real WebSocket."""

import json
import threading

import pytest
from playwright.sync_api import expect

from chargers.models import Command, CommandStatus
from faults.models import FaultEpisode, PlaybookRun, RunOutcome
from knowledgebase.seed.loader import load_knowledge
from knowledgebase.vocabulary import Responsible
from tests.chargers.ocpp_client import TestCharger
from tests.conftest import log_in
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def boot(charger: TestCharger) -> None:
    charger.result("BootNotification", {"chargePointVendor": "Acme Charging", "chargePointModel": "AC22"})


def status(charger: TestCharger, connector: int, state: str, error_code: str = "NoError", **extra) -> None:
    charger.result(
        "StatusNotification", {"connectorId": connector, "status": state, "errorCode": error_code, **extra}
    )


def answer_one_reset(charger: TestCharger, seen: dict) -> threading.Thread:
    """The charger's side of a remote reset: wait for the CALL and accept it."""

    def run():
        frame = charger.receive(timeout=60)
        seen["call"] = frame
        charger.send_text(json.dumps([3, frame[1], {"status": "Accepted"}]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_an_operator_sees_a_fault_arrive_live_opens_it_and_resets_the_charger(
    page, live_server_process, celery_worker_process, operator
):
    load_knowledge()
    cp = ChargerFactory(charge_point_id="CP-LIVE-1", site=SiteFactory(name="Harbour"), ocpp_version="1.6")
    log_in(page, live_server_process, operator)
    page.goto(f"{live_server_process.url}/")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    # A marker that a reload would wipe out: the row must arrive without one.
    page.evaluate("window.stillTheSamePage = true")

    charger = TestCharger.connect(live_server_process, "CP-LIVE-1")
    try:
        boot(charger)
        status(charger, 1, "Available")
        status(charger, 1, "Faulted", "InternalError", vendorErrorCode="E-42")

        row = page.locator("#group-remote_operator tr.episode-row", has_text="CP-LIVE-1")
        expect(row).to_be_visible(timeout=30_000)
        assert page.evaluate("window.stillTheSamePage") is True
        expect(row).to_contain_text("reset ladder")
        episode = FaultEpisode.objects.get(charger=cp, closed_at=None)

        row.locator("a.episode-link").click()
        page.wait_for_url(f"**/faults/{episode.pk}/")
        expect(page.locator("#playbook")).to_contain_text("Remote reset ladder")
        recommended = page.locator("details.quick-action.recommended").first
        expect(recommended).to_contain_text("Soft reset")

        seen: dict = {}
        charger_side = answer_one_reset(charger, seen)
        recommended.locator("summary").click()
        recommended.locator("button[type=submit]").click()
        expect(page.locator(".messages")).to_contain_text("Soft reset on CP-LIVE-1: Answered", timeout=30_000)
        expect(page.locator(".messages")).to_contain_text("Accepted")
        charger_side.join(timeout=5)
        assert seen["call"][2:] == ["Reset", {"type": "Soft"}]
        command = Command.objects.get(charger=cp)
        assert (command.status, command.requested_by, command.context) == (
            CommandStatus.ANSWERED,
            operator,
            f"fault:{episode.pk}",
        )
        expect(page.locator("table.commands")).to_contain_text(operator.username)

        # The port comes back: the board clears the row live.
        page.goto(f"{live_server_process.url}/")
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
        expect(page.locator(f"#episode-{episode.pk}")).to_be_visible()
        status(charger, 1, "Available")
        expect(page.locator(f"#episode-{episode.pk}")).to_have_count(0, timeout=30_000)
    finally:
        charger.close_and_wait_until_released(cp)


def test_a_technician_completes_a_playbook_run_and_the_outcome_is_stored(
    page, live_server_process, technician
):
    load_knowledge()
    site = SiteFactory(name="Depot West")
    episode = open_episode(
        ChargerFactory(site=site, charge_point_id="CP-TECH-1"),
        responsible=Responsible.SITE_STAFF,
        meaning="Someone pressed the emergency stop.",
        next_action="Release the button and reset the charger.",
    )
    from knowledgebase.models import Playbook

    playbook = Playbook.objects.get(slug="estop-release-reset")
    FaultEpisode.objects.filter(pk=episode.pk).update(playbook_id=playbook.pk, playbook_name=playbook.name)

    log_in(page, live_server_process, technician)
    page.click("nav >> text=My work")
    page.click(f"#work-{episode.pk} a[href*='/faults/']")
    page.click("text=Start the repair playbook")
    expect(page.locator("section.safety")).to_contain_text("Never release an emergency stop")
    # Safety comes before everything else on the page.
    assert (
        page.locator("section.safety").bounding_box()["y"]
        < page.locator("text=Release the button").first.bounding_box()["y"]
    )
    for _ in range(page.locator("button:has-text('Mark done')").count()):
        page.locator("button:has-text('Mark done')").first.click()
        page.wait_for_load_state()
    expect(page.locator("button:has-text('Mark done')")).to_have_count(0)
    page.fill("#id_notes", "Button was pressed by a child; released and reset.")
    page.check("input[name=outcome][value=fixed]")
    page.click("text=Record outcome")
    expect(page.locator("#run-outcome")).to_have_text("Fixed")

    run = PlaybookRun.objects.get(episode=episode)
    assert run.outcome == RunOutcome.FIXED and run.started_by == technician
    assert run.notes == "Button was pressed by a child; released and reset."
    assert not run.steps.filter(done_at=None).exists()


def test_markup_a_charger_sends_in_info_shows_as_text(
    page, live_server_process, celery_worker_process, operator
):
    cp = ChargerFactory(charge_point_id="CP-XSS")
    markup = "<img src=x onerror=window.pwned=1>"  # OCPP 1.6 info is at most 50 characters
    log_in(page, live_server_process, operator)
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    charger = TestCharger.connect(live_server_process, "CP-XSS")
    try:
        boot(charger)
        status(charger, 1, "Faulted", "OtherError", vendorErrorCode="X1", info=markup)
        # Arrives live, through the same row template, and stays text.
        row = page.locator("tr.episode-row", has_text="CP-XSS")
        expect(row.locator(".info")).to_have_text(markup, timeout=30_000)
        for path in ["/", "/chargers/CP-XSS/", f"/faults/{FaultEpisode.objects.get(charger=cp).pk}/"]:
            page.goto(f"{live_server_process.url}{path}")
            expect(page.locator("body")).to_contain_text(markup)
            assert page.evaluate("window.pwned === undefined")
    finally:
        charger.close_and_wait_until_released(cp)


def test_a_technician_cannot_reach_admin_pages_or_remote_actions(page, live_server_process, technician):
    episode = open_episode(ChargerFactory(charge_point_id="CP-NOPE"))
    log_in(page, live_server_process, technician)
    page.goto(f"{live_server_process.url}/faults/{episode.pk}/")
    expect(page.locator("details.quick-action")).to_have_count(0)
    # Even a hand-made POST with a valid CSRF token is refused by the view.
    token = page.evaluate("document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1]")
    response = page.request.post(
        f"{live_server_process.url}/chargers/CP-NOPE/actions/",
        form={"action": "reset_hard", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server_process.url}/"},
    )
    assert response.status == 403
    assert not Command.objects.exists()
    page.goto(f"{live_server_process.url}/admin/")
    assert "/admin/login/" in page.url
