"""A charger for tests: hand-written OCPP-J frames over a real WebSocket (never the ocpp library,
so that a schema or casing mistake on the server cannot hide behind the same mistake here)."""

import base64
import json
import time
import uuid

from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

REPLY_TIMEOUT = 15


def open_socket(server, charge_point_id: str, *, subprotocols=("ocpp1.6",), password: str | None = None):
    headers = {}
    if password is not None:
        token = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        socket = connect(
            f"{server.ws_url}/ocpp/{charge_point_id}",
            subprotocols=list(subprotocols),
            additional_headers=headers,
            open_timeout=30,
        )
    except (OSError, InvalidHandshake, TimeoutError) as error:
        # A refused handshake is often expected (tests assert on it); one the server dropped
        # without an answer is not, and its log says why.
        if isinstance(error, InvalidStatus) or not hasattr(server, "output"):
            raise
        raise AssertionError(
            f"{charge_point_id} could not connect: {error!r}\n{server.output()[-6000:]}"
        ) from error
    return socket.__enter__()  # TestCharger closes it


class TestCharger:
    """Sends frames and reads answers; `call()` returns the answer to that very CALL."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, socket: ClientConnection):
        self.socket = socket

    @classmethod
    def connect(cls, server, charge_point_id: str, **options) -> "TestCharger":
        return cls(open_socket(server, charge_point_id, **options))

    def close(self):
        self.socket.close()

    def close_and_wait_until_released(self, charger, timeout: float = 10) -> None:
        """Close, then wait until the server has recorded the closed socket (its last write for this
        connection), so that nothing of it runs into the next test's database."""
        self.close()
        deadline = time.monotonic() + timeout
        while type(charger).objects.filter(pk=charger.pk).exclude(connection_channel="").exists():
            assert time.monotonic() < deadline, "the server never recorded the closed socket"
            time.sleep(0.02)  # nothing to await: the server writes the row on its own schedule

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_text(self, text: str) -> None:
        self.socket.send(text)

    def receive(self, timeout: float = REPLY_TIMEOUT) -> list:
        return json.loads(self.socket.recv(timeout=timeout))

    def send_raw(self, text: str, timeout: float = REPLY_TIMEOUT) -> list:
        self.socket.send(text)
        return self.receive(timeout)

    def call(self, action: str, payload: dict, unique_id: str | None = None) -> list:
        unique_id = unique_id or uuid.uuid4().hex[:20]
        answer = self.send_raw(json.dumps([2, unique_id, action, payload]))
        assert answer[1] == unique_id, answer
        return answer

    def result(self, action: str, payload: dict, unique_id: str | None = None) -> dict:
        """Call and insist on a CALLRESULT; returns its payload."""
        answer = self.call(action, payload, unique_id)
        assert answer[0] == 3, answer
        return answer[2]


def utc(seconds_ago: float = 0) -> str:
    moment = time.time() - seconds_ago
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1000):03d}Z"
