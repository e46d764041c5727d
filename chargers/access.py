"""Who may open an OCPP socket: subprotocol, HTTP Basic credentials, unknown ids and throttling.

Refusals happen before the WebSocket is accepted and are logged with their reason.
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass

import redis
import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction

from chargers.models import Charger, OcppVersion, RegistrationState
from chargers.protocol import group_commit

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
    that every server node counts together; else this process).

    With Redis, the attempts that arrive while a round trip is under way are counted together in
    the next one (one pipeline of INCR + EXPIRE pairs): a reconnect storm's thousands of attempts
    take a few dozen round trips on one connection. Each attempt taking its own turn on a pool's
    connection cost the event loop a pipeline, a pool wait and a timer per attempt, and at 10,000
    attempts some waited past the pool's timeout, so the count fell back to this process.
    """

    MAX_PIPELINE = 1000

    def __init__(self):
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._redis = None
        self._warned_at = -1e9
        # Per event loop (a server process has one; tests start several).
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[str, asyncio.Future]]] = {}
        self._counting: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    def _client(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis[0] is not loop:
            pool = redis.asyncio.BlockingConnectionPool.from_url(
                settings.REDIS_URL, max_connections=2, timeout=10, socket_timeout=5
            )
            self._redis = (loop, redis.asyncio.Redis(connection_pool=pool))
        return self._redis[1]

    async def attempt(self, charge_point_id: str) -> int:
        """Record an attempt; returns the attempts in the current window, this one included."""
        window = settings.OCPP_THROTTLE_WINDOW
        if settings.REDIS_URL:
            # The channel layer's prefix keeps installations sharing one Redis apart.
            prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "faultline")
            key = f"{prefix}:ocpp-attempts:{int(time.time() // window)}:{charge_point_id}"
            try:
                return await self._count_in_redis(key)
            except redis.RedisError as error:
                if time.monotonic() - self._warned_at > 60:  # once a minute, not once per attempt
                    self._warned_at = time.monotonic()
                    logger.warning("Connection throttle unavailable (%r); counting in this process", error)
        with self._lock:
            started, count = self._local.get(charge_point_id, (time.monotonic(), 0))
            if time.monotonic() - started > window:
                started, count = time.monotonic(), 0
            self._local[charge_point_id] = (started, count + 1)
            return count + 1

    async def _count_in_redis(self, key: str) -> int:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.setdefault(loop, []).append((key, future))
        if loop not in self._counting:
            self._counting[loop] = loop.create_task(self._count_while_waiting(loop))
        return await future

    async def _count_while_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self._waiting[loop]
        batch: list[tuple[str, asyncio.Future]] = []
        try:
            while waiting:
                batch = waiting[: self.MAX_PIPELINE]
                del waiting[: self.MAX_PIPELINE]
                try:
                    async with self._client().pipeline(transaction=False) as pipe:
                        for key, _ in batch:
                            pipe.incr(key).expire(key, settings.OCPP_THROTTLE_WINDOW)
                        replies = await pipe.execute()
                except Exception as error:
                    failure = error if isinstance(error, redis.RedisError) else redis.RedisError(repr(error))
                    _settle(batch, exception=failure)
                    continue
                _settle(batch, counts=[int(count) for count in replies[::2]])
        finally:
            # Deregistered in the step that found nobody waiting: an attempt queued after this
            # starts a new counter (one registered a loop turn later would find none running).
            del self._counting[loop]
            # Left only if this task was stopped (its loop closing): nobody may wait forever.
            _settle(batch + waiting, exception=redis.RedisError("the throttle's counter stopped"))
            del self._waiting[loop]


def _settle(waiters, counts=None, exception=None) -> None:
    for index, (_, future) in enumerate(waiters):
        if future.done():  # settled already, or an admission given up (its socket closed)
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(counts[index])


throttle = ConnectionThrottle()


# --- Admission ----------------------------------------------------------------------------------


async def admit(charge_point_id: str, offered: list[str], authorization: bytes | None) -> Admission:
    """Decide whether this connection attempt becomes a charger session.

    The charger is looked up in the process's group commit (the attempts of a reconnect storm
    share one query per batch); a password is checked in a thread of its own, and a password
    that was checked before is recognised without the slow hash (see `_password_matches`).
    """
    subprotocol = choose_subprotocol(offered)
    if not subprotocol:
        return _refuse(charge_point_id, f"no acceptable subprotocol among {offered!r}")
    if not charge_point_id or ":" in charge_point_id or len(charge_point_id) > 48:
        return _refuse(charge_point_id, "the charge point id is empty, too long or contains ':'")
    attempts = await throttle.attempt(charge_point_id)
    if attempts > settings.OCPP_THROTTLE_ATTEMPTS:
        return _refuse(
            charge_point_id,
            f"throttled: {attempts} connection attempts within {settings.OCPP_THROTTLE_WINDOW} s",
        )
    charger = await group_commit.writer().write(
        lambda: _charger_to_admit(charge_point_id), key=("charger", charge_point_id)
    )
    if charger is None:
        return _refuse(charge_point_id, "unknown charge point id")
    if charger.registration_state == RegistrationState.REJECTED or charger.decommissioned_at:
        return _refuse(charge_point_id, "the charger is rejected or decommissioned")
    if charger.requires_password:
        credentials = basic_credentials(authorization)
        if credentials is None:
            return _refuse(charge_point_id, "no HTTP Basic credentials")
        username, password = credentials
        if username != charge_point_id:
            return _refuse(charge_point_id, f"Basic auth user {username!r} is not the charge point id")
        if not await sync_to_async(_password_matches, thread_sensitive=False)(charger, password):
            return _refuse(charge_point_id, "wrong password")
    return Admission(
        charge_point_id=charge_point_id,
        charger_id=charger.pk,
        subprotocol=subprotocol,
        version=SUBPROTOCOLS[subprotocol],
        vendor=charger.vendor,
        model=charger.model,
    )


_ADMISSION_FIELDS = ("id", "charge_point_id", "registration_state", "decommissioned_at", "password_hash")
_ADMISSION_FIELDS += ("vendor", "model")


def _charger_to_admit(charge_point_id: str) -> Charger | None:
    """The charger of this id (in a group commit: one query for every attempt of the batch); an
    unknown id is registered as pending when unknown chargers are accepted, else None."""
    wanted = group_commit.batch_keys("charger") or {charge_point_id}
    known = group_commit.batch_memo(
        "chargers_to_admit",
        lambda: {
            charger.charge_point_id: charger
            for charger in Charger.objects.filter(charge_point_id__in=wanted).only(*_ADMISSION_FIELDS)
        },
    )
    charger = known.get(charge_point_id)
    if charger is None and charge_point_id not in wanted:
        charger = Charger.objects.filter(charge_point_id=charge_point_id).only(*_ADMISSION_FIELDS).first()
    if charger is None and settings.OCPP_ACCEPT_UNKNOWN_CHARGERS:
        charger = _register_pending(charge_point_id)
        logger.info("Registered unknown charger %s as pending", charge_point_id)
    return charger


# Passwords already checked against each charger's stored hash, as a keyed digest: the slow hash
# is what protects a stolen database, but paying it again on each of a storm's thousands of
# reconnects would spend the storm hashing. A changed stored hash (new password) misses the cache.
_checked_passwords: dict[int, tuple[str, bytes]] = {}
_CHECKED_LIMIT = 100_000


def _password_matches(charger: Charger, password: str) -> bool:
    digest = hmac.new(settings.SECRET_KEY.encode(), password.encode(), hashlib.sha256).digest()
    remembered = _checked_passwords.get(charger.pk)
    if remembered is not None and remembered[0] == charger.password_hash:
        return hmac.compare_digest(remembered[1], digest)
    if not charger.check_password(password):
        return False
    if len(_checked_passwords) >= _CHECKED_LIMIT:
        _checked_passwords.clear()
    _checked_passwords[charger.pk] = (charger.password_hash, digest)
    return True


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
