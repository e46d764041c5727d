"""Live updates of episodes: the board row re-rendered and pushed to browsers after commit."""

import importlib
import logging

from django.db import transaction
from django.template.loader import render_to_string

from faults.models import FaultEpisode

log = logging.getLogger(__name__)

BOARD_ROW_TEMPLATE = "faults/_board_row.html"


def episode_event(episode: FaultEpisode) -> dict:
    """The `episode.changed` event of the live contract, with the board row's HTML."""
    return {
        "event": "episode.changed",
        "episode_id": episode.pk,
        "charge_point_id": episode.charger.charge_point_id,
        "open": episode.is_open,
        "is_phantom": episode.is_phantom,
        "responsible": episode.responsible,
        "html": render_to_string(BOARD_ROW_TEMPLATE, {"episode": episode}),
    }


def _publish_now(episode_id: int) -> None:
    try:
        live = importlib.import_module("chargers.live")
    except ImportError:
        return  # the live push is not wired in this build; the pages still show the truth on load
    episode = FaultEpisode.objects.select_related("charger__site", "connector").filter(pk=episode_id).first()
    if episode is None:
        return
    try:
        live.publish(
            [live.DASHBOARD_GROUP, live.charger_group(episode.charger.charge_point_id)],
            episode_event(episode),
        )
    except Exception:
        # The channel layer is a signal, not storage: a lost push must not undo a committed change.
        log.exception("could not push episode %s to live pages", episode_id)


def publish_episode_changed(episode: FaultEpisode) -> None:
    """Push the episode's new state to browsers once the current transaction commits."""
    episode_id = episode.pk
    transaction.on_commit(lambda: _publish_now(episode_id))
