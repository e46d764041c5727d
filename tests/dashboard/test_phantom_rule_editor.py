"""The phantom-rule editor previews what a rule would have changed in the last 30 days before saving."""

import pytest
from django.urls import reverse

from faults.models import PhantomRule
from knowledgebase.vocabulary import Category, PhantomReason
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory

pytestmark = pytest.mark.django_db

FAN_RULE = {
    "name": "Acme fan advisory",
    "enabled": "on",
    "vendor": "Acme*",
    "model": "",
    "firmware": "",
    "status": "Faulted",
    "error_code": "OtherError",
    "vendor_error_code": "W1*",
    "info_pattern": "",
    "max_duration_seconds": "",
    "context": "any",
    "note": "Firmware 2 reports its fan warning as a fault.",
}


def post(client, data, pk=None):
    url = reverse("faults:phantom_rule", args=[pk]) if pk else reverse("faults:phantom_rule_new")
    return client.post(url, data)


def test_the_preview_counts_what_the_rule_would_hide_without_saving_anything(client, kb_admin):
    client.force_login(kb_admin)
    acme = ChargerFactory(vendor="Acme Charging")
    hidden = open_episode(acme, vendor_error_code="W117", category=Category.TEMPERATURE)
    open_episode(acme, vendor_error_code="E500")  # another code
    open_episode(ChargerFactory(vendor="Other"), vendor_error_code="W117")  # another make
    open_episode(acme, vendor_error_code="W117", minutes_ago=60 * 24 * 40)  # older than 30 days
    response = post(client, {**FAN_RULE, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<strong data-count="phantom">1</strong>' in html
    assert reverse("faults:detail", args=[hidden.pk]) in html
    assert not PhantomRule.objects.exists()
    hidden.refresh_from_db()
    assert hidden.is_phantom is False


def test_a_safety_fault_the_rule_matches_is_shown_as_kept(client, kb_admin):
    client.force_login(kb_admin)
    acme = ChargerFactory(vendor="Acme Charging")
    open_episode(acme, vendor_error_code="W17", category=Category.GROUND_FAULT, is_safety=True)
    html = post(client, {**FAN_RULE, "preview": "1"}).content.decode()
    assert '<strong data-count="kept_safety">1</strong>' in html
    assert '<strong data-count="phantom">0</strong>' in html


def test_editing_a_rule_shows_the_phantoms_it_would_give_back(client, kb_admin):
    client.force_login(kb_admin)
    rule = PhantomRule.objects.create(name="old", vendor="Acme*", vendor_error_code="W1*")
    episode = open_episode(
        ChargerFactory(vendor="Acme Charging"),
        vendor_error_code="W117",
        is_phantom=True,
        phantom_reason=PhantomReason.MODEL_QUIRK,
        phantom_evidence={"rule_id": rule.pk},
    )
    html = post(client, {**FAN_RULE, "vendor_error_code": "W9*", "preview": "1"}, pk=rule.pk).content.decode()
    assert '<strong data-count="real_again">1</strong>' in html
    assert reverse("faults:detail", args=[episode.pk]) in html


def test_saving_stores_the_rule(client, kb_admin):
    client.force_login(kb_admin)
    response = post(client, {**FAN_RULE, "save": "1"})
    assert response["Location"] == reverse("faults:phantom_rules")
    assert PhantomRule.objects.get().vendor_error_code == "W1*"


def test_a_rule_that_would_hide_a_safety_trip_is_refused_when_saved(client, kb_admin):
    client.force_login(kb_admin)
    response = post(client, {**FAN_RULE, "error_code": "GroundFailure", "save": "1"})
    assert response.status_code == 200
    assert "safety trip" in response.content.decode()
    assert not PhantomRule.objects.exists()


def test_operators_and_technicians_may_look_but_not_save(client, operator, technician):
    for person in (operator, technician):
        client.force_login(person)
        assert client.get(reverse("faults:phantom_rules")).status_code == 200
        assert post(client, {**FAN_RULE, "save": "1"}).status_code == 403
    assert not PhantomRule.objects.exists()
