"""Which remote actions a page offers for a charger or a fault, the playbook's recommendations first."""

from chargers.models import Charger, Connector
from chargers.views import REMOTE_ACTIONS, keeps_local_list
from faults.models import FaultEpisode
from knowledgebase.vocabulary import Responsible

# Without a playbook, the remote operator's usual ladder: cheapest and least disruptive first.
DEFAULT_ORDER = [
    "trigger_status",
    "reset_soft",
    "reset_hard",
    "unlock",
    "make_operative",
    "make_inoperative",
    "resend_local_list",
]


# Words in a remote operator's playbook step that name a remote action, most specific first.
STEP_KEYWORDS = [
    ("hard reset", "reset_hard"),
    ("soft reset", "reset_soft"),
    ("reset", "reset_soft"),
    ("reboot", "reset_hard"),
    ("unlock", "unlock"),
    ("local list", "resend_local_list"),
    ("local authori", "resend_local_list"),
    ("trigger", "trigger_status"),
    ("status report", "trigger_status"),
    ("inoperative", "make_inoperative"),
    ("out of service", "make_inoperative"),
    ("operative", "make_operative"),
    ("availability", "make_operative"),
]


def playbook_of(episode: FaultEpisode | None):
    """The knowledge-base playbook the episode was classified with, steps prefetched (or None)."""
    if episode is None or not episode.playbook_id:
        return None
    from knowledgebase.models import Playbook

    return Playbook.objects.filter(pk=episode.playbook_id).prefetch_related("steps").first()


def recommended_action_keys(playbook) -> list[str]:
    """The remote actions the playbook's remote-operator steps name, in the playbook's order."""
    if playbook is None:
        return []
    keys: list[str] = []
    for step in playbook.steps.all():
        if step.role != Responsible.REMOTE_OPERATOR:
            continue
        text = f"{step.title} {step.instructions}".casefold()
        for words, key in STEP_KEYWORDS:
            if words in text:
                if key not in keys:
                    keys.append(key)
                break
    return keys


def quick_actions_for(
    charger: Charger,
    episode: FaultEpisode | None,
    port: Connector | None = None,
    *,
    only_per_port: bool = False,
    playbook=None,
):
    """Buttons for a page: each remote action with the port it targets and whether it is recommended."""
    recommended = recommended_action_keys(playbook)
    order = recommended + [key for key in DEFAULT_ORDER if key not in recommended]
    if port is None and episode is not None:
        port = episode.connector
    evse_id = port.evse_id if port is not None and not port.is_whole_charger else None
    connector_id = port.connector_id if port is not None and not port.is_whole_charger else None
    offered = []
    for key in order:
        action = REMOTE_ACTIONS[key]
        if only_per_port and not action.per_port:
            continue
        if key == "resend_local_list" and not keeps_local_list(charger):
            continue
        if action.per_port and evse_id is None:
            # Charger pages (and charger-level faults) offer per-port actions per port instead.
            continue
        offered.append(
            {
                "key": key,
                "label": action.label,
                "explanation": action.explanation,
                "evse_id": evse_id,
                "connector_id": connector_id,
                "recommended": key in recommended,
            }
        )
    return offered
