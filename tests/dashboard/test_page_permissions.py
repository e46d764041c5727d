"""Roles are enforced in the views: a missing right is a 403, not just a hidden link."""

import pytest
from django.urls import reverse

from chargers.models import Command
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_every_dashboard_page_needs_a_login(client):
    episode = open_episode()
    charger = episode.charger
    for url in [
        reverse("faults:board"),
        reverse("faults:detail", args=[episode.pk]),
        reverse("faults:charger", args=[charger.charge_point_id]),
        reverse("chargers:messages", args=[charger.charge_point_id]),
        reverse("faults:sites"),
        reverse("faults:site", args=[charger.site.pk]),
        reverse("faults:my_work"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_a_technician_cannot_send_remote_actions(client, technician):
    client.force_login(technician)
    charger = ChargerFactory()
    response = client.post(
        reverse("chargers:remote_action", args=[charger.charge_point_id]), {"action": "reset_hard"}
    )
    assert response.status_code == 403
    assert not Command.objects.exists()


def test_remote_actions_are_post_only(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    url = reverse("chargers:remote_action", args=[charger.charge_point_id])
    assert client.get(url, {"action": "reset_hard"}).status_code == 405
    assert not Command.objects.exists()


def test_an_operator_cannot_start_a_playbook_run(client, operator):
    client.force_login(operator)
    episode = open_episode()
    assert client.post(reverse("faults:start_run", args=[episode.pk])).status_code == 403
    assert not episode.playbook_runs.exists()


def test_a_user_without_a_role_sees_no_pages(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("drifter", password="a-long-password-2"))
    site = SiteFactory()
    for url in [reverse("faults:board"), reverse("faults:sites"), reverse("faults:site", args=[site.pk])]:
        assert client.get(url).status_code == 403, url


def test_forms_are_protected_against_cross_site_requests(operator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    charger = ChargerFactory()
    response = client.post(
        reverse("chargers:remote_action", args=[charger.charge_point_id]), {"action": "reset_soft"}
    )
    assert response.status_code == 403
    assert not Command.objects.exists()


def test_the_navigation_offers_admin_pages_only_to_knowledge_base_admins(client, technician, kb_admin):
    client.force_login(technician)
    nav = client.get(reverse("faults:board")).content.decode().split("</nav>")[0]
    assert "Manuals" not in nav and "Phantom rules" not in nav
    client.force_login(kb_admin)
    nav = client.get(reverse("faults:board")).content.decode().split("</nav>")[0]
    assert reverse("knowledgebase:manuals") in nav
    assert reverse("knowledgebase:unknown_codes") in nav
    assert reverse("faults:phantom_rules") in nav


def test_a_technician_cannot_use_the_admin_pages_behind_the_links(client, technician):
    client.force_login(technician)
    for url in [reverse("knowledgebase:upload"), reverse("faults:phantom_rule_new")]:
        response = client.post(url, {})
        assert response.status_code == 403, url
