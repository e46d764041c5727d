"""Reading OCPP-J frames without trusting them: pure functions, no I/O.

The `ocpp` library raises on frames it cannot unpack and its ChargePoint only logs them, so the
consumer answers those itself. Error codes follow each version's RPC framework: 1.6 keeps the
misspelt wire values (FormationViolation, OccurenceConstraintViolation) that its errata froze.
"""

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import fastjsonschema
from jsonschema import Draft4Validator
from ocpp.messages import get_validator
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from chargers.models import MessageType, OcppVersion

CALL, CALLRESULT, CALLERROR = MessageType.CALL, MessageType.CALLRESULT, MessageType.CALLERROR
UNREADABLE_ID = "-1"
MAX_UNIQUE_ID = 36


class ErrorCode:
    """CALLERROR codes whose wire spelling differs between versions."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    PROPERTY_CONSTRAINT = "PropertyConstraintViolation"
    TYPE_CONSTRAINT = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"

    @staticmethod
    def format_violation(version: str) -> str:
        return "FormationViolation" if version == OcppVersion.V16 else "FormatViolation"

    @staticmethod
    def occurrence_constraint(version: str) -> str:
        return (
            "OccurenceConstraintViolation" if version == OcppVersion.V16 else "OccurrenceConstraintViolation"
        )

    @staticmethod
    def framework_error(version: str) -> str:
        # 1.6 has no code for a broken RPC envelope; its closest is FormationViolation.
        return "FormationViolation" if version == OcppVersion.V16 else "RpcFrameworkError"

    @staticmethod
    def unknown_message_type(version: str) -> str:
        return "FormationViolation" if version == OcppVersion.V16 else "MessageTypeNotSupported"


@dataclass(frozen=True)
class Frame:
    """What could be read from one text frame. `error_code` set: it must be answered with a CALLERROR."""

    raw: str
    message_type: int = MessageType.UNPARSEABLE
    unique_id: str = ""
    action: str = ""
    payload: object = None
    error_code: str = ""
    error_description: str = ""
    # CALLERROR frames from the charger carry these.
    call_error_code: str = ""
    call_error_description: str = ""
    call_error_details: dict = field(default_factory=dict)

    @property
    def is_refused(self) -> bool:
        return bool(self.error_code)

    @property
    def answer_id(self) -> str:
        return self.unique_id or UNREADABLE_ID


_ID_IN_BROKEN_TEXT = re.compile(r'^\s*\[\s*\d\s*,\s*"([^"\\]{1,36})"')


def parse_frame(text: str | bytes, version: str) -> Frame:
    """Split a frame into its parts, or say which CALLERROR it deserves."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            text = text.decode("utf-8", errors="replace")
            return Frame(
                raw=text, error_code=ErrorCode.format_violation(version), error_description="Not UTF-8"
            )
    try:
        data = json.loads(text)
    except ValueError:
        # Salvage the id of a truncated frame so that the charger can pair the error with its CALL.
        match = _ID_IN_BROKEN_TEXT.match(text)
        return Frame(
            raw=text,
            unique_id=match.group(1) if match else "",
            error_code=ErrorCode.format_violation(version),
            error_description="The frame is not valid JSON",
        )
    if not isinstance(data, list) or not data:
        return Frame(
            raw=text,
            payload=data,
            error_code=ErrorCode.framework_error(version),
            error_description="An OCPP-J frame is a JSON array",
        )
    message_type = data[0]
    unique_id = data[1] if len(data) > 1 else None
    if not isinstance(unique_id, str) or not unique_id or len(unique_id) > MAX_UNIQUE_ID:
        return Frame(
            raw=text,
            payload=data,
            error_code=ErrorCode.framework_error(version),
            error_description="The message id is missing or not a string of at most 36 characters",
        )
    if message_type not in (CALL, CALLRESULT, CALLERROR) or isinstance(message_type, bool):
        return Frame(
            raw=text,
            payload=data,
            unique_id=unique_id,
            error_code=ErrorCode.unknown_message_type(version),
            error_description=f"Message type {message_type!r} is not one of 2, 3, 4",
        )
    if message_type == CALL:
        if len(data) != 4 or not isinstance(data[2], str) or not isinstance(data[3], dict):
            return Frame(
                raw=text,
                message_type=CALL,
                payload=data,
                unique_id=unique_id,
                action=data[2] if len(data) > 2 and isinstance(data[2], str) else "",
                error_code=ErrorCode.framework_error(version),
                error_description="A CALL is [2, id, action, {payload}]",
            )
        return Frame(raw=text, message_type=CALL, unique_id=unique_id, action=data[2], payload=data[3])
    if message_type == CALLRESULT:
        if len(data) != 3 or not isinstance(data[2], dict):
            return Frame(
                raw=text,
                message_type=CALLRESULT,
                payload=data,
                unique_id=unique_id,
                error_code=ErrorCode.framework_error(version),
                error_description="A CALLRESULT is [3, id, {payload}]",
            )
        return Frame(raw=text, message_type=CALLRESULT, unique_id=unique_id, payload=data[2])
    details = data[4] if len(data) > 4 and isinstance(data[4], dict) else {}
    return Frame(
        raw=text,
        message_type=CALLERROR,
        unique_id=unique_id,
        payload=data[2:],
        call_error_code=str(data[2]) if len(data) > 2 else "",
        call_error_description=str(data[3]) if len(data) > 3 else "",
        call_error_details=details,
    )


def is_known_action(action: str, version: str) -> bool:
    actions = Action16 if version == OcppVersion.V16 else Action201
    return action in {member.value for member in actions}


# Schema failures a reader can still interpret (a value outside its enum, too long, wrong pattern):
# these are the "non-conforming" payloads an admin may accept per charger model.
_INTERPRETABLE = frozenset({"enum", "maxLength", "pattern", "format", "minimum", "maximum", "multipleOf"})


@dataclass(frozen=True)
class SchemaCheck:
    error_code: str = ""
    description: str = ""
    interpretable: bool = False

    @property
    def ok(self) -> bool:
        return not self.error_code


def _validator(message_type: int, action: str, version: str) -> Draft4Validator:
    return get_validator(message_type, action, version)


@functools.cache
def _compiled(message_type: int, action: str, version: str):
    """The same schema compiled to Python: a yes/no answer, fast. Read as draft 4 with formats
    unchecked, like the `ocpp` library's validator, so that both agree on what is valid."""
    schema = _without_defaults(_validator(message_type, action, version).schema)
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    return fastjsonschema.compile(schema, use_formats=False)


def _without_defaults(schema):
    # fastjsonschema writes a schema's default values into the payload it checks; the log must keep
    # what the charger sent. (A "default" holding a schema would be a property of that name.)
    if isinstance(schema, dict):
        return {
            key: _without_defaults(value)
            for key, value in schema.items()
            if key != "default" or isinstance(value, dict)
        }
    if isinstance(schema, list):
        return [_without_defaults(value) for value in schema]
    return schema


def check_payload(message_type: int, action: str, payload: dict, version: str) -> SchemaCheck:
    """Validate a payload against the official schema and name the CALLERROR a failure earns.

    Every frame is checked twice over in the common case (the charger's CALL and our answer), so
    the compiled schema answers first; only a failure is looked at with jsonschema, whose errors
    say which rule broke (and so which CALLERROR to send).
    """
    try:
        validator = _validator(message_type, action, version)
    except OSError:
        return SchemaCheck(ErrorCode.NOT_SUPPORTED, f"No schema for {action} in OCPP {version}")
    try:
        _compiled(message_type, action, version)(payload)
        return SchemaCheck()
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    if not errors:
        return SchemaCheck()
    first = errors[0]
    where = ".".join(str(part) for part in first.absolute_path) or "payload"
    description = f"{where}: {first.message}"[:280]
    return SchemaCheck(
        error_code=_code_for(first.validator, version),
        description=description,
        interpretable=all(error.validator in _INTERPRETABLE for error in errors),
    )


def _code_for(keyword: str, version: str) -> str:
    if keyword == "type":
        return ErrorCode.TYPE_CONSTRAINT
    if keyword in {"required", "minItems", "maxItems"}:
        return ErrorCode.occurrence_constraint(version)
    if keyword == "additionalProperties":
        return ErrorCode.format_violation(version)
    return ErrorCode.PROPERTY_CONSTRAINT


def warm_validators() -> None:
    """Read every schema once at start-up rather than on a charger's first message."""
    for version, actions in ((OcppVersion.V16, Action16), (OcppVersion.V201, Action201)):
        for action in actions:
            for message_type in (CALL, CALLRESULT):
                try:
                    _validator(message_type, action.value, version)
                    _compiled(message_type, action.value, version)
                except OSError:
                    continue


# --- Time ---------------------------------------------------------------------------------------

# A charger clock further ahead than this is not believed.
MAX_CLOCK_LEAD = timedelta(minutes=5)
# Before this, the charger's clock was never set (1970 after a power loss is common).
EARLIEST_PLAUSIBLE = datetime(2015, 1, 1, tzinfo=UTC)


def parse_timestamp(value) -> datetime | None:
    """An OCPP dateTime as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # OCPP requires UTC; a charger that omits the offset almost always means UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def event_time(charger_timestamp: datetime | None, received_at: datetime) -> datetime:
    """The charger's time when plausible, otherwise the moment the frame arrived."""
    if charger_timestamp is None:
        return received_at
    if charger_timestamp > received_at + MAX_CLOCK_LEAD or charger_timestamp < EARLIEST_PLAUSIBLE:
        return received_at
    return charger_timestamp
