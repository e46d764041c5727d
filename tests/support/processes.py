"""Real server processes for end-to-end tests: the ASGI server and a Celery worker.

They run as subprocesses (not forked from the test process: asgiref's executor does not survive
fork) against the test database and the test Redis, exactly as in production.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_<name>)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def server_env(**overrides) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    # The browser fixture relaxes async safety for the test process only.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class Process:
    """A subprocess whose output is kept (last lines) and can be waited on for a line."""

    def __init__(self, name: str, args: list[str], env: dict):
        self.name = name
        self.lines: deque[str] = deque(maxlen=400)
        self._seen = threading.Condition()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.popen.stdout:
            with self._seen:
                self.lines.append(line.rstrip())
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with self._seen:
            while not any(needle in line for line in self.lines):
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name} did not print {needle!r}:\n{self.output()}")
                self._seen.wait(remaining)

    def _started_or_stopped(self, wait) -> None:
        # A process that never became ready must not outlive the test run holding connections.
        try:
            wait()
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class LiveServer(Process):
    """The real ASGI application under Daphne (or Uvicorn) on a free loopback port."""

    def __init__(self, env_overrides: dict | None = None, server: str = "daphne"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = server_env(**(env_overrides or {}))
        if server == "uvicorn":
            args = [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ]
        else:
            args = [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                # Daphne drops a socket its application has not accepted within 5 s, without an
                # HTTP answer; on a machine busy with the rest of the suite a connect can take
                # longer. Production advice is the same for reconnect storms (README).
                "--websocket_connect_timeout",
                "30",
                "config.asgi:application",
            ]
        super().__init__(f"{server}:{self.port}", args, env)
        self._started_or_stopped(lambda: self.wait_until_listening(timeout=60))

    def wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} is not listening:\n{self.output()}") from None
                time.sleep(0.05)  # polling a port: there is no event to await before it listens


class CeleryWorker(Process):
    def __init__(self, env_overrides: dict | None = None):
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        super().__init__("celery-worker", args, server_env(**(env_overrides or {})))
        self._started_or_stopped(lambda: self.wait_for_line("ready.", timeout=60))
