"""Who may open an OCPP socket: subprotocol, HTTP Basic credentials, unknown ids and throttling.

Refusals happen before the WebSocket is accepted and are logged with their reason.
"""

import base64
import binascii
import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import IntegrityError, transaction

from chargers.models import Charger, OcppVersion, RegistrationState

logger = logging.getLogger("chargers.access")

# Newest first: a charger offering several gets the newest one Faultline speaks.
SUBPROTOCOLS = {"ocpp2.0.1": OcppVersion.V201, "ocpp1.6": OcppVersion.V16}


@dataclass(frozen=True)
class Admission:
    """The outcome of a connection attempt: a charger and a version, or the reason for refusing."""

    charge_point_id: str
    refused: str = ""
    charger_id: int | None = None
    subprotocol: str = ""
    version: str = ""
    vendor: str = ""
    model: str = ""


def choose_subprotocol(offered: list[str]) -> str:
    wanted = {name.strip().lower() for name in offered}
    for name in SUBPROTOCOLS:
        if name in wanted:
            return name
    return ""


def basic_credentials(header: bytes | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


# --- Throttling ---------------------------------------------------------------------------------


class ConnectionThrottle:
    """Counts connection attempts per charge point id in a fixed window (Redis when configured, so
    that every server node counts together; else this process)."""

    def __init__(self):
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._redis = None

    def _client(self):
        if self._redis is None:
            self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        return self._redis

    def attempt(self, charge_point_id: str) -> int:
        """Record an attempt; returns the attempts in the current window, this one included."""
        window = settings.OCPP_THROTTLE_WINDOW
        if settings.REDIS_URL:
            # The channel layer's prefix keeps installations sharing one Redis apart.
            prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "faultline")
            key = f"{prefix}:ocpp-attempts:{int(time.time() // window)}:{charge_point_id}"
            try:
                pipe = self._client().pipeline()
                pipe.incr(key)
                pipe.expire(key, window)
                count, _ = pipe.execute()
                return int(count)
            except redis.RedisError:
                logger.warning("Connection throttle unavailable (Redis); counting in this process")
        with self._lock:
            started, count = self._local.get(charge_point_id, (time.monotonic(), 0))
            if time.monotonic() - started > window:
                started, count = time.monotonic(), 0
            self._local[charge_point_id] = (started, count + 1)
            return count + 1


throttle = ConnectionThrottle()


# --- Admission ----------------------------------------------------------------------------------


def admit(charge_point_id: str, offered_subprotocols: list[str], authorization: bytes | None) -> Admission:
    """Decide whether this connection attempt becomes a charger session."""
    subprotocol = choose_subprotocol(offered_subprotocols)
    if not subprotocol:
        return _refuse(charge_point_id, f"no acceptable subprotocol among {offered_subprotocols!r}")
    if not charge_point_id or ":" in charge_point_id or len(charge_point_id) > 48:
        return _refuse(charge_point_id, "the charge point id is empty, too long or contains ':'")
    attempts = throttle.attempt(charge_point_id)
    if attempts > settings.OCPP_THROTTLE_ATTEMPTS:
        return _refuse(
            charge_point_id,
            f"throttled: {attempts} connection attempts within {settings.OCPP_THROTTLE_WINDOW} s",
        )
    charger = Charger.objects.filter(charge_point_id=charge_point_id).first()
    if charger is None:
        if not settings.OCPP_ACCEPT_UNKNOWN_CHARGERS:
            return _refuse(charge_point_id, "unknown charge point id")
        charger = _register_pending(charge_point_id)
        logger.info("Registered unknown charger %s as pending", charge_point_id)
    if charger.registration_state == RegistrationState.REJECTED or charger.decommissioned_at:
        return _refuse(charge_point_id, "the charger is rejected or decommissioned")
    if charger.requires_password:
        credentials = basic_credentials(authorization)
        if credentials is None:
            return _refuse(charge_point_id, "no HTTP Basic credentials")
        username, password = credentials
        if username != charge_point_id:
            return _refuse(charge_point_id, f"Basic auth user {username!r} is not the charge point id")
        if not charger.check_password(password):
            return _refuse(charge_point_id, "wrong password")
    return Admission(
        charge_point_id=charge_point_id,
        charger_id=charger.pk,
        subprotocol=subprotocol,
        version=SUBPROTOCOLS[subprotocol],
        vendor=charger.vendor,
        model=charger.model,
    )


def _refuse(charge_point_id: str, reason: str) -> Admission:
    logger.warning("Refused OCPP connection of %r: %s", charge_point_id, reason)
    return Admission(charge_point_id=charge_point_id, refused=reason)


def _register_pending(charge_point_id: str) -> Charger:
    try:
        with transaction.atomic():
            return Charger.objects.create(
                charge_point_id=charge_point_id, registration_state=RegistrationState.PENDING
            )
    except IntegrityError:
        # Two sockets of the same new charger raced: the other one registered it.
        return Charger.objects.get(charge_point_id=charge_point_id)
