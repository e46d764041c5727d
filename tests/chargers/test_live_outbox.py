"""Embedded default (no Redis): a process other than the server leaves live events in a database
outbox, and the server relays them to its in-memory channel layer."""

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from chargers import live
from chargers.models import LiveOutbox

pytestmark = pytest.mark.django_db(transaction=True)

EMBEDDED = {
    "REDIS_URL": "",
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
}


@pytest.fixture
def worker_process(monkeypatch):
    monkeypatch.setattr(live, "_this_process_serves", False)
    monkeypatch.setattr(live, "_server_loop", None)


def test_a_worker_without_redis_writes_to_the_outbox(worker_process):
    with override_settings(**EMBEDDED):
        live.publish(
            [live.DASHBOARD_GROUP], {"event": "charger.online", "charge_point_id": "CP-1", "online": True}
        )
    row = LiveOutbox.objects.get()
    assert row.groups == ["dashboard"]
    assert row.event["charge_point_id"] == "CP-1"


def test_with_redis_nothing_goes_to_the_outbox(worker_process):
    live.publish(
        [live.DASHBOARD_GROUP], {"event": "charger.online", "charge_point_id": "CP-2", "online": False}
    )
    assert not LiveOutbox.objects.exists()


async def test_the_server_relays_the_outbox_to_its_channel_layer_and_empties_it(worker_process):
    from channels.db import database_sync_to_async

    with override_settings(**EMBEDDED):
        layer = get_channel_layer()
        browser = await layer.new_channel()
        await layer.group_add(live.DASHBOARD_GROUP, browser)
        event = {
            "event": "command.answered",
            "command_id": 3,
            "charge_point_id": "CP 3",
            "status": "answered",
        }
        await database_sync_to_async(live.publish)([live.DASHBOARD_GROUP], event)
        assert await live.relay_outbox_once() == 1
        assert await layer.receive(browser) == {"type": "live.event", "event": event}
        assert await live.relay_outbox_once() == 0
    assert not await database_sync_to_async(LiveOutbox.objects.exists)()
