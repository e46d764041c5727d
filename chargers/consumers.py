"""The two WebSocket edges: chargers speaking OCPP-J and browsers following live events.

Both authenticate before accept(). The charger consumer only moves text between the socket and the
`ocpp` library's ChargePoint (through a queue-fed connection); parsing and storage live elsewhere.
"""

import asyncio
import logging

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from chargers import access, commands, connectivity, ingest, live
from chargers.models import OcppVersion
from chargers.protocol import group_commit
from chargers.protocol.v16 import ChargePoint16
from chargers.protocol.v201 import ChargePoint201

logger = logging.getLogger("chargers.ocpp")

CHARGE_POINT_CLASSES = {OcppVersion.V16: ChargePoint16, OcppVersion.V201: ChargePoint201}


class QueueConnection:
    """What the `ocpp` library calls a connection: `recv()` reads frames the consumer queued,
    `send()` writes to the socket."""

    def __init__(self, consumer: AsyncWebsocketConsumer):
        self._consumer = consumer
        self.inbox: asyncio.Queue[str | bytes] = asyncio.Queue()

    async def recv(self) -> str | bytes:
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        await self._consumer.send(text_data=text)


class ChargerConsumer(AsyncWebsocketConsumer):
    """`/ocpp/<charge_point_id>`: one charger's socket."""

    charge_point = None
    reader: asyncio.Task | None = None

    async def connect(self):
        live.serve_from_this_process()
        self.command_tasks: set[asyncio.Task] = set()
        charge_point_id = self.scope["url_route"]["kwargs"]["charge_point_id"]
        headers = dict(self.scope.get("headers", []))
        admission = await access.admit(
            charge_point_id, self.scope.get("subprotocols", []), headers.get(b"authorization")
        )
        if admission.refused:
            await self.close()
            return
        self.connection = QueueConnection(self)
        charge_point_class = CHARGE_POINT_CLASSES[admission.version]
        self.charge_point = charge_point_class(
            charge_point_id, self.connection, response_timeout=settings.OCPP_COMMAND_TIMEOUT
        )
        self.charge_point.setup_session(admission.charger_id, admission.vendor, admission.model)
        # Recorded before the handshake completes, so that a charger never talks to a node that
        # does not yet know it holds the socket. With the frames' group commit: a reconnect storm
        # records its thousands of sockets in a few transactions.
        opened_at = timezone.now()

        def record_opening():
            connectivity.connected(admission.charger_id, self.channel_name, opened_at, admission.version)
            # Its frames will name its ports: looked up now, with the other chargers connecting.
            ingest.remember_ports(admission.charger_id)

        await group_commit.writer().write(record_opening)
        self.charge_point.connection_recorded(opened_at)
        await self.accept(subprotocol=admission.subprotocol)
        self.reader = asyncio.create_task(self.charge_point.start())
        logger.info("%s connected (%s)", charge_point_id, admission.subprotocol)

    async def dispatch(self, message):
        # Channels hops to a thread before every message to close stale database connections. This
        # consumer never uses the database on the event loop (its work runs in threads that manage
        # their connections), and a hop per frame would cost more than storing the frame.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.charge_point is not None:
            self.connection.inbox.put_nowait(text_data if text_data is not None else bytes_data)

    async def disconnect(self, code):
        if self.charge_point is None:
            return
        for task in [self.reader, *self.command_tasks]:
            if task is not None:
                task.cancel()
        closed_at = timezone.now()
        await group_commit.writer().write(
            lambda: connectivity.disconnected(self.charge_point.charger_id, self.channel_name, closed_at)
        )
        logger.info("%s disconnected (code %s)", self.charge_point.id, code)

    async def ocpp_command(self, message):
        """A remote command routed here from whichever node received it (see chargers.commands)."""
        # Its own task: awaiting the charger's answer here would block reading that very answer.
        task = asyncio.create_task(commands.deliver(self.charge_point, message))
        self.command_tasks.add(task)
        task.add_done_callback(self.command_tasks.discard)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/live/`: a signed-in browser receives live events: the whole fleet's, or once it asks
    for one charger (or several), only theirs."""

    following: set[str] | None = None  # charge point ids; None: the whole fleet
    joined = False

    async def connect(self):
        live.serve_from_this_process()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        await self.channel_layer.group_add(live.DASHBOARD_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("subscribe") != "charger":
            await self.send_json({"error": 'Send {"subscribe": "charger", "charge_point_id": "…"}.'})
            return
        charge_point_id = content.get("charge_point_id")
        if not isinstance(charge_point_id, str) or not charge_point_id:
            await self.send_json({"error": "charge_point_id must be a non-empty string."})
            return
        self.following = (self.following or set()) | {charge_point_id}
        await self.send_json({"subscribed": charge_point_id})

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(live.DASHBOARD_GROUP, self.channel_name)

    def _wants(self, event: dict) -> bool:
        return self.following is None or event.get("charge_point_id") in self.following

    async def live_event(self, message):
        if self._wants(message["event"]):
            await self.send_json(message["event"])

    async def live_events(self, message):
        """Several events published together (see chargers.live): each is its own WebSocket message."""
        for event in message["events"]:
            if self._wants(event):
                await self.send_json(event)
