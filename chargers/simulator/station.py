"""One simulated charger on the wire: connect, boot, play the plan, answer the server, reboot.

The `ocpp` library's charge point reads frames in one task; our own CALLs are sent from other tasks
(heartbeats, the plan), so a handler never awaits a CALL of its own and nothing deadlocks.
"""

import asyncio
import base64
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import websockets
from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargers.simulator.profiles import Make
from chargers.simulator.traffic import NOW, TRANSACTION, EpisodeKind, Fill, Step, TrafficPlan

logger = logging.getLogger("chargers.simulator")

REBOOT_SECONDS = 20  # simulated seconds a charger takes to come back after a reset


@dataclass(frozen=True)
class Identity:
    """Who a simulated charger is: its id, make, serial number and Basic-auth password."""

    charge_point_id: str
    make: Make
    serial_number: str
    password: str


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def materialise(value, *, now: str, transaction_id):
    """Replace the `Fill` markers of a planned payload with their values at send time."""
    if value is NOW:
        return now
    if value is TRANSACTION:
        return transaction_id
    if isinstance(value, dict):
        return {key: materialise(item, now=now, transaction_id=transaction_id) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [materialise(item, now=now, transaction_id=transaction_id) for item in value]
    return value


def has_fill(value, marker: Fill) -> bool:
    if value is marker:
        return True
    if isinstance(value, dict):
        return any(has_fill(item, marker) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_fill(item, marker) for item in value)
    return False


async def cancel_and_wait(tasks) -> None:
    """Cancel tasks and wait until they are really gone.

    On Python 3.11 `asyncio.wait_for` swallows a cancellation that lands just as its inner future
    completes (the library's `call()` uses it), so one `cancel()` is not always enough.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as forgotten


@dataclass
class Counters:
    """What a station did, for the fleet's summary line."""

    sent: int = 0
    refused: int = 0  # CALLERRORs and timeouts on our CALLs
    answered: int = 0  # server CALLs we answered
    boots: int = 0
    connect_failures: int = 0


@dataclass
class Station:
    """A simulated charger's life: it survives disconnects and reboots until `run()`'s deadline."""

    identity: Identity
    url: str
    plan: TrafficPlan
    speed: float = 1.0
    heartbeat_interval: int = 300
    counters: Counters = field(default_factory=Counters)
    # State the server's commands read and change.
    statuses: dict[int, dict] = field(default_factory=dict)  # last StatusNotification payload per port
    inoperative: set[int] = field(default_factory=set)
    transactions: dict[int, object] = field(default_factory=dict)  # 1.6 int id / 2.0.1 (id, next seqNo)
    local_list_version: int = 0
    configuration: dict[str, str] = field(default_factory=dict)
    boot_reason: str = "PowerUp"
    current_charge_point: object = None  # the library's charge point of the open connection
    _reboot: asyncio.Event = field(default_factory=asyncio.Event)
    _reboot_kind: str = ""

    @property
    def make(self) -> Make:
        return self.identity.make

    @property
    def subprotocol(self) -> str:
        return "ocpp2.0.1" if self.make.is_v201 else "ocpp1.6"

    def seconds(self, simulated: float) -> float:
        return simulated / self.speed

    # --- Life cycle ---------------------------------------------------------------------------

    async def run(self, until: float) -> None:
        """Stay connected (reconnecting with back-off) until the loop time `until`."""
        loop = asyncio.get_running_loop()
        episodes = self.plan.episodes()
        failures = 0
        while loop.time() < until:
            try:
                await self._connection(episodes, until)
                failures = 0
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed) as error:
                self.counters.connect_failures += 1
                failures += 1
                logger.warning("%s: connection lost or refused: %s", self.identity.charge_point_id, error)
                backoff = min(2**failures, 30)
                await asyncio.sleep(max(0.0, min(backoff, until - loop.time())))
            if self._reboot.is_set():
                self._reboot.clear()
                self.boot_reason = "RemoteReset"
                await asyncio.sleep(max(0.2, min(self.seconds(REBOOT_SECONDS), until - loop.time())))

    async def _connection(self, episodes, until: float) -> None:
        from chargers.simulator.answers import charge_point_class

        auth = f"{self.identity.charge_point_id}:{self.identity.password}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(auth).decode()}
        uri = f"{self.url.rstrip('/')}/{self.identity.charge_point_id}"
        async with websockets.connect(
            uri, subprotocols=[self.subprotocol], additional_headers=headers, open_timeout=20
        ) as socket:
            if socket.subprotocol != self.subprotocol:
                raise websockets.InvalidHandshake(f"server chose subprotocol {socket.subprotocol!r}")
            charge_point = charge_point_class(self.make)(self.identity.charge_point_id, socket, station=self)
            self.current_charge_point = charge_point
            reader = asyncio.create_task(charge_point.start())
            life = asyncio.create_task(self._live(charge_point, episodes))
            reboot = asyncio.create_task(self._reboot.wait())
            tasks = {reader, life, reboot}
            try:
                timeout = max(0.0, until - asyncio.get_running_loop().time())
                done, _ = await asyncio.wait(tasks, timeout=timeout, return_when="FIRST_COMPLETED")
                if reboot in done:
                    life.cancel()
                    await self._end_transactions(charge_point)
            finally:
                await cancel_and_wait(tasks)
            for task in done - {reboot}:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()

    async def _live(self, charge_point, episodes) -> None:
        await self._boot(charge_point)
        await asyncio.gather(self._heartbeats(charge_point), self._drive(charge_point, episodes))

    async def _boot(self, charge_point) -> None:
        while True:
            result = await charge_point.call(self.boot_notification())
            if result is not None and result.status == "Accepted":
                break
            # Pending or Rejected: try again after the interval the server asked for.
            wait = result.interval if result is not None and result.interval else 60
            await asyncio.sleep(max(1.0, self.seconds(wait)))
        self.heartbeat_interval = result.interval or self.heartbeat_interval
        self.counters.boots += 1
        self.transactions.clear()
        for step in self.plan.boot():
            if step.port in self.inoperative:
                step = self.plan.status(step.port, "Unavailable")
            await asyncio.sleep(self.seconds(step.after))
            await self.send(charge_point, step)

    def boot_notification(self):
        identity = self.identity
        if self.make.is_v201:
            station = {
                "vendor_name": self.make.vendor,
                "model": self.make.model,
                "serial_number": identity.serial_number,
                "firmware_version": self.make.firmware,
            }
            return call201.BootNotification(charging_station=station, reason=self.boot_reason)
        return call16.BootNotification(
            charge_point_vendor=self.make.vendor,
            charge_point_model=self.make.model,
            charge_point_serial_number=identity.serial_number,
            firmware_version=self.make.firmware,
        )

    async def _heartbeats(self, charge_point) -> None:
        heartbeat = call201.Heartbeat() if self.make.is_v201 else call16.Heartbeat()
        while True:
            # Real seconds, not simulated ones: the server judges liveness on its own clock, and
            # compressing heartbeats would only add load.
            await asyncio.sleep(max(1.0, self.heartbeat_interval))
            await self.call(charge_point, heartbeat)

    async def _drive(self, charge_point, episodes) -> None:
        for episode in episodes:
            steps = episode.steps
            if episode.kind == EpisodeKind.SESSION and episode.port in self.inoperative:
                # Nobody can charge on a port taken out of service: only the idle time passes.
                await asyncio.sleep(self.seconds(steps[0].after))
                continue
            for step in steps:
                await asyncio.sleep(self.seconds(step.after))
                await self.send(charge_point, step)

    # --- Sending ------------------------------------------------------------------------------

    async def send(self, charge_point, step: Step):
        """Send one planned step, filling in the clock and the server's transaction id."""
        transaction_id = self.transactions.get(step.port)
        if has_fill(step.payload, TRANSACTION) and transaction_id is None:
            return None  # the server never gave this session an id (refused or lost in a reboot)
        payload = materialise(step.payload, now=utc_now_iso(), transaction_id=transaction_id)
        module = call201 if self.make.is_v201 else call16
        request = getattr(module, step.action)(**camel_to_snake_case(payload))
        result = await self.call(charge_point, request)
        self._remember(step, payload, result)
        return result

    async def call(self, charge_point, request):
        try:
            result = await charge_point.call(request, suppress=False)
        except (OCPPError, TimeoutError) as error:
            self.counters.refused += 1
            logger.warning("%s: %s refused: %s", self.identity.charge_point_id, type(request).__name__, error)
            return None
        self.counters.sent += 1
        return result

    def _remember(self, step: Step, payload: dict, result) -> None:
        if step.action == "StatusNotification":
            self.statuses[step.port] = payload
        elif step.action == "StartTransaction" and result is not None:
            self.transactions[step.port] = result.transaction_id
        elif step.action == "StopTransaction":
            self.transactions.pop(step.port, None)
        elif step.action == "TransactionEvent":
            if payload["eventType"] == "Ended":
                self.transactions.pop(step.port, None)
            else:
                info = payload["transactionInfo"]
                self.transactions[step.port] = (info["transactionId"], payload["seqNo"] + 1)

    # --- Reboot -------------------------------------------------------------------------------

    def request_reboot(self, kind: str) -> None:
        self._reboot_kind = kind
        self._reboot.set()

    async def _end_transactions(self, charge_point) -> None:
        """A reset ends the sessions in progress; the charger says so before it goes down."""
        for port, transaction in list(self.transactions.items()):
            register = round(self.plan.registers[port])
            if self.make.is_v201:
                transaction_id, seq_no = transaction
                request = call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=utc_now_iso(),
                    trigger_reason="ResetCommand",
                    seq_no=seq_no,
                    transaction_info={"transaction_id": transaction_id, "stopped_reason": "ImmediateReset"},
                    evse={"id": port, "connector_id": 1},
                )
            else:
                reason = "HardReset" if self._reboot_kind == "Hard" else "SoftReset"
                request = call16.StopTransaction(
                    meter_stop=register, timestamp=utc_now_iso(), transaction_id=transaction, reason=reason
                )
            await self.call(charge_point, request)
        self.transactions.clear()
