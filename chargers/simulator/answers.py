"""How simulated chargers answer the server's commands, in OCPP 1.6 and 2.0.1.

Handlers only answer and change the station's state; anything the charger says *afterwards* (the
status after ChangeAvailability, the message TriggerMessage asked for, the reboot after Reset) runs
in an `@after` hook, which the library starts as a separate task, so no handler waits on a CALL.
"""

import asyncio
import logging

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from chargers.models import MeterReading
from chargers.simulator.profiles import Make
from chargers.simulator.station import Station, utc_now_iso

logger = logging.getLogger("chargers.simulator")

# 1.6 configuration keys a simulated charger knows: key -> (value, read-only).
CONFIGURATION_16 = {
    "HeartbeatInterval": ("300", False),
    "MeterValueSampleInterval": ("300", False),
    "ConnectionTimeOut": ("60", False),
    "MinimumStatusDuration": ("0", False),
    "LocalAuthListEnabled": ("true", False),
    "LocalAuthListMaxLength": ("500", True),
    "SupportedFeatureProfiles": ("Core,LocalAuthListManagement,RemoteTrigger,FirmwareManagement", True),
}
NUMERIC_KEYS_16 = {
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ConnectionTimeOut",
    "MinimumStatusDuration",
}

# 2.0.1 device-model variables: (component, variable) -> (value, read-only).
VARIABLES_201 = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): ("300", False),
    ("SampledDataCtrlr", "TxUpdatedInterval"): ("300", False),
    ("LocalAuthListCtrlr", "Enabled"): ("true", False),
    ("ChargingStation", "AvailabilityState"): ("Available", True),
}


def charge_point_class(make: Make):
    return SimulatedCharger201 if make.is_v201 else SimulatedCharger16


# asyncio only keeps weak references to tasks: hold follow-ups until they are done.
_follow_ups: set[asyncio.Task] = set()


def _spawn(coroutine) -> None:
    """Run a follow-up as its own task and log its failure (the library would drop it silently)."""

    def report(task: asyncio.Task) -> None:
        _follow_ups.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("simulated charger follow-up failed: %r", task.exception())

    task = asyncio.ensure_future(coroutine)
    _follow_ups.add(task)
    task.add_done_callback(report)


class _Answering:
    """What both protocol versions share: the station whose state the commands change."""

    station: Station

    def __init__(self, charge_point_id, connection, *, station: Station):
        super().__init__(charge_point_id, connection, response_timeout=30)
        self.station = station

    def _answered(self) -> None:
        self.station.counters.answered += 1

    def _ports_for(self, port: int | None) -> list[int]:
        return list(self.station.plan.ports) if not port else [port]

    async def _send_status(self, port: int, status: str) -> None:
        await self.station.send(self, self.station.plan.status(port, status))

    async def _send_current_status(self, port: int) -> None:
        current = self.station.statuses.get(port, {})
        status = current.get("connectorStatus") or current.get("status") or "Available"
        await self._send_status(port, status)

    async def _change_availability(self, ports: list[int], operative: bool) -> None:
        for port in ports:
            if operative:
                self.station.inoperative.discard(port)
            else:
                self.station.inoperative.add(port)
            await self._send_status(port, "Available" if operative else "Unavailable")


class SimulatedCharger16(_Answering, ChargePoint16):
    """A 1.6 charge point's answers."""

    @on(Action16.reset)
    def on_reset(self, type, **_):
        self._answered()
        return result16.Reset(status="Accepted")

    @after(Action16.reset)
    def after_reset(self, type, **_):
        self.station.request_reboot(type)

    @on(Action16.unlock_connector)
    def on_unlock_connector(self, connector_id, **_):
        self._answered()
        known = connector_id in self.station.plan.ports
        return result16.UnlockConnector(status="Unlocked" if known else "NotSupported")

    @on(Action16.change_availability)
    def on_change_availability(self, connector_id, type, **_):
        self._answered()
        ports = self._ports_for(connector_id)
        if connector_id and connector_id not in self.station.plan.ports:
            return result16.ChangeAvailability(status="Rejected")
        if type == "Inoperative" and any(port in self.station.transactions for port in ports):
            # The spec's answer when a session is running: applied once it ends.
            return result16.ChangeAvailability(status="Scheduled")
        return result16.ChangeAvailability(status="Accepted")

    @after(Action16.change_availability)
    def after_change_availability(self, connector_id, type, **_):
        ports = [port for port in self._ports_for(connector_id) if port not in self.station.transactions]
        if connector_id and connector_id not in self.station.plan.ports:
            return
        _spawn(self._change_availability(ports, type == "Operative"))

    @on(Action16.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None, **_):
        self._answered()
        return result16.TriggerMessage(status=self._trigger_status(requested_message, connector_id))

    @after(Action16.trigger_message)
    def after_trigger_message(self, requested_message, connector_id=None, **_):
        if self._trigger_status(requested_message, connector_id) == "Accepted":
            _spawn(self._triggered(requested_message, connector_id))

    @on(Action16.extended_trigger_message)
    def on_extended_trigger_message(self, requested_message, connector_id=None, **_):
        self._answered()
        status = self._trigger_status(requested_message, connector_id)
        return result16.ExtendedTriggerMessage(status=status)

    @after(Action16.extended_trigger_message)
    def after_extended_trigger_message(self, requested_message, connector_id=None, **_):
        if self._trigger_status(requested_message, connector_id) == "Accepted":
            _spawn(self._triggered(requested_message, connector_id))

    def _trigger_status(self, requested_message: str, connector_id: int | None) -> str:
        supported = {
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "MeterValues",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
        }
        if requested_message not in supported:
            return "NotImplemented"
        if connector_id and connector_id not in self.station.plan.ports:
            return "Rejected"
        return "Accepted"

    async def _triggered(self, requested_message: str, connector_id: int | None) -> None:
        station = self.station
        if requested_message == "BootNotification":
            await station.call(self, station.boot_notification())
        elif requested_message == "Heartbeat":
            await station.call(self, call16.Heartbeat())
        elif requested_message == "StatusNotification":
            for port in [0, *station.plan.ports] if connector_id is None else [connector_id]:
                await self._send_current_status(port)
        elif requested_message == "MeterValues":
            for port in self._ports_for(connector_id):
                sample = {
                    "value": str(round(station.plan.registers[port])),
                    "context": "Trigger",
                    "measurand": MeterReading.ENERGY_REGISTER,
                    "unit": "Wh",
                }
                meter_value = [{"timestamp": utc_now_iso(), "sampled_value": [sample]}]
                transaction = station.transactions.get(port)
                await station.call(
                    self,
                    call16.MeterValues(
                        connector_id=port, meter_value=meter_value, transaction_id=transaction
                    ),
                )
        elif requested_message == "DiagnosticsStatusNotification":
            await station.call(self, call16.DiagnosticsStatusNotification(status="Idle"))
        elif requested_message == "FirmwareStatusNotification":
            await station.call(self, call16.FirmwareStatusNotification(status="Idle"))

    @on(Action16.get_configuration)
    def on_get_configuration(self, key=None, **_):
        self._answered()
        stored = {
            **{name: value for name, (value, _) in CONFIGURATION_16.items()},
            **self.station.configuration,
        }
        wanted = key or list(CONFIGURATION_16)
        known = [
            {"key": name, "readonly": CONFIGURATION_16[name][1], "value": stored[name]}
            for name in wanted
            if name in CONFIGURATION_16
        ]
        unknown = [name for name in wanted if name not in CONFIGURATION_16]
        return result16.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action16.change_configuration)
    def on_change_configuration(self, key, value, **_):
        self._answered()
        if key not in CONFIGURATION_16:
            return result16.ChangeConfiguration(status="NotSupported")
        if CONFIGURATION_16[key][1] or (key in NUMERIC_KEYS_16 and not value.isdigit()):
            return result16.ChangeConfiguration(status="Rejected")
        self.station.configuration[key] = value
        if key == "HeartbeatInterval":
            self.station.heartbeat_interval = int(value)
        return result16.ChangeConfiguration(status="Accepted")

    @on(Action16.send_local_list)
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **_):
        self._answered()
        if update_type == "Differential" and list_version <= self.station.local_list_version:
            return result16.SendLocalList(status="VersionMismatch")
        self.station.local_list_version = list_version
        return result16.SendLocalList(status="Accepted")

    @on(Action16.get_local_list_version)
    def on_get_local_list_version(self, **_):
        self._answered()
        return result16.GetLocalListVersion(list_version=self.station.local_list_version)

    @on(Action16.clear_cache)
    def on_clear_cache(self, **_):
        self._answered()
        return result16.ClearCache(status="Accepted")

    @on(Action16.data_transfer)
    def on_data_transfer(self, vendor_id, **_):
        self._answered()
        return result16.DataTransfer(status="UnknownVendorId")


class SimulatedCharger201(_Answering, ChargePoint201):
    """A 2.0.1 charging station's answers."""

    @on(Action201.reset)
    def on_reset(self, type, evse_id=None, **_):
        self._answered()
        if evse_id is not None:
            return result201.Reset(status="Rejected")  # these stations only reset as a whole
        return result201.Reset(status="Accepted")

    @after(Action201.reset)
    def after_reset(self, type, evse_id=None, **_):
        if evse_id is None:
            self.station.request_reboot(type)

    @on(Action201.unlock_connector)
    def on_unlock_connector(self, evse_id, connector_id, **_):
        self._answered()
        if evse_id not in self.station.plan.ports or connector_id != 1:
            return result201.UnlockConnector(status="UnknownConnector")
        if evse_id in self.station.transactions:
            return result201.UnlockConnector(status="OngoingAuthorizedTransaction")
        return result201.UnlockConnector(status="Unlocked")

    @on(Action201.change_availability)
    def on_change_availability(self, operational_status, evse=None, **_):
        self._answered()
        evse_id = (evse or {}).get("id")
        if evse_id and evse_id not in self.station.plan.ports:
            return result201.ChangeAvailability(status="Rejected")
        ports = self._ports_for(evse_id)
        if operational_status == "Inoperative" and any(port in self.station.transactions for port in ports):
            return result201.ChangeAvailability(status="Scheduled")
        return result201.ChangeAvailability(status="Accepted")

    @after(Action201.change_availability)
    def after_change_availability(self, operational_status, evse=None, **_):
        evse_id = (evse or {}).get("id")
        if evse_id and evse_id not in self.station.plan.ports:
            return
        ports = [port for port in self._ports_for(evse_id) if port not in self.station.transactions]
        _spawn(self._change_availability(ports, operational_status == "Operative"))

    SUPPORTED_TRIGGERS = {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "FirmwareStatusNotification",
        "LogStatusNotification",
    }

    @on(Action201.trigger_message)
    def on_trigger_message(self, requested_message, evse=None, **_):
        self._answered()
        if requested_message not in self.SUPPORTED_TRIGGERS:
            return result201.TriggerMessage(status="NotImplemented")
        evse_id = (evse or {}).get("id")
        if evse_id and evse_id not in self.station.plan.ports:
            return result201.TriggerMessage(status="Rejected")
        return result201.TriggerMessage(status="Accepted")

    @after(Action201.trigger_message)
    def after_trigger_message(self, requested_message, evse=None, **_):
        evse_id = (evse or {}).get("id")
        if requested_message in self.SUPPORTED_TRIGGERS and not (
            evse_id and evse_id not in self.station.plan.ports
        ):
            _spawn(self._triggered(requested_message, evse_id))

    async def _triggered(self, requested_message: str, evse_id: int | None) -> None:
        station = self.station
        if requested_message == "BootNotification":
            await station.call(self, station.boot_notification())
        elif requested_message == "Heartbeat":
            await station.call(self, call201.Heartbeat())
        elif requested_message == "StatusNotification":
            for port in self._ports_for(evse_id):
                await self._send_current_status(port)
        elif requested_message == "MeterValues":
            for port in self._ports_for(evse_id):
                sample = {
                    "value": round(station.plan.registers[port]),
                    "context": "Trigger",
                    "measurand": MeterReading.ENERGY_REGISTER,
                    "unit_of_measure": {"unit": "Wh"},
                }
                meter_value = [{"timestamp": utc_now_iso(), "sampled_value": [sample]}]
                await station.call(self, call201.MeterValues(evse_id=port, meter_value=meter_value))
        elif requested_message == "FirmwareStatusNotification":
            await station.call(self, call201.FirmwareStatusNotification(status="Idle"))
        elif requested_message == "LogStatusNotification":
            await station.call(self, call201.LogStatusNotification(status="Idle"))

    def _variable(self, component: str, variable: str) -> tuple[str, str | None, bool]:
        """(attribute status, value, read-only) of a device-model variable."""
        if not any(known_component == component for known_component, _ in VARIABLES_201):
            return "UnknownComponent", None, True
        if (component, variable) not in VARIABLES_201:
            return "UnknownVariable", None, True
        value, read_only = VARIABLES_201[(component, variable)]
        return "Accepted", self.station.configuration.get(f"{component}.{variable}", value), read_only

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data, **_):
        self._answered()
        results = []
        for item in get_variable_data:
            status, value, _ = self._variable(item["component"]["name"], item["variable"]["name"])
            result = {
                "attribute_status": status,
                "component": item["component"],
                "variable": item["variable"],
            }
            if value is not None:
                result["attribute_value"] = value
            results.append(result)
        return result201.GetVariables(get_variable_result=results)

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data, **_):
        self._answered()
        results = []
        for item in set_variable_data:
            component, variable = item["component"]["name"], item["variable"]["name"]
            status, _, read_only = self._variable(component, variable)
            value = str(item["attribute_value"])
            if status == "Accepted" and (
                read_only or (variable.endswith("Interval") and not value.isdigit())
            ):
                status = "Rejected"
            if status == "Accepted":
                self.station.configuration[f"{component}.{variable}"] = value
                if variable == "HeartbeatInterval":
                    self.station.heartbeat_interval = int(value)
            results.append(
                {"attribute_status": status, "component": item["component"], "variable": item["variable"]}
            )
        return result201.SetVariables(set_variable_result=results)

    @on(Action201.get_base_report)
    def on_get_base_report(self, request_id, report_base, **_):
        self._answered()
        return result201.GetBaseReport(status="Accepted")

    @after(Action201.get_base_report)
    def after_get_base_report(self, request_id, report_base, **_):
        report = [
            {
                "component": {"name": component},
                "variable": {"name": variable},
                "variable_attribute": [
                    {"value": value, "mutability": "ReadOnly" if read_only else "ReadWrite"}
                ],
            }
            for (component, variable), (value, read_only) in VARIABLES_201.items()
        ]
        request = call201.NotifyReport(
            request_id=request_id, generated_at=utc_now_iso(), seq_no=0, report_data=report, tbc=False
        )
        _spawn(self.station.call(self, request))

    @on(Action201.send_local_list)
    def on_send_local_list(self, version_number, update_type, local_authorization_list=None, **_):
        self._answered()
        if update_type == "Differential" and version_number <= self.station.local_list_version:
            return result201.SendLocalList(status="VersionMismatch")
        self.station.local_list_version = version_number
        return result201.SendLocalList(status="Accepted")

    @on(Action201.get_local_list_version)
    def on_get_local_list_version(self, **_):
        self._answered()
        return result201.GetLocalListVersion(version_number=self.station.local_list_version)

    @on(Action201.clear_cache)
    def on_clear_cache(self, **_):
        self._answered()
        return result201.ClearCache(status="Accepted")

    @on(Action201.data_transfer)
    def on_data_transfer(self, vendor_id, **_):
        self._answered()
        return result201.DataTransfer(status="UnknownVendorId")
