"""The issue's end-to-end list: hand-written OCPP-J frames to the real server, episodes built and
judged by the real Celery worker, checked in the database."""

import json
import time
from datetime import datetime

import pytest
import redis
from celery import current_app
from django.conf import settings as django_settings

from chargers.models import Charger, DeviceEvent, Site, StatusReport
from faults.models import AlertContact, AlertDelivery, DeliveryState, FaultEpisode, PhantomRule, SiteIncident
from knowledgebase.seed.loader import load_knowledge
from tests.chargers.ocpp_client import TestCharger, utc
from tests.faults.test_alerts import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
WORKER_DEADLINE = 45


def eventually(check, what: str, timeout: float = WORKER_DEADLINE):
    """Poll the database until `check()` returns something truthy: the worker's writes are the only
    signal there is to wait for."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"the worker never got there: {what}"
        time.sleep(0.1)


@pytest.fixture
def site(transactional_db):
    load_knowledge()
    return Site.objects.create(name="Depot North", timezone="UTC")


def worker_is_idle() -> bool:
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    if broker.llen("celery"):
        return False
    inspect = current_app.control.inspect(timeout=1)
    busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
    return not any(busy)


def settle() -> None:
    """Wait until the worker has run every task announced so far, and the tasks those queued.

    The server announces after commit and before it answers the CALL, so once a CALLRESULT is in,
    its tasks are on the queue.
    """
    eventually(lambda: worker_is_idle() and worker_is_idle(), "the worker went idle")


@pytest.fixture
def pipeline(live_server_process, celery_worker_process):
    yield live_server_process
    # The worker must be done with this test's tasks before the database is flushed under it.
    settle()


def charger_on(site, name: str, vendor: str = "Acme Charging") -> Charger:
    return Charger.objects.create(charge_point_id=name, site=site, vendor=vendor, model="AC22")


def connect(server, charger: Charger, version: str = "ocpp1.6") -> TestCharger:
    return TestCharger.connect(server, charger.charge_point_id, subprotocols=(version,))


def status(
    cp: TestCharger, connector: int, state: str, error: str = "NoError", when: str | None = None, **extra
):
    cp.result(
        "StatusNotification",
        {"connectorId": connector, "status": state, "errorCode": error, "timestamp": when or utc(), **extra},
    )


def test_a_fault_at_boot_replaced_by_available_is_a_boot_transient_phantom(pipeline, site):
    charger = charger_on(site, "E2E-BOOT")
    with connect(pipeline, charger) as cp:
        cp.result("BootNotification", {"chargePointVendor": "Acme Charging", "chargePointModel": "AC22"})
        status(cp, 1, "Faulted", "InternalError", utc(0))
        status(cp, 1, "Available", when=utc(-0.5))
    settle()
    [episode] = FaultEpisode.objects.filter(charger=charger, kind="fault")
    assert episode.is_phantom and episode.phantom_reason == "boot_transient"
    assert "boot_at" in episode.phantom_evidence


def test_a_fan_advisory_while_meter_values_keep_rising_is_a_phantom(pipeline, site):
    charger = charger_on(site, "E2E-FAN")
    with connect(pipeline, charger) as cp:
        started = cp.result(
            "StartTransaction",
            {"connectorId": 1, "idTag": "CARD-1", "meterStart": 1000, "timestamp": utc(400)},
        )
        status(cp, 1, "Charging", when=utc(399))
        status(
            cp, 1, "Faulted", "OtherError", utc(300), vendorErrorCode="FAN_LOW", info="Cooling fan speed low"
        )
        cp.result(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": started["transactionId"],
                "meterValue": [
                    {
                        "timestamp": utc(seconds),
                        "sampledValue": [
                            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                        ],
                    }
                    for seconds, wh in [(290, 2000), (200, 2600), (100, 3200)]
                ],
            },
        )
        episode = eventually(
            lambda: FaultEpisode.objects.filter(
                charger=charger, phantom_evidence__has_key="energy_delivered_wh"
            ).first(),
            "advisory proven by the meter",
        )
    assert episode.is_phantom and episode.phantom_reason == "advisory_while_charging"
    assert episode.phantom_evidence["energy_delivered_wh"] == 1200


def test_an_empty_fault_that_clears_quickly_is_a_phantom(pipeline, site):
    charger = charger_on(site, "E2E-EMPTY")
    with connect(pipeline, charger) as cp:
        status(cp, 1, "Faulted", "NoError", utc(30))
        status(cp, 1, "Available", when=utc(10))
    settle()
    [episode] = FaultEpisode.objects.filter(charger=charger, kind="fault")
    assert (episode.is_phantom, episode.phantom_reason) == (True, "empty_fault")


def test_a_ground_failure_matching_a_quirk_rule_is_still_a_real_fault(pipeline, site):
    # A broad rule (no code named, so it was accepted) that would match anything from this vendor.
    PhantomRule.objects.create(name="Acme sends noise", vendor="Acme*", max_duration_seconds=600)
    charger = charger_on(site, "E2E-GROUND")
    with connect(pipeline, charger) as cp:
        cp.result("BootNotification", {"chargePointVendor": "Acme Charging", "chargePointModel": "AC22"})
        status(cp, 1, "Faulted", "GroundFailure", utc(0))
        status(cp, 1, "Available", when=utc(-1))
    settle()
    [episode] = FaultEpisode.objects.filter(charger=charger, kind="fault")
    assert episode.category == "ground_fault" and episode.is_safety
    assert not episode.is_phantom
    assert episode.phantom_evidence["kept_because"] == "safety fault"


def test_e_stops_in_several_vendors_phrasings_on_connector_zero_and_a_port(pipeline, site):
    charger = charger_on(site, "E2E-ESTOP")
    with connect(pipeline, charger) as cp:
        status(cp, 0, "Faulted", "OtherError", utc(300), vendorErrorCode="F400: EMERGENCY_STOP_BUTTON_1")
        status(cp, 0, "Available", when=utc(290))
        status(cp, 0, "Faulted", "OtherError", utc(200), vendorId="com.evgo.mrec", vendorErrorCode="A004")
        status(cp, 1, "Faulted", "OtherError", utc(100), info="[42300]Emergency stop button pressed")
    settle()
    episodes = list(FaultEpisode.objects.filter(charger=charger, kind="fault").order_by("opened_at"))
    assert [e.connector.connector_id for e in episodes] == [0, 0, 1]
    assert {(e.category, e.responsible) for e in episodes} == {("emergency_stop", "site_staff")}


def test_a_201_notify_event_raise_and_clear_pair_is_one_episode(pipeline, site):
    charger = charger_on(site, "E2E-201")
    component = {"name": "ChargingStation"}
    event = {
        "trigger": "Alerting",
        "eventNotificationType": "HardWiredNotification",
        "variable": {"name": "Problem"},
    }
    with connect(pipeline, charger, "ocpp2.0.1") as cp:
        for event_id, value, cleared, seconds in [(7, "true", False, 120), (8, "false", True, 30)]:
            cp.result(
                "NotifyEvent",
                {
                    "generatedAt": utc(seconds),
                    "seqNo": 0,
                    "eventData": [
                        {
                            **event,
                            "eventId": event_id,
                            "timestamp": utc(seconds),
                            "actualValue": value,
                            "cleared": cleared,
                            "techCode": "X17" if value == "true" else None,
                            "component": component,
                        }
                    ],
                }
                if value == "true"
                else {
                    "generatedAt": utc(seconds),
                    "seqNo": 1,
                    "eventData": [
                        {
                            **event,
                            "eventId": event_id,
                            "timestamp": utc(seconds),
                            "actualValue": value,
                            "cleared": cleared,
                            "component": component,
                        }
                    ],
                },
            )
    settle()
    [episode] = FaultEpisode.objects.filter(charger=charger, kind="fault")
    raised, clear = DeviceEvent.objects.filter(charger=charger).order_by("event_id")
    assert (episode.opened_at, episode.closed_at) == (raised.event_at, clear.event_at)
    assert episode.vendor_error_code == "X17"


def test_statuses_queued_offline_and_delivered_late_land_at_their_true_times(pipeline, site):
    charger = charger_on(site, "E2E-LATE")
    with connect(pipeline, charger) as cp:
        status(cp, 1, "Available", when=utc(0))  # the current status first, after reconnecting
        status(cp, 1, "Faulted", "InternalError", utc(900))  # then what it queued while offline
        status(cp, 1, "Available", when=utc(600))
    settle()
    faulted = StatusReport.objects.get(charger=charger, status="Faulted")
    recovered = StatusReport.objects.filter(charger=charger, status="Available").order_by("event_at").first()
    [episode] = FaultEpisode.objects.filter(charger=charger, kind="fault")
    assert (episode.opened_at, episode.closed_at) == (faulted.event_at, recovered.event_at)
    assert (datetime.now(episode.opened_at.tzinfo) - episode.opened_at).total_seconds() > 850


def test_three_ports_of_one_site_faulting_together_make_one_site_incident(pipeline, site):
    chargers = [charger_on(site, f"E2E-SITE-{n}") for n in range(3)]
    for number, charger in enumerate(chargers):
        with connect(pipeline, charger) as cp:
            status(cp, 1, "Faulted", "UnderVoltage", utc(60 - number * 10))
    settle()
    faults = FaultEpisode.objects.filter(charger__site=site, kind="fault")
    assert faults.count() == 3
    [incident] = {episode.incident for episode in faults}
    assert SiteIncident.objects.count() == 1
    assert incident.cause == "supply"


def test_an_alert_is_sent_once_after_the_delay_and_never_for_a_phantom(pipeline, site, settings):
    receiver = Receiver()
    try:
        AlertContact.objects.create(site=site, name="On call", webhook_url=receiver.url)
        charger = charger_on(site, "E2E-ALERT")
        delay = settings.FAULTS_ALERT_DELAY_SECONDS
        with connect(pipeline, charger) as cp:
            # Port 1: a real fault open for longer than the delay.
            status(cp, 1, "Faulted", "InternalError", utc(delay + 300))
            # Port 2: a "fault" while a session keeps charging: a phantom, open just as long.
            cp.result(
                "StartTransaction",
                {"connectorId": 2, "idTag": "CARD-2", "meterStart": 0, "timestamp": utc(delay + 600)},
            )
            status(cp, 2, "Faulted", "OtherError", utc(delay + 300), info="Fan advisory")
            # Port 3: a real fault that opened just now: not due yet.
            status(cp, 3, "Faulted", "InternalError", utc(0))
        # Connections are closed while the worker runs: they stay short, as a charger's requests do.
        settle()
        current_app.send_task("faults.send_due_alerts")
        settle()
        assert AlertDelivery.objects.filter(state=DeliveryState.SENT).count() == 1
        # A second sweep pages nobody again; a fault that became due meanwhile does page.
        with connect(pipeline, charger) as cp:
            status(cp, 4, "Faulted", "InternalError", utc(delay + 60))
        settle()
        current_app.send_task("faults.send_due_alerts")
        settle()
        pages = [json.loads(body) for _, body in receiver.requests]
        assert sorted(page["connector_id"] for page in pages) == [1, 4]
        assert all(page["event"] == "fault.open" for page in pages)
        assert FaultEpisode.objects.get(charger=charger, connector__connector_id=2).is_phantom
    finally:
        receiver.close()
