"""The consumers inside this process through WebsocketCommunicator and the whole routed application
(quicker to probe than a server process; the end-to-end files cover the real server)."""

import base64
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chargers.models import Charger, OcppMessage
from config.asgi import application
from tests.chargers.conftest import CHARGER_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings):
    # Each in-process test runs on its own event loop; a Redis channel layer's blocking reads would
    # outlive that loop and stall its teardown. The Redis layer is covered by the end-to-end files.
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def basic(charge_point_id: str, password: str) -> tuple[bytes, bytes]:
    return (b"authorization", b"Basic " + base64.b64encode(f"{charge_point_id}:{password}".encode()))


@database_sync_to_async
def register(charge_point_id: str) -> Charger:
    charger = Charger(charge_point_id=charge_point_id)
    charger.set_password(CHARGER_PASSWORD)
    charger.save()
    return charger


async def test_a_boot_round_trip_through_the_routed_application():
    charger = await register("CP-INPROC")
    communicator = WebsocketCommunicator(
        application,
        "/ocpp/CP-INPROC",
        subprotocols=["ocpp1.6"],
        headers=[basic("CP-INPROC", CHARGER_PASSWORD)],
    )
    connected, subprotocol = await communicator.connect(timeout=10)
    assert (connected, subprotocol) == (True, "ocpp1.6")
    await communicator.send_to(
        text_data=json.dumps(
            [2, "b-1", "BootNotification", {"chargePointVendor": "X", "chargePointModel": "Y"}]
        )
    )
    answer = json.loads(await communicator.receive_from(timeout=10))
    assert answer[:2] == [3, "b-1"] and answer[2]["status"] == "Accepted"
    await communicator.send_to(text_data="[2, ")
    assert json.loads(await communicator.receive_from(timeout=10))[:3] == [4, "-1", "FormationViolation"]
    await communicator.disconnect(timeout=10)
    assert await database_sync_to_async(OcppMessage.objects.filter(charger=charger).count)() == 4


async def test_a_wrong_password_is_refused_before_accept():
    await register("CP-INPROC-2")
    communicator = WebsocketCommunicator(
        application, "/ocpp/CP-INPROC-2", subprotocols=["ocpp1.6"], headers=[basic("CP-INPROC-2", "wrong")]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected is False


async def test_the_live_feed_refuses_anonymous_browsers():
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await communicator.connect(timeout=10)
    assert connected is False


async def test_live_events_published_together_reach_a_browser_one_message_each(operator):
    from channels.layers import get_channel_layer

    from chargers import live
    from chargers.consumers import LiveConsumer

    browser = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    browser.scope["user"] = operator
    connected, _ = await browser.connect()
    assert connected
    first = {"event": "connector.status", "charge_point_id": "CP-1", "status": "Faulted"}
    second = {"event": "connector.status", "charge_point_id": "CP-2", "status": "Available"}
    # What the sender does with everything queued at once: one channel-layer message per group.
    layer = get_channel_layer()
    observer = await layer.new_channel()
    await layer.group_add(live.DASHBOARD_GROUP, observer)

    await live._send_batches({live.DASHBOARD_GROUP: [first, second]})

    assert (await layer.receive(observer)) == {"type": "live.events", "events": [first, second]}
    assert await browser.receive_json_from(timeout=5) == first
    assert await browser.receive_json_from(timeout=5) == second
    await browser.disconnect()
