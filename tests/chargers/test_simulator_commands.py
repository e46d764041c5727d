"""Simulated chargers answer the server's commands, checked with a hand-written central system.

The central system here writes and reads raw OCPP-J frames itself (no `ocpp` library on this
side), so a casing or schema slip of the simulator cannot hide behind the library on both ends.
"""

import asyncio
import base64
import contextlib
import itertools
import json

import pytest
import websockets

from chargers.simulator.fleet import FleetOptions, build_fleet, make_stations
from chargers.simulator.station import Identity, cancel_and_wait

WAIT = 10  # seconds for any single frame to arrive

BOOT_REPLY = {"currentTime": "2026-11-21T06:00:00Z", "interval": 300, "status": "Accepted"}
REPLIES = {
    "BootNotification": BOOT_REPLY,
    "Heartbeat": {"currentTime": "2026-11-21T06:00:00Z"},
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 7, "idTagInfo": {"status": "Accepted"}},
}


class Link:
    """One charger's connection as the central system sees it."""

    def __init__(self, socket):
        self.socket = socket
        self.calls: asyncio.Queue = asyncio.Queue()  # CALLs from the charger, already answered
        self.answers: dict[str, asyncio.Future] = {}
        self.ids = itertools.count(1)

    async def pump(self):
        async for text in self.socket:
            frame = json.loads(text)
            if frame[0] == 2:
                _, unique_id, action, payload = frame
                await self.socket.send(json.dumps([3, unique_id, REPLIES.get(action, {})]))
                await self.calls.put((action, payload))
            elif frame[1] in self.answers:
                self.answers.pop(frame[1]).set_result(frame)

    async def next_call(self, action: str) -> dict:
        """The next CALL of `action` from the charger (skipping others, e.g. heartbeats)."""
        while True:
            got, payload = await asyncio.wait_for(self.calls.get(), WAIT)
            if got == action:
                return payload

    async def command(self, action: str, payload: dict) -> list:
        unique_id = f"cmd-{next(self.ids)}"
        self.answers[unique_id] = asyncio.get_running_loop().create_future()
        await self.socket.send(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(self.answers[unique_id], WAIT)


class Central:
    def __init__(self):
        self.links: asyncio.Queue = asyncio.Queue()
        self.requests = []

    async def handle(self, socket):
        self.requests.append(socket.request)
        link = Link(socket)
        await self.links.put(link)
        with contextlib.suppress(websockets.ConnectionClosed):
            await link.pump()

    async def next_link(self) -> Link:
        return await asyncio.wait_for(self.links.get(), WAIT)


@contextlib.asynccontextmanager
async def simulated(make_key: str):
    """A hand-written central system and one simulated charger of that make connected to it."""
    central = Central()
    async with websockets.serve(
        central.handle, "127.0.0.1", 0, subprotocols=["ocpp1.6", "ocpp2.0.1"]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        identity = next(each for each in build_fleet(6, seed=9) if each.make.key == make_key)
        # No episodes during the test: only what the commands cause.
        options = FleetOptions(url=f"ws://127.0.0.1:{port}/ocpp", duration=60, speed=1000, mean_idle=1e12)
        (station,) = make_stations([identity], options)
        running = asyncio.create_task(station.run(asyncio.get_running_loop().time() + 60))
        try:
            yield central, station, identity
        finally:
            await cancel_and_wait([running])


async def booted(central: Central, identity: Identity) -> tuple[Link, dict, list]:
    link = await central.next_link()
    boot = await link.next_call("BootNotification")
    reports = (0 if identity.make.is_v201 else 1) + identity.make.connectors * (
        2 if identity.make.boot_transient else 1
    )
    statuses = [await link.next_call("StatusNotification") for _ in range(reports)]
    return link, boot, statuses


async def test_a_1_6_charger_logs_in_boots_with_its_identity_and_reports_connector_0_and_its_ports():
    async with simulated("BRL") as (central, station, identity):
        link, boot, statuses = await booted(central, identity)
        assert boot == {
            "chargePointVendor": "Brightline",
            "chargePointModel": "CX-150",
            "chargePointSerialNumber": identity.serial_number,
            "firmwareVersion": "1.8.0-mrec",
        }
        assert link.socket.subprotocol == "ocpp1.6"
        expected = base64.b64encode(f"{identity.charge_point_id}:{identity.password}".encode()).decode()
        assert central.requests[0].headers["Authorization"] == f"Basic {expected}"
        assert central.requests[0].path == f"/ocpp/{identity.charge_point_id}"
        assert [(each["connectorId"], each["status"]) for each in statuses] == [
            (0, "Available"),
            (1, "Available"),
            (2, "Available"),
        ]


async def test_a_1_6_charger_reboots_after_a_reset_and_boots_again():
    async with simulated("BRL") as (central, station, identity):
        link, _, _ = await booted(central, identity)
        assert (await link.command("Reset", {"type": "Soft"}))[2] == {"status": "Accepted"}
        await asyncio.wait_for(link.socket.wait_closed(), WAIT)
        again, boot, statuses = await booted(central, identity)
        assert boot["chargePointVendor"] == "Brightline"
        assert [each["status"] for each in statuses] == ["Available"] * 3
        assert station.counters.boots == 2


async def test_a_1_6_charger_takes_a_port_out_of_service_and_says_so():
    async with simulated("BRL") as (central, station, identity):
        link, _, _ = await booted(central, identity)
        answer = await link.command("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"})
        assert answer[2] == {"status": "Accepted"}
        status = await link.next_call("StatusNotification")
        assert (status["connectorId"], status["status"], status["errorCode"]) == (2, "Unavailable", "NoError")
        answer = await link.command("ChangeAvailability", {"connectorId": 2, "type": "Operative"})
        assert (await link.next_call("StatusNotification"))["status"] == "Available"


async def test_a_1_6_charger_reads_and_changes_its_configuration():
    async with simulated("VLT") as (central, station, identity):
        link, _, _ = await booted(central, identity)
        answer = await link.command("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"})
        assert answer[2] == {"status": "Accepted"}
        answer = await link.command("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]})
        assert answer[2] == {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "120"}],
            "unknownKey": ["NoSuchKey"],
        }
        assert station.heartbeat_interval == 120
        read_only = await link.command("ChangeConfiguration", {"key": "LocalAuthListMaxLength", "value": "9"})
        assert read_only[2] == {"status": "Rejected"}
        unknown = await link.command("ChangeConfiguration", {"key": "NoSuchKey", "value": "1"})
        assert unknown[2] == {"status": "NotSupported"}


async def test_a_1_6_charger_sends_what_a_trigger_asks_for_and_keeps_its_local_list_version():
    async with simulated("VLT") as (central, station, identity):
        link, _, _ = await booted(central, identity)
        answer = await link.command("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1})
        assert answer[2] == {"status": "Accepted"}
        meter = await link.next_call("MeterValues")
        assert meter["connectorId"] == 1
        assert meter["meterValue"][0]["sampledValue"][0]["measurand"] == "Energy.Active.Import.Register"
        answer = await link.command("SendLocalList", {"listVersion": 4, "updateType": "Full"})
        assert answer[2] == {"status": "Accepted"}
        assert (await link.command("GetLocalListVersion", {}))[2] == {"listVersion": 4}
        unlock = await link.command("UnlockConnector", {"connectorId": 1})
        assert unlock[2] == {"status": "Unlocked"}


async def test_a_2_0_1_station_boots_reboots_on_reset_and_answers_device_model_requests():
    async with simulated("NGR") as (central, station, identity):
        link, boot, statuses = await booted(central, identity)
        assert link.socket.subprotocol == "ocpp2.0.1"
        assert boot["reason"] == "PowerUp"
        assert boot["chargingStation"]["vendorName"] == "Northgrid"
        # This make has the boot-transient quirk: a Faulted blip per EVSE, then Available.
        assert [(each["evseId"], each["connectorId"], each["connectorStatus"]) for each in statuses] == [
            (1, 1, "Faulted"),
            (1, 1, "Available"),
            (2, 1, "Faulted"),
            (2, 1, "Available"),
        ]
        get = await link.command(
            "GetVariables",
            {
                "getVariableData": [
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                    {"component": {"name": "Nope"}, "variable": {"name": "X"}},
                ]
            },
        )
        assert [
            (each["attributeStatus"], each.get("attributeValue")) for each in get[2]["getVariableResult"]
        ] == [
            ("Accepted", "300"),
            ("UnknownComponent", None),
        ]
        trigger = await link.command(
            "TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}}
        )
        assert trigger[2] == {"status": "Accepted"}
        assert (await link.next_call("StatusNotification"))["evseId"] == 2
        assert (await link.command("Reset", {"type": "Immediate"}))[2] == {"status": "Accepted"}
        _, reboot, _ = await booted(central, identity)
        assert reboot["reason"] == "RemoteReset"


async def test_a_reset_during_a_session_ends_it_before_the_charger_goes_down():
    async with simulated("RDC") as (central, station, identity):
        link, _, _ = await booted(central, identity)
        # Play a session by hand: the plan's own episodes are switched off for this test.
        plan = station.plan
        session = plan.session(1)
        charge_point = station.current_charge_point
        for step in session.steps[:5]:
            await station.send(charge_point, step)
        assert station.transactions == {1: 7}
        await link.command("Reset", {"type": "Hard"})
        stop = await link.next_call("StopTransaction")
        assert (stop["transactionId"], stop["reason"]) == (7, "HardReset")
        assert stop["meterStop"] >= session.steps[2].payload["meterStart"]


@pytest.fixture(autouse=True)
def _library_validates_inline():
    import ocpp.messages

    ocpp.messages.ASYNC_VALIDATION = False
    yield
    ocpp.messages.ASYNC_VALIDATION = True
