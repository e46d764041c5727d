"""Live push to browsers through the channel layer: a signal for pages, never the record.

Every live socket belongs to one group, the dashboard's, and every event goes to it once. A page
that follows one charger is filtered in its own consumer (events name their charger): one send per
event and process whatever the fleet's size, where a group per charger cost a Redis round trip per
charger, most of them followed by nobody.

`publish()` must be called after commit. With Redis every process reaches every server node. On the
embedded default the in-memory layer lives inside the server process only, so other processes (the
Celery worker, management commands) leave events in a small database outbox that the server relays.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from chargers.protocol.group_commit import after_commit

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
OUTBOX_POLL_SECONDS = 1.0

_this_process_serves = False
_server_loop: asyncio.AbstractEventLoop | None = None
_relay_task: asyncio.Task | None = None


def _message(event: dict) -> dict:
    return {"type": "live.event", "event": event}


def _uses_outbox() -> bool:
    return not settings.REDIS_URL and not _this_process_serves


async def apublish(groups: list[str], event: dict) -> None:
    """`publish` for async callers (consumers)."""
    if _uses_outbox():
        await database_sync_to_async(_store_in_outbox)(groups, event)
        return
    await _send_to_groups(groups, event)


def publish(groups: list[str], event: dict) -> None:
    """Send `event` to each group. Call it after commit (see `publish_on_commit`)."""
    if _uses_outbox():
        _store_in_outbox(groups, event)
        return
    if _server_loop is not None and _server_loop.is_running() and _not_on(_server_loop):
        # In the server, from a database thread: queue the event for the loop's one sender and return
        # at once rather than hold the thread (and the next charger's frame) for the Redis round trip.
        _server_loop.call_soon_threadsafe(_enqueue, groups, event)
        return
    try:
        async_to_sync(_send_to_groups)(groups, event)
    except Exception:
        # A live page missing one update is not worth failing the write that already committed.
        logger.exception("Could not publish live event %s", event.get("event"))


def _not_on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is not loop
    except RuntimeError:
        return True


# One sender per server process keeps events in order and Redis connections few, however many
# chargers report at once. Bounded: live events are a signal, and a page reloads what it missed.
_outgoing: asyncio.Queue | None = None
_sender_task: asyncio.Task | None = None
OUTGOING_LIMIT = 10_000


def _enqueue(groups: list[str], event: dict) -> None:
    global _outgoing, _sender_task
    if _outgoing is None:
        _outgoing = asyncio.Queue(maxsize=OUTGOING_LIMIT)
    if _sender_task is None or _sender_task.done():
        _sender_task = asyncio.get_running_loop().create_task(_send_queued_forever(_outgoing))
    try:
        _outgoing.put_nowait((groups, event))
    except asyncio.QueueFull:
        logger.warning("Live event queue full; dropping %s", event.get("event"))


async def _send_queued_forever(queue: asyncio.Queue) -> None:
    while True:
        # Everything queued meanwhile goes out together: one channel-layer message per group
        # (the groups at once) rather than one per event and group, which under load cost more
        # than the sender could keep up with.
        drained = [await queue.get()]
        while not queue.empty() and len(drained) < SEND_BATCH:
            drained.append(queue.get_nowait())
        by_group: dict[str, list[dict]] = {}
        for groups, event in drained:
            for group in groups:
                by_group.setdefault(group, []).append(event)
        try:
            await _send_batches(by_group)
        except Exception:
            logger.exception("Could not publish %d live events", len(drained))


SEND_BATCH = 500


async def _send_batches(by_group: dict[str, list[dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    sends = [
        layer.group_send(group, _message(events[0]) if len(events) == 1 else _batch_message(events))
        for group, events in by_group.items()
    ]
    for start in range(0, len(sends), 64):
        await asyncio.gather(*sends[start : start + 64])


def _batch_message(events: list[dict]) -> dict:
    return {"type": "live.events", "events": events}


def publish_on_commit(groups: list[str], event: dict) -> None:
    after_commit(lambda: publish(groups, event))


async def _send_to_groups(groups: list[str], event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        await layer.group_send(group, _message(event))


def _store_in_outbox(groups: list[str], event: dict) -> None:
    from chargers.models import LiveOutbox

    LiveOutbox.objects.create(groups=list(groups), event=event)


# --- The server side of the embedded outbox ------------------------------------------------------


def serve_from_this_process() -> None:
    """Mark this process as the ASGI server; on the embedded default, start relaying the outbox."""
    global _this_process_serves, _server_loop, _relay_task
    _this_process_serves = True
    _server_loop = asyncio.get_running_loop()
    if settings.REDIS_URL or (_relay_task is not None and not _relay_task.done()):
        return
    _relay_task = asyncio.get_running_loop().create_task(_relay_outbox_forever())


def _take_outbox(limit: int = 200) -> list[tuple[list[str], dict]]:
    from chargers.models import LiveOutbox

    with transaction.atomic():
        rows = list(LiveOutbox.objects.order_by("id").values_list("id", "groups", "event")[:limit])
        if rows:
            LiveOutbox.objects.filter(id__in=[row[0] for row in rows]).delete()
    return [(groups, event) for _, groups, event in rows]


async def relay_outbox_once() -> int:
    batch = await database_sync_to_async(_take_outbox)()
    for groups, event in batch:
        await _send_to_groups(groups, event)
    return len(batch)


async def _relay_outbox_forever() -> None:
    # Polling is enough here: the embedded default serves a handful of users on one machine.
    while True:
        try:
            await relay_outbox_once()
        except Exception:
            logger.exception("Relaying the live outbox failed; retrying")
        await asyncio.sleep(OUTBOX_POLL_SECONDS)
