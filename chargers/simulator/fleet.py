"""A fleet of simulated chargers: who they are, their rows in the database, and running them together."""

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass

from django.db import transaction

from chargers.models import Charger, Site
from chargers.simulator.profiles import MAKES
from chargers.simulator.station import Counters, Identity, Station
from chargers.simulator.traffic import TrafficPlan

logger = logging.getLogger("chargers.simulator")

SITE_NAMES = ("Harbour Road", "Millbrook Park & Ride", "Eastgate Retail", "Station Square", "Lakeside Depot")


def simulated_password(charge_point_id: str, seed: int) -> str:
    """A charger's Basic-auth password, derived so that a later run with the same seed can log in.

    These are demo credentials for simulated chargers only; real chargers get random passwords.
    """
    digest = hashlib.sha256(f"faultline-simulator:{seed}:{charge_point_id}".encode()).hexdigest()
    return digest[:24]


def build_fleet(count: int, seed: int = 0, prefix: str = "SIM") -> list[Identity]:
    """`count` chargers, the makes taken in turn so that a small fleet still has every dialect."""
    rng = random.Random(seed)
    fleet = []
    for number in range(1, count + 1):
        make = MAKES[(number - 1) % len(MAKES)]
        charge_point_id = f"{prefix}-{make.key}-{number:05d}"
        serial = f"{make.key}{rng.randrange(10**8):08d}"
        fleet.append(Identity(charge_point_id, make, serial, simulated_password(charge_point_id, seed)))
    return fleet


@transaction.atomic
def register_fleet(fleet: list[Identity], seed: int = 0) -> int:
    """Create the sites and chargers (with their passwords) that do not exist yet; ports come from traffic."""
    sites = [Site.objects.get_or_create(name=f"{name} (simulated)")[0] for name in SITE_NAMES]
    existing = set(
        Charger.objects.filter(charge_point_id__in=[each.charge_point_id for each in fleet]).values_list(
            "charge_point_id", flat=True
        )
    )
    created = []
    for index, identity in enumerate(fleet):
        if identity.charge_point_id in existing:
            continue
        charger = Charger(charge_point_id=identity.charge_point_id, site=sites[index % len(sites)])
        charger.set_password(identity.password)
        created.append(charger)
    Charger.objects.bulk_create(created)
    return len(created)


@dataclass(frozen=True)
class FleetOptions:
    url: str
    duration: float  # real seconds
    speed: float = 1.0
    seed: int = 0
    mean_idle: float = 1800.0  # simulated seconds between a charger's episodes
    fault_share: float = 0.4  # of episodes that are faults rather than sessions
    ramp: float = 5.0  # real seconds over which the chargers connect, so they do not all arrive at once


def make_stations(fleet: list[Identity], options: FleetOptions) -> list[Station]:
    return [
        Station(
            identity=identity,
            url=options.url,
            plan=TrafficPlan(
                identity.make, identity.charge_point_id, options.seed, options.mean_idle, options.fault_share
            ),
            speed=options.speed,
        )
        for identity in fleet
    ]


async def run_fleet(stations: list[Station], options: FleetOptions) -> Counters:
    """Run every station until the duration is over; returns the fleet's summed counters."""
    loop = asyncio.get_running_loop()
    until = loop.time() + options.duration
    rng = random.Random(options.seed)

    async def start(station: Station) -> None:
        await asyncio.sleep(rng.uniform(0, options.ramp) if len(stations) > 1 else 0)
        await station.run(until)

    outcomes = await asyncio.gather(*(start(station) for station in stations), return_exceptions=True)
    for station, outcome in zip(stations, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            logger.error("%s stopped: %r", station.identity.charge_point_id, outcome)
    total = Counters()
    for station in stations:
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(station.counters, name))
    return total
