"""Remote commands: ask a charger to do something and record who asked, what it answered or that it
did not answer.

`send_command` may run on any server node (or a worker): it stores the Command and routes it
through the channel layer to the consumer that holds the charger's socket — its channel name is kept
on the Charger row — which sends the CALL in its own task (`deliver`) and stores the answer there.
"""

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chargers import live
from chargers.models import Charger, Command, CommandStatus, OcppVersion
from chargers.protocol.frames import CALL, check_payload

logger = logging.getLogger(__name__)

ACTIONS = {
    OcppVersion.V16: (
        "Reset",
        "UnlockConnector",
        "ChangeAvailability",
        "TriggerMessage",
        "ExtendedTriggerMessage",
        "SendLocalList",
        "GetConfiguration",
        "ChangeConfiguration",
    ),
    OcppVersion.V201: (
        "Reset",
        "UnlockConnector",
        "ChangeAvailability",
        "TriggerMessage",
        "SetVariables",
        "GetVariables",
        "SendLocalList",
    ),
}

# Answer statuses by which a charger declines (the spec's names across both versions).
DECLINED = frozenset(
    {
        "Rejected",
        "Failed",
        "NotSupported",
        "UnlockFailed",
        "UnknownConnector",
        "VersionMismatch",
        "NotImplemented",
    }
)
# The node that asked waits this much longer than the charger is given, so its answer can arrive.
ROUTING_MARGIN_SECONDS = 2


class CommandError(ValueError):
    """The command cannot be sent as asked; the message says why, for people."""


def validate_command(charger: Charger, action, payload) -> str:
    """Check the action and payload against the charger's OCPP version; returns that version."""
    if not isinstance(action, str) or not action:
        raise CommandError("action is required, e.g. Reset.")
    if not isinstance(payload, dict):
        raise CommandError("payload must be a JSON object.")
    versions = [charger.ocpp_version] if charger.ocpp_version in ACTIONS else list(ACTIONS)
    for version in versions:
        if action in ACTIONS[version]:
            check = check_payload(CALL, action, payload, version)
            if not check.ok:
                raise CommandError(f"payload is not a valid OCPP {version} {action}: {check.description}")
            return version
    allowed = ", ".join(sorted({name for version in versions for name in ACTIONS[version]}))
    spoken = charger.ocpp_version or "1.6 / 2.0.1"
    raise CommandError(
        f"{action!r} is not a command Faultline sends over OCPP {spoken}; use one of: {allowed}."
    )


def send_command(charger: Charger, action: str, payload: dict, user, context: str = "") -> Command:
    """Store, route and await a remote command; returns it answered, timed out or not connected."""
    validate_command(charger, action, payload)
    command = Command.objects.create(
        charger=charger,
        action=action,
        payload=payload,
        requested_by=user if user is not None and user.is_authenticated else None,
        context=context[:100],
        unique_id=str(uuid.uuid4()),
    )
    channel = Charger.objects.filter(pk=charger.pk).values_list("connection_channel", flat=True).first()
    if not channel:
        _finish(command.pk, CommandStatus.NOT_CONNECTED, None)
    else:
        async_to_sync(_route_and_wait)(channel, command)
        # No word from the charger's node in time (charger silent, or that node gone).
        _finish(command.pk, CommandStatus.TIMEOUT, None)
    command.refresh_from_db()
    return command


async def _route_and_wait(channel: str, command: Command) -> None:
    layer = get_channel_layer()
    reply_channel = await layer.new_channel()
    await layer.send(
        channel,
        {
            "type": "ocpp.command",
            "command_id": command.pk,
            "action": command.action,
            "payload": command.payload,
            "unique_id": command.unique_id,
            "reply_channel": reply_channel,
        },
    )
    try:
        await asyncio.wait_for(
            layer.receive(reply_channel), settings.OCPP_COMMAND_TIMEOUT + ROUTING_MARGIN_SECONDS
        )
    except TimeoutError:
        pass


async def deliver(charge_point, message: dict) -> None:
    """On the node holding the socket: send the CALL, store the answer, tell the asking node."""
    status, response = CommandStatus.TIMEOUT, None
    try:
        kind, response = await charge_point.send_call(
            message["action"], message["payload"], message["unique_id"], settings.OCPP_COMMAND_TIMEOUT
        )
        if kind == "error":
            status = CommandStatus.ERROR
        elif isinstance(response, dict) and response.get("status") in DECLINED:
            status = CommandStatus.REJECTED
        else:
            status = CommandStatus.ANSWERED
    except TimeoutError:
        pass
    except Exception:
        logger.exception("Command %s to %s failed", message.get("command_id"), charge_point.id)
        status, response = CommandStatus.ERROR, {"code": "InternalError", "description": "Could not send"}
    finally:
        await database_sync_to_async(_finish)(message["command_id"], status, response)
        if message.get("reply_channel"):
            await get_channel_layer().send(message["reply_channel"], {"type": "command.done"})


def _finish(command_id: int, status: str, response) -> bool:
    """Record the outcome once: the first of answer / timeout / not-connected wins."""
    with transaction.atomic():
        updated = Command.objects.filter(pk=command_id, status=CommandStatus.PENDING).update(
            status=status, response=response, answered_at=timezone.now()
        )
        if updated:
            command = Command.objects.select_related("charger").get(pk=command_id)
            cp_id = command.charger.charge_point_id
            live.publish_on_commit(
                [live.DASHBOARD_GROUP],
                {
                    "event": "command.answered",
                    "command_id": command_id,
                    "charge_point_id": cp_id,
                    "status": status,
                    "response": response,
                },
            )
    return bool(updated)
