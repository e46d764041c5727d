"""The baseline: a central system made with the `ocpp` library alone.

A `websockets` server that answers every charger-initiated message of OCPP 1.6 and 2.0.1 with a
valid minimal reply, with no authentication, no persistence and no fan-out: the most a bare library
does on this machine. `bench/run.py` loads it and Faultline with the same traffic.

    python bench/bare_csms.py --port 9100
"""

import argparse
import asyncio
import itertools
import logging
import signal
from datetime import UTC, datetime

import ocpp.messages
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

ACCEPTED_TAG = {"status": "Accepted"}
transaction_ids = itertools.count(1)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Bare16(ChargePoint16):
    @on(Action16.boot_notification)
    def boot(self, **_):
        return result16.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action16.heartbeat)
    def heartbeat(self, **_):
        return result16.Heartbeat(current_time=now())

    @on(Action16.status_notification)
    def status(self, **_):
        return result16.StatusNotification()

    @on(Action16.meter_values)
    def meter_values(self, **_):
        return result16.MeterValues()

    @on(Action16.authorize)
    def authorize(self, **_):
        return result16.Authorize(id_tag_info=ACCEPTED_TAG)

    @on(Action16.start_transaction)
    def start_transaction(self, **_):
        return result16.StartTransaction(transaction_id=next(transaction_ids), id_tag_info=ACCEPTED_TAG)

    @on(Action16.stop_transaction)
    def stop_transaction(self, **_):
        return result16.StopTransaction()

    @on(Action16.data_transfer)
    def data_transfer(self, **_):
        return result16.DataTransfer(status="UnknownVendorId")

    @on(Action16.diagnostics_status_notification)
    def diagnostics(self, **_):
        return result16.DiagnosticsStatusNotification()

    @on(Action16.firmware_status_notification)
    def firmware(self, **_):
        return result16.FirmwareStatusNotification()

    @on(Action16.security_event_notification)
    def security_event(self, **_):
        return result16.SecurityEventNotification()


class Bare201(ChargePoint201):
    @on(Action201.boot_notification)
    def boot(self, **_):
        return result201.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action201.heartbeat)
    def heartbeat(self, **_):
        return result201.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    def status(self, **_):
        return result201.StatusNotification()

    @on(Action201.notify_event)
    def notify_event(self, **_):
        return result201.NotifyEvent()

    @on(Action201.transaction_event)
    def transaction_event(self, **_):
        return result201.TransactionEvent()

    @on(Action201.meter_values)
    def meter_values(self, **_):
        return result201.MeterValues()

    @on(Action201.authorize)
    def authorize(self, **_):
        return result201.Authorize(id_token_info=ACCEPTED_TAG)

    @on(Action201.notify_report)
    def notify_report(self, **_):
        return result201.NotifyReport()

    @on(Action201.firmware_status_notification)
    def firmware(self, **_):
        return result201.FirmwareStatusNotification()

    @on(Action201.log_status_notification)
    def log_status(self, **_):
        return result201.LogStatusNotification()

    @on(Action201.security_event_notification)
    def security_event(self, **_):
        return result201.SecurityEventNotification()


async def serve_charger(connection) -> None:
    charge_point_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    charge_point_class = Bare201 if connection.subprotocol == "ocpp2.0.1" else Bare16
    try:
        await charge_point_class(charge_point_id, connection).start()
    except websockets.ConnectionClosed:
        pass


async def serve(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with websockets.serve(
        serve_charger, host, port, subprotocols=["ocpp2.0.1", "ocpp1.6"], backlog=4096
    ):
        print(f"bare CSMS listening on ws://{host}:{port}/ocpp", flush=True)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    arguments = parser.parse_args()
    # Same settings as Faultline's endpoint: no thread hop per validation, quiet library logs.
    ocpp.messages.ASYNC_VALIDATION = False
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(arguments.host, arguments.port))


if __name__ == "__main__":
    main()
