"""The site page: a tile per port, the site's incidents and open episodes, the site summary."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from faults.models import IncidentCause, SiteIncident
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


def site_page(client, site):
    response = client.get(reverse("faults:site", args=[site.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_port_is_a_tile_and_a_faulted_one_stands_out(client, operator):
    client.force_login(operator)
    site = SiteFactory(name="Harbour")
    charger = ChargerFactory(site=site, charge_point_id="HB-1")
    ConnectorFactory(charger=charger, evse_id=2, status="Charging")
    open_episode(charger, evse_id=1)
    html = site_page(client, site)
    assert 'class="tile status-charging"' in html
    assert "status-faulted has-fault" in html
    assert "HB-1" in html


def test_site_incidents_and_open_episodes_are_listed(client, operator):
    client.force_login(operator)
    site = SiteFactory(name="Harbour")
    SiteIncident.objects.create(
        site=site,
        opened_at=timezone.now(),
        cause=IncidentCause.SUPPLY,
        explanation="Three ports lost power at once.",
    )
    episode = open_episode(ChargerFactory(site=site), meaning="Supply voltage out of range")
    html = site_page(client, site)
    assert "Power supply (utility or site electrics)" in html and "Three ports lost power at once." in html
    assert reverse("faults:detail", args=[episode.pk]) in html
    assert "Harbour: 1 of 1 chargers need attention." in html


def test_the_site_page_query_count_does_not_grow_with_chargers(client, operator):
    client.force_login(operator)
    site = SiteFactory()
    open_episode(ChargerFactory(site=site))
    with CaptureQueriesContext(connection) as few:
        site_page(client, site)
    for _ in range(8):
        charger = ChargerFactory(site=site)
        ConnectorFactory(charger=charger, evse_id=1)
        ConnectorFactory(charger=charger, evse_id=2)
    with CaptureQueriesContext(connection) as many:
        site_page(client, site)
    # The plain-language summary (faults/summary.py) reads per problem, not per charger.
    assert len(many) == len(few)


def test_the_site_list_counts_chargers_and_real_open_faults_in_constant_queries(client, operator):
    client.force_login(operator)
    site = SiteFactory(name="Harbour")
    charger = ChargerFactory(site=site)
    open_episode(charger)
    open_episode(charger, evse_id=2, is_phantom=True)
    ChargerFactory(site=site)
    with CaptureQueriesContext(connection) as few:
        html = client.get(reverse("faults:sites")).content.decode()
    assert f'id="site-{site.pk}-open">1<' in html
    for _ in range(5):
        open_episode(ChargerFactory(site=SiteFactory()))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("faults:sites"))
    assert len(many) == len(few)
