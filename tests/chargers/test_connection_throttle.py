"""The connection throttle on Redis counts the attempts of a storm together, and counts each once."""

import asyncio
import uuid

import pytest
import redis.asyncio.client

from chargers.access import ConnectionThrottle


@pytest.fixture
def round_trips(monkeypatch):
    """How many pipelines the throttle sent to Redis."""
    sent = []
    execute = redis.asyncio.client.Pipeline.execute

    async def counted(self, *args, **kwargs):
        sent.append(len(self))
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.asyncio.client.Pipeline, "execute", counted)
    return sent


def _charger() -> str:
    return f"CP-{uuid.uuid4().hex[:10]}"


async def test_a_storm_of_attempts_is_counted_in_a_few_round_trips(round_trips):
    throttle = ConnectionThrottle()
    chargers = [_charger() for _ in range(2000)]

    counts = await asyncio.gather(*(throttle.attempt(charger) for charger in chargers))

    assert counts == [1] * 2000
    assert sum(round_trips) == 2 * 2000  # an INCR and an EXPIRE each, nothing lost or doubled
    assert len(round_trips) <= 4  # the first attempt alone, then the rest together (≤ 1,000 each)

    again = await asyncio.gather(*(throttle.attempt(charger) for charger in chargers))
    assert again == [2] * 2000


async def test_attempts_of_one_charger_counted_together_get_each_their_own_count():
    throttle = ConnectionThrottle()
    charger = _charger()

    counts = await asyncio.gather(*(throttle.attempt(charger) for _ in range(300)))

    assert sorted(counts) == list(range(1, 301))


async def test_an_attempt_made_as_soon_as_the_previous_count_returned_is_still_counted():
    # The one waking from a count queues its next attempt before the counter has finished its step.
    throttle = ConnectionThrottle()
    charger = _charger()
    counts = []

    async def reconnecting():
        for _ in range(5):
            counts.append(await throttle.attempt(charger))

    await asyncio.wait_for(asyncio.gather(reconnecting(), reconnecting()), timeout=10)

    assert sorted(counts) == list(range(1, 11))


async def test_an_attempt_given_up_while_counted_does_not_disturb_the_others():
    throttle = ConnectionThrottle()
    chargers = [_charger() for _ in range(50)]
    attempts = [asyncio.ensure_future(throttle.attempt(charger)) for charger in chargers]
    attempts[10].cancel()  # its socket closed while the count was on its way

    done = await asyncio.gather(*attempts, return_exceptions=True)

    assert isinstance(done[10], asyncio.CancelledError)
    assert [count for index, count in enumerate(done) if index != 10] == [1] * 49
    assert await throttle.attempt(chargers[10]) in (1, 2)  # counted or not, never stuck


async def test_without_redis_reachable_it_counts_in_this_process(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    throttle = ConnectionThrottle()
    charger = _charger()

    counts = await asyncio.gather(*(throttle.attempt(charger) for _ in range(3)))

    assert sorted(counts) == [1, 2, 3]
    assert "Connection throttle unavailable" in caplog.text
