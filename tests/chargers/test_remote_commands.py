"""Remote commands across two server nodes sharing Redis and PostgreSQL: the charger's socket is on
node A, the operator's request reaches node B, and the answer comes back through the channel layer."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from chargers.models import Command, CommandStatus, Direction, MessageType, OcppMessage
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger
from tests.support.processes import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TIMEOUT = {"OCPP_COMMAND_TIMEOUT": 3}


@pytest.fixture(scope="module")
def node_a(django_db_setup, django_db_blocker):
    server = LiveServer(TIMEOUT)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node_b(django_db_setup, django_db_blocker):
    server = LiveServer(TIMEOUT)
    yield server
    server.stop()


def api(server, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.url}/api/v1/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Post(threading.Thread):
    """The operator's POST runs while the test plays the charger."""

    def __init__(self, server, path, token, body):
        super().__init__(daemon=True)
        self.args_ = (server, path, token, body)
        self.result = None

    def run(self):
        self.result = api(*self.args_)

    def outcome(self):
        self.join(timeout=30)
        assert not self.is_alive()
        return self.result


@pytest.fixture
def token(operator):
    return Token.objects.create(user=operator).key


@pytest.fixture
def charger(make_charger):
    return make_charger("CP-REMOTE")


@pytest.fixture
def charger_on_a(node_a, charger):
    client = TestCharger.connect(node_a, charger.charge_point_id, password=CHARGER_PASSWORD)
    yield client
    client.close_and_wait_until_released(charger)


def test_a_reset_posted_to_node_b_reaches_the_charger_on_node_a_and_its_answer_comes_back(
    node_b, charger_on_a, charger, token, operator
):
    post = Post(
        node_b, "chargers/CP-REMOTE/commands/", token, {"action": "Reset", "payload": {"type": "Soft"}}
    )
    post.start()
    message_type, unique_id, action, payload = charger_on_a.receive()
    assert (message_type, action, payload) == (2, "Reset", {"type": "Soft"})
    charger_on_a.send_text(json.dumps([3, unique_id, {"status": "Accepted"}]))

    status, body = post.outcome()
    assert status == 201, body
    assert (body["status"], body["response"]) == ("answered", {"status": "Accepted"})
    command = Command.objects.get(pk=body["id"])
    assert (command.requested_by, command.unique_id, command.status) == (
        operator,
        unique_id,
        CommandStatus.ANSWERED,
    )
    logged = OcppMessage.objects.filter(charger=charger, unique_id=unique_id).order_by("id")
    assert [(m.direction, m.message_type, m.action) for m in logged] == [
        (Direction.OUT, MessageType.CALL, "Reset"),
        (Direction.IN, MessageType.CALLRESULT, "Reset"),
    ]


def test_a_declined_command_is_stored_as_rejected(node_b, charger_on_a, token):
    post = Post(
        node_b,
        "chargers/CP-REMOTE/commands/",
        token,
        {"action": "UnlockConnector", "payload": {"connectorId": 1}},
    )
    post.start()
    _, unique_id, action, _ = charger_on_a.receive()
    charger_on_a.send_text(json.dumps([3, unique_id, {"status": "UnlockFailed"}]))
    assert post.outcome()[1]["status"] == "rejected"


def test_a_callerror_from_the_charger_is_stored_as_error(node_b, charger_on_a, token):
    post = Post(node_b, "chargers/CP-REMOTE/commands/", token, {"action": "GetConfiguration", "payload": {}})
    post.start()
    _, unique_id, _, _ = charger_on_a.receive()
    charger_on_a.send_text(json.dumps([4, unique_id, "NotSupported", "nope", {}]))
    body = post.outcome()[1]
    assert body["status"] == "error"
    assert body["response"]["code"] == "NotSupported"


def test_a_charger_that_never_answers_times_out(node_b, charger_on_a, token):
    post = Post(
        node_b, "chargers/CP-REMOTE/commands/", token, {"action": "Reset", "payload": {"type": "Hard"}}
    )
    post.start()
    assert charger_on_a.receive()[2] == "Reset"
    status, body = post.outcome()
    assert (status, body["status"], body["response"]) == (201, "timeout", None)


def test_a_command_to_a_charger_without_a_socket_is_not_connected(node_b, charger, token):
    status, body = api(
        node_b, "chargers/CP-REMOTE/commands/", token, {"action": "Reset", "payload": {"type": "Soft"}}
    )
    assert (status, body["status"]) == (201, "not_connected")
    assert Command.objects.get().status == CommandStatus.NOT_CONNECTED


def test_a_201_station_gets_its_versions_commands(node_a, node_b, make_charger, token):
    station = make_charger("CS-REMOTE")
    client = TestCharger.connect(node_a, "CS-REMOTE", password=CHARGER_PASSWORD, subprotocols=("ocpp2.0.1",))
    body = {
        "action": "SetVariables",
        "payload": {
            "setVariableData": [
                {
                    "attributeValue": "30",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
    }
    post = Post(node_b, "chargers/CS-REMOTE/commands/", token, body)
    post.start()
    _, unique_id, action, payload = client.receive()
    assert (action, payload) == ("SetVariables", body["payload"])
    answer = {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            }
        ]
    }
    client.send_text(json.dumps([3, unique_id, answer]))
    assert post.outcome()[1]["response"] == answer
    client.close_and_wait_until_released(station)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"action": "Explode", "payload": {}}, "not a command Faultline sends"),
        ({"action": "Reset", "payload": {"type": "Medium"}}, "payload is not a valid OCPP 1.6 Reset"),
        ({"action": "Reset", "payload": {}}, "payload is not a valid OCPP 1.6 Reset"),
        (
            {"action": "SetVariables", "payload": {"setVariableData": []}},
            "not a command Faultline sends over OCPP 1.6",
        ),
        ({"payload": {}}, "action"),
        ({"action": "Reset", "payload": "Soft"}, "payload"),
    ],
)
def test_bad_commands_get_a_clear_400_and_nothing_is_sent(node_b, make_charger, token, body, expected):
    make_charger("CP-CMD400", ocpp_version="1.6")
    status, answer = api(node_b, "chargers/CP-CMD400/commands/", token, body)
    assert status == 400
    assert expected in json.dumps(answer)
    assert not Command.objects.exists()


def test_sending_commands_needs_the_permission(node_b, charger, technician):
    token = Token.objects.create(user=technician).key
    status, _ = api(
        node_b, "chargers/CP-REMOTE/commands/", token, {"action": "Reset", "payload": {"type": "Soft"}}
    )
    assert status == 403
    assert not Command.objects.exists()
    assert api(node_b, "chargers/CP-REMOTE/commands/", token)[0] == 200  # but may read the list


def test_past_commands_are_listed_newest_first(node_b, charger, token, operator):
    for kind in ("Soft", "Hard"):
        Command.objects.create(charger=charger, action="Reset", payload={"type": kind}, requested_by=operator)
    status, body = api(node_b, "chargers/CP-REMOTE/commands/", token)
    assert status == 200
    assert [row["payload"]["type"] for row in body["results"]] == ["Hard", "Soft"]
    assert body["results"][0]["requested_by"] == operator.username
