"""Every OCPP 2.0.1 message a charging station initiates, end to end against the real server."""

import pytest

from chargers.models import (
    Connector,
    DeviceEvent,
    Direction,
    MeterReading,
    OcppMessage,
    StatusReport,
    Transaction,
)
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger, utc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def charger(make_charger):
    return make_charger("CS201-A")


@pytest.fixture
def cs(live_server_process, charger):
    client = TestCharger.connect(
        live_server_process, charger.charge_point_id, password=CHARGER_PASSWORD, subprotocols=("ocpp2.0.1",)
    )
    yield client
    client.close_and_wait_until_released(charger)


def test_the_newest_offered_subprotocol_is_chosen(live_server_process, charger):
    client = TestCharger.connect(
        live_server_process,
        charger.charge_point_id,
        password=CHARGER_PASSWORD,
        subprotocols=("ocpp1.6", "ocpp2.0.1"),
    )
    assert client.socket.subprotocol == "ocpp2.0.1"
    client.close_and_wait_until_released(charger)
    charger.refresh_from_db()
    assert charger.ocpp_version == "2.0.1"


def test_boot_notification_updates_the_identity(cs, charger):
    answer = cs.result(
        "BootNotification",
        {
            "reason": "PowerUp",
            "chargingStation": {
                "vendorName": "Voltix",
                "model": "HPC-350",
                "serialNumber": "VX-9",
                "firmwareVersion": "2.0.7",
            },
        },
    )
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 60
    charger.refresh_from_db()
    assert (charger.vendor, charger.model, charger.serial_number, charger.firmware_version) == (
        "Voltix",
        "HPC-350",
        "VX-9",
        "2.0.7",
    )


def test_heartbeat_answers_the_current_time(cs):
    assert cs.result("Heartbeat", {})["currentTime"].endswith("Z")


def test_status_notification_is_stored_per_evse_and_connector(cs, charger):
    cs.result(
        "StatusNotification",
        {"timestamp": utc(5), "connectorStatus": "Occupied", "evseId": 2, "connectorId": 1},
    )
    report = StatusReport.objects.get(charger=charger)
    assert (report.connector.evse_id, report.connector.connector_id, report.status) == (2, 1, "Occupied")
    assert Connector.objects.get(charger=charger, evse_id=2, connector_id=1).status == "Occupied"


def test_notify_event_keeps_each_event_with_component_variable_and_codes(cs, charger):
    cs.result(
        "NotifyEvent",
        {
            "generatedAt": utc(1),
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 101,
                    "timestamp": utc(20),
                    "trigger": "Alerting",
                    "actualValue": "true",
                    "techCode": "0x6012",
                    "techInfo": "DC output module voltage abnormal",
                    "cleared": False,
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                    "variable": {"name": "Problem"},
                },
                {
                    "eventId": 102,
                    "timestamp": utc(10),
                    "trigger": "Delta",
                    "actualValue": "false",
                    "cleared": True,
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "ChargingStation"},
                    "variable": {"name": "Problem"},
                },
            ],
        },
    )
    first, second = DeviceEvent.objects.filter(charger=charger).order_by("event_id")
    assert (first.component_name, first.variable_name, first.tech_code, first.tech_info) == (
        "Connector",
        "Problem",
        "0x6012",
        "DC output module voltage abnormal",
    )
    assert (first.trigger, first.cleared, first.actual_value) == ("Alerting", False, "true")
    assert (first.connector.evse_id, first.connector.connector_id) == (1, 1)
    assert first.event_at == first.charger_timestamp
    assert second.cleared is True
    assert second.connector.is_whole_charger


def test_a_transaction_is_followed_from_start_to_end(cs, charger):
    base = {"evse": {"id": 1, "connectorId": 1}, "idToken": {"idToken": "RFID-7", "type": "ISO14443"}}
    started = cs.result(
        "TransactionEvent",
        {
            **base,
            "eventType": "Started",
            "timestamp": utc(300),
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "tx-abc"},
            "meterValue": [
                {
                    "timestamp": utc(300),
                    "sampledValue": [{"value": 12.5, "unitOfMeasure": {"unit": "kWh"}}],
                }
            ],
        },
    )
    assert started["idTokenInfo"] == {"status": "Accepted"}
    cs.result(
        "TransactionEvent",
        {
            "eventType": "Ended",
            "timestamp": utc(10),
            "triggerReason": "AbnormalCondition",
            "seqNo": 1,
            "transactionInfo": {"transactionId": "tx-abc", "stoppedReason": "GroundFault"},
            "meterValue": [
                {
                    "timestamp": utc(10),
                    "sampledValue": [{"value": 20000, "measurand": "Energy.Active.Import.Register"}],
                }
            ],
        },
    )
    tx = Transaction.objects.get(charger=charger)
    assert (tx.transaction_id, tx.id_tag, tx.stop_reason) == ("tx-abc", "RFID-7", "GroundFault")
    assert (tx.connector.evse_id, tx.connector.connector_id) == (1, 1)
    assert (tx.meter_start_wh, tx.meter_stop_wh) == (12500.0, 20000.0)
    assert tx.stopped_at > tx.started_at


def test_meter_values_of_an_evse_are_stored_in_wh(cs, charger):
    cs.result(
        "MeterValues",
        {
            "evseId": 1,
            "meterValue": [
                {
                    "timestamp": utc(3),
                    "sampledValue": [
                        {
                            "value": 3.2,
                            "measurand": "Energy.Active.Import.Register",
                            "unitOfMeasure": {"unit": "kWh"},
                        }
                    ],
                }
            ],
        },
    )
    reading = MeterReading.objects.get(charger=charger)
    assert (reading.value, reading.unit, reading.connector.evse_id) == (3200.0, "Wh", 1)


def test_authorize_accepts_by_default(cs):
    answer = cs.result("Authorize", {"idToken": {"idToken": "AB12", "type": "ISO14443"}})
    assert answer == {"idTokenInfo": {"status": "Accepted"}}


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": "2026-11-21T06:00:00Z"}),
        ("FirmwareStatusNotification", {"status": "Installed"}),
        ("LogStatusNotification", {"status": "Uploaded", "requestId": 3}),
        (
            "NotifyReport",
            {
                "requestId": 4,
                "generatedAt": "2026-11-21T06:00:00Z",
                "seqNo": 0,
                "reportData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "variableAttribute": [{"value": "x"}],
                    }
                ],
            },
        ),
    ],
)
def test_notifications_are_acknowledged_and_kept(cs, charger, action, payload):
    assert cs.result(action, payload) == {}
    assert OcppMessage.objects.get(charger=charger, action=action, direction=Direction.IN).payload == payload


def test_a_payload_the_database_cannot_hold_is_answered_internal_error_and_still_kept(cs, charger):
    event = {
        "eventId": 2**70,  # valid JSON and schema, too big for the event id column
        "timestamp": utc(1),
        "trigger": "Alerting",
        "actualValue": "true",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "ChargingStation"},
        "variable": {"name": "Problem"},
    }
    answer = cs.call(
        "NotifyEvent", {"generatedAt": utc(1), "seqNo": 0, "eventData": [event]}, unique_id="huge"
    )
    assert answer[:3] == [4, "huge", "InternalError"]
    assert not DeviceEvent.objects.exists()
    kept = OcppMessage.objects.get(charger=charger, unique_id="huge", direction=Direction.IN)
    assert kept.error.startswith("InternalError")
    assert cs.result("Heartbeat", {})  # still open
