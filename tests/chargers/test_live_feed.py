"""/ws/live/: signed-in browsers get live events; anonymous ones are refused before the handshake."""

import json

import pytest
from django.conf import settings
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chargers import live
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def browser_socket(server, cookie: str | None = None):
    headers = {"Cookie": cookie} if cookie else {}
    socket = connect(
        f"{server.ws_url}/ws/live/", origin=server.url, additional_headers=headers, open_timeout=10
    )
    return socket.__enter__()


def next_event(socket, event_name: str) -> dict:
    while True:
        event = json.loads(socket.recv(timeout=15))
        if event.get("event") == event_name:
            return event


@pytest.fixture
def session_cookie(operator):
    client = Client()
    client.force_login(operator)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_an_anonymous_browser_is_refused_before_the_handshake(live_server_process):
    with pytest.raises(InvalidStatus) as refused:
        browser_socket(live_server_process)
    assert refused.value.response.status_code == 403


def test_a_signed_in_browser_sees_a_status_change_and_the_charger_going_online(
    live_server_process, session_cookie, make_charger
):
    charger = make_charger("CP-LIVE")
    browser = browser_socket(live_server_process, session_cookie)
    cp = TestCharger.connect(live_server_process, "CP-LIVE", password=CHARGER_PASSWORD)
    assert next_event(browser, "charger.online") == {
        "event": "charger.online",
        "charge_point_id": "CP-LIVE",
        "online": True,
    }
    cp.result(
        "StatusNotification",
        {"connectorId": 1, "status": "Faulted", "errorCode": "HighTemperature", "info": "<script>x</script>"},
    )
    event = next_event(browser, "connector.status")
    assert {
        key: event[key]
        for key in ("charge_point_id", "evse_id", "connector_id", "status", "error_code", "info")
    } == {
        "charge_point_id": "CP-LIVE",
        "evse_id": 1,
        "connector_id": 1,
        "status": "Faulted",
        "error_code": "HighTemperature",
        "info": "<script>x</script>",  # data, not markup: pages escape it when they render
    }
    assert event["since"] and event["vendor_error_code"] == ""
    cp.close_and_wait_until_released(charger)
    assert next_event(browser, "charger.online")["online"] is False
    browser.close()


def test_a_browser_may_follow_one_charger_and_gets_only_its_events_once(live_server_process, session_cookie):
    browser = browser_socket(live_server_process, session_cookie)
    browser.send(json.dumps({"subscribe": "charger", "charge_point_id": "CP / odd #1"}))
    assert json.loads(browser.recv(timeout=15)) == {"subscribed": "CP / odd #1"}
    # Published from this process (as a Celery worker would) through the shared Redis layer: another
    # charger's event, then the followed one's, then a marker that closes the sequence.
    for command_id, charge_point_id in [(6, "CP-OTHER"), (7, "CP / odd #1"), (8, "CP / odd #1")]:
        live.publish(
            [live.DASHBOARD_GROUP],
            {"event": "command.answered", "command_id": command_id, "charge_point_id": charge_point_id},
        )
    received = [next_event(browser, "command.answered")["command_id"] for _ in range(2)]
    assert received == [7, 8]  # the other charger's is left out, and nothing arrives twice
    browser.send(json.dumps({"subscribe": "everything"}))
    assert "error" in json.loads(browser.recv(timeout=15))
    browser.close()


def test_a_dashboard_browser_gets_every_chargers_events(live_server_process, session_cookie):
    browser = browser_socket(live_server_process, session_cookie)
    for command_id, charge_point_id in [(1, "CP-A"), (2, "CP-B")]:
        live.publish(
            [live.DASHBOARD_GROUP],
            {"event": "command.answered", "command_id": command_id, "charge_point_id": charge_point_id},
        )
    assert [next_event(browser, "command.answered")["command_id"] for _ in range(2)] == [1, 2]
    browser.close()
