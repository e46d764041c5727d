"""The fault page: reports, translation and why, playbook, history, phantom evidence, remote actions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from chargers.models import (
    Command,
    CommandStatus,
    Direction,
    LocalAuthorization,
    MessageType,
    OcppMessage,
    StatusReport,
)
from faults.models import EpisodeChange, EpisodeReport
from knowledgebase.models import Playbook, PlaybookStep
from knowledgebase.vocabulary import PhantomReason, Responsible
from tests.dashboard.helpers import open_episode

pytestmark = pytest.mark.django_db


def fault_page(client, episode):
    response = client.get(reverse("faults:detail", args=[episode.pk]))
    assert response.status_code == 200
    return response.content.decode()


def reset_ladder() -> Playbook:
    playbook = Playbook.objects.create(
        slug="remote-reset-ladder",
        name="Remote reset ladder",
        escalation="Call the vendor's service line.",
        escalation_responsible=Responsible.VENDOR_SERVICE,
    )
    PlaybookStep.objects.create(
        playbook=playbook,
        position=1,
        title="Hard reset the charger remotely",
        role=Responsible.REMOTE_OPERATOR,
    )
    PlaybookStep.objects.create(
        playbook=playbook,
        position=2,
        title="Power-cycle at the breaker",
        safety_note="Isolate the supply before opening the cabinet.",
        role=Responsible.ELECTRICIAN,
    )
    return playbook


def test_it_shows_the_translation_the_reason_it_matched_and_the_reports(client, operator):
    client.force_login(operator)
    episode = open_episode(
        match_reason="The manufacturer's manual lists 0x6012 for this model.", matched_by="model_firmware"
    )
    message = OcppMessage.objects.create(
        charger=episode.charger, direction=Direction.IN, message_type=MessageType.CALL, unique_id="f-1"
    )
    report = StatusReport.objects.create(
        charger=episode.charger,
        connector=episode.connector,
        status="Faulted",
        error_code="OtherError",
        vendor_error_code="0x6012",
        info="<b>DC module</b>",
        event_at=episode.opened_at,
        message=message,
    )
    EpisodeReport.objects.create(episode=episode, status_report=report, event_at=report.event_at)
    episode.open_report = report
    episode.save(update_fields=["open_report"])
    html = fault_page(client, episode)
    assert "abnormal voltage while idle" in html
    assert "The manufacturer&#x27;s manual lists 0x6012 for this model." in html
    assert "matched by an entry for this model and firmware" in html
    assert "&lt;b&gt;DC module&lt;/b&gt;" in html and "<b>DC module</b>" not in html
    assert (
        f"{reverse('chargers:messages', args=[episode.charger.charge_point_id])}?frame={message.pk}" in html
    )


def test_the_playbook_is_shown_with_its_safety_notes_and_its_remote_step_is_recommended_first(
    client, operator
):
    client.force_login(operator)
    episode = open_episode(playbook_id=reset_ladder().pk, playbook_name="Remote reset ladder")
    html = fault_page(client, episode)
    assert "Playbook: Remote reset ladder" in html
    assert "Isolate the supply before opening the cabinet." in html
    actions = html.split('class="quick-actions"')[1]
    first_action = actions.split('name="action" value="')[1].split('"')[0]
    assert first_action == "reset_hard"
    assert "recommended" in actions.split("</details>")[0]


def test_a_phantom_shows_its_reason_and_evidence(client, operator):
    client.force_login(operator)
    episode = open_episode(
        is_phantom=True,
        phantom_reason=PhantomReason.ADVISORY_WHILE_CHARGING,
        phantom_evidence={"energy_wh": [1200, 1850], "transaction": "42"},
    )
    html = fault_page(client, episode)
    assert "Why this is a phantom" in html
    assert "Advisory while charging" in html
    assert "&quot;energy_wh&quot;" in html


def test_the_history_lists_named_actions_and_remote_commands_with_who_did_them(client, operator):
    client.force_login(operator)
    episode = open_episode()
    EpisodeChange.objects.create(episode=episode, action="classified", detail={"matched_by": "model"})
    Command.objects.create(
        charger=episode.charger,
        action="Reset",
        payload={"type": "Soft"},
        requested_by=operator,
        status=CommandStatus.ANSWERED,
        response={"status": "Accepted"},
        context=f"fault:{episode.pk}",
        answered_at=timezone.now(),
    )
    html = fault_page(client, episode)
    history = html.split("Actions taken")[1]
    assert "classified" in history
    assert "Reset" in history and operator.username in history and "Accepted" in history


def test_a_remote_action_is_recorded_with_who_asked_and_the_outcome_is_shown(client, operator):
    client.force_login(operator)
    episode = open_episode()
    response = client.post(
        reverse("chargers:remote_action", args=[episode.charger.charge_point_id]),
        {
            "action": "reset_soft",
            "context": f"fault:{episode.pk}",
            "next": reverse("faults:detail", args=[episode.pk]),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("faults:detail", args=[episode.pk])
    command = Command.objects.get(charger=episode.charger)
    assert (command.action, command.payload, command.requested_by) == ("Reset", {"type": "Soft"}, operator)
    assert command.status == CommandStatus.NOT_CONNECTED
    assert "Soft reset on" in response.content.decode()
    assert "Charger not connected" in response.content.decode()


def test_a_remote_action_never_redirects_off_site(client, operator):
    client.force_login(operator)
    episode = open_episode()
    response = client.post(
        reverse("chargers:remote_action", args=[episode.charger.charge_point_id]),
        {"action": "reset_soft", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("faults:charger", args=[episode.charger.charge_point_id])


def test_an_unknown_remote_action_is_refused_and_nothing_is_sent(client, operator):
    client.force_login(operator)
    episode = open_episode()
    url = reverse("chargers:remote_action", args=[episode.charger.charge_point_id])
    assert client.post(url, {"action": "format_disk"}).status_code == 400
    assert not Command.objects.exists()


def test_re_sending_the_local_list_sends_the_sites_whole_list(client, operator):
    client.force_login(operator)
    episode = open_episode()
    site = episode.charger.site
    site.use_local_authorization_list = True
    site.save(update_fields=["use_local_authorization_list"])
    LocalAuthorization.objects.create(site=site, id_tag="CARD-1")
    LocalAuthorization.objects.create(site=site, id_tag="CARD-2", status="Blocked")
    assert 'value="resend_local_list"' in fault_page(client, episode)
    client.post(
        reverse("chargers:remote_action", args=[episode.charger.charge_point_id]),
        {"action": "resend_local_list"},
    )
    command = Command.objects.get()
    assert command.action == "SendLocalList" and command.payload["updateType"] == "Full"
    assert command.payload["localAuthorizationList"] == [
        {"idTag": "CARD-1", "idTagInfo": {"status": "Accepted"}},
        {"idTag": "CARD-2", "idTagInfo": {"status": "Blocked"}},
    ]


def test_a_site_without_a_local_list_is_never_sent_an_empty_one(client, operator):
    client.force_login(operator)
    episode = open_episode()
    assert 'value="resend_local_list"' not in fault_page(client, episode)
    response = client.post(
        reverse("chargers:remote_action", args=[episode.charger.charge_point_id]),
        {"action": "resend_local_list"},
        follow=True,
    )
    assert "keeps no local authorization list" in response.content.decode()
    assert not Command.objects.exists()
