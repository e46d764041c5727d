"""Fault scenarios, each in the words one kind of charger uses for it.

Every scenario raises a fault and clears it later, the way field reports show real chargers doing
it: the same pressed emergency-stop button arrives as a vendor code, as text in `info`, as a ChargeX
or EVgo code on connector 0, or as a 2.0.1 NotifyEvent. Durations are simulated seconds.
"""

from collections.abc import Callable

from chargers.simulator.traffic import Episode, EpisodeKind, Step, TrafficPlan, notify_event

CHARGEX = "https://chargex.inl.gov"
EVGO = "com.evgo.mrec"

# Minutes a fault lasts before the charger reports it cleared: (shortest, longest).
MINUTES = {"short": (2, 15), "long": (30, 120)}


def _minutes(plan: TrafficPlan, length: str) -> float:
    low, high = MINUTES[length]
    return plan.rng.uniform(low, high) * 60


def _fault_16(
    plan: TrafficPlan,
    name: str,
    port: int,
    error_code: str,
    length: str = "short",
    cleared_info: str = "",
    **extra,
) -> Episode:
    """A 1.6 fault: Faulted with the make's fields, then back to Available when it clears."""
    clear = {"info": cleared_info} if cleared_info else {}
    steps = (
        plan.status(port, "Faulted", 0, error_code, **extra),
        plan.status(port, "Available", _minutes(plan, length), **clear),
    )
    return Episode(EpisodeKind.FAULT, name, port, steps)


def estop_f400(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(
        plan, "estop_f400", 0, "OtherError", vendorErrorCode="F400", info="EMERGENCY_STOP_BUTTON_1"
    )


def estop_bracketed(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(plan, "estop_bracketed", 0, "OtherError", info="[42300]Emergency stop button pressed")


def estop_chargex(plan: TrafficPlan, port: int) -> Episode:
    # ChargeX stacks say so in `info` when the code clears, with a status that is not Faulted.
    return _fault_16(
        plan,
        "estop_chargex",
        port,
        "OtherError",
        cleared_info="Error CX008 resolved",
        vendorId=CHARGEX,
        vendorErrorCode="CX008",
    )


def ground_chargex(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(
        plan,
        "ground_chargex",
        port,
        "GroundFailure",
        "long",
        cleared_info="Error CX002 resolved",
        vendorId=CHARGEX,
        vendorErrorCode="CX002",
    )


def estop_evgo(plan: TrafficPlan, port: int) -> Episode:
    # EVgo's convention reports the pressed button on connector 0, the charger as a whole.
    return _fault_16(
        plan,
        "estop_evgo",
        0,
        "OtherError",
        vendorId=EVGO,
        vendorErrorCode="A004",
        info="Emergency stop pressed",
    )


def pilot_evgo(plan: TrafficPlan, port: int) -> Episode:
    # Concurrent errors travel as comma-separated lists; the n-th info belongs to the n-th code.
    if plan.rng.random() < 0.3:
        codes, info = "F003,F000", "Pilot voltage low,Proximity voltage high"
    else:
        codes, info = "F003", "Pilot voltage low"
    return _fault_16(plan, "pilot_evgo", port, "OtherError", vendorId=EVGO, vendorErrorCode=codes, info=info)


def empty_fault(plan: TrafficPlan, port: int) -> Episode:
    steps = (
        plan.status(port, "Faulted"),
        plan.status(port, "Available", plan.rng.uniform(5, 30)),
    )
    return Episode(EpisodeKind.FAULT, "empty_fault", port, steps)


def connector_lock(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(plan, "connector_lock", port, "ConnectorLockFailure", vendorErrorCode="L-21")


def ground_failure(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(plan, "ground_failure", port, "GroundFailure", "long", info="RCD tripped")


def over_voltage(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(plan, "over_voltage", port, "OverVoltage", vendorErrorCode="0x2104", info="L2 264V")


def dc_module_idle(plan: TrafficPlan, port: int) -> Episode:
    return _fault_16(
        plan,
        "dc_module_idle",
        port,
        "OtherError",
        vendorErrorCode="0x6012",
        info="DC output module Vol abnormal during idle time",
    )


def markup_info(plan: TrafficPlan, port: int) -> Episode:
    # Vendor free text is untrusted: pages must show this literally, not as bold text.
    return _fault_16(
        plan, "markup_info", port, "OtherError", vendorErrorCode="E-117", info="<b>Cabinet door</b> open"
    )


# --- OCPP 2.0.1: StatusNotification has no error fields; the fault is a NotifyEvent --------------

PROBLEM_CODES = {
    "NGR": [("NG-310", "Power module 2 over-temperature"), ("NG-122", "Meter communication lost")],
    "KST": [("E2107", "Isolation monitor self-test failed"), ("E0450", "Liquid cooling pump flow low")],
}


def _event_fault(
    plan: TrafficPlan, name: str, port: int, component: dict, variable: str, tech_code: str, tech_info: str
) -> Episode:
    """Raise a NotifyEvent alert with the port Faulted, then clear both."""
    ports = list(plan.ports) if port == 0 else [port]
    raised = notify_event(
        plan.event_id(), component, variable, "true", tech_code=tech_code, tech_info=tech_info
    )
    cleared = notify_event(plan.event_id(), component, variable, "false", tech_code=tech_code, cleared=True)
    steps = [plan.status(each, "Faulted") for each in ports]
    steps.append(Step(0, "NotifyEvent", raised, port))
    steps.append(Step(_minutes(plan, "short"), "NotifyEvent", cleared, port))
    steps.extend(plan.status(each, "Available") for each in ports)
    return Episode(EpisodeKind.FAULT, name, port, tuple(steps))


def problem_event(plan: TrafficPlan, port: int) -> Episode:
    tech_code, tech_info = plan.rng.choice(PROBLEM_CODES.get(plan.make.key, PROBLEM_CODES["NGR"]))
    return _event_fault(
        plan, "problem_event", port, {"name": "EVSE", "evse": {"id": port}}, "Problem", tech_code, tech_info
    )


def estop_event(plan: TrafficPlan, port: int) -> Episode:
    component = {"name": "ChargingStation"}
    return _event_fault(
        plan, "estop_event", 0, component, "Problem", "CX008", "Emergency stop button pressed"
    )


def rcd_tripped(plan: TrafficPlan, port: int) -> Episode:
    component = {"name": "RCD", "evse": {"id": port}}
    return _event_fault(
        plan, "rcd_tripped", port, component, "Tripped", "CX002", "Residual current device tripped"
    )


def lock_event(plan: TrafficPlan, port: int) -> Episode:
    component = {"name": "ConnectorPlugRetentionLock", "evse": {"id": port, "connectorId": 1}}
    return _event_fault(
        plan, "lock_event", port, component, "Problem", "L-04", "Plug retention lock did not engage"
    )


SCENARIOS: dict[str, Callable[[TrafficPlan, int], Episode]] = {
    scenario.__name__: scenario
    for scenario in (
        estop_f400,
        estop_bracketed,
        estop_chargex,
        ground_chargex,
        estop_evgo,
        pilot_evgo,
        empty_fault,
        connector_lock,
        ground_failure,
        over_voltage,
        dc_module_idle,
        markup_info,
        problem_event,
        estop_event,
        rcd_tripped,
        lock_event,
    )
}
