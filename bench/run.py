"""Faultline and the bare `ocpp` library under the same load, side by side, several times.

For each fleet size and repetition it starts Faultline's ASGI server (on a PostgreSQL database and a
Redis db of its own), runs the steady load and then the reconnect storm against it, stops it, and
does the same with bench/bare_csms.py. Medians of the repetitions and the ratios Faultline / bare
go to stdout and, with --write, into BENCHMARKS.md between its results markers.

    .venv/bin/python bench/run.py --chargers 1000,5000 --repetitions 3 --write
"""

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PREFIX = "BENCH-"

# Figures the issue sets (name in the report, comparison, target) for the notes under the table.
TARGETS = {
    "messages_per_second": (">=", 2000),
    "ack_p99_ms": ("<", 100),
    "storm_seconds_to_all_accepted": ("<", 30),
    "server_peak_rss_mib": ("<", 2048),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # nothing to await but the port
    raise TimeoutError(f"nothing listening on {port}")


def faultline_env(options) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=options.database_url,
        REDIS_URL=options.redis_url,
        SECRET_KEY="benchmark-only-not-secret",
        DEBUG="0",
        HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_database(options, largest_fleet: int) -> None:
    """Create the benchmark database if needed, migrate it, and register the benchmark chargers."""
    import psycopg

    admin_url = options.database_url.rsplit("/", 1)[0] + "/postgres"
    name = options.database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    env = faultline_env(options)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    # No password: the bench measures ingestion, not PBKDF2 (see BENCHMARKS.md for its cost).
    register = (
        "from chargers.models import Charger\n"
        f"ids = ['{PREFIX}%05d' % n for n in range(1, {largest_fleet} + 1)]\n"
        "Charger.objects.bulk_create([Charger(charge_point_id=i) for i in ids], ignore_conflicts=True)\n"
    )
    subprocess.run([PY, "manage.py", "shell", "-c", register], cwd=ROOT, env=env, check=True)


def operator_session(options) -> str:
    """A signed-in operator's session key, for the browser that follows the board's live feed."""
    script = (
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-operator')\n"
        "user.groups.add(Group.objects.get(name='Operators'))\n"
        "session = SessionStore()\n"
        "session[SESSION_KEY] = str(user.pk)\n"
        "session[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "session[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "session.create()\n"
        "print(session.session_key)\n"
    )
    done = subprocess.run(
        [PY, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=faultline_env(options),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def reset_traffic(options) -> None:
    """Empty the traffic tables and the Redis db, so that every run starts from the same state."""
    import psycopg
    import redis

    with psycopg.connect(options.database_url, autocommit=True) as connection:
        connection.execute(
            "TRUNCATE chargers_ocppmessage, chargers_statusreport, chargers_meterreading, "
            "chargers_transaction, chargers_deviceevent, chargers_connectivitychange, "
            "chargers_connector CASCADE"
        )
        connection.execute("UPDATE chargers_charger SET last_seen_at = NULL, last_boot_at = NULL")
    redis.Redis.from_url(options.redis_url).flushdb()


def start_faultline(options, port: int) -> subprocess.Popen:
    if options.server == "uvicorn":
        args = [PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        args += ["--lifespan", "off", "--log-level", "warning", "--backlog", "8192", "--ws", options.ws]
        if options.workers > 1:
            # Uvicorn's own processes share the listening socket; each has its event loop and writer.
            args += ["--workers", str(options.workers)]
    else:
        args = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--verbosity", "0"]
        if options.handshake_timeout:
            # Daphne drops a WebSocket whose application has not accepted it within this (default 5 s).
            args += ["--websocket_connect_timeout", str(options.handshake_timeout)]
        args += ["config.asgi:application"]
    # A session of its own: stopping it stops every process it started (Uvicorn's workers too).
    return subprocess.Popen(
        args, cwd=ROOT, env=faultline_env(options), stdout=subprocess.DEVNULL, start_new_session=True
    )


def start_bare(port: int) -> subprocess.Popen:
    args = [PY, str(ROOT / "bench" / "bare_csms.py"), "--port", str(port)]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)


def loadgen(
    options,
    mode: str,
    chargers: int,
    port: int,
    pid: int,
    database_url: str | None,
    rate: float | None = None,
    session: str | None = None,
) -> dict:
    args = [PY, str(ROOT / "bench" / "loadgen.py"), mode, "--url", f"ws://127.0.0.1:{port}/ocpp"]
    args += ["--chargers", str(chargers), "--server-pid", str(pid), "--prefix", PREFIX]
    if mode == "steady":
        args += ["--rate", str(rate or options.rate), "--duration", str(options.seconds)]
        args += ["--ramp", str(options.ramp)]
    if database_url:
        args += ["--database-url", database_url]
    if session:
        args += ["--live-url", f"ws://127.0.0.1:{port}/ws/live/", "--session-cookie", session]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def stop(process: subprocess.Popen) -> None:
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)  # whatever is left of its process group
    process.wait()


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


# A fixed piece of pure-Python work (JSON, hashing, dicts: what a CSMS does per frame), timed in a
# process of its own on the idle machine before each repetition. Shared cores do not run at the
# same speed from one hour to the next; this says how fast they were during the run.
REFERENCE_WORK = """
import hashlib, json, time
frame = [2, "19223201", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
    "sampledValue": [{"value": str(n), "measurand": "Energy.Active.Import.Register"} for n in range(8)]}]}]
start = time.process_time()
for n in range(40_000):
    text = json.dumps(frame)
    parsed = json.loads(text)
    hashlib.sha256(text.encode()).hexdigest()
    {key: value for key, value in parsed[3].items()}
print(time.process_time() - start)
"""


def reference_work_ms(times: int = 5) -> float:
    """The median CPU time of the reference work over `times` processes (it varies by ±15 % here)."""
    seconds = []
    for _ in range(times):
        done = subprocess.run([PY, "-c", REFERENCE_WORK], capture_output=True, text=True, check=True)
        seconds.append(float(done.stdout.strip()))
    return round(statistics.median(seconds) * 1000, 1)


def one_repetition(options, chargers: int) -> dict[str, dict]:
    results = {"reference_work_ms": reference_work_ms()}
    for system in ("faultline", "bare"):
        port = free_port()
        session = None
        if system == "faultline":
            reset_traffic(options)
            session = operator_session(options) if options.live else None
            server = start_faultline(options, port)
        else:
            server = start_bare(port)
        try:
            wait_for_port(port, server)
            checked = options.database_url if system == "faultline" else None
            steady = loadgen(options, "steady", chargers, port, server.pid, checked, session=session)
            paced = None
            if options.paced_rate:
                # The same chargers again, offering what the server sustains: latency below saturation.
                paced = loadgen(
                    options, "steady", chargers, port, server.pid, checked, options.paced_rate, session
                )
            storm = loadgen(options, "storm", chargers, port, server.pid, checked)
        finally:
            stop(server)
        results[system] = {"steady": steady, "storm": storm, "paced": paced}
        print(f"  reference work {results['reference_work_ms']} ms CPU", file=sys.stderr, flush=True)
        print(f"  {system}: steady {summary(steady)} | storm {summary(storm)}", file=sys.stderr, flush=True)
    return results


def summary(report: dict) -> str:
    keys = ["messages_per_second", "ack_p50_ms", "ack_p99_ms", "server_peak_rss_mib", "lost", "duplicated"]
    keys += ["storm_seconds_to_all_accepted"] if report["mode"] == "storm" else []
    return ", ".join(f"{key}={report.get(key)}" for key in keys if key in report)


def median(runs: list[dict], key: str):
    values = [run[key] for run in runs if run.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


ROWS = [
    # (label, mode, key)
    ("sustained messages/s (steady)", "steady", "messages_per_second"),
    ("ack latency p50 ms (steady)", "steady", "ack_p50_ms"),
    ("ack latency p95 ms (steady)", "steady", "ack_p95_ms"),
    ("ack latency p99 ms (steady)", "steady", "ack_p99_ms"),
    ("ack latency p99 ms incl. the ramp's backlog (steady)", "steady", "ack_p99_ms_with_ramp_backlog"),
    ("connection setup p50 ms (steady ramp)", "steady", "connect_p50_ms"),
    ("server CPU % of one core (steady)", "steady", "server_cpu_percent"),
    ("server CPU ms per acknowledged message (steady)", "steady", "cpu_ms_per_message"),
    ("server peak RSS MiB (steady)", "steady", "server_peak_rss_mib"),
    ("CALLERRORs + timeouts (steady)", "steady", "errors"),
    ("lost / duplicated (steady, checked in the log)", "steady", "lost_duplicated"),
    ("board: status change pushed to a browser p50 ms (steady)", "steady", "live_p50_ms"),
    ("board: … p95 ms (steady)", "steady", "live_p95_ms"),
    ("board: … p99 ms (steady)", "steady", "live_p99_ms"),
    ("board: changes timed / missed (steady)", "steady", "live_timed_missed"),
    ("paced: messages/s (offered --paced-rate)", "paced", "messages_per_second"),
    ("paced: ack latency p50 ms", "paced", "ack_p50_ms"),
    ("paced: ack latency p95 ms", "paced", "ack_p95_ms"),
    ("paced: ack latency p99 ms", "paced", "ack_p99_ms"),
    ("paced: ack latency p99 ms incl. the ramp's backlog", "paced", "ack_p99_ms_with_ramp_backlog"),
    ("lost / duplicated (paced, checked in the log)", "paced", "lost_duplicated"),
    ("board: status change pushed to a browser p50 ms (paced)", "paced", "live_p50_ms"),
    ("board: … p95 ms (paced)", "paced", "live_p95_ms"),
    ("board: … p99 ms (paced)", "paced", "live_p99_ms"),
    ("board: changes timed / missed (paced)", "paced", "live_timed_missed"),
    ("storm: seconds until all accepted", "storm", "storm_seconds_to_all_accepted"),
    ("storm: chargers fully accepted", "storm", "storm_accepted"),
    ("storm: connection setup p95 ms", "storm", "connect_p95_ms"),
    ("storm: ack latency p99 ms", "storm", "ack_p99_ms"),
    ("storm: server peak RSS MiB", "storm", "server_peak_rss_mib"),
    ("lost / duplicated (storm, checked in the log)", "storm", "lost_duplicated"),
]


# Figures given per run rather than as a median, and what the bare library has instead.
TEXT_FIGURES = {"lost_duplicated": "not stored", "live_timed_missed": "no board"}


def derived(run: dict) -> dict:
    run = dict(run)
    run["errors"] = run["call_errors"] + run["timeouts"]
    if "lost" in run:
        run["lost_duplicated"] = f"{run['lost']} / {run['duplicated']}"
    if run.get("server_cpu_percent") is not None and run.get("messages_per_second"):
        run["cpu_ms_per_message"] = round(10 * run["server_cpu_percent"] / run["messages_per_second"], 3)
    if "live_events_timed" in run:
        run["live_timed_missed"] = f"{run['live_events_timed']:,} / {run['live_events_missed']:,}"
    return run


def table(chargers: int, repetitions: list[dict]) -> list[str]:
    reference = [rep["reference_work_ms"] for rep in repetitions if "reference_work_ms" in rep]
    lines = [
        f"#### {chargers:,} chargers — median of {len(repetitions)} runs",
        "",
        *(
            [
                f"The machine's speed before each run: a fixed pure-Python workload took "
                f"{', '.join(f'{ms:,.0f}' for ms in reference)} ms of CPU "
                "(`bench/run.py` REFERENCE_WORK, median of five; more means slower cores).",
                "",
            ]
            if reference
            else []
        ),
        "| figure | Faultline | bare `ocpp` library | Faultline / bare |",
        "|---|---:|---:|---:|",
    ]
    for label, mode, key in ROWS:
        if any(rep["faultline"].get(mode) is None for rep in repetitions):
            continue  # e.g. no paced run asked for
        ours = [derived(rep["faultline"][mode]) for rep in repetitions]
        bare = [derived(rep["bare"][mode]) for rep in repetitions]
        if not any(key in run for run in ours):
            continue  # e.g. the board was not followed (no --live)
        if key in TEXT_FIGURES:
            ours_value = "; ".join(run.get(key, "–") for run in ours)
            lines.append(f"| {label} | {ours_value} | {TEXT_FIGURES[key]} | |")
            continue
        ours_value, bare_value = median(ours, key), median(bare, key)
        ratio = (
            f"{ours_value / bare_value:.2f}"
            if isinstance(ours_value, int | float) and isinstance(bare_value, int | float) and bare_value
            else ""
        )
        lines.append(f"| {label} | {_fmt(ours_value)} | {_fmt(bare_value)} | {ratio} |")
    return lines + [""]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else f"{value}"


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        "?",
    )
    memory_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kib / 2**20:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "?"


def write_results(text: str, label: str) -> None:
    """Replace this label's results block in BENCHMARKS.md (appended at the end the first time)."""
    path = ROOT / "BENCHMARKS.md"
    document = path.read_text()
    begin, end = f"<!-- results:{label}:begin -->", f"<!-- results:{label}:end -->"
    if begin not in document:
        document = document.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    start, stop = document.index(begin) + len(begin), document.index(end)
    path.write_text(document[:start] + "\n" + text + "\n" + document[stop:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", default="1000", help="comma-separated fleet sizes, e.g. 1000,5000")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2000, help="offered messages/s in the steady load")
    parser.add_argument("--seconds", type=float, default=30, help="length of each steady load")
    parser.add_argument("--ramp", type=float, default=5, help="seconds over which steady chargers connect")
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    parser.add_argument(
        "--ws",
        choices=["auto", "websockets", "websockets-sansio", "wsproto"],
        default="auto",
        help="Uvicorn's WebSocket implementation",
    )
    parser.add_argument("--workers", type=int, default=1, help="Uvicorn server processes (one per core)")
    parser.add_argument(
        "--paced-rate", type=float, help="also run the steady load at this rate (latency below saturation)"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="a signed-in operator's browser follows the board's live feed during the steady loads",
    )
    parser.add_argument("--handshake-timeout", type=int, help="Daphne's websocket_connect_timeout, seconds")
    parser.add_argument("--label", help="names the results block in BENCHMARKS.md (default: the server)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fl_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--write", action="store_true", help="write the tables into BENCHMARKS.md")
    options = parser.parse_args()
    sizes = [int(size) for size in options.chargers.split(",")]
    prepare_database(options, max(sizes))
    command = " ".join(["bench/run.py", *sys.argv[1:]])
    sections = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()} on {machine()}; "
        f"server: {options.server}, "
        + (f"{options.workers} processes" if options.workers > 1 else "one process")
        + (f" (handshake timeout {options.handshake_timeout} s)" if options.handshake_timeout else "")
        + "; "
        f"steady load offered {options.rate:g} messages/s for {options.seconds:g} s"
        + (f", then {options.paced_rate:g} messages/s" if options.paced_rate else "")
        + "; "
        f"command: `.venv/bin/python {command}`.",
        "",
    ]
    raw = {}
    for size in sizes:
        repetitions = []
        for number in range(options.repetitions):
            print(f"{size} chargers, run {number + 1}/{options.repetitions}", file=sys.stderr, flush=True)
            repetitions.append(one_repetition(options, size))
        raw[size] = repetitions
        sections += table(size, repetitions)
    text = "\n".join(sections)
    print(text)
    label = options.label or options.server
    (ROOT / "bench" / f"last-run-{label}.json").write_text(json.dumps(raw, indent=1))
    if options.write:
        label = options.label or options.server
        write_results(text, label)


if __name__ == "__main__":
    main()
