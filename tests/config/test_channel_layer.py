"""The Redis channel layer keeps a message that arrived for one consumer while another consumer of
the same process, the one popping for all of them, was being cancelled (config/channel_layer.py)."""

import asyncio
import time
import uuid

import pytest
import redis
from django.conf import settings

from config.channel_layer import RedisChannelLayer


async def _until_a_client_is_blocked_popping(client: redis.Redis, deadline: float = 10) -> None:
    ends = time.monotonic() + deadline
    while not any(c.get("cmd") == "bzpopmin" and "b" in c.get("flags", "") for c in client.client_list()):
        assert time.monotonic() < ends, "the receive never reached Redis"
        await asyncio.sleep(0.01)  # Redis has no event to await for a client starting to block


@pytest.fixture
def layer():
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix=f"test-{uuid.uuid4().hex[:12]}")
    yield layer
    asyncio.run(layer.flush())


async def test_a_message_popped_for_another_consumer_survives_the_popping_consumer_being_cancelled(layer):
    client = redis.Redis.from_url(settings.REDIS_URL)
    leaving, staying = await layer.new_channel(), await layer.new_channel()
    leaving_receive = asyncio.ensure_future(layer.receive(leaving))
    await _until_a_client_is_blocked_popping(client)
    staying_receive = asyncio.ensure_future(layer.receive(staying))

    # Queued the way layer.send() queues it, but from a blocking client: when zadd returns, Redis
    # has already handed the message to the blocked pop, and the event loop has not yet read it.
    message = layer.serialize({"type": "live.event", "event": "offline", "__asgi_channel__": staying})
    client.zadd(layer.prefix + layer.non_local_name(staying), {message: time.time()})
    leaving_receive.cancel()  # the charger that held the pop disconnected

    received = await asyncio.wait_for(staying_receive, timeout=10)
    assert received == {"type": "live.event", "event": "offline"}
    with pytest.raises(asyncio.CancelledError):
        await leaving_receive
    await layer.close_pools()
