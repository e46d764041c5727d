from chargers.models.fleet import Charger, Connector, RegistrationState, Site
from chargers.models.policy import AuthorizationStatus, LiveOutbox, LocalAuthorization, ModelPolicy
from chargers.models.traffic import (
    Command,
    CommandStatus,
    ConnectivityChange,
    DeviceEvent,
    Direction,
    MessageType,
    MeterReading,
    OcppMessage,
    OcppVersion,
    StatusReport,
    Transaction,
)

__all__ = [
    "AuthorizationStatus",
    "LiveOutbox",
    "LocalAuthorization",
    "ModelPolicy",
    "Charger",
    "Command",
    "CommandStatus",
    "ConnectivityChange",
    "Connector",
    "DeviceEvent",
    "Direction",
    "MessageType",
    "MeterReading",
    "OcppMessage",
    "OcppVersion",
    "RegistrationState",
    "Site",
    "StatusReport",
    "Transaction",
]
