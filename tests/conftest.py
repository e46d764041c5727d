"""Shared fixtures: personas, real server processes, a browser.

The suite runs against the real PostgreSQL and Redis (`make test` sets DATABASE_URL and REDIS_URL);
it refuses to run on anything else rather than skip what it cannot test.
"""

import os

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import Role, sync_roles
from tests.support.processes import CeleryWorker, LiveServer

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql" or not settings.REDIS_URL:
        pytest.exit(
            "The test suite runs against real PostgreSQL and Redis: run it with `make test` "
            "(or set DATABASE_URL=postgres://… and REDIS_URL=redis://…).",
            returncode=2,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.exit(f"Redis at {settings.REDIS_URL} is not reachable: {error}", returncode=2)


@pytest.fixture(scope="session", autouse=True)
def _flush_retries_on_deadlock():
    """Transactional tests empty the tables with one TRUNCATE after each test; the real server and
    worker processes may still be finishing a write from that test, and PostgreSQL then aborts one
    side as a deadlock. The flush is simply tried again."""
    from django.db import OperationalError
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        for attempt in range(5):
            try:
                return original(self, sql_list)
            except OperationalError as error:
                if "deadlock" not in str(error) or attempt == 4:
                    raise

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session", autouse=True)
def _clean_redis():
    # The test Redis database belongs to the suite: start from nothing.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


# --- Personas ----------------------------------------------------------------------------------


def make_person(username: str, role: Role | None, *, is_staff: bool = False):
    sync_roles()
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=is_staff)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def operator(db):
    return make_person("olga.operator", Role.OPERATOR)


@pytest.fixture
def technician(db):
    return make_person("tom.technician", Role.TECHNICIAN)


@pytest.fixture
def kb_admin(db):
    return make_person("ada.admin", Role.KB_ADMIN, is_staff=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- Real processes ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, django_db_blocker):
    """The ASGI app under Daphne on a free port, on the test database. Tests that use it must be
    `django_db(transaction=True)` so that what they write is visible to the server."""
    server = LiveServer({"OCPP_HEARTBEAT_INTERVAL": 60, "OCPP_OFFLINE_GRACE": 5})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker on the test database and the test Redis."""
    worker = CeleryWorker()
    yield worker
    worker.stop()


# --- Browser -------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: while Playwright's sync API is open it keeps an event loop marked
    # as running on this thread, and pytest-asyncio cannot run async tests of later modules.
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (make chromium).")
    # Playwright's sync API keeps an event loop on this thread; the ORM calls that tests make
    # around it are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, server, user, password: str = PASSWORD):
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
