#!/usr/bin/env python
"""Screenshots for the README: the board, a charger page, a fault page with its playbook and the uptime
page, at desktop (1280 px) and phone (390 px) widths, saved as PNGs in docs/screenshots/.

It needs nothing but the project's virtualenv and Debian's chromium: a throwaway SQLite database is
migrated and filled the way the product fills it (status reports folded into episodes by the fault
tasks, run in-process; uptime rolled up from them), then the real ASGI server is started on it and a
headless browser signs in as the demo operator.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = Path(tempfile.mkdtemp(prefix="faultline-screenshots-"))
SETTINGS = {
    "DATABASE_URL": f"sqlite:///{WORKDIR}/screenshots.sqlite3",
    "FAULTLINE_VAR_DIR": str(WORKDIR),
    "REDIS_URL": "",
    "DEBUG": "1",
    "HTTPS": "0",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
os.environ.update(SETTINGS)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def report(connector, status, when, error_code="NoError", **fields):
    """Store a status report and fold it into episodes as the worker would."""
    from chargers.models import OcppMessage, StatusReport
    from faults import tasks

    message = OcppMessage.objects.create(
        charger=connector.charger,
        received_at=when,
        direction="in",
        message_type=2,
        unique_id=f"sn-{connector.pk}-{int(when.timestamp())}",
        action="StatusNotification",
        payload={
            "connectorId": connector.connector_id,
            "status": status,
            "errorCode": error_code,
            **{key: value for key, value in fields.items() if value},
        },
        ocpp_version="1.6",
    )
    OcppMessage.objects.create(
        charger=connector.charger,
        received_at=when + timedelta(milliseconds=40),
        direction="out",
        message_type=3,
        unique_id=message.unique_id,
        payload={},
        ocpp_version="1.6",
    )
    row = StatusReport.objects.create(
        charger=connector.charger,
        connector=connector,
        status=status,
        error_code=error_code,
        vendor_id=fields.get("vendorId", ""),
        vendor_error_code=fields.get("vendorErrorCode", ""),
        info=fields.get("info", ""),
        charger_timestamp=when,
        received_at=when,
        event_at=when,
        message=message,
    )
    tasks.status_reported(row.pk)
    connector.status, connector.error_code, connector.status_since = status, error_code, when
    connector.vendor_error_code = fields.get("vendorErrorCode", "")
    connector.info = fields.get("info", "")
    connector.save(update_fields=["status", "error_code", "status_since", "vendor_error_code", "info"])
    return row


def fill() -> dict:
    from chargers.models import Charger, Command, CommandStatus, Connector, Site
    from faults import actions
    from faults.models import FaultEpisode
    from faults.uptime.rollups import roll_up
    from knowledgebase.seed.loader import load_knowledge
    from knowledgebase.vocabulary import PhantomReason

    current_app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)
    call_command("create_demo_users", stdout=open(os.devnull, "w"))  # noqa: SIM115
    load_knowledge()
    now = timezone.now()
    sites = [
        Site.objects.create(name="Harbour Depot", address="Kai 4, Hamburg", latitude=53.54, longitude=9.98),
        Site.objects.create(name="Airport P3", address="Terminal Road 1", latitude=52.36, longitude=13.50),
        Site.objects.create(
            name="City Hall Garage", address="Market Square 2", latitude=48.14, longitude=11.58
        ),
    ]
    fleet = [
        ("HD-01", 0, "Voltaro", "VX-150", "3.2.1"),
        ("HD-02", 0, "Voltaro", "VX-150", "3.2.1"),
        ("HD-03", 0, "Brightwatt", "BW-22", "1.8.0"),
        ("AP-11", 1, "Brightwatt", "BW-22", "1.8.0"),
        ("AP-12", 1, "Voltaro", "VX-90", "2.0.4"),
        ("CH-21", 2, "Brightwatt", "BW-22", "1.9.2"),
    ]
    chargers = {}
    for cp, site, vendor, model, firmware in fleet:
        charger = Charger.objects.create(
            charge_point_id=cp,
            site=sites[site],
            vendor=vendor,
            model=model,
            firmware_version=firmware,
            serial_number=f"SN-{cp}",
            ocpp_version="1.6",
            commissioned_at=now - timedelta(days=400),
            last_seen_at=now - timedelta(seconds=20),
        )
        Connector.objects.create(charger=charger, evse_id=0, connector_id=0, status="Available")
        for number in (1, 2):
            port = Connector.objects.create(
                charger=charger,
                evse_id=number,
                connector_id=number,
                commissioned_at=now - timedelta(days=400),
            )
            report(port, "Available", now - timedelta(days=90))
        chargers[cp] = charger

    def port(cp, number):
        return chargers[cp].connectors.get(evse_id=number)

    # History for the uptime chart: a few faults a month, one long one, and a boot-transient phantom.
    for days_ago, cp, hours in [(75, "HD-01", 40), (52, "AP-11", 5), (33, "CH-21", 12), (12, "HD-03", 30)]:
        start = now - timedelta(days=days_ago)
        report(port(cp, 1), "Faulted", start, "OtherError", vendorErrorCode="0x6012")
        report(port(cp, 1), "Available", start + timedelta(hours=hours))
    # Open now: an e-stop, a module fault, a ground fault, a charging-advisory.
    report(
        port("HD-01", 1),
        "Faulted",
        now - timedelta(minutes=42),
        "OtherError",
        vendorErrorCode="F400",
        info="F400: EMERGENCY_STOP_BUTTON_1",
    )
    report(
        port("HD-02", 2),
        "Faulted",
        now - timedelta(hours=3),
        "OtherError",
        vendorErrorCode="0x6012",
        info="DC output module Vol abnormal during idle time",
    )
    report(port("AP-11", 1), "Faulted", now - timedelta(hours=7), "GroundFailure", vendorErrorCode="10")
    report(port("CH-21", 2), "Faulted", now - timedelta(days=1, hours=2), "ConnectorLockFailure")
    report(
        port("AP-12", 1),
        "Faulted",
        now - timedelta(minutes=12),
        "InternalError",
        vendorErrorCode="E-31",
        info="<b>Board temp</b> high",
    )
    for cp, number, status in [("HD-03", 1, "Charging"), ("AP-12", 2, "Charging"), ("CH-21", 1, "Preparing")]:
        report(port(cp, number), status, now - timedelta(minutes=25))
    estop = FaultEpisode.objects.get(charger=chargers["HD-01"], closed_at=None)
    # A past fault that the phantom filter explained away: raw and filtered uptime differ by it.
    advisory = FaultEpisode.objects.get(charger=chargers["HD-03"], opened_at__lt=now - timedelta(days=5))
    actions.mark_phantom(
        advisory,
        reason=PhantomReason.ADVISORY_WHILE_CHARGING,
        evidence={"energy_register_wh": [18250.0, 21410.0], "transaction": "demo-1"},
    )
    from django.contrib.auth import get_user_model

    Command.objects.create(
        charger=chargers["HD-01"],
        action="Reset",
        payload={"type": "Soft"},
        requested_by=get_user_model().objects.get(username="operator"),
        requested_at=now - timedelta(minutes=30),
        status=CommandStatus.ANSWERED,
        response={"status": "Accepted"},
        answered_at=now - timedelta(minutes=30),
        context=f"fault:{estop.pk}",
    )
    roll_up(Connector.objects.all(), (now - timedelta(days=100)).date(), now.date())
    from faults.models.playbook_run import mark_step, start_playbook_run
    from faults.views.technicians import playbook_steps_for

    technician = get_user_model().objects.get(username="technician")
    name, steps = playbook_steps_for(estop)
    run = start_playbook_run(estop, technician, name, steps)
    mark_step(run.steps.order_by("position").first(), technician, done=True)
    return {"charger": "HD-02", "fault": estop.pk, "run": run.pk}


def shoot(out: Path, targets: dict) -> list[Path]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **SETTINGS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    people = {
        ("operator", "operator-demo-pass"): {
            "board": "/",
            "charger": f"/chargers/{targets['charger']}/",
            "fault": f"/faults/{targets['fault']}/",
            "uptime": "/uptime/?site=1",
        },
        ("technician", "technician-demo-pass"): {
            "my-work": "/my-work/?lat=53.55&lon=10.0",
            "playbook-run": f"/runs/{targets['run']}/",
        },
    }
    saved = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)  # nothing to await but the port opening
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            for label, (width, height) in WIDTHS.items():
                for (username, password), pages in people.items():
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    page.goto(f"{base}/accounts/login/")
                    page.fill("#id_username", username)
                    page.fill("#id_password", password)
                    page.click("button[type=submit]")
                    page.wait_for_url(lambda url: "/accounts/login" not in url)
                    for name, path in pages.items():
                        page.goto(base + path)
                        if page.locator("#live-indicator").count():
                            page.locator("#live-indicator[data-state=live]").wait_for(timeout=15_000)
                        target = out / f"{name}-{label}.png"
                        page.screenshot(path=str(target), full_page=True)
                        saved.append(target)
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        targets = fill()
        for path in shoot(args.out, targets):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
