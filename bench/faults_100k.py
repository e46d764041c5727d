"""Benchmark: how fast the faults pipeline classifies and filters 100,000 status events.

It fills a *dedicated* PostgreSQL database with a fleet and its status history (bulk_create, the
way ingestion would have stored it), then runs the faults app's announced task on every report, in
this process, with Celery in eager mode: each report is folded into episodes, every opened or closed
episode is translated through the knowledge base, judged by the phantom checks and correlated, each
in its own transaction, exactly as the worker does it. About 1 % of the reports are delivered late
(queued while offline), which makes their port's episodes be rebuilt.

    createdb -h 127.0.0.1 -U postgres fl_faults_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_faults_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_faults_bench REDIS_URL=redis://127.0.0.1:6379/15 \
        .venv/bin/python bench/faults_100k.py

The database is emptied first: the script refuses to run on one whose name lacks "bench". Give it a
Redis database nobody else uses: every episode change is pushed to the live dashboard group.
"""

import argparse
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.db import connection  # noqa: E402

from chargers.models import Charger, Connector, MeterReading, Site, StatusReport, Transaction  # noqa: E402
from faults import tasks  # noqa: E402
from faults.models import EpisodeKind, FaultEpisode, SiteIncident  # noqa: E402
from knowledgebase.seed.loader import load_knowledge  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
# What a charging cycle reports, and the faults it may be interrupted by (weights in brackets).
CYCLE = ["Preparing", "Charging", "SuspendedEV", "Charging", "Finishing", "Available"]
FAULTS = [
    ({"error_code": "OtherError", "vendor_error_code": "F400: EMERGENCY_STOP_BUTTON_1"}, 2),
    ({"error_code": "OtherError", "info": "[42300]Emergency stop button pressed"}, 1),
    ({"error_code": "InternalError"}, 4),
    ({"error_code": "NoError"}, 3),  # empty faults
    ({"error_code": "GroundFailure"}, 1),
    ({"error_code": "OtherError", "vendor_error_code": "0x6012", "info": "DC output module Vol abnormal"}, 2),
    ({"error_code": "OtherError", "vendor_id": "https://chargex.inl.gov", "vendor_error_code": "CX019"}, 1),
    ({"error_code": "ConnectorLockFailure"}, 2),
    ({"error_code": "OtherError", "vendor_error_code": "FAN_LOW", "info": "Cooling fan speed low"}, 2),
]


def refuse_unless_dedicated() -> None:
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Run this on a dedicated PostgreSQL database whose name contains 'bench'.")


def fill(events: int, chargers: int, seed: int) -> tuple[list[int], Counter]:
    """Store the fleet and `events` status reports; return the report ids in delivery order."""
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Site._meta.db_table}, {Charger._meta.db_table} RESTART IDENTITY CASCADE")
    sites = Site.objects.bulk_create(Site(name=f"Site {n:03d}") for n in range(max(1, chargers // 10)))
    fleet = Charger.objects.bulk_create(
        Charger(
            charge_point_id=f"CP-{n:05d}",
            site=sites[n % len(sites)],
            vendor=["Acme Charging", "Alfen", "ABB", "Kempower"][n % 4],
            model="DC50",
            firmware_version="2.1.0",
            ocpp_version="1.6",
        )
        for n in range(chargers)
    )
    ports = Connector.objects.bulk_create(
        Connector(charger=charger, evse_id=number, connector_id=number)
        for charger in fleet
        for number in (0, 1, 2)
    )
    faults, weights = zip(*FAULTS, strict=True)
    # Connector 0 speaks only when the charger as a whole changes: a tenth of a port's traffic.
    per_port = events / (len(ports) * 21 / 30)
    reports, sessions, readings, kinds = [], [], [], Counter()
    for port in ports:
        moment = START + timedelta(seconds=rng.randint(0, 3600))
        made = 0
        while made < (per_port / 10 if port.connector_id == 0 else per_port):
            if port.connector_id == 0 or rng.random() < 0.1:
                fault = rng.choices(faults, weights)[0]
                kinds[fault.get("vendor_error_code") or fault.get("info") or fault["error_code"]] += 1
                lasting = rng.choice([1, 20, 90, 900, 4 * 3600])
                if fault.get("vendor_error_code") == "FAN_LOW" and port.connector_id:
                    # An advisory: the session and the energy keep going through the "fault".
                    session = Transaction(
                        charger_id=port.charger_id,
                        connector=port,
                        transaction_id=f"{port.pk}-{made}",
                        id_tag="BENCH",
                        started_at=moment - timedelta(minutes=5),
                        stopped_at=moment + timedelta(seconds=lasting + 60),
                    )
                    sessions.append(session)
                    readings += [
                        MeterReading(
                            charger_id=port.charger_id,
                            connector=port,
                            sampled_at=moment + timedelta(seconds=lasting * step / 3),
                            value=1000 + 500 * step,
                            unit="Wh",
                        )
                        for step in range(4)
                    ]
                reports.append(_report(port, moment, "Faulted", **fault))
                reports.append(_report(port, moment + timedelta(seconds=lasting), "Available"))
                moment += timedelta(seconds=lasting + rng.randint(60, 3600))
                made += 2
                continue
            for status in CYCLE:
                moment += timedelta(seconds=rng.randint(5, 1800))
                reports.append(_report(port, moment, status))
            made += len(CYCLE)
    StatusReport.objects.bulk_create(reports, batch_size=5000)
    Transaction.objects.bulk_create(sessions, batch_size=5000)
    MeterReading.objects.bulk_create(readings, batch_size=5000)
    # Delivery order: by receive time; 1 % were queued while the charger was offline and arrive
    # after a later report of their port.
    order = sorted(reports, key=lambda r: (r.event_at, r.pk))
    for index in rng.sample(range(len(order) - 10), len(order) // 100):
        order.insert(index + rng.randint(2, 10), order.pop(index))
    return [report.pk for report in order], kinds


def _report(port: Connector, moment: datetime, status: str, **fields) -> StatusReport:
    return StatusReport(
        charger_id=port.charger_id,
        connector=port,
        status=status,
        error_code=fields.get("error_code", "NoError"),
        vendor_id=fields.get("vendor_id", ""),
        vendor_error_code=fields.get("vendor_error_code", ""),
        info=fields.get("info", ""),
        charger_timestamp=moment,
        received_at=moment,
        event_at=moment,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chargers", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    refuse_unless_dedicated()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    load_knowledge()
    started = time.perf_counter()
    delivery, _ = fill(args.events, args.chargers, args.seed)
    print(f"stored {len(delivery)} status reports in {time.perf_counter() - started:.1f} s")

    current_app.conf.task_always_eager = True  # the worker's code path, in this process
    started = time.perf_counter()
    for done, report_id in enumerate(delivery, start=1):
        tasks.status_reported.delay(report_id)
        if done % 10_000 == 0:
            so_far = time.perf_counter() - started
            print(f"  {done} events in {so_far:.0f} s ({done / so_far:,.0f} events/s)", flush=True)
    elapsed = time.perf_counter() - started

    episodes = FaultEpisode.objects.exclude(kind=EpisodeKind.OFFLINE)
    phantoms = Counter(episodes.filter(is_phantom=True).values_list("phantom_reason", flat=True))
    categories = Counter(episodes.values_list("category", flat=True))
    print(
        f"classified and filtered {len(delivery)} status events in {elapsed:.1f} s: "
        f"{len(delivery) / elapsed:,.0f} events/s"
    )
    print(
        f"episodes: {episodes.count()} ({episodes.filter(kind=EpisodeKind.FAULT).count()} faults), "
        f"phantom: {dict(phantoms)}, site incidents: {SiteIncident.objects.count()}"
    )
    print(f"categories: {dict(categories.most_common(8))}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
