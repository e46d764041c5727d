"""The fault page: what was reported, what it means, what to do, and what has been done."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render

from chargers.models import Command
from faults.models import FaultEpisode
from faults.views.actions import playbook_of, quick_actions_for


def command_context(episode: FaultEpisode) -> str:
    """How commands sent from a fault page are tagged, so its history can find them."""
    return f"fault:{episode.pk}"


@permission_required("faults.view_faultepisode", raise_exception=True)
def episode_detail(request, pk):
    """One episode: its reports, translation, playbook, history of actions and phantom evidence."""
    episode = get_object_or_404(
        FaultEpisode.objects.select_related(
            "charger__site",
            "connector",
            "open_report__message",
            "close_report__message",
            "open_event__message",
            "close_event__message",
        ),
        pk=pk,
    )
    reports = episode.reports.select_related("status_report__message", "device_event__message")
    commands = Command.objects.filter(
        charger=episode.charger, context=command_context(episode)
    ).select_related("requested_by")
    runs = episode.playbook_runs.select_related("started_by").prefetch_related("steps")
    can_send = request.user.has_perm("chargers.send_command")
    playbook = playbook_of(episode)
    open_frame = (
        (episode.open_report or episode.open_event)
        if (episode.open_report_id or episode.open_event_id)
        else None
    )
    close_frame = (
        (episode.close_report or episode.close_event)
        if (episode.close_report_id or episode.close_event_id)
        else None
    )
    context = {
        "episode": episode,
        "charger": episode.charger,
        "reports": reports,
        "commands": commands,
        "runs": runs,
        "open_message_id": getattr(open_frame, "message_id", None),
        "close_message_id": getattr(close_frame, "message_id", None),
        "quick_actions": quick_actions_for(episode.charger, episode, playbook=playbook) if can_send else [],
        "playbook": playbook,
        "changes": episode.changes.select_related("by"),
        "command_context": command_context(episode),
        "can_run_playbook": request.user.has_perm("faults.add_playbookrun"),
    }
    return render(request, "faults/episode.html", context)
