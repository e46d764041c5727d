"""The operators' board: open episodes grouped by who must act, filters, phantoms hidden by default."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledgebase.vocabulary import Category, PhantomReason, Responsible, Severity
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, SiteFactory

pytestmark = pytest.mark.django_db


def board(client, **params):
    response = client.get(reverse("faults:board"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_open_episodes_are_grouped_by_who_must_act(client, operator):
    client.force_login(operator)
    remote = open_episode(responsible=Responsible.REMOTE_OPERATOR)
    electrician = open_episode(responsible=Responsible.ELECTRICIAN, category=Category.GROUND_FAULT)
    html = board(client)
    remote_group = html.split('id="group-remote_operator"')[1].split("</section>")[0]
    electrician_group = html.split('id="group-electrician"')[1].split("</section>")[0]
    assert f'id="episode-{remote.pk}"' in remote_group
    assert f'id="episode-{electrician.pk}"' in electrician_group
    assert f'id="episode-{electrician.pk}"' not in remote_group


def test_each_row_shows_charger_site_port_meaning_next_action_and_badges(client, operator):
    client.force_login(operator)
    episode = open_episode(severity=Severity.CRITICAL, category=Category.GROUND_FAULT)
    html = board(client)
    assert episode.charger.charge_point_id in html
    assert episode.charger.site.name in html
    assert "#1" in html
    assert "abnormal voltage while idle" in html
    assert "Reset the charger remotely" in html
    assert "Critical (safety)" in html and "Ground fault" in html


def test_closed_episodes_leave_the_board(client, operator):
    client.force_login(operator)
    from django.utils import timezone

    episode = open_episode()
    episode.closed_at = timezone.now()
    episode.save(update_fields=["closed_at"])
    assert f'id="episode-{episode.pk}"' not in board(client)


def test_phantoms_are_hidden_by_default_and_shown_in_the_raw_view(client, operator):
    client.force_login(operator)
    phantom = open_episode(is_phantom=True, phantom_reason=PhantomReason.BOOT_TRANSIENT)
    filtered = board(client)
    assert f'id="episode-{phantom.pk}"' not in filtered
    assert '<span id="hidden-phantoms">1</span> phantom fault hidden' in filtered
    raw = board(client, raw="on")
    assert f'id="episode-{phantom.pk}"' in raw
    assert "Phantom" in raw


def test_filters_narrow_the_board_by_site_make_category_responsible_age_and_charger_id(client, operator):
    client.force_login(operator)
    north, south = SiteFactory(name="North depot"), SiteFactory(name="South depot")
    a = open_episode(ChargerFactory(site=north, vendor="Alfen", charge_point_id="NORTH-1"), minutes_ago=5)
    b = open_episode(
        ChargerFactory(site=south, vendor="ABB", charge_point_id="SOUTH-9"),
        minutes_ago=60 * 30,
        category=Category.EMERGENCY_STOP,
        responsible=Responsible.SITE_STAFF,
    )

    def shown(**params):
        html = board(client, **params)
        return {e.pk for e in (a, b) if f'id="episode-{e.pk}"' in html}

    assert shown() == {a.pk, b.pk}
    assert shown(site=north.pk) == {a.pk}
    assert shown(make="ABB") == {b.pk}
    assert shown(category=Category.EMERGENCY_STOP) == {b.pk}
    assert shown(responsible=Responsible.REMOTE_OPERATOR) == {a.pk}
    assert shown(age="1d") == {b.pk}
    assert shown(q="north") == {a.pk}


def test_the_board_needs_the_right_to_view_faults(client, django_user_model):
    nobody = django_user_model.objects.create_user("no.role", password="x-very-long-password")
    client.force_login(nobody)
    assert client.get(reverse("faults:board")).status_code == 403


def test_the_number_of_queries_does_not_grow_with_the_rows(client, operator):
    client.force_login(operator)
    open_episode()
    with CaptureQueriesContext(connection) as few:
        board(client)
    for _ in range(15):
        open_episode(ChargerFactory(site=SiteFactory()), responsible=Responsible.SITE_STAFF)
    with CaptureQueriesContext(connection) as many:
        html = board(client)
    assert html.count('class="episode-row') == 16
    assert len(many) == len(few)


def test_vendor_markup_in_info_is_shown_as_text(client, operator):
    client.force_login(operator)
    open_episode(info='<script>alert("x")</script>', meaning="<b>bold</b>")
    html = board(client)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_long_board_shows_the_most_urgent_rows_and_counts_them_all(client, operator, monkeypatch):
    from faults.views import operators

    monkeypatch.setattr(operators, "BOARD_ROW_LIMIT", 3)
    client.force_login(operator)
    minor = [open_episode(severity=Severity.WARNING, minutes_ago=500 + i) for i in range(3)]
    critical = open_episode(severity=Severity.CRITICAL, category=Category.GROUND_FAULT, minutes_ago=1)
    html = board(client)
    assert html.count('class="episode-row') == 3
    assert f'id="episode-{critical.pk}"' in html
    assert f'id="episode-{minor[-1].pk}"' in html  # the oldest of the warnings
    assert f'id="episode-{minor[0].pk}"' not in html
    assert '<span id="board-total">4</span>' in html
    assert "showing the 3 most urgent" in html


def test_a_filter_that_makes_no_sense_is_reported(client, operator):
    client.force_login(operator)
    html = board(client, site="999999", age="forever")
    assert "The filters were not applied." in html
    assert "Select a valid choice" in html
