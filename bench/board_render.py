"""Benchmark: server time to render the operators' board with 5,000 chargers and 2,000 open faults.

It fills a *dedicated* PostgreSQL database (bulk_create), signs an operator in with Django's test
client and times GET / several times (the median is the figure; the first, cold run is reported apart):

    createdb -h 127.0.0.1 -U postgres fl_board_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_board_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_board_bench .venv/bin/python bench/board_render.py

The database is emptied first: the script refuses to run on one whose name lacks "bench".
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import Role, sync_roles  # noqa: E402
from chargers.models import Charger, Connector, Site  # noqa: E402
from faults.models import FaultEpisode  # noqa: E402
from faults.views import operators  # noqa: E402
from knowledgebase.vocabulary import Category, Responsible, Severity  # noqa: E402

VENDORS = ["Acme Charging", "Alfen", "ABB", "Kempower", "Wallbox", "Zaptec"]
RESPONSIBLE = [r for r in Responsible.values if r != Responsible.NONE]
CATEGORIES = [
    Category.POWER_MODULE,
    Category.EMERGENCY_STOP,
    Category.EV_COMMUNICATION,
    Category.CONNECTOR_LOCK,
]


def refuse_unless_dedicated() -> None:
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Run against a dedicated PostgreSQL database whose name contains 'bench' (it is emptied).")


def fill(chargers: int, faults: int, seed: int) -> None:
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Site._meta.db_table}, {Charger._meta.db_table} RESTART IDENTITY CASCADE")
    sites = Site.objects.bulk_create(
        Site(name=f"Site {n:03d}", latitude=48 + n / 100, longitude=11 + n / 100)
        for n in range(chargers // 20)
    )
    rows = Charger.objects.bulk_create(
        Charger(
            charge_point_id=f"CP-{n:05d}",
            site=sites[n % len(sites)],
            vendor=VENDORS[n % len(VENDORS)],
            model="DC50",
            firmware_version="2.1.0",
            ocpp_version="1.6",
        )
        for n in range(chargers)
    )
    ports = Connector.objects.bulk_create(
        Connector(charger=charger, evse_id=number, connector_id=number, status="Available")
        for charger in rows
        for number in (1, 2)
    )
    now = timezone.now()
    FaultEpisode.objects.bulk_create(
        FaultEpisode(
            charger=port.charger,
            connector=port,
            opened_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 10)),
            status="Faulted",
            error_code="OtherError",
            vendor_error_code=f"0x{rng.randint(0, 0xFFFF):04X}",
            info="DC output module voltage abnormal during idle time",
            category=rng.choice(CATEGORIES),
            severity=rng.choice([Severity.WARNING, Severity.FAULT, Severity.CRITICAL]),
            responsible=rng.choice(RESPONSIBLE),
            meaning="The DC output module reported an abnormal voltage while idle.",
            next_action="Soft reset, then hard reset; if it returns, book vendor service.",
            is_phantom=rng.random() < 0.1,
        )
        for port in rng.sample(ports, faults)
    )


def operator():
    sync_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench.operator")
    user.groups.add(Group.objects.get(name=Role.OPERATOR.value))
    return user


def time_board(client: Client, path: str, runs: int) -> tuple[float, list[float], list[float], int, int]:
    """Wall-clock and this process's CPU milliseconds per request (the first, cold run apart)."""
    timings, cpu = [], []
    for _ in range(runs + 1):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.status_code
    rows = response.content.count(b'class="episode-row')
    return timings[0], timings[1:], cpu[1:], len(queries), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=5_000)
    parser.add_argument("--faults", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    refuse_unless_dedicated()
    started = time.perf_counter()
    fill(args.chargers, args.faults, args.seed)
    elapsed = time.perf_counter() - started
    print(f"filled {args.chargers} chargers, {args.faults} open episodes in {elapsed:.1f} s")
    # No setup_test_environment(): its instrumented template rendering copies the context on every
    # include, which the real server never does and which would dominate a 500-row page.
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator())
    cases = [
        ("board (filtered)", "/", operators.BOARD_ROW_LIMIT),
        ("board (raw)", "/?raw=on", operators.BOARD_ROW_LIMIT),
        ("board, one site", "/?site=1", operators.BOARD_ROW_LIMIT),
        ("board, search", "/?q=CP-001", operators.BOARD_ROW_LIMIT),
        # The same page with no cap on rows: every open episode rendered.
        ("board, every row", "/?raw=on", args.faults),
    ]
    for label, path, limit in cases:
        operators.BOARD_ROW_LIMIT = limit
        cold, warm, cpu, queries, rows = time_board(client, path, args.runs)
        print(
            f"{label:18} median {statistics.median(warm):6.1f} ms "
            f"(min {min(warm):.1f}, max {max(warm):.1f}, "
            f"cold {cold:.1f}; CPU median {statistics.median(cpu):.1f}; {args.runs} runs; {queries} queries; "
            f"{rows} rows rendered)"
        )


if __name__ == "__main__":
    main()
