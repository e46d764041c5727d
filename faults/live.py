"""Live updates of episodes: the board row re-rendered and pushed to browsers after commit."""

from django.db import transaction
from django.template.loader import render_to_string

from chargers import live
from faults.models import FaultEpisode

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


class _Push:
    """The on-commit callback that pushes one episode; comparable, so a transaction pushes it once."""

    def __init__(self, episode_id: int):
        self.episode_id = episode_id

    def __call__(self) -> None:
        # Rendered from the committed row, so that the pushed HTML is what a reload would show.
        episode = (
            FaultEpisode.objects.select_related("charger__site", "connector")
            .filter(pk=self.episode_id)
            .first()
        )
        if episode is None:
            return
        live.publish([live.DASHBOARD_GROUP], episode_event(episode))


def publish_episode_changed(episode: FaultEpisode) -> None:
    """Push the episode's new state to browsers once the current transaction commits.

    Several actions on one episode in one transaction (opened, report added, closed) push once:
    the page needs the final state, and each push costs a render and a round trip.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(callback, _Push) and callback.episode_id == episode.pk
        for _, callback, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_Push(episode.pk))
