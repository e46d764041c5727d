"""The simulator's traffic plan: deterministic for a seed, valid OCPP, each make in its own dialect."""

import itertools

import pytest
from ocpp.messages import Call, _validate_payload

from chargers.models import Charger, MeterReading
from chargers.simulator.dialects import CHARGEX, EVGO, SCENARIOS
from chargers.simulator.fleet import build_fleet, register_fleet, simulated_password
from chargers.simulator.profiles import MAKES, MAKES_BY_KEY
from chargers.simulator.station import materialise
from chargers.simulator.traffic import NOW, TRANSACTION, EpisodeKind, TrafficPlan


def first_episodes(plan: TrafficPlan, count: int):
    return list(itertools.islice(plan.episodes(), count))


def wire(step):
    """A step's payload as the station would send it."""
    return materialise(step.payload, now="2026-11-21T06:00:00.000Z", transaction_id=41)


def test_the_same_seed_plans_the_same_traffic():
    make = MAKES_BY_KEY["AMP"]
    first = first_episodes(TrafficPlan(make, "SIM-AMP-00002", seed=7), 30)
    again = first_episodes(TrafficPlan(make, "SIM-AMP-00002", seed=7), 30)
    assert first == again


def test_another_seed_or_charger_plans_other_traffic():
    make = MAKES_BY_KEY["AMP"]
    plan = first_episodes(TrafficPlan(make, "SIM-AMP-00002", seed=7), 30)
    assert plan != first_episodes(TrafficPlan(make, "SIM-AMP-00002", seed=8), 30)
    assert plan != first_episodes(TrafficPlan(make, "SIM-AMP-00008", seed=7), 30)


@pytest.mark.parametrize("make", MAKES, ids=lambda make: make.key)
def test_every_planned_message_is_valid_ocpp_for_the_make_s_version(make):
    plan = TrafficPlan(make, f"SIM-{make.key}-00001", seed=3, fault_share=0.5)
    steps = plan.boot() + [step for episode in first_episodes(plan, 80) for step in episode.steps]
    for step in steps:
        # Raises FormatViolation / TypeConstraintViolation / … when a payload breaks the schema.
        _validate_payload(Call(unique_id="1", action=step.action, payload=wire(step)), make.ocpp_version)
    assert {step.action for step in steps} >= (
        {"StatusNotification", "TransactionEvent", "NotifyEvent"}
        if make.is_v201
        else {"StatusNotification", "StartTransaction", "MeterValues", "StopTransaction"}
    )


@pytest.mark.parametrize("make", MAKES, ids=lambda make: make.key)
def test_each_make_reports_every_fault_of_its_dialect_and_nothing_else(make):
    plan = TrafficPlan(make, f"SIM-{make.key}-00001", seed=1, fault_share=0.6)
    faults = {episode.name for episode in first_episodes(plan, 200) if episode.kind == EpisodeKind.FAULT}
    assert faults == set(make.faults)
    assert set(make.faults) <= set(SCENARIOS)


def test_the_energy_register_only_rises_across_sessions():
    make = MAKES_BY_KEY["VLT"]
    plan = TrafficPlan(make, "SIM-VLT-00001", seed=5, fault_share=0.0)
    registers = {port: [] for port in plan.ports}
    for episode in first_episodes(plan, 20):
        for step in episode.steps:
            if step.action == "StartTransaction":
                registers[step.port].append(step.payload["meterStart"])
            if step.action == "MeterValues":
                (sample, _power) = step.payload["meterValue"][0]["sampledValue"]
                assert sample["measurand"] == MeterReading.ENERGY_REGISTER
                registers[step.port].append(int(sample["value"]))
            if step.action == "StopTransaction":
                registers[step.port].append(step.payload["meterStop"])
    for values in registers.values():
        assert len(values) > 10
        assert values == sorted(values)
        assert values[-1] > values[0]


def test_a_1_6_session_uses_the_transaction_id_the_server_assigned_and_stamps_the_send_time():
    plan = TrafficPlan(MAKES_BY_KEY["BRL"], "SIM-BRL-00003", seed=2, fault_share=0.0)
    session = next(plan.episodes())
    meter_values = next(step for step in session.steps if step.action == "MeterValues")
    assert meter_values.payload["transactionId"] is TRANSACTION
    assert meter_values.payload["meterValue"][0]["timestamp"] is NOW
    sent = wire(meter_values)
    assert sent["transactionId"] == 41
    assert sent["meterValue"][0]["timestamp"] == "2026-11-21T06:00:00.000Z"


def test_the_fan_advisory_is_reported_as_faulted_while_the_register_keeps_rising():
    plan = TrafficPlan(MAKES_BY_KEY["AMP"], "SIM-AMP-00002", seed=0, fault_share=0.0)
    for episode in first_episodes(plan, 50):
        actions = [(step.action, step.payload.get("status")) for step in episode.steps]
        if ("StatusNotification", "Faulted") in actions:
            break
    else:
        pytest.fail("no advisory in 50 sessions of a make that has the quirk")
    faulted_at = actions.index(("StatusNotification", "Faulted"))
    advisory = episode.steps[faulted_at].payload
    assert (advisory["errorCode"], advisory["vendorErrorCode"]) == ("OtherError", "W112")
    cleared_at = actions.index(("StatusNotification", "Charging"), faulted_at)
    during = [step for step in episode.steps[faulted_at:cleared_at] if step.action == "MeterValues"]
    before = [step for step in episode.steps[:faulted_at] if step.action == "MeterValues"]
    assert during, "meter values keep coming while the port says Faulted"
    first_during = int(during[0].payload["meterValue"][0]["sampledValue"][0]["value"])
    last_before = int(before[-1].payload["meterValue"][0]["sampledValue"][0]["value"])
    assert first_during > last_before


def test_emergency_stops_arrive_in_each_vendor_s_own_words():
    seen = {}
    for key, name in [
        ("VLT", "estop_f400"),
        ("AMP", "estop_bracketed"),
        ("BRL", "estop_chargex"),
        ("RDC", "estop_evgo"),
        ("NGR", "estop_event"),
    ]:
        plan = TrafficPlan(MAKES_BY_KEY[key], f"SIM-{key}-00001", seed=0)
        seen[name] = SCENARIOS[name](plan, 1)
    f400 = seen["estop_f400"].steps[0].payload
    assert (f400["connectorId"], f400["status"], f400["errorCode"]) == (0, "Faulted", "OtherError")
    assert (f400["vendorErrorCode"], f400["info"]) == ("F400", "EMERGENCY_STOP_BUTTON_1")
    assert seen["estop_bracketed"].steps[0].payload["info"] == "[42300]Emergency stop button pressed"
    chargex = seen["estop_chargex"].steps
    assert (chargex[0].payload["vendorId"], chargex[0].payload["vendorErrorCode"]) == (CHARGEX, "CX008")
    assert chargex[1].payload["status"] == "Available"
    assert chargex[1].payload["info"] == "Error CX008 resolved"
    evgo = seen["estop_evgo"].steps[0].payload
    assert (evgo["connectorId"], evgo["vendorId"], evgo["vendorErrorCode"]) == (0, EVGO, "A004")
    raised, cleared = [
        step.payload["eventData"][0] for step in seen["estop_event"].steps if step.action == "NotifyEvent"
    ]
    assert (raised["variable"]["name"], raised["actualValue"], raised["techCode"]) == (
        "Problem",
        "true",
        "CX008",
    )
    assert "cleared" not in raised
    assert (cleared["actualValue"], cleared["cleared"]) == ("false", True)


def test_a_boot_reports_connector_0_and_every_port_with_the_transient_where_the_make_has_it():
    plan = TrafficPlan(MAKES_BY_KEY["VLT"], "SIM-VLT-00001", seed=0)
    statuses = [(step.port, step.payload["status"]) for step in plan.boot()]
    assert statuses == [(0, "Available"), (1, "Faulted"), (1, "Available"), (2, "Faulted"), (2, "Available")]
    steady = TrafficPlan(MAKES_BY_KEY["BRL"], "SIM-BRL-00003", seed=0)
    assert [(step.port, step.payload["status"]) for step in steady.boot()] == [
        (0, "Available"),
        (1, "Available"),
        (2, "Available"),
    ]


def test_markup_in_vendor_text_is_sent_as_is_for_the_pages_to_escape():
    plan = TrafficPlan(MAKES_BY_KEY["AMP"], "SIM-AMP-00002", seed=0)
    assert SCENARIOS["markup_info"](plan, 1).steps[0].payload["info"] == "<b>Cabinet door</b> open"


def test_a_fleet_mixes_makes_and_protocol_versions_with_stable_ids_and_passwords():
    fleet = build_fleet(12, seed=4)
    assert {identity.make.key for identity in fleet} == {make.key for make in MAKES}
    assert {identity.make.ocpp_version for identity in fleet} == {"1.6", "2.0.1"}
    assert [identity.charge_point_id for identity in fleet] == [
        identity.charge_point_id for identity in build_fleet(12, seed=4)
    ]
    assert all(len(identity.password) >= 16 for identity in fleet)
    assert (
        fleet[0].password
        == simulated_password(fleet[0].charge_point_id, 4)
        != simulated_password(fleet[0].charge_point_id, 5)
    )


@pytest.mark.django_db
def test_registering_a_fleet_creates_its_chargers_once_with_passwords_that_log_in():
    fleet = build_fleet(8, seed=1)
    assert register_fleet(fleet, seed=1) == 8
    assert register_fleet(fleet, seed=1) == 0
    charger = Charger.objects.get(charge_point_id=fleet[5].charge_point_id)
    assert charger.site is not None
    assert charger.check_password(fleet[5].password)
    assert not charger.check_password("not-its-password-at-all")
