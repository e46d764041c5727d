"""Bad settings stop start-up with a message naming the variable."""

import os
import subprocess
import sys

import pytest

from tests.support.processes import ROOT


def start_django(*command, **env_overrides):
    """Runs `command` (default: `manage.py check`) with the embedded default and a key, then the
    overrides (None removes a variable)."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    env.update({"SECRET_KEY": "x" * 60, "FAULTLINE_VAR_DIR": str(ROOT / "var" / "settings-test")})
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        list(command or [sys.executable, "manage.py", "check"]),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "postgres://nohost:notaport/x"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/"),
        ("DEBUG", "maybe"),
        ("REDIS_URL", "localhost:6379"),
        ("OCPP_HEARTBEAT_INTERVAL", "often"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


PRODUCTION_WITHOUT_KEY = {"SECRET_KEY": None, "DEBUG": "0"}


def test_the_server_refuses_to_start_without_a_secret_key_in_production():
    result = start_django(sys.executable, "-c", "import config.asgi", **PRODUCTION_WITHOUT_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_worker_refuses_to_start_without_a_secret_key_in_production():
    worker = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
    ]
    result = start_django(*worker, **PRODUCTION_WITHOUT_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_deploy_check_fails_without_a_secret_key():
    result = start_django(sys.executable, "manage.py", "check", "--deploy", **PRODUCTION_WITHOUT_KEY)
    assert result.returncode != 0
    assert "faultline.E001" in result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key():
    # A newcomer's `manage.py makemigrations --check` in a bare shell: no DEBUG, no key.
    command = [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"]
    result = start_django(*command, **PRODUCTION_WITHOUT_KEY)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_embedded_default_starts_without_any_service():
    result = start_django(SECRET_KEY=None, DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"HTTPS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        SECRET_KEY="a-long-production-secret-key-with-enough-entropy-3f9a1c7e2b8d4f6a0e5c",
        ALLOWED_HOSTS="faultline.example.org",
        DEBUG="0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


GC_PROBE = "import gc, config.asgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"


def server_collector(threshold: str | None) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SERVER_GC_THRESHOLD"}
    }
    env.update({"DEBUG": "1", "FAULTLINE_VAR_DIR": str(ROOT / "var" / "settings-test")})
    if threshold is not None:
        env["SERVER_GC_THRESHOLD"] = threshold
    result = subprocess.run(
        [sys.executable, "-c", GC_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_server_process_collects_garbage_less_often_and_freezes_what_it_loaded():
    assert server_collector(None) == ["50000", "True"]
    assert server_collector("12345") == ["12345", "True"]


def test_a_zero_gc_threshold_keeps_pythons_defaults():
    assert server_collector("0") == ["700", "False"]
    assert start_django(SERVER_GC_THRESHOLD="-1").returncode != 0
