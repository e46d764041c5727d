"""A small fleet and hand-made episodes for the uptime tests, with days at known boundaries."""

from datetime import UTC, date, datetime, timedelta

from chargers.models import Charger, Connector, MeterReading, Site
from faults.models import EpisodeKind, FaultEpisode, PortDayRollup
from faults.uptime.rollups import roll_up
from knowledgebase.vocabulary import Category

DAY = date(2026, 3, 10)
# Well after every day the tests compute, so that each is complete.
LATER = datetime(2026, 6, 1, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, day: date = DAY, tz=UTC) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=hour, minutes=minute)


def build_charger(
    name: str = "CP-1", *, ports: int = 2, site: Site | None = None, tz: str = "UTC", **site_fields
):
    """A charger with connector 0 and `ports` ports, commissioned long before the test days."""
    if site is None:
        site = Site.objects.create(name=f"Site of {name}", timezone=tz, **site_fields)
    charger = Charger.objects.create(
        charge_point_id=name, site=site, commissioned_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    whole = Connector.objects.create(charger=charger, evse_id=0, connector_id=0)
    numbered = [
        Connector.objects.create(charger=charger, evse_id=n, connector_id=n) for n in range(1, ports + 1)
    ]
    return charger, whole, numbered


def episode(connector, start, end, *, kind=EpisodeKind.FAULT, phantom=False, category=Category.POWER_MODULE):
    return FaultEpisode.objects.create(
        charger=connector.charger,
        connector=connector,
        kind=kind,
        opened_at=start,
        closed_at=end,
        is_phantom=phantom,
        category=category,
    )


def energy_reading(connector, sampled_at, wh):
    return MeterReading.objects.create(
        charger=connector.charger, connector=connector, sampled_at=sampled_at, value=wh, unit="Wh"
    )


def compute(charger, first: date = DAY, last: date | None = None, *, now=LATER) -> None:
    roll_up(Connector.objects.filter(charger=charger), first, last or first, now=now)


def rollup(connector, day: date = DAY) -> PortDayRollup:
    return PortDayRollup.objects.get(connector=connector, day=day)
