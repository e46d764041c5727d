"""A CALL retransmitted with the same unique id is answered as before and applied once."""

import json

import pytest

from chargers.models import Direction, MeterReading, OcppMessage, StatusReport, Transaction
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger, utc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def charger(make_charger):
    return make_charger("CP-RETRY")


@pytest.fixture
def cp(live_server_process, charger):
    client = TestCharger.connect(live_server_process, charger.charge_point_id, password=CHARGER_PASSWORD)
    yield client
    client.close_and_wait_until_released(charger)


def test_a_retransmitted_status_is_stored_once_and_answered_alike(cp, charger):
    frame = json.dumps(
        [
            2,
            "st-1",
            "StatusNotification",
            {"connectorId": 1, "status": "Faulted", "errorCode": "OtherError", "timestamp": utc(5)},
        ]
    )
    first = cp.send_raw(frame)
    second = cp.send_raw(frame)
    assert first == second == [3, "st-1", {}]
    assert StatusReport.objects.filter(charger=charger).count() == 1
    inbound = OcppMessage.objects.filter(charger=charger, unique_id="st-1", direction=Direction.IN).order_by(
        "id"
    )
    assert [message.error for message in inbound][0] == ""
    assert "Retransmitted" in inbound[1].error  # every frame is kept, the repeat marked as such


def test_a_retransmitted_start_gets_the_same_transaction_id(cp, charger):
    payload = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": utc(5)}
    first = cp.result("StartTransaction", payload, unique_id="start-1")
    again = cp.result("StartTransaction", payload, unique_id="start-1")
    assert first == again
    assert Transaction.objects.filter(charger=charger).count() == 1


def test_retransmitted_meter_values_are_not_counted_twice(cp, charger):
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": utc(5), "sampledValue": [{"value": "100", "unit": "Wh"}]}],
    }
    cp.result("MeterValues", payload, unique_id="mv-1")
    cp.result("MeterValues", payload, unique_id="mv-1")
    assert MeterReading.objects.filter(charger=charger).count() == 1


def test_a_reused_id_with_a_different_payload_is_a_new_message(cp, charger):
    cp.result(
        "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"}, unique_id="1"
    )
    cp.result(
        "StatusNotification", {"connectorId": 1, "status": "Preparing", "errorCode": "NoError"}, unique_id="1"
    )
    assert list(StatusReport.objects.filter(charger=charger).values_list("status", flat=True)) == [
        "Available",
        "Preparing",
    ]
