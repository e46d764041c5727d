"""Every change of an episode reaches live pages after commit, as the board's own row."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chargers.live import DASHBOARD_GROUP
from faults.models import FaultEpisode
from tests.faults.conftest import at, port, report


async def _listen(groups):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return layer, channel


async def _next(layer, channel, charge_point_id):
    # The dashboard group is shared by everything on this Redis database: skip other chargers.
    while True:
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        if message["event"].get("charge_point_id") == charge_point_id:
            return message


def test_opening_a_fault_pushes_its_board_row_to_live_pages(charger, knowledge):
    layer, dashboard = async_to_sync(_listen)([DASHBOARD_GROUP])

    report(port(charger, 1), "Faulted", at(0), "OtherError", info="<script>alert(1)</script> Emergency stop")

    episode = FaultEpisode.objects.get()
    message = async_to_sync(_next)(layer, dashboard, "CP-7")
    assert message["type"] == "live.event"
    event = message["event"]
    assert event["event"] == "episode.changed"
    assert (event["episode_id"], event["charge_point_id"], event["open"]) == (episode.pk, "CP-7", True)
    assert event["responsible"] == "site_staff"
    assert f'id="episode-{episode.pk}"' in event["html"]
    # Vendor free text is escaped in the pushed HTML.
    assert "<script>" not in event["html"] and "&lt;script&gt;" in event["html"]
