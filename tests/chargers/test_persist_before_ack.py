"""Persist before acknowledge: with the database unreachable, the charger gets no CALLRESULT (it gets
CALLERROR InternalError and will retry) and nothing half-written remains."""

import json

import pytest
from django.db import connection

from chargers.models import OcppMessage, StatusReport
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.db_proxy import DatabaseProxy
from tests.chargers.ocpp_client import TestCharger, utc
from tests.support.processes import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def proxy():
    proxy = DatabaseProxy()
    yield proxy
    proxy.cut()


@pytest.fixture
def server_behind_proxy(proxy, transactional_db):
    server = LiveServer({"DATABASE_URL": proxy.url(connection.settings_dict["NAME"]), "DB_POOL_TIMEOUT": 2})
    yield server
    server.stop()


def test_a_status_is_not_acknowledged_while_the_database_is_down_and_is_applied_once_on_retry(
    server_behind_proxy, proxy, make_charger
):
    charger = make_charger("CP-DBDOWN")
    client = TestCharger.connect(server_behind_proxy, "CP-DBDOWN", password=CHARGER_PASSWORD)
    assert client.result("Heartbeat", {})
    frame = json.dumps(
        [
            2,
            "st-down",
            "StatusNotification",
            {"connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure", "timestamp": utc(1)},
        ]
    )

    proxy.cut()
    answer = client.send_raw(frame, timeout=30)
    assert answer[:3] == [4, "st-down", "InternalError"]
    assert not StatusReport.objects.filter(charger=charger).exists()
    assert not OcppMessage.objects.filter(charger=charger, unique_id="st-down").exists()

    proxy.restore()
    # Like a charger, retry: pooled connections broken by the outage fail once each, then are replaced.
    answers = [client.send_raw(frame, timeout=30)]
    while answers[-1][0] == 4 and len(answers) < 6:
        assert answers[-1][2] == "InternalError"
        answers.append(client.send_raw(frame, timeout=30))
    assert answers[-1] == [3, "st-down", {}]
    assert StatusReport.objects.filter(charger=charger).count() == 1
    logged = OcppMessage.objects.filter(charger=charger, unique_id="st-down")
    # The CALL applied once and its one CALLRESULT; a refusal during the recovery may be logged too.
    assert logged.filter(direction="in", error="").count() == 1
    assert logged.filter(direction="out", message_type=3).count() == 1
    assert set(logged.exclude(error="").values_list("error", flat=True)) <= {
        "InternalError: Could not process the message"
    }
    client.close_and_wait_until_released(charger)
