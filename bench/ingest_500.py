"""Benchmark: OCPP ingestion by one server process with 500 connected chargers.

Registers N chargers in a *dedicated* PostgreSQL database, starts one Daphne process on loopback,
connects N WebSocket clients (asyncio + websockets, hand-written OCPP 1.6 frames), and has each send
StatusNotification / MeterValues / Heartbeat CALLs, one outstanding at a time as OCPP requires, for a
bounded time. It reports acknowledged messages per second and the p50/p99 time from sending a CALL
to receiving its CALLRESULT (which the server sends only after the frame and its rows committed).

    createdb -h 127.0.0.1 -U postgres fl_ingest_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_ingest_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_ingest_bench REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/ingest_500.py --chargers 500 --seconds 20

`--rate R` paces each charger at R messages per second (latency under a steady load); the default,
0, sends the next CALL as soon as the previous one is answered (the throughput ceiling).
`--server uvicorn --workers N` runs N server processes on the one port (Uvicorn's own workers).
The script refuses a database whose name lacks "bench"; it deletes its own chargers afterwards.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from django.db import connection  # noqa: E402

from chargers.models import Charger  # noqa: E402

PREFIX = "BENCH-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def frames(charger_number: int):
    """An endless, realistic mix: mostly status changes and meter values, some heartbeats."""
    energy = 0
    statuses = ["Available", "Preparing", "Charging", "SuspendedEV", "Charging", "Finishing"]
    for sequence in range(10**9):
        kind = sequence % 5
        if kind in (0, 2):
            payload = {
                "connectorId": 1 + charger_number % 2,
                "status": statuses[sequence % len(statuses)],
                "errorCode": "NoError",
                "timestamp": utc_now(),
            }
            yield "StatusNotification", payload
        elif kind in (1, 3):
            energy += random.randint(50, 500)
            yield (
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [
                        {
                            "timestamp": utc_now(),
                            "sampledValue": [
                                {
                                    "value": str(energy),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                },
                                {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                            ],
                        }
                    ],
                },
            )
        else:
            yield "Heartbeat", {}


async def charger(url, number, rate, latencies, errors, connected, everyone_connected):
    charge_point_id = f"{PREFIX}{number:05d}"
    async with websockets.connect(
        f"{url}/ocpp/{charge_point_id}", subprotocols=["ocpp1.6"], open_timeout=60
    ) as ws:
        boot = [2, "boot", "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B1"}]
        await ws.send(json.dumps(boot))
        await ws.recv()
        connected.append(number)
        await everyone_connected.wait()
        if rate:
            await asyncio.sleep(random.uniform(0, 1 / rate))  # spread the fleet: no lockstep bursts
        for sequence, (action, payload) in enumerate(frames(number)):
            unique_id = f"{number}-{sequence}"
            started = time.perf_counter()
            await ws.send(json.dumps([2, unique_id, action, payload]))
            answer = json.loads(await ws.recv())
            elapsed = time.perf_counter() - started
            if answer[0] == 3 and answer[1] == unique_id:
                latencies.append((time.monotonic(), elapsed))
            else:
                errors.append(answer)
            if rate:
                await asyncio.sleep(max(0.0, 1 / rate - elapsed))


async def run(url: str, count: int, seconds: float, rate: float) -> dict:
    latencies: list[tuple[float, float]] = []
    errors: list = []
    connected: list[int] = []
    everyone_connected = asyncio.Event()
    tasks = []
    for number in range(count):
        tasks.append(
            asyncio.create_task(charger(url, number, rate, latencies, errors, connected, everyone_connected))
        )
        if number % 25 == 24:
            await asyncio.sleep(0.5)  # a gentle ramp (50 connections a second), not a reconnect storm
    while len(connected) < count:
        failed = [task for task in tasks if task.done()]
        if failed:
            raise RuntimeError(f"a charger stopped while connecting: {failed[0].exception()!r}")
        await asyncio.sleep(0.1)
    # The measured window opens when the whole fleet is connected and booted.
    everyone_connected.set()
    window_start = time.monotonic()
    await asyncio.sleep(seconds)
    window_end = time.monotonic()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    in_window = sorted(elapsed for at, elapsed in latencies if window_start <= at <= window_end)
    quantiles = statistics.quantiles(in_window, n=100)
    return {
        "chargers": count,
        "seconds": round(window_end - window_start, 1),
        "acknowledged": len(in_window),
        "messages_per_second": round(len(in_window) / (window_end - window_start), 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "errors": len(errors),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=0, help="messages per second per charger; 0 = unpaced")
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    parser.add_argument("--workers", type=int, default=1, help="server processes (Uvicorn only)")
    args = parser.parse_args()

    database = connection.settings_dict["NAME"]
    if "bench" not in database:
        sys.exit(
            f"Refusing to run on database {database!r}: use a dedicated one whose name contains 'bench'."
        )
    Charger.objects.filter(charge_point_id__startswith=PREFIX).delete()
    Charger.objects.bulk_create(Charger(charge_point_id=f"{PREFIX}{n:05d}") for n in range(args.chargers))
    connection.close()

    port = free_port()
    env = {
        **os.environ,
        "OCPP_HEARTBEAT_INTERVAL": "300",
        "LOG_LEVEL": "WARNING",
        "OCPP_THROTTLE_ATTEMPTS": "100000",
    }
    if args.server == "uvicorn":
        command = ["-m", "uvicorn", "config.asgi:application", "--port", str(port), "--log-level", "warning"]
        command += ["--workers", str(args.workers)]
    elif args.workers != 1:
        sys.exit("--workers needs --server uvicorn (run several Daphnes behind a balancer instead).")
    else:
        command = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    server = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("The server did not start.")
                time.sleep(0.1)
        result = asyncio.run(run(f"ws://127.0.0.1:{port}", args.chargers, args.seconds, args.rate))
        result["rate_per_charger"] = args.rate or "unpaced"
        result["server"] = args.server
        result["workers"] = args.workers
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        Charger.objects.filter(charge_point_id__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
