"""A small simulated fleet against the real server: the chargers boot, report, and their faults are stored."""

import asyncio
import threading
import time

import pytest

from chargers.models import Charger, DeviceEvent, Direction, OcppMessage, StatusReport
from chargers.simulator.dialects import SCENARIOS
from chargers.simulator.fleet import FleetOptions, build_fleet, make_stations, register_fleet, run_fleet
from chargers.simulator.profiles import MAKES
from chargers.simulator.station import cancel_and_wait
from chargers.simulator.traffic import TrafficPlan

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DEADLINE = 90  # seconds for the whole fleet to have shown what the test waits for


class FleetInBackground:
    """Runs the fleet on its own event loop in a thread, so the test can read the database meanwhile."""

    def __init__(self, stations, options: FleetOptions):
        self.stations, self.options = stations, options
        self.loop = asyncio.new_event_loop()
        self.stopped = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self):
        fleet = asyncio.create_task(run_fleet(self.stations, self.options))
        await asyncio.wait([fleet, asyncio.create_task(self.stopped.wait())], return_when="FIRST_COMPLETED")
        await cancel_and_wait([fleet])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stopped.set)
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the simulated fleet did not stop"


def fault_signatures(make) -> set[tuple]:
    """Every (errorCode, vendorId, vendorErrorCode, info) this 1.6 make raises a fault with."""
    signatures = set()
    for seed in range(20):
        plan = TrafficPlan(make, "SIGNATURES", seed=seed)
        for name in make.faults:
            raised = SCENARIOS[name](plan, 1).steps[0].payload
            signatures.add(
                (
                    raised["errorCode"],
                    raised.get("vendorId", ""),
                    raised.get("vendorErrorCode", ""),
                    raised.get("info", ""),
                )
            )
    return signatures


def dialect_faults_stored(charger, make) -> list:
    """The faults of this charger stored with their vendor fields (not the empty or boot-time kind)."""
    if make.is_v201:
        return list(DeviceEvent.objects.filter(charger=charger).exclude(tech_code=""))
    return list(
        StatusReport.objects.filter(charger=charger, status="Faulted").exclude(vendor_error_code="", info="")
    )


def wait_until(condition, what: str):
    # Nothing to await from here: the rows appear in another process, so poll with a deadline.
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {DEADLINE}s, still waiting for {what}")
        time.sleep(0.25)


def test_a_simulated_fleet_boots_reports_and_its_vendor_faults_are_stored(live_server_process):
    fleet = build_fleet(len(MAKES), seed=11, prefix="E2E")
    register_fleet(fleet, seed=11)
    options = FleetOptions(
        url=f"{live_server_process.ws_url}/ocpp",
        duration=DEADLINE + 30,
        speed=600,
        seed=11,
        mean_idle=30,
        fault_share=1.0,
        ramp=1,
    )
    chargers = {identity.charge_point_id: identity for identity in fleet}
    with FleetInBackground(make_stations(fleet, options), options):
        wait_until(
            lambda: all(
                dialect_faults_stored(charger, chargers[charger.charge_point_id].make)
                for charger in Charger.objects.filter(charge_point_id__in=chargers)
            ),
            "a fault in each make's dialect",
        )

    for charger in Charger.objects.filter(charge_point_id__in=chargers):
        make = chargers[charger.charge_point_id].make
        # Identity comes from the BootNotification the simulator sent.
        assert (charger.vendor, charger.model, charger.firmware_version, charger.ocpp_version) == (
            make.vendor,
            make.model,
            make.firmware,
            make.ocpp_version,
        )
        assert charger.serial_number == chargers[charger.charge_point_id].serial_number
        reported_ports = set(
            StatusReport.objects.filter(charger=charger).values_list("connector__evse_id", flat=True)
        )
        assert reported_ports >= set(range(1, make.connectors + 1)) | (set() if make.is_v201 else {0})
        log = OcppMessage.objects.filter(charger=charger)
        assert log.filter(direction=Direction.IN, action="BootNotification").exists()
        assert log.filter(direction=Direction.OUT, message_type=3).exists()
        faults = dialect_faults_stored(charger, make)
        if make.is_v201:
            assert {event.tech_code for event in faults} <= {
                "CX008",
                "CX002",
                "L-04",
                "NG-310",
                "NG-122",
                "E2107",
                "E0450",
                "W-FAN-2",
            }
        else:
            stored = {
                (report.error_code, report.vendor_id, report.vendor_error_code, report.info)
                for report in faults
            }
            # The advisory while charging is Ampwell's, outside its fault scenarios.
            advisory = {("OtherError", "", "W112", "Cooling fan 2 speed low")}
            assert stored <= fault_signatures(make) | advisory, stored
