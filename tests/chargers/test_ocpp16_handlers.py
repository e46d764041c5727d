"""Every OCPP 1.6 message a charger initiates, end to end against the real server."""

import pytest

from chargers.models import (
    Charger,
    Connector,
    Direction,
    MessageType,
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
    return make_charger("CP16-A")


@pytest.fixture
def cp(live_server_process, charger):
    with TestCharger.connect(
        live_server_process, charger.charge_point_id, password=CHARGER_PASSWORD
    ) as client:
        yield client


def test_boot_notification_is_accepted_and_updates_the_identity(cp, charger):
    answer = cp.result(
        "BootNotification",
        {
            "chargePointVendor": "Acme",
            "chargePointModel": "DC50",
            "chargePointSerialNumber": "SN-1",
            "firmwareVersion": "4.2.0",
        },
    )
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 60  # the live server's OCPP_HEARTBEAT_INTERVAL
    assert answer["currentTime"].endswith("Z")
    charger.refresh_from_db()
    assert (charger.vendor, charger.model, charger.serial_number, charger.firmware_version) == (
        "Acme",
        "DC50",
        "SN-1",
        "4.2.0",
    )
    assert charger.ocpp_version == "1.6"
    assert charger.last_boot_at is not None


def test_heartbeat_answers_the_current_time_and_both_frames_are_logged(cp, charger):
    answer = cp.result("Heartbeat", {}, unique_id="hb-1")
    assert answer["currentTime"].endswith("Z")
    logged = OcppMessage.objects.filter(charger=charger, unique_id="hb-1").order_by("id")
    assert [(m.direction, m.message_type, m.action) for m in logged] == [
        (Direction.IN, MessageType.CALL, "Heartbeat"),
        (Direction.OUT, MessageType.CALLRESULT, "Heartbeat"),
    ]
    assert logged[1].payload == answer


def test_status_notification_is_kept_and_the_port_shows_it(cp, charger):
    cp.result(
        "StatusNotification",
        {
            "connectorId": 2,
            "status": "Faulted",
            "errorCode": "GroundFailure",
            "vendorId": "Acme",
            "vendorErrorCode": "E-17",
            "info": "<b>RCD</b> tripped",
            "timestamp": utc(30),
        },
    )
    report = StatusReport.objects.get(charger=charger)
    assert (report.connector.evse_id, report.connector.connector_id) == (2, 2)
    assert (report.status, report.error_code, report.vendor_error_code, report.info) == (
        "Faulted",
        "GroundFailure",
        "E-17",
        "<b>RCD</b> tripped",
    )
    assert report.event_at == report.charger_timestamp
    assert report.event_at < report.received_at
    port = Connector.objects.get(charger=charger, evse_id=2)
    assert (port.status, port.error_code, port.status_since) == ("Faulted", "GroundFailure", report.event_at)


def test_a_charger_clock_far_in_the_future_is_not_believed(cp, charger):
    cp.result(
        "StatusNotification",
        {
            "connectorId": 1,
            "status": "Available",
            "errorCode": "NoError",
            "timestamp": "2099-01-01T00:00:00Z",
        },
    )
    report = StatusReport.objects.get(charger=charger)
    assert report.charger_timestamp.year == 2099
    assert report.event_at == report.received_at


def test_connector_zero_is_kept_as_the_whole_charger(cp, charger):
    cp.result(
        "StatusNotification",
        {"connectorId": 0, "status": "Faulted", "errorCode": "OtherError", "vendorErrorCode": "F400"},
    )
    report = StatusReport.objects.get(charger=charger)
    assert report.connector.is_whole_charger
    assert Connector.objects.get(charger=charger, evse_id=0, connector_id=0).status == "Faulted"


def test_a_late_status_goes_to_history_without_overwriting_the_present(cp, charger):
    cp.result(
        "StatusNotification",
        {"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": utc(10)},
    )
    cp.result(
        "StatusNotification",
        {"connectorId": 1, "status": "Faulted", "errorCode": "OtherError", "timestamp": utc(600)},
    )
    assert StatusReport.objects.filter(charger=charger).count() == 2
    assert Connector.objects.get(charger=charger, evse_id=1).status == "Charging"


def test_a_session_is_started_metered_and_stopped(cp, charger):
    started = cp.result(
        "StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": utc(120)}
    )
    assert started["idTagInfo"] == {"status": "Accepted"}
    tx_id = started["transactionId"]
    assert isinstance(tx_id, int)
    cp.result(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [
                {
                    "timestamp": utc(60),
                    "sampledValue": [
                        {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                        {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                    ],
                }
            ],
        },
    )
    stopped = cp.result(
        "StopTransaction",
        {
            "transactionId": tx_id,
            "meterStop": 2500,
            "timestamp": utc(5),
            "reason": "EVDisconnected",
            "idTag": "TAG-1",
        },
    )
    assert stopped["idTagInfo"] == {"status": "Accepted"}
    tx = Transaction.objects.get(charger=charger)
    assert tx.transaction_id == str(tx_id)
    assert (tx.id_tag, tx.meter_start_wh, tx.meter_stop_wh, tx.stop_reason) == (
        "TAG-1",
        1000,
        2500,
        "EVDisconnected",
    )
    assert tx.stopped_at > tx.started_at
    energy = MeterReading.objects.get(charger=charger, measurand=MeterReading.ENERGY_REGISTER)
    assert (energy.value, energy.unit, energy.transaction_id) == (1500.0, "Wh", tx.pk)
    assert MeterReading.objects.filter(charger=charger).count() == 2


def test_authorize_accepts_any_tag_by_default(cp):
    assert cp.result("Authorize", {"idTag": "ANY-TAG"}) == {"idTagInfo": {"status": "Accepted"}}


def test_authorize_follows_the_sites_local_list_when_enabled(cp, charger):
    from chargers.models import LocalAuthorization

    charger.site.use_local_authorization_list = True
    charger.site.save(update_fields=["use_local_authorization_list"])
    LocalAuthorization.objects.create(site=charger.site, id_tag="GOOD", status="Accepted")
    LocalAuthorization.objects.create(site=charger.site, id_tag="STOLEN", status="Blocked")
    assert cp.result("Authorize", {"idTag": "GOOD"})["idTagInfo"]["status"] == "Accepted"
    assert cp.result("Authorize", {"idTag": "STOLEN"})["idTagInfo"]["status"] == "Blocked"
    assert cp.result("Authorize", {"idTag": "STRANGER"})["idTagInfo"]["status"] == "Invalid"


def test_data_transfer_is_logged_and_answered_as_an_unknown_vendor(cp, charger):
    assert cp.result("DataTransfer", {"vendorId": "com.acme", "messageId": "x", "data": "42"}) == {
        "status": "UnknownVendorId"
    }
    assert OcppMessage.objects.filter(charger=charger, action="DataTransfer", direction=Direction.IN).exists()


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
        ("FirmwareStatusNotification", {"status": "Installed"}),
        ("SecurityEventNotification", {"type": "SettingSystemTime", "timestamp": "2026-11-21T06:00:00Z"}),
        ("SignedFirmwareStatusNotification", {"status": "SignatureVerified", "requestId": 7}),
        ("LogStatusNotification", {"status": "Uploading", "requestId": 8}),
    ],
)
def test_notifications_are_acknowledged_and_kept_in_the_log(cp, charger, action, payload):
    assert cp.result(action, payload) == {}
    kept = OcppMessage.objects.get(charger=charger, action=action, direction=Direction.IN)
    assert kept.payload == payload


def test_any_message_is_a_sign_of_life(cp, charger):
    cp.result("Heartbeat", {})
    charger.refresh_from_db()
    assert charger.last_seen_at is not None
    assert Charger.objects.get(pk=charger.pk).connection_channel != ""
