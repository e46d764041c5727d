"""Which remote actions a page offers for a charger or a fault, the playbook's recommendations first."""

from chargers.models import Charger, Connector
from chargers.views import REMOTE_ACTIONS
from faults.models import FaultEpisode

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


def recommended_action_keys(episode: FaultEpisode | None) -> list[str]:
    """The remote actions the episode's playbook names, in its order (empty without a playbook)."""
    if episode is None or not getattr(episode, "playbook_id", None):
        return []
    try:
        from knowledgebase.playbooks import remote_actions_of
    except ImportError:
        return []
    return [key for key in remote_actions_of(episode.playbook_id) if key in REMOTE_ACTIONS]


def quick_actions_for(
    charger: Charger,
    episode: FaultEpisode | None,
    port: Connector | None = None,
    *,
    only_per_port: bool = False,
):
    """Buttons for a page: each remote action with the port it targets and whether it is recommended."""
    recommended = recommended_action_keys(episode)
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
