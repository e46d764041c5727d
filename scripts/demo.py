#!/usr/bin/env python
"""Run the whole product on the embedded default: `make demo`.

Migrates a SQLite database, loads the knowledge base, creates the demo logins, then starts the ASGI
server, a real Celery worker, Celery beat and a small simulated fleet, and keeps them running until
Ctrl-C. With --smoke it starts everything, checks that the login page is served, and stops.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def manage(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=check)


def has_command(name: str, env: dict) -> bool:
    listing = subprocess.run(
        [PY, "manage.py", "help", "--commands"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return name in listing.stdout.split()


def wait_for_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)  # the server is still starting: nothing to await but its port
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--chargers", type=int, default=int(os.environ.get("DEMO_CHARGERS", "12")))
    parser.add_argument("--smoke", action="store_true", help="start, check the login page, stop")
    options = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    base = f"http://127.0.0.1:{options.port}"
    env.setdefault("SITE_URL", base)
    # The demo's chargers connect without TLS; a short heartbeat keeps the board lively.
    env.setdefault("OCPP_HEARTBEAT_INTERVAL", "60")

    print("Preparing the database…", flush=True)
    manage("migrate", "--noinput", "-v", "0", env=env)
    if has_command("load_knowledge", env):
        manage("load_knowledge", env=env)
    print(f"\nDemo logins (open {base}/ in a browser):", flush=True)
    manage("create_demo_users", env=env)

    processes: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, args: list[str]) -> None:
        processes.append((name, subprocess.Popen(args, cwd=ROOT, env=env)))

    start(
        "server", [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(options.port), "config.asgi:application"]
    )
    start("worker", [PY, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"])
    start("beat", [PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING"])

    def stop_all(*_):
        for _, process in processes:
            if process.poll() is None:
                process.terminate()
        for _, process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(0)))
    try:
        if not wait_for_http(f"{base}/accounts/login/", timeout=60):
            print("The server did not come up.", file=sys.stderr)
            return 1
        if has_command("simulate", env) and options.chargers > 0:
            start(
                "fleet",
                [
                    PY,
                    "manage.py",
                    "simulate",
                    "--url",
                    f"ws://127.0.0.1:{options.port}/ocpp",
                    "--chargers",
                    str(options.chargers),
                    "--register",
                    # A simulated minute per second: a session, fault or clearing every few seconds.
                    "--speed",
                    "60",
                    "--duration",
                    str(7 * 24 * 3600),
                ],
            )
        print(f"\nFaultline is running at {base}/  (Ctrl-C stops it)", flush=True)
        if options.smoke:
            return 0
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(
                        f"The {name} process stopped (exit {process.returncode}); stopping the demo.",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
