"""Who may connect to /ocpp/<id>: password, unknown ids, subprotocols, throttling."""

import base64

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chargers.models import Charger, ConnectivityChange, RegistrationState
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger, open_socket
from tests.support.processes import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def assert_refused(server, charge_point_id, **options):
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, charge_point_id, **options)
    assert refused.value.response.status_code == 403


def test_the_right_password_opens_the_socket_and_the_charger_comes_online(live_server_process, make_charger):
    charger = make_charger("CP-OK")
    client = TestCharger.connect(live_server_process, "CP-OK", password=CHARGER_PASSWORD)
    assert client.socket.subprotocol == "ocpp1.6"
    assert ConnectivityChange.objects.get(charger=charger).online is True
    client.close_and_wait_until_released(charger)
    assert list(ConnectivityChange.objects.filter(charger=charger).values_list("online", "reason")) == [
        (True, "socket opened"),
        (False, "socket closed"),
    ]


def test_a_wrong_password_is_refused(live_server_process, make_charger):
    make_charger("CP-PW")
    assert_refused(live_server_process, "CP-PW", password="not-the-password-at-all")


def test_a_missing_password_is_refused_when_the_charger_has_one(live_server_process, make_charger):
    make_charger("CP-NOPW")
    assert_refused(live_server_process, "CP-NOPW")


def test_basic_auth_for_another_id_is_refused(live_server_process, make_charger):
    make_charger("CP-ONE")
    make_charger("CP-TWO")
    token = base64.b64encode(f"CP-TWO:{CHARGER_PASSWORD}".encode()).decode()
    with pytest.raises(InvalidStatus):
        connect(
            f"{live_server_process.ws_url}/ocpp/CP-ONE",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
        )


def test_an_unknown_charger_is_refused_and_not_registered(live_server_process):
    assert_refused(live_server_process, "CP-STRANGER", password="whatever-password-123")
    assert not Charger.objects.filter(charge_point_id="CP-STRANGER").exists()


def test_a_charger_without_a_password_connects_without_credentials(live_server_process, make_charger):
    charger = make_charger("CP-OPEN", password=None)
    client = TestCharger.connect(live_server_process, "CP-OPEN")
    assert client.result("Heartbeat", {})
    client.close_and_wait_until_released(charger)


def test_no_acceptable_subprotocol_is_refused(live_server_process, make_charger):
    make_charger("CP-PROTO")
    assert_refused(
        live_server_process, "CP-PROTO", password=CHARGER_PASSWORD, subprotocols=("ocpp1.5", "mqtt")
    )


def test_a_rejected_charger_is_refused(live_server_process, make_charger):
    make_charger("CP-REJ", registration_state=RegistrationState.REJECTED)
    assert_refused(live_server_process, "CP-REJ", password=CHARGER_PASSWORD)


@pytest.fixture
def accepting_server(transactional_db):
    server = LiveServer({"OCPP_ACCEPT_UNKNOWN_CHARGERS": 1})
    yield server
    server.stop()


def test_with_the_setting_on_an_unknown_charger_is_registered_as_pending(accepting_server):
    client = TestCharger.connect(accepting_server, "CP-NEW-1")
    answer = client.result("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"})
    charger = Charger.objects.get(charge_point_id="CP-NEW-1")
    assert answer["status"] == "Pending"
    assert (charger.registration_state, charger.site, charger.vendor) == (
        RegistrationState.PENDING,
        None,
        "Acme",
    )
    client.close_and_wait_until_released(charger)


@pytest.fixture
def strict_server(transactional_db):
    server = LiveServer({"OCPP_THROTTLE_ATTEMPTS": 2, "OCPP_THROTTLE_WINDOW": 3600})
    yield server
    server.stop()


def test_a_charger_reconnecting_too_often_is_throttled_and_the_reason_logged(strict_server, make_charger):
    charger = make_charger("CP-STORM")
    for _ in range(2):
        TestCharger.connect(
            strict_server, "CP-STORM", password=CHARGER_PASSWORD
        ).close_and_wait_until_released(charger)
    assert_refused(strict_server, "CP-STORM", password=CHARGER_PASSWORD)
    strict_server.wait_for_line("Refused OCPP connection of 'CP-STORM': throttled: 3 connection attempts")


def test_refusals_are_logged_with_their_reason(strict_server, make_charger):
    make_charger("CP-LOG")
    assert_refused(strict_server, "CP-LOG", password="definitely-wrong-password")
    strict_server.wait_for_line("WARNING chargers.access Refused OCPP connection of 'CP-LOG': wrong password")


@pytest.fixture(scope="module")
def uvicorn_server(django_db_setup, django_db_blocker):
    server = LiveServer(server="uvicorn")
    yield server
    server.stop()


def test_the_endpoint_works_the_same_under_uvicorn(uvicorn_server, make_charger):
    charger = make_charger("CP-UVI")
    client = TestCharger.connect(
        uvicorn_server, "CP-UVI", password=CHARGER_PASSWORD, subprotocols=("ocpp1.6",)
    )
    assert client.socket.subprotocol == "ocpp1.6"
    assert (
        client.result("BootNotification", {"chargePointVendor": "U", "chargePointModel": "V"})["status"]
        == "Accepted"
    )
    assert client.send_raw("not json")[:3] == [4, "-1", "FormationViolation"]
    client.close_and_wait_until_released(charger)
    assert_refused(uvicorn_server, "CP-UVI", password="wrong-password-for-uvicorn")
