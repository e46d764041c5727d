"""What a simulated charger says, planned ahead and deterministic for a seed.

A plan is a stream of episodes (a charging session, a fault and its clearing), each a list of steps:
an OCPP action, its payload as it goes on the wire (camelCase), and how many *simulated* seconds to
wait before sending it. Values that only exist at send time (the clock, the transaction id the
server assigned) are `Fill` markers that the station replaces when it sends the step.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import models

from chargers.models import MeterReading
from chargers.simulator.profiles import Make


@dataclass(frozen=True)
class Fill:
    """A payload value known only when the step is sent."""

    name: str


NOW = Fill("now")  # the sending time, ISO 8601 UTC
TRANSACTION = Fill("transaction")  # OCPP 1.6: the id the server gave this port's StartTransaction

METER_INTERVAL = 300  # simulated seconds between periodic meter samples during a session


class EpisodeKind(models.TextChoices):
    SESSION = "session", "Charging session"
    FAULT = "fault", "Fault and its clearing"


@dataclass(frozen=True)
class Step:
    """One CALL the charger sends, `after` simulated seconds after the previous one."""

    after: float
    action: str
    payload: dict
    port: int = 0  # 1.6 connector id, 2.0.1 EVSE id; 0 is the charger as a whole


@dataclass(frozen=True)
class Episode:
    """Something that happens to a charger, from start to end."""

    kind: str
    name: str
    port: int
    steps: tuple[Step, ...]


# --- Wire payloads -------------------------------------------------------------------------------


def status_16(port: int, status: str, error_code: str = "NoError", **extra: str) -> dict:
    """A 1.6 StatusNotification; `extra` holds info / vendorId / vendorErrorCode when sent."""
    return {"connectorId": port, "errorCode": error_code, "status": status, "timestamp": NOW, **extra}


def status_201(evse: int, status: str) -> dict:
    return {"timestamp": NOW, "connectorStatus": status, "evseId": evse, "connectorId": 1}


def energy_sample(register_wh: float, context: str, *, v201: bool) -> dict:
    unit = {"unitOfMeasure": {"unit": "Wh"}} if v201 else {"unit": "Wh"}
    return {
        "value": round(register_wh) if v201 else str(round(register_wh)),
        "context": context,
        "measurand": MeterReading.ENERGY_REGISTER,
        "location": "Outlet",
        **unit,
    }


def power_sample(power_w: float, *, v201: bool) -> dict:
    unit = {"unitOfMeasure": {"unit": "W"}} if v201 else {"unit": "W"}
    return {
        "value": round(power_w) if v201 else str(round(power_w)),
        "context": "Sample.Periodic",
        "measurand": "Power.Active.Import",
        **unit,
    }


def notify_event(
    event_id: int,
    component: dict,
    variable: str,
    actual_value: str,
    *,
    tech_code: str = "",
    tech_info: str = "",
    cleared: bool = False,
) -> dict:
    """A 2.0.1 NotifyEvent with one hard-wired alert (raised, or cleared)."""
    event = {
        "eventId": event_id,
        "timestamp": NOW,
        "trigger": "Alerting",
        "actualValue": actual_value,
        "eventNotificationType": "HardWiredNotification",
        "component": component,
        "variable": {"name": variable},
    }
    if tech_code:
        event["techCode"] = tech_code
    if tech_info:
        event["techInfo"] = tech_info
    if cleared:
        event["cleared"] = True
    return {"generatedAt": NOW, "seqNo": 0, "eventData": [event]}


# --- The plan ------------------------------------------------------------------------------------


@dataclass
class TrafficPlan:
    """The traffic of one charger: boot statuses, then sessions and faults forever."""

    make: Make
    charge_point_id: str
    seed: int = 0
    mean_idle: float = 1800.0  # simulated seconds between episodes, on average
    fault_share: float = 0.4
    rng: random.Random = field(init=False)
    registers: dict[int, float] = field(init=False)
    next_event_id: int = field(init=False, default=1)

    def __post_init__(self):
        self.rng = random.Random(f"{self.seed}:{self.charge_point_id}")
        # Lifetime energy registers, one per port; they only ever rise.
        self.registers = {port: round(self.rng.uniform(1e5, 5e6)) for port in self.ports}

    @property
    def ports(self) -> range:
        return range(1, self.make.connectors + 1)

    @property
    def v201(self) -> bool:
        return self.make.is_v201

    def event_id(self) -> int:
        self.next_event_id += 1
        return self.next_event_id - 1

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def status(
        self, port: int, status: str, after: float = 0.0, error_code: str = "NoError", **extra
    ) -> Step:
        if self.v201:
            return Step(after, "StatusNotification", status_201(port, status), port)
        return Step(after, "StatusNotification", status_16(port, status, error_code, **extra), port)

    def boot(self) -> list[Step]:
        """The statuses a charger reports right after its BootNotification is accepted."""
        steps = [] if self.v201 else [self.status(0, "Available")]
        for port in self.ports:
            if self.make.boot_transient:
                # The field quirk: a Faulted blip at power-up that clears within a second or two.
                steps.append(
                    self.status(port, "Faulted", error_code=self.rng.choice(["InternalError", "NoError"]))
                )
                steps.append(self.status(port, "Available", after=self.rng.uniform(0.5, 2.0)))
            else:
                steps.append(self.status(port, "Available"))
        return steps

    def episodes(self) -> Iterator[Episode]:
        from chargers.simulator.dialects import SCENARIOS

        while True:
            port = self.rng.choice(self.ports)
            if self.make.faults and self.rng.random() < self.fault_share:
                name = self.rng.choice(self.make.faults)
                episode = SCENARIOS[name](self, port)
            else:
                episode = self.session(port)
            idle = self.rng.expovariate(1 / self.mean_idle)
            first, *rest = episode.steps
            first = Step(first.after + idle, first.action, first.payload, first.port)
            yield Episode(episode.kind, episode.name, episode.port, (first, *rest))

    # --- Sessions ---------------------------------------------------------------------------

    def session(self, port: int) -> Episode:
        build = self._session_201 if self.v201 else self._session_16
        samples = self.rng.randint(3, 14)
        power = self.rng.uniform(0.35, 0.95) * self.make.max_power_w
        # A fan warning surfaced as a fault while the vehicle keeps charging (the register rises).
        advisory_at = None
        if self.make.advisory_while_charging and samples > 4 and self.rng.random() < 0.5:
            advisory_at = self.rng.randint(1, samples - 3)
        return Episode(EpisodeKind.SESSION, "session", port, tuple(build(port, samples, power, advisory_at)))

    def _charge(self, port: int, power: float) -> float:
        self.registers[port] += power * METER_INTERVAL / 3600 * self.rng.uniform(0.9, 1.05)
        return self.registers[port]

    def _session_16(self, port: int, samples: int, power: float, advisory_at: int | None) -> Iterator[Step]:
        id_tag = f"TAG{self.rng.randint(1000, 9999)}"
        yield self.status(port, "Preparing")
        yield Step(self.rng.uniform(5, 40), "Authorize", {"idTag": id_tag}, port)
        yield Step(
            2,
            "StartTransaction",
            {
                "connectorId": port,
                "idTag": id_tag,
                "meterStart": round(self.registers[port]),
                "timestamp": NOW,
            },
            port,
        )
        yield self.status(port, "Charging", after=1)
        for sample in range(samples):
            register = self._charge(port, power)
            meter_value = {
                "timestamp": NOW,
                "sampledValue": [
                    energy_sample(register, "Sample.Periodic", v201=False),
                    power_sample(power, v201=False),
                ],
            }
            payload = {"connectorId": port, "transactionId": TRANSACTION, "meterValue": [meter_value]}
            yield Step(METER_INTERVAL, "MeterValues", payload, port)
            if sample == advisory_at:
                yield self.status(
                    port, "Faulted", 5, "OtherError", vendorErrorCode="W112", info="Cooling fan 2 speed low"
                )
            if advisory_at is not None and sample == advisory_at + 2:
                yield self.status(port, "Charging", 5)
        stop = {
            "transactionId": TRANSACTION,
            "idTag": id_tag,
            "meterStop": round(self.registers[port]),
            "timestamp": NOW,
            "reason": self.rng.choice(["EVDisconnected", "Local", "Remote"]),
        }
        yield Step(self.rng.uniform(10, 60), "StopTransaction", stop, port)
        yield self.status(port, "Finishing", after=1)
        yield self.status(port, "Available", after=self.rng.uniform(20, 120))

    def _session_201(self, port: int, samples: int, power: float, advisory_at: int | None) -> Iterator[Step]:
        transaction_id = self.uuid()
        sequence = iter(range(10_000))
        evse = {"id": port, "connectorId": 1}

        def transaction_event(event_type: str, trigger: str, state: str, context: str = "", **extra) -> dict:
            payload = {
                "eventType": event_type,
                "timestamp": NOW,
                "triggerReason": trigger,
                "seqNo": next(sequence),
                "transactionInfo": {"transactionId": transaction_id, "chargingState": state, **extra},
                "evse": evse,
            }
            if context:
                sampled = [energy_sample(self.registers[port], context, v201=True)]
                if context == "Sample.Periodic":
                    sampled.append(power_sample(power, v201=True))
                payload["meterValue"] = [{"timestamp": NOW, "sampledValue": sampled}]
            return payload

        yield self.status(port, "Occupied")
        yield Step(1, "TransactionEvent", transaction_event("Started", "CablePluggedIn", "EVConnected"), port)
        token = {"idToken": f"{self.rng.getrandbits(32):08X}", "type": "ISO14443"}
        authorized = transaction_event("Updated", "Authorized", "Charging", "Transaction.Begin")
        yield Step(self.rng.uniform(5, 40), "TransactionEvent", {**authorized, "idToken": token}, port)
        for sample in range(samples):
            self._charge(port, power)
            payload = transaction_event("Updated", "MeterValuePeriodic", "Charging", "Sample.Periodic")
            yield Step(METER_INTERVAL, "TransactionEvent", payload, port)
            if sample == advisory_at:
                yield self.status(port, "Faulted", after=5)
                fan = notify_event(
                    self.event_id(),
                    {"name": "ChargingStation"},
                    "Problem",
                    "true",
                    tech_code="W-FAN-2",
                    tech_info="Cooling fan 2 below minimum speed",
                )
                yield Step(0, "NotifyEvent", fan, port)
            if advisory_at is not None and sample == advisory_at + 2:
                cleared = notify_event(
                    self.event_id(),
                    {"name": "ChargingStation"},
                    "Problem",
                    "false",
                    tech_code="W-FAN-2",
                    cleared=True,
                )
                yield Step(5, "NotifyEvent", cleared, port)
                yield self.status(port, "Occupied")
        ended = transaction_event(
            "Ended",
            "EVDeparted",
            "Idle",
            "Transaction.End",
            stoppedReason=self.rng.choice(["EVDisconnected", "Local"]),
        )
        yield Step(self.rng.uniform(10, 60), "TransactionEvent", ended, port)
        yield self.status(port, "Available", after=1)
