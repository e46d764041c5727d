"""A malformed frame gets the CALLERROR its OCPP version prescribes, is kept, and the socket stays open.

1.6 answers with its frozen wire spellings (FormationViolation, OccurenceConstraintViolation);
2.0.1 with FormatViolation, OccurrenceConstraintViolation, MessageTypeNotSupported, RpcFrameworkError.
"""

import json

import pytest

from chargers.models import Direction, MessageType, ModelPolicy, OcppMessage, StatusReport
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

STATUS_16 = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
STATUS_201 = {
    "timestamp": "2026-11-21T06:00:00Z",
    "connectorStatus": "Available",
    "evseId": 1,
    "connectorId": 1,
}


def without(payload: dict, key: str) -> dict:
    return {k: v for k, v in payload.items() if k != key}


# (what is wrong, the frame, 1.6 answer (code, id), 2.0.1 answer (code, id))
CASES = [
    ("not JSON", "this is not json", ("FormationViolation", "-1"), ("FormatViolation", "-1")),
    (
        "truncated JSON with a readable id",
        '[2,"cut-1","Heartbeat",{',
        ("FormationViolation", "cut-1"),
        ("FormatViolation", "cut-1"),
    ),
    ("not an array", '{"hello": "world"}', ("FormationViolation", "-1"), ("RpcFrameworkError", "-1")),
    (
        "no readable message id",
        '[2, 17, "Heartbeat", {}]',
        ("FormationViolation", "-1"),
        ("RpcFrameworkError", "-1"),
    ),
    (
        "unknown message type",
        '[7,"mt-1",{}]',
        ("FormationViolation", "mt-1"),
        ("MessageTypeNotSupported", "mt-1"),
    ),
    (
        "a CALL without payload",
        '[2,"short-1","Heartbeat"]',
        ("FormationViolation", "short-1"),
        ("RpcFrameworkError", "short-1"),
    ),
    (
        "unknown action",
        '[2,"ua-1","FlyToTheMoon",{}]',
        ("NotImplemented", "ua-1"),
        ("NotImplemented", "ua-1"),
    ),
    (
        "an action only the server sends",
        '[2,"ns-1","UnlockConnector",{}]',
        ("NotSupported", "ns-1"),
        ("NotSupported", "ns-1"),
    ),
]

SCHEMA_CASES = [
    (
        "a required field missing",
        without(STATUS_16, "status"),
        without(STATUS_201, "connectorStatus"),
        "OccurenceConstraintViolation",
        "OccurrenceConstraintViolation",
    ),
    (
        "a field of the wrong type",
        {**STATUS_16, "connectorId": "one"},
        {**STATUS_201, "evseId": "one"},
        "TypeConstraintViolation",
        "TypeConstraintViolation",
    ),
    (
        "a field the schema does not know",
        {**STATUS_16, "colour": "red"},
        {**STATUS_201, "colour": "red"},
        "FormationViolation",
        "FormatViolation",
    ),
    (
        "a value outside its enum",
        {**STATUS_16, "errorCode": "FanFailure"},
        {**STATUS_201, "connectorStatus": "Broken"},
        "PropertyConstraintViolation",
        "PropertyConstraintViolation",
    ),
]


@pytest.fixture(params=["1.6", "2.0.1"])
def version(request):
    return request.param


@pytest.fixture
def charger(make_charger):
    return make_charger("CP-BAD", vendor="Acme", model="DC50")


@pytest.fixture
def client(live_server_process, charger, version):
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    test_charger = TestCharger.connect(
        live_server_process, charger.charge_point_id, password=CHARGER_PASSWORD, subprotocols=(subprotocol,)
    )
    yield test_charger
    test_charger.close_and_wait_until_released(charger)


def assert_still_open(client):
    assert client.result("Heartbeat", {})["currentTime"]


@pytest.mark.parametrize(("case", "frame", "answer_16", "answer_201"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_frame_gets_the_versions_callerror_and_the_socket_stays_open(
    client, charger, version, case, frame, answer_16, answer_201
):
    code, unique_id = answer_16 if version == "1.6" else answer_201
    answer = client.send_raw(frame)
    assert answer[0] == 4
    assert (answer[1], answer[2]) == (unique_id, code)
    assert isinstance(answer[3], str) and isinstance(answer[4], dict)
    kept = OcppMessage.objects.get(charger=charger, direction=Direction.IN)
    assert kept.error.startswith(code)
    assert kept.raw == frame
    sent = OcppMessage.objects.get(charger=charger, direction=Direction.OUT)
    assert (sent.message_type, sent.unique_id) == (MessageType.CALLERROR, unique_id)
    assert_still_open(client)


@pytest.mark.parametrize(
    ("case", "payload_16", "payload_201", "code_16", "code_201"),
    SCHEMA_CASES,
    ids=[c[0] for c in SCHEMA_CASES],
)
def test_a_payload_breaking_the_schema_is_refused_with_the_versions_code(
    client, charger, version, case, payload_16, payload_201, code_16, code_201
):
    payload, code = (payload_16, code_16) if version == "1.6" else (payload_201, code_201)
    answer = client.call("StatusNotification", payload, unique_id="bad-status")
    assert answer[:3] == [4, "bad-status", code]
    assert not StatusReport.objects.exists()
    assert OcppMessage.objects.get(charger=charger, direction=Direction.IN).payload == payload
    assert_still_open(client)


def test_a_readable_nonconforming_status_is_applied_when_the_model_policy_accepts_it(
    client, charger, version
):
    ModelPolicy.objects.create(vendor="acme", model_pattern="DC*", accept_nonconforming=True)
    payload = (
        {**STATUS_16, "status": "Faulted", "errorCode": "FanFailure"}
        if version == "1.6"
        else {
            **STATUS_201,
            "connectorStatus": "Broken",
        }
    )
    answer = client.call("StatusNotification", payload)
    assert answer[0] == 3, answer
    report = StatusReport.objects.get(charger=charger)
    assert report.nonconforming is True
    assert report.status == ("Faulted" if version == "1.6" else "Broken")
    kept = OcppMessage.objects.get(charger=charger, direction=Direction.IN, action="StatusNotification")
    assert "Non-conforming" in kept.error


def test_a_policy_for_another_model_does_not_accept_nonconforming_payloads(client, charger, version):
    ModelPolicy.objects.create(vendor="Acme", model_pattern="AC*", accept_nonconforming=True)
    payload = (
        {**STATUS_16, "errorCode": "FanFailure"}
        if version == "1.6"
        else {**STATUS_201, "connectorStatus": "Broken"}
    )
    assert client.call("StatusNotification", payload)[2] == "PropertyConstraintViolation"
    assert not StatusReport.objects.exists()


def test_binary_frames_are_answered_too(client, charger, version):
    client.socket.send(json.dumps([2, "bin-1", "Heartbeat", {}]).encode())
    answer = client.receive()
    assert answer[:2] == [3, "bin-1"]
