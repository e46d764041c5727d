"""Online state: any message is a sign of life; silence past heartbeat interval + grace (swept by the
periodic task) or a closed socket is offline; each transition is a row."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from chargers import connectivity
from chargers.models import Charger, ConnectivityChange
from chargers.tasks import sweep_silent_chargers
from tests.chargers.conftest import CHARGER_PASSWORD
from tests.chargers.ocpp_client import TestCharger
from tests.support.processes import CeleryWorker, LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

SHORT = {"OCPP_HEARTBEAT_INTERVAL": 1, "OCPP_OFFLINE_GRACE": 1}


@pytest.fixture(scope="module")
def impatient_server(django_db_setup, django_db_blocker):
    server = LiveServer(SHORT)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def impatient_worker(django_db_setup, django_db_blocker):
    worker = CeleryWorker(SHORT)
    yield worker
    worker.stop()


def transitions(charger):
    return list(ConnectivityChange.objects.filter(charger=charger).values_list("online", "reason"))


def test_a_silent_charger_is_swept_offline_and_comes_back_with_its_next_message(
    impatient_server, make_charger
):
    charger = make_charger("CP-QUIET")
    client = TestCharger.connect(impatient_server, "CP-QUIET", password=CHARGER_PASSWORD)
    assert (
        client.result("BootNotification", {"chargePointVendor": "A", "chargePointModel": "B"})["interval"]
        == 1
    )
    charger.refresh_from_db()
    heard = charger.last_seen_at

    with override_settings(**SHORT):
        assert connectivity.sweep_silent_chargers(now=heard + timedelta(seconds=1.5)) == 0  # within the limit
        # Real silence, so that the server's own clock agrees: sweep until the limit has passed.
        deadline = time.monotonic() + 10
        while connectivity.sweep_silent_chargers() == 0:
            assert time.monotonic() < deadline, "the silent charger was never swept offline"
            time.sleep(0.2)  # nothing to await: silence is the event
        assert connectivity.sweep_silent_chargers() == 0  # one row per transition
    offline = ConnectivityChange.objects.filter(charger=charger, online=False).get()
    assert offline.at == heard + timedelta(seconds=2)  # when it went quiet, not when the sweep noticed
    assert offline.reason.startswith("no traffic for")

    # The socket stayed open: the next message is a sign of life.
    client.result("Heartbeat", {})
    assert transitions(charger) == [
        (True, "socket opened"),
        (False, offline.reason),
        (True, "traffic resumed"),
    ]
    client.close_and_wait_until_released(charger)
    assert transitions(charger)[-1] == (False, "socket closed")


def test_the_periodic_task_in_a_real_worker_marks_a_silent_charger_offline(
    impatient_server, impatient_worker, make_charger
):
    from config.celery import app

    charger = make_charger("CP-SWEPT")
    client = TestCharger.connect(impatient_server, "CP-SWEPT", password=CHARGER_PASSWORD)
    client.result("Heartbeat", {})
    deadline = time.monotonic() + 20
    # What beat does every OCPP_OFFLINE_SWEEP_SECONDS, by the task's name.
    while not ConnectivityChange.objects.filter(charger=charger, online=False).exists():
        assert time.monotonic() < deadline, f"never swept offline:\n{impatient_worker.output()[-2000:]}"
        app.send_task("chargers.sweep_silent_chargers")
        time.sleep(0.5)  # nothing to await but silence and the worker's write
    assert transitions(charger)[-1][1].startswith("no traffic for")
    client.close_and_wait_until_released(charger)


def test_the_sweep_task_applies_each_chargers_own_interval(make_charger):
    quiet = make_charger("CP-LONG-SILENT", heartbeat_interval=60)
    chatty = make_charger("CP-RECENT", heartbeat_interval=600)
    now = timezone.now()
    for charger in (quiet, chatty):
        connectivity.connected(charger.pk, "", now - timedelta(seconds=300), "1.6")
    with override_settings(OCPP_HEARTBEAT_INTERVAL=60, OCPP_OFFLINE_GRACE=30):
        assert sweep_silent_chargers.apply().get() == 1
    assert transitions(quiet)[-1][0] is False
    assert transitions(chatty) == [(True, "socket opened")]


def test_the_api_reports_online_from_traffic_and_the_socket(api_client, operator, make_charger):
    charger = make_charger("CP-API")
    api_client.force_authenticate(operator)
    now = timezone.now()
    connectivity.connected(charger.pk, "specific.test!channel", now, "1.6")

    def online():
        listed = {
            row["charge_point_id"]: row["online"]
            for row in api_client.get("/api/v1/chargers/").json()["results"]
        }
        detail = api_client.get("/api/v1/chargers/CP-API/").json()["online"]
        assert listed["CP-API"] == detail
        return detail

    with override_settings(OCPP_HEARTBEAT_INTERVAL=60, OCPP_OFFLINE_GRACE=30):
        with time_machine.travel(now + timedelta(seconds=80), tick=False):
            assert online() is True
        with time_machine.travel(now + timedelta(seconds=100), tick=False):
            assert online() is False
        connectivity.disconnected(charger.pk, "specific.test!channel", now + timedelta(seconds=1))
        with time_machine.travel(now + timedelta(seconds=2), tick=False):
            assert online() is False  # socket closed: offline at once
    assert Charger.objects.get(pk=charger.pk).connection_channel == ""
