"""Benchmark: bytes per logged OCPP frame, and a charger's first page of the log, on the partitioned table.

It fills a *dedicated* PostgreSQL database with a realistic mix of frames (heartbeats, meter values,
status notifications and a few others, each CALL with its answer) spread over daily partitions with
one INSERT ... SELECT generate_series, then reports heap, TOAST and index bytes per row and times
"this charger, newest first" (the API's first page of 50 and its count) and a one-hour time range,
printing the plans so partition pruning and index use can be checked:

    createdb -h 127.0.0.1 -U postgres fl_parts_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_parts_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_parts_bench \
        .venv/bin/python bench/message_log_bytes.py --rows 1000000 --plans

The log is emptied first: the script refuses to run on a database whose name lacks "bench".

Measured on the 2-core development machine (PostgreSQL 15, shared with other work), 10,000,000 frames
over 30 days (`--rows 10000000 --days 30`): 408 B per frame in all (243 heap + TOAST, 56 the
newest-first index, 56 the (charger, unique_id) index, 32 the primary key, 23 the received_at
index); a charger's first page of 50 in 1.9 ms (median, 6.2 ms the first time), its count in 0.9 ms,
one hour of the whole log counted in 1.5 ms from the one partition it touches. On that log, a first
retention run (heartbeats 7 days, the rest 25) deleted 1.8 million heartbeats from 18 days and dropped
5 whole days in 29 s; a day's heartbeats (67,000) take 1.2 s, a run with nothing due a few ms.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from chargers.models import Charger, OcppMessage, Site  # noqa: E402

LOG = OcppMessage._meta.db_table

# One row per frame; g is the frame number, p = g / 2 the exchange (CALL g odd, its answer g even).
# The mix per exchange: 30 % Heartbeat, 45 % MeterValues (three sampled values), 20 %
# StatusNotification, 5 % DataTransfer; payloads are shaped like OCPP 1.6 ones.
FILL = f"""
INSERT INTO {LOG} (received_at, direction, message_type, unique_id, action, payload, raw,
                  ocpp_version, error, charger_id)
SELECT %(start)s::timestamptz + (p * %(step)s) * interval '1 millisecond' + mod(g, 2) * interval '40 ms',
       CASE WHEN mod(g, 2) = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN mod(g, 2) = 1 THEN 2 ELSE 3 END,
       md5(p::text)::uuid::text,
       action,
       CASE
         WHEN mod(g, 2) = 0 AND action = 'Heartbeat'
           THEN jsonb_build_object('currentTime', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
         WHEN mod(g, 2) = 0 AND action = 'DataTransfer' THEN jsonb_build_object('status', 'Accepted')
         WHEN mod(g, 2) = 0 THEN '{{}}'::jsonb
         WHEN action = 'Heartbeat' THEN '{{}}'::jsonb
         WHEN action = 'MeterValues' THEN jsonb_build_object(
           'connectorId', 1 + mod(p, 2), 'transactionId', mod(p, 100000),
           'meterValue', jsonb_build_array(jsonb_build_object(
             'timestamp', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'sampledValue', jsonb_build_array(
               jsonb_build_object('value', mod(p, 90000)::text || '.5', 'context', 'Sample.Periodic',
                                  'measurand', 'Energy.Active.Import.Register', 'unit', 'Wh'),
               jsonb_build_object('value', mod(p, 220)::text, 'measurand', 'Power.Active.Import',
                                  'unit', 'kW'),
               jsonb_build_object('value', mod(p, 32)::text, 'measurand', 'Current.Import', 'unit', 'A',
                                  'phase', 'L1')))))
         WHEN action = 'StatusNotification' THEN jsonb_build_object(
           'connectorId', 1 + mod(p, 2), 'errorCode', 'NoError',
           'status', (ARRAY['Available', 'Preparing', 'Charging', 'Finishing'])[1 + mod(p, 4)],
           'timestamp', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
         ELSE jsonb_build_object('vendorId', 'Acme', 'messageId', 'diag', 'data', 'temp=41;fan=2200')
       END,
       '', '1.6', '',
       %(first_charger)s + mod(p * 7919, %(chargers)s)
FROM (
  SELECT g, g / 2 AS p,
         CASE WHEN mod(g / 2, 20) < 6 THEN 'Heartbeat'
              WHEN mod(g / 2, 20) < 15 THEN 'MeterValues'
              WHEN mod(g / 2, 20) < 19 THEN 'StatusNotification'
              ELSE 'DataTransfer' END AS action
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
) AS frames
"""


def refuse_unless_dedicated() -> None:
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit(
            "Run against a dedicated PostgreSQL database whose name contains 'bench' (its log is emptied)."
        )


def fill(rows: int, chargers: int, days: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {LOG}, {Charger._meta.db_table}, {Site._meta.db_table} RESTART IDENTITY CASCADE"
        )
    site = Site.objects.create(name="Bench depot", timezone="UTC")
    created = Charger.objects.bulk_create(
        [Charger(charge_point_id=f"BENCH-{n:05d}", site=site) for n in range(chargers)], batch_size=5000
    )
    end = datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {LOG}_ensure_partitions(%s, %s)", [start.date(), end.date() + timedelta(days=1)]
        )
    step_ms = days * 86_400_000 / (rows / 2)
    began = time.perf_counter()
    chunk = 1_000_000
    for first in range(1, rows + 1, chunk):
        last = min(first + chunk - 1, rows)
        with connection.cursor() as cursor:
            cursor.execute(
                FILL,
                {
                    "start": start,
                    "step": step_ms,
                    "first": first,
                    "last": last,
                    "first_charger": created[0].id,
                    "chargers": chargers,
                },
            )
        print(f"  {last:,} frames written ({time.perf_counter() - began:.0f} s)", flush=True)
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {LOG}")
    return seconds


def sizes() -> tuple[int, dict[str, int]]:
    """Rows, partitions, and bytes of heap (+TOAST) and of each index, summed over the partitions."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {LOG}")
        count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [LOG])
        found_partitions = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(pg_table_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = %s::regclass",
            [LOG],
        )
        found = {"table (heap + TOAST)": int(cursor.fetchone()[0])}
        cursor.execute(
            "SELECT parent.relname, coalesce(sum(pg_relation_size(i.inhrelid)), 0) FROM pg_index x "
            "JOIN pg_class parent ON parent.oid = x.indexrelid "
            "LEFT JOIN pg_inherits i ON i.inhparent = x.indexrelid "
            "WHERE x.indrelid = %s::regclass GROUP BY parent.relname ORDER BY parent.relname",
            [LOG],
        )
        for name, size in cursor.fetchall():
            found[f"index {name}"] = int(size)
    return count, found_partitions, found


def timed(sql: str, params: list, runs: int = 7) -> tuple[float, float, str]:
    """First (cold-ish) and median of the later runs, in ms, and the EXPLAIN ANALYZE plan."""
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            began = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - began) * 1000)
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return times[0], statistics.median(times[1:]), plan


def measure_queries(show_plans: bool) -> None:
    charger_id = Charger.objects.order_by("id").values_list("id", flat=True)[123]
    first_page = OcppMessage.objects.filter(charger_id=charger_id).order_by("-received_at", "-id")
    page_sql, page_params = first_page[:50].query.sql_with_params()
    count_sql, count_params = first_page.values("id").order_by().query.sql_with_params()
    count_sql = f"SELECT count(*) FROM ({count_sql}) AS rows"
    newest = OcppMessage.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    hour = OcppMessage.objects.filter(
        received_at__gte=newest - timedelta(hours=25), received_at__lt=newest - timedelta(hours=24)
    )
    hour_sql, hour_params = hour.values("id").order_by().query.sql_with_params()
    hour_sql = f"SELECT count(*) FROM ({hour_sql}) AS rows"
    for label, sql, params in (
        ("charger's first page (50, newest first)", page_sql, page_params),
        ("charger's row count (the page's count)", count_sql, count_params),
        ("one hour of the whole log (count)", hour_sql, hour_params),
    ):
        first, median, plan = timed(sql, params)
        print(f"{label}: first {first:.1f} ms, median of 6 more {median:.1f} ms")
        if show_plans:
            print("    " + plan.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="frames to write (CALLs and answers)")
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=7, help="days the frames are spread over")
    parser.add_argument("--keep", action="store_true", help="measure the log already there, write nothing")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of each query")
    options = parser.parse_args()
    refuse_unless_dedicated()
    if not options.keep:
        print(f"Writing {options.rows:,} frames for {options.chargers:,} chargers over {options.days} days…")
        seconds = fill(options.rows, options.chargers, options.days)
        print(
            f"Written in {seconds:.1f} s ({options.rows / seconds:,.0f} frames/s, "
            "one INSERT … SELECT per million)"
        )
    count, found_partitions, found = sizes()
    total = sum(found.values())
    print(f"\n{count:,} frames in {LOG} ({found_partitions} partitions):")
    for name, size in found.items():
        print(f"  {name:<40} {size / 2**20:9.1f} MiB  {size / max(count, 1):7.1f} B/frame")
    print(f"  {'total':<40} {total / 2**20:9.1f} MiB  {total / max(count, 1):7.1f} B/frame\n")
    measure_queries(options.plans)


if __name__ == "__main__":
    main()
