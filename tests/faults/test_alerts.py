"""Alerts: once per actionable episode after the delay, never for a phantom or a quick clear,
signed webhooks that retry, and a recovery message."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from celery import current_app
from django.core import mail

from faults import tasks
from faults.models import AlertContact, AlertDelivery, DeliveryState, FaultEpisode
from tests.faults.conftest import at, committed, port, report


class Receiver:
    """A real HTTP endpoint on loopback that records what it receives and answers `status`."""

    def __init__(self, status=204):
        self.status = status
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def contact(site, receiver):
    return AlertContact.objects.create(
        site=site, name="Site manager", email="manager@example.com", webhook_url=receiver.url
    )


@pytest.fixture(autouse=True)
def ten_minute_delay(settings):
    settings.FAULTS_ALERT_DELAY_SECONDS = 600


def sweep(when):
    with time_machine.travel(when, tick=False):
        return committed(tasks.send_due_alerts)


def test_a_fault_open_past_the_delay_alerts_once_by_email_and_signed_webhook(
    charger, knowledge, contact, receiver
):
    report(port(charger, 1), "Faulted", at(0), "GroundFailure")
    assert sweep(at(599)) == 0
    assert sweep(at(601)) == 1
    assert sweep(at(900)) == 0  # once per episode

    [message] = mail.outbox
    assert message.to == ["manager@example.com"]
    assert "CP-7" in message.subject and "ground-fault protection tripped" in message.body
    [(headers, body)] = receiver.requests
    expected = "sha256=" + hmac.new(contact.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Faultline-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "fault.open" and payload["charge_point_id"] == "CP-7"
    assert payload["url"].endswith(f"/{FaultEpisode.objects.get().pk}/")
    assert set(AlertDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_fault_that_clears_within_the_delay_never_alerts(charger, knowledge, contact, receiver):
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    report(port(charger, 1), "Available", at(300))
    assert sweep(at(1200)) == 0
    assert mail.outbox == [] and receiver.requests == []


def test_a_phantom_never_alerts(charger, knowledge, contact, receiver):
    from tests.faults.conftest import session

    session(port(charger, 1), at(-60))
    report(port(charger, 1), "Faulted", at(0), "OtherError", info="Cooling fan advisory")
    assert sweep(at(1200)) == 0
    assert FaultEpisode.objects.get().is_phantom
    assert mail.outbox == [] and receiver.requests == []


def test_closing_an_alerted_fault_sends_one_recovery_message(charger, knowledge, contact, receiver):
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    sweep(at(700))
    with time_machine.travel(at(900), tick=False):
        report(port(charger, 1), "Available", at(900))
        report(port(charger, 1), "Available", at(950))

    assert [m.subject.split(":")[0] for m in mail.outbox] == ["[Faultline] CP-7 #1", "[Faultline] Recovered"]
    assert [json.loads(body)["event"] for _, body in receiver.requests] == ["fault.open", "fault.recovered"]


def test_a_failing_webhook_retries_with_backoff_and_does_not_hold_up_the_email(
    charger, knowledge, contact, receiver, settings
):
    receiver.status = 500
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    # In-process Celery runs each retry at once instead of after its countdown, and hands the
    # final Retry to the caller, as a worker would log it; the sweep itself must not fail.
    current_app.conf.task_eager_propagates = False
    sweep(at(700))

    webhook = AlertDelivery.objects.get(channel="webhook")
    assert webhook.state == DeliveryState.FAILED
    assert webhook.attempts == settings.FAULTS_WEBHOOK_MAX_RETRIES + 1
    assert webhook.last_error == "HTTP 500"
    assert AlertDelivery.objects.get(channel="email").state == DeliveryState.SENT
    assert len(mail.outbox) == 1


def test_an_operator_adds_an_alert_contact_through_the_api_and_gets_its_signing_secret(
    api_client, operator, site
):
    api_client.force_authenticate(operator)
    response = api_client.post(
        "/api/v1/alert-contacts/",
        {"site": "Depot North", "name": "Night shift", "webhook_url": "https://hooks.example.org/fl"},
        format="json",
    )
    assert response.status_code == 201, response.content
    contact = AlertContact.objects.get()
    assert response.json()["webhook_secret"] == contact.webhook_secret and len(contact.webhook_secret) >= 32


def test_a_contact_with_neither_email_nor_webhook_is_refused(api_client, operator, site):
    api_client.force_authenticate(operator)
    response = api_client.post(
        "/api/v1/alert-contacts/", {"site": "Depot North", "name": "Nobody"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in str(response.json())
    assert not AlertContact.objects.exists()


def test_a_technician_cannot_change_who_gets_alerts(api_client, technician, site):
    api_client.force_authenticate(technician)
    response = api_client.post(
        "/api/v1/alert-contacts/",
        {"site": "Depot North", "name": "X", "email": "x@example.com"},
        format="json",
    )
    assert response.status_code == 403
