"""Server time of pages, API lists and the uptime roll-up against a generated fleet history.

Run after `manage.py generate_fleet_history` on the same database; requests go through Django's
test client in this process (server time: view, queries, template), each several times, medians.

    DATABASE_URL=… ALLOWED_HOSTS=testserver python bench/scale_pages.py --prefix HIST
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def timed(action, repetitions: int) -> tuple[float, object]:
    durations, result = [], None
    for _ in range(repetitions):
        started = time.perf_counter()
        result = action()
        durations.append(time.perf_counter() - started)
    return round(statistics.median(durations) * 1000, 1), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="HIST")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--skip-uptime", action="store_true")
    options = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from accounts.roles import Role, sync_roles
    from chargers.models import Charger, Connector
    from faults.uptime.rollups import roll_up

    sync_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench.operator")
    user.groups.add(Group.objects.get(name=Role.OPERATOR.value))
    client = Client()
    client.force_login(user)
    fleet = Charger.objects.filter(charge_point_id__startswith=f"{options.prefix}-")
    busiest = fleet.annotate(logged=Count("messages")).order_by("-logged").first()
    figures = {
        "chargers": fleet.count(),
        "ports": Connector.objects.filter(charger__in=fleet, evse_id__gt=0).count(),
    }

    def get(url: str):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        return fetch

    pages = {
        "operators' board (/)": "/",
        "fault list API, open (/api/v1/faults/?state=open)": "/api/v1/faults/?state=open",
        "fault list API, all (/api/v1/faults/)": "/api/v1/faults/",
        "charger message log API, first page": f"/api/v1/chargers/{busiest.charge_point_id}/messages/",
        "charger list API (/api/v1/chargers/)": "/api/v1/chargers/",
    }
    for label, url in pages.items():
        milliseconds, size = timed(get(url), options.repetitions)
        figures[label] = {"median_ms": milliseconds, "bytes": size}
        print(f"{label}: {milliseconds} ms", file=sys.stderr, flush=True)
    if not options.skip_uptime:
        today = timezone.localdate()
        first = today - timedelta(days=30)
        ports = Connector.objects.filter(charger__in=fleet)
        milliseconds, rows = timed(lambda: roll_up(ports, first, today - timedelta(days=1)), 1)
        figures["uptime recompute, a month for every port"] = {
            "seconds": round(milliseconds / 1000, 1),
            "rows": rows,
        }
        print(f"uptime recompute: {milliseconds / 1000:.1f} s for {rows} rows", file=sys.stderr, flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
