"""The admin: episodes are read-mostly and change only through the named actions."""

import pytest

from faults.models import FaultEpisode
from tests.conftest import PASSWORD
from tests.faults.conftest import at, port, report


@pytest.fixture
def admin_client(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.login(username="root", password=PASSWORD)
    return client


def test_the_episode_list_and_page_show_but_do_not_edit(admin_client, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "InternalError", info="<b>bold</b>")
    episode = FaultEpisode.objects.get()
    assert admin_client.get("/admin/faults/faultepisode/").status_code == 200
    page = admin_client.get(f"/admin/faults/faultepisode/{episode.pk}/change/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert 'name="category"' not in page  # read-only: no input for it


def test_an_admin_marks_a_quirk_phantom_and_back_through_the_actions(admin_client, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    episode = FaultEpisode.objects.get()
    changelist = "/admin/faults/faultepisode/"
    admin_client.post(changelist, {"action": "mark_as_model_quirk_phantom", "_selected_action": [episode.pk]})
    episode.refresh_from_db()
    assert (episode.is_phantom, episode.phantom_reason) == (True, "model_quirk")
    assert episode.phantom_evidence == {"decided_by": "root"}
    admin_client.post(changelist, {"action": "unmark_as_phantom", "_selected_action": [episode.pk]})
    episode.refresh_from_db()
    assert not episode.is_phantom
    assert [c.action for c in episode.changes.filter(by__username="root")] == [
        "marked_phantom",
        "unmarked_phantom",
    ]


def test_an_admin_cannot_mark_a_ground_fault_phantom(admin_client, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "GroundFailure")
    episode = FaultEpisode.objects.get()
    response = admin_client.post(
        "/admin/faults/faultepisode/",
        {"action": "mark_as_model_quirk_phantom", "_selected_action": [episode.pk]},
        follow=True,
    )
    assert "never phantom" in response.content.decode()
    episode.refresh_from_db()
    assert not episode.is_phantom
