"""The part of an OCPP session common to both versions, on top of the `ocpp` library's ChargePoint.

Each frame is read with chargers.protocol.frames (the library only logs frames it cannot unpack) and
answered in the order the spec asks: refused frames get the version's CALLERROR; a CALL is written,
applied and its answer written atomically (inside the process's group commit, see group_commit.py),
and the answer is sent only after that commits. Handlers are plain methods
decorated with the library's `@on`; they run inside that atomic block.
"""

import asyncio
import functools
import json
import logging
from dataclasses import replace
from datetime import datetime

from channels.db import DatabaseSyncToAsync
from django.db import transaction
from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import CallError, CallResult

from chargers import connectivity, ingest
from chargers.models import Direction, MessageType, ModelPolicy
from chargers.protocol import group_commit
from chargers.protocol.frames import (
    CALL,
    CALLERROR,
    CALLRESULT,
    ErrorCode,
    Frame,
    check_payload,
    is_known_action,
    parse_frame,
)

logger = logging.getLogger("chargers.ocpp")

RETRANSMISSION = "Retransmitted CALL: answered as before, not applied again"


def in_database_thread(function):
    """Run `function` in a worker thread with its own pooled connection.

    Not Channels' single shared database thread: frames of different chargers are written in
    parallel, while each session still handles its own frames one after the other.
    """
    return DatabaseSyncToAsync(function, thread_sensitive=False)


class SessionMixin:
    """Mixed into ocpp.v16.ChargePoint / ocpp.v201.ChargePoint (which supply `_ocpp_version`)."""

    def setup_session(self, charger_id: int, vendor: str = "", model: str = "") -> None:
        self.charger_id = charger_id
        self.vendor = vendor
        self.model = model
        self._last_seen_written: datetime | None = None

    def connection_recorded(self, at: datetime) -> None:
        """The socket's opening wrote last_seen_at: the first frames need not write it again."""
        self._last_seen_written = at

    @property
    def version(self) -> str:
        return self._ocpp_version

    # --- Reading ----------------------------------------------------------------------------

    async def route_message(self, raw_msg) -> None:
        """Never lets one bad frame end the session's read loop."""
        received_at = timezone.now()
        frame = None
        answer = None
        try:
            frame = parse_frame(raw_msg, self.version)
            if frame.is_refused:
                answer = await _committed(
                    self._refuse, frame, frame.error_code, frame.error_description, received_at
                )
            elif frame.message_type == CALL:
                answer = await self._answer_call(frame, received_at)
            else:
                await _committed(self._log_answer, frame, received_at)
                self._response_queue.put_nowait(_library_message(frame))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s: could not handle a frame", self.id)
            if frame is not None and frame.message_type == CALL:
                # Nothing was committed: the charger may retry (persist before acknowledge).
                answer = await self._refuse_after_failure(frame, received_at)
        if answer is not None:
            try:
                await self._connection.send(answer)
            except Exception as error:
                # The socket closed meanwhile; the answer is stored and a retransmission gets it.
                logger.warning("%s: could not send an answer: %r", self.id, error)

    async def _refuse_after_failure(self, frame: Frame, received_at: datetime) -> str:
        """InternalError, kept in the log when the database lets us (a bug), sent regardless (an outage)."""
        description = "Could not process the message"
        try:
            return await in_database_thread(self._refuse)(
                frame, ErrorCode.INTERNAL_ERROR, description, received_at
            )
        except Exception:
            logger.warning("%s: the refused frame could not be logged either", self.id)
            return _call_error(frame.unique_id, ErrorCode.INTERNAL_ERROR, description)

    async def _answer_call(self, frame: Frame, received_at: datetime) -> str:
        handler = self.route_map.get(frame.action, {}).get("_on_action")
        if handler is None:
            # The spec: NotImplemented = action unknown; NotSupported = recognised but not handled.
            code = (
                ErrorCode.NOT_SUPPORTED
                if is_known_action(frame.action, self.version)
                else ErrorCode.NOT_IMPLEMENTED
            )
            return await _committed(
                self._refuse,
                frame,
                code,
                f"{frame.action} is not handled by this central system",
                received_at,
            )
        return await group_commit.writer().write(
            lambda: self._process_call(frame, handler, received_at),
            key=("call", ingest.call_key(self.charger_id, frame)),
        )

    # --- Writing (in the database thread) ----------------------------------------------------

    def _note_sign_of_life(self, at: datetime) -> None:
        if (
            self._last_seen_written is None
            or at - self._last_seen_written >= connectivity.last_seen_write_spacing()
        ):
            connectivity.saw(self.charger_id, at)
            # Remembered once it is true in the database, not when a rolled-back transaction said so.
            transaction.on_commit(lambda: setattr(self, "_last_seen_written", at))

    def _refuse(self, frame: Frame, code: str, description: str, received_at: datetime) -> str:
        answer = _call_error(frame.answer_id, code, description)
        with transaction.atomic(savepoint=False):
            ingest.log_frame(
                self.charger_id,
                self.version,
                Direction.IN,
                frame,
                received_at,
                error=f"{code}: {description}",
            )
            self._log_out(answer, MessageType.CALLERROR, frame.answer_id)
            self._note_sign_of_life(received_at)
        return answer

    def _log_answer(self, frame: Frame, received_at: datetime) -> None:
        # An answer carries no action: name it after the CALL it answers, for the message log.
        action = ingest.action_of_call(self.charger_id, frame.unique_id)
        with transaction.atomic(savepoint=False):
            ingest.log_frame(
                self.charger_id, self.version, Direction.IN, replace(frame, action=action), received_at
            )
            self._note_sign_of_life(received_at)

    def _log_out(self, text: str, message_type: int, unique_id: str, action: str = "", payload=None) -> None:
        if payload is None:
            data = json.loads(text)
            payload = data[2:] if message_type == CALLERROR else data[-1]
        frame = Frame(
            raw=text, message_type=message_type, unique_id=unique_id, action=action, payload=payload
        )
        # Nothing points to an answer: it goes in with the batch's others (one INSERT per commit).
        ingest.log_frame(self.charger_id, self.version, Direction.OUT, frame, timezone.now(), with_batch=True)

    def _process_call(self, frame: Frame, handler, received_at: datetime) -> str:
        check = check_payload(CALL, frame.action, frame.payload, self.version)
        # No savepoint: a failure here rolls back the whole batch, which is then rewritten write by write.
        with transaction.atomic(savepoint=False):
            self._note_sign_of_life(received_at)
            earlier = ingest.previous_answer(self.charger_id, frame, received_at)
            if earlier is not None:
                ingest.log_frame(
                    self.charger_id, self.version, Direction.IN, frame, received_at, error=RETRANSMISSION
                )
                answer = CallResult(frame.unique_id, earlier).to_json()
                self._log_out(answer, CALLRESULT, frame.unique_id, frame.action, earlier)
                return answer
            nonconforming = not check.ok
            if nonconforming and not (check.interpretable and self._accepts_nonconforming(frame)):
                return self._refuse(frame, check.error_code, check.description, received_at)
            flag = f"Non-conforming, accepted by model policy: {check.description}" if nonconforming else ""
            message = ingest.log_frame(
                self.charger_id, self.version, Direction.IN, frame, received_at, error=flag
            )
            inbound = ingest.Inbound(
                charger_id=self.charger_id,
                charge_point_id=self.id,
                version=self.version,
                message=message,
                received_at=received_at,
                nonconforming=nonconforming,
            )
            result = handler(inbound, **snake_case_keys(frame.payload))
            payload = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
            response_check = check_payload(CALLRESULT, frame.action, payload, self.version)
            if not response_check.ok:
                raise ValueError(
                    f"Our own {frame.action} answer breaks the schema: {response_check.description}"
                )
            answer = CallResult(frame.unique_id, payload).to_json()
            self._log_out(answer, CALLRESULT, frame.unique_id, frame.action, payload)
        return answer

    def _accepts_nonconforming(self, frame: Frame) -> bool:
        vendor, model = self.vendor, self.model
        if frame.action == "BootNotification":
            payload = frame.payload
            vendor = payload.get("chargePointVendor") or (payload.get("chargingStation") or {}).get(
                "vendorName", ""
            )
            model = payload.get("chargePointModel") or (payload.get("chargingStation") or {}).get("model", "")
        return ModelPolicy.accepts_nonconforming(str(vendor), str(model))

    # --- Calls from Faultline to the charger --------------------------------------------------

    async def send_call(self, action: str, payload: dict, unique_id: str, timeout: float) -> tuple[str, dict]:
        """Send a CALL and await its answer: ("result", payload) or ("error", {code, description, details}).

        Runs in its own task: the session's read loop must stay free to route the answer here.
        """
        text = json.dumps([CALL, unique_id, action, payload], separators=(",", ":"))
        async with self._call_lock:
            await in_database_thread(self._log_out)(text, CALL, unique_id, action, payload)
            await self._connection.send(text)
            response = await self._get_specific_response(unique_id, timeout)
        if response.message_type_id == CALLERROR:
            return "error", {
                "code": response.error_code,
                "description": response.error_description,
                "details": response.error_details,
            }
        return "result", response.payload


def snake_case_keys(data):
    """The library's camelCase → snake_case conversion of every key, each key converted once per
    process (two regular expressions per key of every frame added up)."""
    kind = type(data)
    if kind is dict:
        return {
            _snake_key(key): value if type(value) not in _NESTED else snake_case_keys(value)
            for key, value in data.items()
        }
    if kind is list:
        return [value if type(value) not in _NESTED else snake_case_keys(value) for value in data]
    return data


_NESTED = (dict, list)  # json.loads builds exactly these: no subclasses to allow for


@functools.lru_cache(maxsize=4096)
def _snake_key(key: str) -> str:
    return next(iter(camel_to_snake_case({key: None})))


async def _committed(write, *args):
    """`write(*args)` in this process's next group commit; its result once that has committed."""
    return await group_commit.writer().write(lambda: write(*args))


def _call_error(unique_id: str, code: str, description: str) -> str:
    return CallError(unique_id, code, description[:255], {}).to_json()


def _library_message(frame: Frame):
    if frame.message_type == CALLRESULT:
        return CallResult(frame.unique_id, frame.payload)
    return CallError(
        frame.unique_id, frame.call_error_code, frame.call_error_description, frame.call_error_details
    )
