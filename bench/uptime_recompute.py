"""Benchmark: a month of uptime rollups for 10,000 ports, the hourly pass, and a dirty sweep.

It fills a *dedicated* PostgreSQL database with a fleet and a month of history (bulk_create), then
times a full recompute of the month, one hourly incremental pass and one sweep of dirty marks:

    createdb -h 127.0.0.1 -U postgres fl_uptime_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_uptime_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_uptime_bench .venv/bin/python bench/uptime_recompute.py

The database is emptied first: the script refuses to run on one whose name lacks "bench".
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from chargers.models import Charger, Connector, MeterReading, Site  # noqa: E402
from faults.models import DirtyUptimeRange, EpisodeKind, Exclusion, FaultEpisode, PortDayRollup  # noqa: E402
from faults.uptime.reports import Method, port_figures  # noqa: E402
from faults.uptime.rollups import mark_ports_dirty, roll_up, roll_up_dirty, roll_up_recent  # noqa: E402
from knowledgebase.vocabulary import Category, ExclusionReason  # noqa: E402

ZONES = ["America/Los_Angeles", "America/New_York", "Europe/Berlin", "UTC", "Asia/Tokyo", "Australia/Sydney"]
CATEGORIES = [
    Category.POWER_MODULE,
    Category.EV_COMMUNICATION,
    Category.CONNECTOR_LOCK,
    Category.GROUND_FAULT,
]
BATCH = 5_000


def refuse_unless_dedicated() -> None:
    settings = connection.settings_dict
    if connection.vendor != "postgresql" or "bench" not in settings["NAME"]:
        sys.exit("Run against a dedicated PostgreSQL database whose name contains 'bench' (it is emptied).")


def empty_database() -> None:
    tables = [model._meta.db_table for model in (PortDayRollup, DirtyUptimeRange, Exclusion, Site)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {', '.join(tables)}, {FaultEpisode._meta.db_table} RESTART IDENTITY CASCADE"
        )


def generate(ports_wanted: int, first: date, last: date, seed: int) -> dict:
    """A fleet of two-port chargers and a month of history with the proportions of a real network."""
    rng = random.Random(seed)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    minutes = ((last - first).days + 1) * 1440
    counts = {}

    def moment() -> datetime:
        return start + timedelta(minutes=rng.randrange(minutes))

    every_day = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    sites = Site.objects.bulk_create(
        Site(
            name=f"Bench site {n}",
            timezone=ZONES[n % len(ZONES)],
            hours_of_operation=every_day if n % 5 == 0 else {},
        )
        for n in range(max(1, ports_wanted // 100))
    )
    chargers = Charger.objects.bulk_create(
        (
            Charger(
                charge_point_id=f"BENCH-{n:05d}",
                site=sites[n % len(sites)],
                commissioned_at=start + timedelta(days=12)
                if n % 50 == 0
                else datetime(2024, 1, 1, tzinfo=UTC),
            )
            for n in range(ports_wanted // 2)
        ),
        batch_size=BATCH,
    )
    connectors = Connector.objects.bulk_create(
        (Connector(charger=c, evse_id=n, connector_id=n) for c in chargers for n in (0, 1, 2)),
        batch_size=BATCH,
    )
    whole = connectors[0::3]
    ports = [c for c in connectors if c.evse_id]
    counts.update(sites=len(sites), chargers=len(chargers), ports=len(ports))

    episodes = []
    for port in ports:
        for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10])):
            opened = moment()
            phantom = rng.random() < 0.15
            length = rng.uniform(0.5, 4) if phantom else rng.expovariate(1 / 45)
            if rng.random() < 0.03:
                length = rng.uniform(600, 4000)  # a broken module waiting for a technician
            episodes.append(_episode(port, EpisodeKind.FAULT, opened, length, rng, phantom=phantom))
        for _ in range(rng.choice([0, 1, 2, 3])):
            episodes.append(_episode(port, EpisodeKind.WARNING, moment(), rng.uniform(1, 120), rng))
    offline = []
    for zero in whole:
        for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
            episode = _episode(zero, EpisodeKind.OFFLINE, moment(), rng.uniform(5, 360), rng)
            episodes.append(episode)
            offline.append(episode)
        if rng.random() < 0.5:
            episodes.append(_episode(zero, EpisodeKind.FAULT, moment(), rng.expovariate(1 / 30), rng))
    FaultEpisode.objects.bulk_create(episodes, batch_size=BATCH)
    counts["episodes"] = len(episodes)

    # A fifth of offline periods had a session going on: readings every 5 minutes, delivered later.
    readings = []
    port_of = {p.charger_id: p for p in ports if p.evse_id == 1}
    for episode in offline:
        if rng.random() < 0.2 and episode.closed_at:
            port = port_of[episode.charger_id]
            sampled = episode.opened_at
            while sampled < episode.opened_at + (episode.closed_at - episode.opened_at) / 2:
                readings.append(
                    MeterReading(
                        charger_id=port.charger_id, connector=port, sampled_at=sampled, value=1.0, unit="Wh"
                    )
                )
                sampled += timedelta(minutes=5)
    MeterReading.objects.bulk_create(readings, batch_size=BATCH)
    counts["meter_readings"] = len(readings)

    exclusions = [
        Exclusion(
            connector=rng.choice(ports),
            start=(opened := moment()),
            end=opened + timedelta(hours=rng.uniform(1, 30)),
            reason=rng.choice(ExclusionReason.values),
        )
        for _ in range(len(ports) // 50)
    ] + [
        Exclusion(
            site=site, start=(opened := moment()), end=opened + timedelta(hours=2), reason="utility_outage"
        )
        for site in sites[::5]
    ]
    Exclusion.objects.bulk_create(exclusions, batch_size=BATCH)
    counts["exclusions"] = len(exclusions)
    return counts


def _episode(connector, kind, opened, length_minutes, rng, *, phantom=False) -> FaultEpisode:
    closed = opened + timedelta(minutes=length_minutes)
    return FaultEpisode(
        charger_id=connector.charger_id,
        connector=connector,
        kind=kind,
        opened_at=opened,
        closed_at=None if rng.random() < 0.002 else closed,
        is_phantom=phantom,
        category=rng.choice(CATEGORIES) if kind != EpisodeKind.OFFLINE else Category.CONNECTIVITY,
    )


def timed(label: str, work, unit: str = "rollup rows"):
    began = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - began
    print(f"{label:<58} {elapsed:8.2f} s   ({result:,} {unit})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10", help="YYYY-MM (default 2026-10)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    refuse_unless_dedicated()

    year, number = (int(part) for part in args.month.split("-"))
    first = date(year, number, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    after_the_month = datetime.combine(last, datetime.min.time(), tzinfo=UTC) + timedelta(days=2)

    empty_database()
    began = time.perf_counter()
    counts = generate(args.ports, first, last, args.seed)
    print(
        f"generated in {time.perf_counter() - began:.1f} s: "
        + ", ".join(f"{k}={v:,}" for k, v in counts.items())
    )

    everything = Connector.objects.all()
    timed(
        f"full recompute of {first:%Y-%m} ({(last - first).days + 1} days)",
        lambda: roll_up(everything, first, last, now=after_the_month),
    )
    timed("same again (every row an update)", lambda: roll_up(everything, first, last, now=after_the_month))
    in_the_month = datetime.combine(last, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14, minutes=5)
    timed("hourly incremental pass (today and a few hours back)", lambda: roll_up_recent(now=in_the_month))

    dirty_ports = Connector.objects.filter(evse_id__gt=0).order_by("?")[: args.ports // 20]
    mark_ports_dirty(
        Connector.objects.filter(id__in=list(dirty_ports.values_list("id", flat=True))),
        in_the_month - timedelta(days=2),
        in_the_month - timedelta(days=1),
    )
    timed(
        f"dirty sweep: {args.ports // 20:,} ports with late events two days back",
        lambda: roll_up_dirty(now=in_the_month),
    )

    timed(
        "uptime figures of every port over the month (uptime/ API)",
        lambda: len(port_figures(everything, first, last, method=Method.PERIOD, filtered=True)),
        "ports",
    )


if __name__ == "__main__":
    main()
