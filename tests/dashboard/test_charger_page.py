"""The charger page: identity, ports, online state, episodes, and vendor text shown as text."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chargers.models import ConnectivityChange
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, ConnectorFactory

pytestmark = pytest.mark.django_db


def page(client, charger):
    response = client.get(reverse("faults:charger", args=[charger.charge_point_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_identity_ports_and_open_and_recent_episodes(client, operator):
    client.force_login(operator)
    charger = ChargerFactory(
        vendor="Alfen", model="Eve Double", serial_number="SN-42", firmware_version="6.1"
    )
    ConnectorFactory(charger=charger, evse_id=2, status="Charging")
    current = open_episode(charger, meaning="Emergency stop pressed")
    earlier = open_episode(charger, evse_id=2, meaning="Cable lock jammed")
    earlier.closed_at = timezone.now()
    earlier.save(update_fields=["closed_at"])
    html = page(client, charger)
    for text in ("Alfen", "Eve Double", "SN-42", "6.1", "Port #1", "Port #2", "Charging", "Faulted"):
        assert text in html
    open_part, recent_part = html.split("Recent episodes")
    assert "Emergency stop pressed" in open_part.split("Open episodes")[1]
    assert "Cable lock jammed" in recent_part
    assert reverse("faults:detail", args=[current.pk]) in html
    assert reverse("chargers:messages", args=[charger.charge_point_id]) in html


def test_a_charger_heard_from_recently_is_online_and_a_closed_socket_makes_it_offline(client, operator):
    client.force_login(operator)
    charger = ChargerFactory(last_seen_at=timezone.now() - timedelta(seconds=10))
    assert 'id="charger-online" data-online="1"' in page(client, charger)
    ConnectivityChange.objects.create(
        charger=charger, at=timezone.now(), online=False, reason="socket closed"
    )
    assert 'id="charger-online" data-online="0"' in page(client, charger)


def test_a_charger_silent_past_its_heartbeat_and_grace_is_offline(client, operator, settings):
    client.force_login(operator)
    settings.OCPP_HEARTBEAT_INTERVAL, settings.OCPP_OFFLINE_GRACE = 60, 30
    charger = ChargerFactory(last_seen_at=timezone.now() - timedelta(seconds=100))
    assert 'data-online="0"' in page(client, charger)


def test_markup_in_a_chargers_info_is_shown_as_text(client, operator):
    client.force_login(operator)
    charger = ChargerFactory(model="<img src=x onerror=alert(1)>")
    ConnectorFactory(charger=charger, evse_id=1, status="Faulted", info="<script>alert('pwned')</script>")
    html = page(client, charger)
    assert "<script>alert('pwned')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_only_operators_get_remote_action_buttons(client, operator, technician):
    charger = ChargerFactory()
    ConnectorFactory(charger=charger, evse_id=1)
    client.force_login(operator)
    assert 'name="action" value="reset_soft"' in page(client, charger)
    client.force_login(technician)
    assert 'name="action" value="reset_soft"' not in page(client, charger)


def test_an_unknown_charger_is_a_404(client, operator):
    client.force_login(operator)
    assert client.get(reverse("faults:charger", args=["NOPE"])).status_code == 404
