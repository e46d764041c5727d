"""Load generator: N OCPP 1.6 chargers on loopback in one asyncio process, hand-written frames.

Modes:
  steady  every charger boots, then sends a realistic cycle (status changes, a session with meter
          values, heartbeats, now and then a fault in a vendor dialect) at an offered total rate;
  storm   every charger connects at once and sends BootNotification plus a StatusNotification per
          connector (0, 1, 2), as after a power cut or a server restart.

It prints one JSON object: sustained acknowledged messages per second, acknowledgement latency
percentiles, connection setup times, the server's CPU and peak memory (read from /proc of --server-pid
and its children) and, with --database-url, lost and duplicated messages (every acknowledged CALL
must be in the message log exactly once).

    python bench/loadgen.py steady --url ws://127.0.0.1:8000/ocpp --chargers 1000 --rate 2000 --duration 30
"""

import argparse
import asyncio
import base64
import itertools
import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import websockets

CALL, CALLRESULT, CALLERROR = 2, 3, 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


# --- The server's resources, from /proc ----------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """The server process and its descendants (uvicorn/daphne workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / CLOCK_TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
        except OSError:
            pass
    return total


class ServerWatch:
    """Samples the server's memory while the load runs; CPU is the difference of two readings."""

    def __init__(self, pid: int | None):
        self.pid = pid
        self.peak_rss = 0
        self.cpu_start = self.wall_start = 0.0
        self._task = None

    def start(self):
        if self.pid:
            self.pids = process_tree(self.pid)
            self.cpu_start, self.wall_start = cpu_seconds(self.pids), time.monotonic()
            self._task = asyncio.create_task(self._sample())

    async def _sample(self):
        while True:
            self.peak_rss = max(self.peak_rss, rss_bytes(self.pids))
            await asyncio.sleep(0.25)

    def stop(self) -> dict:
        if not self.pid:
            return {}
        self._task.cancel()
        self.peak_rss = max(self.peak_rss, rss_bytes(self.pids))
        cpu = cpu_seconds(self.pids) - self.cpu_start
        wall = time.monotonic() - self.wall_start
        return {
            "server_processes": len(self.pids),
            "server_cpu_seconds": round(cpu, 2),
            "server_cpu_percent": round(100 * cpu / wall, 1),  # 100 = one core busy
            "server_peak_rss_mib": round(self.peak_rss / 2**20, 1),
        }


# --- One charger -----------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, per acknowledged CALL
    sent_at: list[float] = field(default_factory=list)  # perf_counter when each of those was sent
    last_connected_at: float = 0.0
    connect_times: list[float] = field(default_factory=list)
    acknowledged: list[tuple[str, str, str]] = field(default_factory=list)  # (charger, unique id, action)
    call_errors: int = 0
    timeouts: int = 0
    connect_failures: int = 0
    disconnects: int = 0
    storm_ready: list[float] = field(default_factory=list)  # seconds from the storm's start
    # The board's event for a status report carries (charger, connector, status) and `since`: the
    # report's own timestamp, or an earlier one if the port was in that state already (a charger
    # reconnecting says again what it said last). Each side waits here for the other.
    # (charger, connector, status) -> [(report timestamp ms, when acknowledged)], oldest first
    status_acknowledged: dict[tuple, list] = field(default_factory=dict)
    # (charger, connector, status) -> [since ms] of events read before their CALLRESULT
    live_early: dict[tuple, list] = field(default_factory=dict)
    live_delays: list[float] = field(default_factory=list)
    live_connected: asyncio.Event = field(default_factory=asyncio.Event)

    def status_was_acknowledged(self, port_status: tuple, timestamp: str) -> None:
        reported = epoch_ms(timestamp)
        early = self.live_early.get(port_status, [])
        for index, since in enumerate(early):
            if since <= reported:
                # The board had it before the charger read its answer: no delay to speak of.
                del early[index]
                self.live_delays.append(0.0)
                return
        self.status_acknowledged.setdefault(port_status, []).append((reported, time.perf_counter()))

    def board_showed(self, port_status: tuple, since: str) -> None:
        shown_since = epoch_ms(since)
        waiting = self.status_acknowledged.get(port_status, [])
        for index, (reported, acknowledged) in enumerate(waiting):
            if reported >= shown_since:
                del waiting[index]
                self.live_delays.append(time.perf_counter() - acknowledged)
                return
        self.live_early.setdefault(port_status, []).append(shown_since)

    def live_waiting(self) -> int:
        return sum(len(waiting) for waiting in self.status_acknowledged.values())


def epoch_ms(timestamp: str) -> int:
    return round(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def status(connector: int, state: str, error: str = "NoError", **extra) -> tuple[str, dict]:
    return "StatusNotification", {
        "connectorId": connector,
        "errorCode": error,
        "status": state,
        "timestamp": now_iso(),
        **extra,
    }


# Vendor-dialect faults a charger raises now and then (connector, errorCode, extra fields).
FAULTS = [
    (0, "OtherError", {"vendorErrorCode": "F400", "info": "EMERGENCY_STOP_BUTTON_1"}),
    (1, "OtherError", {"vendorId": "https://chargex.inl.gov", "vendorErrorCode": "CX008"}),
    (0, "OtherError", {"vendorId": "com.evgo.mrec", "vendorErrorCode": "A004"}),
    (1, "GroundFailure", {}),
    (
        2,
        "OtherError",
        {"vendorErrorCode": "0x6012", "info": "DC output module Vol abnormal during idle time"},
    ),
]


RUN_TOKEN = f"{time.time_ns() // 1_000_000 % 10**8:x}"


class Charger:
    def __init__(self, number: int, options, stats: Stats):
        self.number = number
        self.charge_point_id = f"{options.prefix}{number:05d}"
        self.options = options
        self.stats = stats
        self.ids = itertools.count(1)
        self.register_wh = 1_000_000 + number * 1000
        self.transaction_id = None
        self.socket = None

    async def connect(self) -> bool:
        headers = {}
        if self.options.password:
            token = base64.b64encode(f"{self.charge_point_id}:{self.options.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        started = time.perf_counter()
        try:
            self.socket = await websockets.connect(
                f"{self.options.url}/{self.charge_point_id}",
                subprotocols=["ocpp1.6"],
                additional_headers=headers,
                compression=None,
                open_timeout=self.options.timeout,
                ping_interval=None,
                close_timeout=2,
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            self.stats.connect_failures += 1
            if self.stats.connect_failures <= 3:
                print(f"{self.charge_point_id}: connect failed: {error!r}", file=sys.stderr)
            return False
        self.stats.connect_times.append(time.perf_counter() - started)
        self.stats.last_connected_at = max(self.stats.last_connected_at, time.perf_counter())
        return True

    async def call(self, action: str, payload: dict) -> dict | None:
        # The run's token keeps ids apart from an earlier run's, which the server would rightly take
        # for retransmissions (same charger, id and payload) and answer without applying.
        unique_id = f"{RUN_TOKEN}-{self.number}-{next(self.ids)}"
        text = json.dumps([CALL, unique_id, action, payload], separators=(",", ":"))
        sent = time.perf_counter()
        try:
            await self.socket.send(text)
            while True:
                reply = json.loads(await asyncio.wait_for(self.socket.recv(), self.options.timeout))
                if reply[0] == CALL:  # the server asks something: this bench charger declines
                    await self.socket.send(json.dumps([CALLERROR, reply[1], "NotSupported", "bench", {}]))
                    continue
                if reply[1] == unique_id:
                    break
        except TimeoutError:
            self.stats.timeouts += 1
            return None
        latency = time.perf_counter() - sent
        if reply[0] == CALLERROR:
            self.stats.call_errors += 1
            return None
        self.stats.latencies.append(latency)
        self.stats.sent_at.append(sent)
        self.stats.acknowledged.append((self.charge_point_id, unique_id, action))
        if action == "StatusNotification":
            self.stats.status_was_acknowledged(
                (self.charge_point_id, payload["connectorId"], payload["status"]), payload["timestamp"]
            )
        return reply[2]

    async def boot(self) -> bool:
        payload = {
            "chargePointVendor": "Benchmark",
            "chargePointModel": "LoadGen-1",
            "chargePointSerialNumber": f"LG{self.number:08d}",
            "firmwareVersion": "1.0",
        }
        result = await self.call("BootNotification", payload)
        return result is not None and result.get("status") == "Accepted"

    def script(self):
        """The endless cycle of a busy charger: a session, statuses, heartbeats, sometimes a fault."""
        for cycle in itertools.count():
            yield status(1, "Preparing")
            yield (
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": f"TAG{self.number % 9000 + 1000}",
                    "meterStart": self.register_wh,
                    "timestamp": now_iso(),
                },
            )
            yield status(1, "Charging")
            for _ in range(6):
                self.register_wh += 1800
                yield (
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "transactionId": self.transaction_id,
                        "meterValue": [
                            {
                                "timestamp": now_iso(),
                                "sampledValue": [
                                    {
                                        "value": str(self.register_wh),
                                        "measurand": "Energy.Active.Import.Register",
                                        "unit": "Wh",
                                        "context": "Sample.Periodic",
                                    },
                                    {"value": "21600", "measurand": "Power.Active.Import", "unit": "W"},
                                ],
                            }
                        ],
                    },
                )
            yield (
                "StopTransaction",
                {
                    "transactionId": self.transaction_id,
                    "meterStop": self.register_wh,
                    "timestamp": now_iso(),
                    "reason": "EVDisconnected",
                },
            )
            yield status(1, "Finishing")
            yield status(1, "Available")
            yield "Heartbeat", {}
            if (cycle + self.number) % 3 == 0:
                connector, error, extra = FAULTS[(cycle + self.number) % len(FAULTS)]
                yield status(connector, "Faulted", error, **extra)
                yield status(connector, "Available")

    async def steady(self, deadline: float, period: float, phase: float) -> None:
        if not await self.connect():
            return
        try:
            if not await self.boot():
                return
            await asyncio.sleep(phase)
            due = time.perf_counter()
            for action, payload in self.script():
                if time.perf_counter() >= deadline:
                    break
                if action in {"MeterValues", "StopTransaction"} and self.transaction_id is None:
                    continue
                result = await self.call(action, payload)
                if action == "StartTransaction":
                    self.transaction_id = (result or {}).get("transactionId")
                due += period
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(min(delay, max(0.0, deadline - time.perf_counter())))
                else:
                    due = time.perf_counter()  # behind schedule: no catch-up burst
        except websockets.ConnectionClosed:
            self.stats.disconnects += 1
        finally:
            await self.socket.close()

    async def storm(self, started: float) -> None:
        if not await self.connect():
            return
        try:
            ready = await self.boot()
            for connector in (0, 1, 2):
                ready = await self.call(*status(connector, "Available")) is not None and ready
            if ready:
                self.stats.storm_ready.append(time.perf_counter() - started)
        except websockets.ConnectionClosed:
            self.stats.disconnects += 1
        finally:
            await self.socket.close()


# --- A browser on the live feed -------------------------------------------------------------------


async def watch_live(url: str, session_cookie: str, stats: Stats) -> None:
    """Follow /ws/live/ as a signed-in browser and time each status change from its acknowledgement."""
    origin = "http://" + url.split("://", 1)[1].split("/", 1)[0]
    headers = {"Cookie": f"sessionid={session_cookie}", "Origin": origin}
    async with websockets.connect(url, additional_headers=headers, compression=None) as socket:
        stats.live_connected.set()
        async for text in socket:
            event = json.loads(text)
            if event.get("event") != "connector.status":
                continue
            stats.board_showed(
                (event["charge_point_id"], event["connector_id"], event["status"]), event["since"]
            )


# --- Checking the database -------------------------------------------------------------------------


def check_database(database_url: str, prefix: str, acknowledged: list[tuple[str, str, str]], since: datetime):
    """Every acknowledged CALL must be in the log exactly once; status reports likewise."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            """
            SELECT c.charge_point_id, m.unique_id, count(*)
            FROM chargers_ocppmessage m JOIN chargers_charger c ON c.id = m.charger_id
            WHERE m.direction = 'in' AND m.message_type = 2 AND m.received_at >= %s
              AND c.charge_point_id LIKE %s
            GROUP BY 1, 2
            """,
            (since, prefix + "%"),
        ).fetchall()
        status_reports = connection.execute(
            """
            SELECT count(*) FROM chargers_statusreport s JOIN chargers_charger c ON c.id = s.charger_id
            WHERE s.received_at >= %s AND c.charge_point_id LIKE %s
            """,
            (since, prefix + "%"),
        ).fetchone()[0]
    stored = {(charger, unique_id): count for charger, unique_id, count in rows}
    lost = sum(1 for charger, unique_id, _ in acknowledged if (charger, unique_id) not in stored)
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    statuses_acknowledged = sum(1 for *_, action in acknowledged if action == "StatusNotification")
    return {
        "lost": lost,
        "duplicated": duplicated,
        "status_reports_stored": status_reports,
        "status_notifications_acknowledged": statuses_acknowledged,
    }


# --- Running ---------------------------------------------------------------------------------------


async def run(options) -> dict:
    stats = Stats()
    chargers = [Charger(number, options, stats) for number in range(1, options.chargers + 1)]
    watch = ServerWatch(options.server_pid)
    since = datetime.now(UTC)
    watch.start()
    live = None
    if options.live_url:
        live = asyncio.create_task(watch_live(options.live_url, options.session_cookie, stats))
        # The browser is on the feed before the first charger speaks (or the watcher has failed).
        await asyncio.wait(
            [live, asyncio.ensure_future(stats.live_connected.wait())],
            timeout=10,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if live.done():
            live.result()  # raises why the browser could not follow the feed
        if not stats.live_connected.is_set():
            raise RuntimeError(f"could not join the live feed at {options.live_url} within 10 s")
    started = time.perf_counter()
    if options.mode == "steady":
        period = options.chargers / options.rate  # seconds between one charger's messages
        deadline = started + options.duration
        # Chargers connect over the ramp, then run; the rate is measured once all are up.
        tasks = []
        for index, charger in enumerate(chargers):
            tasks.append(
                asyncio.create_task(charger.steady(deadline, period, phase=(index % 97) / 97 * period))
            )
            if index % 50 == 49:
                await asyncio.sleep(options.ramp * 50 / options.chargers)
        ramp_done = time.perf_counter()
        acknowledged_at_ramp = len(stats.latencies)
        await asyncio.gather(*tasks)
        measured = time.perf_counter() - ramp_done
        sustained = (len(stats.latencies) - acknowledged_at_ramp) / measured if measured > 0 else 0
        # Steady state: CALLs sent once every charger is connected. (Acknowledged after the ramp
        # but sent during it, the others carry the connection ramp's backlog: reported apart.)
        settled = max(ramp_done, stats.last_connected_at)
        latencies = sorted(
            latency for latency, sent in zip(stats.latencies, stats.sent_at, strict=True) if sent >= settled
        )
        with_ramp = sorted(stats.latencies[acknowledged_at_ramp:])
    else:
        await asyncio.gather(*(charger.storm(started) for charger in chargers))
        measured = time.perf_counter() - started
        sustained = len(stats.latencies) / measured
        latencies = with_ramp = sorted(stats.latencies)
    if live is not None:
        # The last events still on their way: wait until every acknowledged change has been seen,
        # or five quiet seconds have passed.
        waited = 0.0
        while stats.live_waiting() and waited < 5:
            seen = len(stats.live_delays)
            await asyncio.sleep(0.25)
            waited = 0.0 if len(stats.live_delays) > seen else waited + 0.25
        live.cancel()
    server = watch.stop()
    connects = sorted(stats.connect_times)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "mode": options.mode,
        "chargers": options.chargers,
        "offered_rate": options.rate if options.mode == "steady" else None,
        "seconds": round(measured, 2),
        "acknowledged": len(stats.latencies),
        "messages_per_second": round(sustained, 1),
        "ack_p50_ms": _ms(percentile(latencies, 0.50)),
        "ack_p95_ms": _ms(percentile(latencies, 0.95)),
        "ack_p99_ms": _ms(percentile(latencies, 0.99)),
        "ack_p99_ms_with_ramp_backlog": _ms(percentile(with_ramp, 0.99)),
        "connect_p50_ms": _ms(percentile(connects, 0.50)),
        "connect_p95_ms": _ms(percentile(connects, 0.95)),
        "connect_max_ms": _ms(connects[-1] if connects else None),
        "connected": len(connects),
        "connect_failures": stats.connect_failures,
        "call_errors": stats.call_errors,
        "timeouts": stats.timeouts,
        "disconnects": stats.disconnects,
        "loadgen_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        **server,
    }
    if options.mode == "storm":
        ready = sorted(stats.storm_ready)
        report["storm_all_accepted"] = len(ready) == options.chargers
        report["storm_accepted"] = len(ready)
        report["storm_seconds_to_all_accepted"] = round(ready[-1], 2) if ready else None
    if options.live_url:
        delays = sorted(stats.live_delays)
        report["live_events_timed"] = len(delays)
        # Acknowledged status changes the browser never saw (after the quiet wait above).
        report["live_events_missed"] = stats.live_waiting()
        report["live_p50_ms"] = _ms(percentile(delays, 0.50))
        report["live_p95_ms"] = _ms(percentile(delays, 0.95))
        report["live_p99_ms"] = _ms(percentile(delays, 0.99))
    if options.database_url:
        report.update(check_database(options.database_url, options.prefix, stats.acknowledged, since))
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["steady", "storm"])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ocpp")
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument(
        "--rate", type=float, default=500.0, help="steady: offered messages per second in total"
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="steady: seconds of load (ramp included)"
    )
    parser.add_argument("--ramp", type=float, default=5.0, help="steady: seconds over which chargers connect")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before a CALL or connect gives up"
    )
    parser.add_argument("--prefix", default="BENCH-", help="charge point ids are <prefix>00001, …")
    parser.add_argument("--password", default="", help="HTTP Basic password, if the chargers have one")
    parser.add_argument("--server-pid", type=int, help="read CPU and memory of this process and its children")
    parser.add_argument("--database-url", help="check the message log for lost and duplicated messages")
    parser.add_argument(
        "--live-url", help="also follow this /ws/live/ URL as a browser and time status events"
    )
    parser.add_argument("--session-cookie", default="", help="a signed-in user's sessionid for --live-url")
    options = parser.parse_args()
    if options.duration > 600 or options.chargers > 20_000:
        parser.error("keep runs bounded: at most 600 s and 20,000 chargers")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(run(options))), flush=True)


if __name__ == "__main__":
    main()
