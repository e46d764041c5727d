"""Phantom faults are filtered with a reason and evidence; safety faults never are; late evidence
changes the decision."""

import time_machine

from chargers.models import Direction, MessageType, OcppMessage
from faults import tasks
from faults.models import FaultEpisode, PhantomRule, RuleContext
from tests.faults.conftest import at, committed, meter, meter_values_arrived, port, report, session


def only_episode(connector) -> FaultEpisode:
    [episode] = FaultEpisode.objects.filter(connector=connector)
    return episode


def boot(charger, when):
    OcppMessage.objects.create(
        charger=charger,
        received_at=when,
        direction=Direction.IN,
        message_type=MessageType.CALL,
        unique_id="boot-1",
        action="BootNotification",
        payload={"chargePointVendor": charger.vendor, "chargePointModel": charger.model},
    )
    charger.last_boot_at = when
    charger.save(update_fields=["last_boot_at"])


def test_a_fault_replaced_by_available_right_after_boot_is_a_boot_transient(charger, knowledge):
    one = port(charger, 1)
    boot(charger, at(0))
    report(one, "Faulted", at(2), "InternalError")
    report(one, "Available", at(3))

    episode = only_episode(one)
    assert episode.is_phantom
    assert episode.phantom_reason == "boot_transient"
    assert episode.phantom_evidence["boot_at"] == at(0).isoformat()
    assert episode.phantom_evidence["cleared_after_seconds"] == 1.0


def test_the_same_short_fault_far_from_any_boot_is_real(charger, knowledge):
    one = port(charger, 1)
    boot(charger, at(0))
    report(one, "Faulted", at(3600), "InternalError")
    report(one, "Available", at(3601))

    episode = only_episode(one)
    assert not episode.is_phantom
    assert episode.phantom_decided_at is not None


def test_a_fault_while_the_energy_register_keeps_rising_is_an_advisory(charger, knowledge):
    one = port(charger, 1)
    report(one, "Charging", at(0))
    report(one, "Faulted", at(60), "OtherError", vendor_error_code="FAN_WARN", info="Cooling fan speed low")
    assert not only_episode(one).is_phantom
    # The meter values of the "fault" period arrive afterwards (e.g. after a reconnect).
    for minute, wh in enumerate([1000, 1250, 1500, 1750]):
        meter(one, at(60 + 60 * minute), wh)
    meter_values_arrived(one, at(60), at(240))

    episode = only_episode(one)
    assert episode.is_phantom
    assert episode.phantom_reason == "advisory_while_charging"
    assert episode.phantom_evidence["energy_delivered_wh"] == 750


def test_a_fault_during_a_transaction_that_keeps_going_is_an_advisory(charger, knowledge):
    one = port(charger, 1)
    tx = session(one, at(0))
    with time_machine.travel(at(61), tick=False):
        report(one, "Faulted", at(60), "OtherError", info="Modbus TCP/IP lost, in safe mode max 14.0A")
        assert not only_episode(one).is_phantom  # too early to tell
    with time_machine.travel(at(600), tick=False):
        committed(tasks.transaction_changed.delay, tx.pk)

    episode = only_episode(one)
    assert episode.is_phantom
    assert episode.phantom_evidence["transaction_id"] == tx.transaction_id


def test_a_transaction_that_stopped_with_the_fault_makes_it_real_again(charger, knowledge):
    one = port(charger, 1)
    tx = session(one, at(0))
    with time_machine.travel(at(600), tick=False):
        report(one, "Faulted", at(60), "OtherError", info="Modbus lost")
        assert only_episode(one).is_phantom
        # Late evidence: the StopTransaction queued offline says it stopped at the fault.
        tx.stopped_at = at(61)
        tx.save(update_fields=["stopped_at"])
        committed(tasks.transaction_changed.delay, tx.pk)

    episode = only_episode(one)
    assert not episode.is_phantom
    assert episode.phantom_reason == ""
    assert "unmarked_phantom" in [change.action for change in episode.changes.all()]


def test_faulted_with_no_error_and_no_text_that_clears_quickly_is_an_empty_fault(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "NoError")
    report(one, "Available", at(30))

    episode = only_episode(one)
    assert (episode.is_phantom, episode.phantom_reason) == (True, "empty_fault")
    assert episode.phantom_evidence["cleared_after_seconds"] == 30


def test_an_empty_fault_that_lasts_is_real(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "NoError")
    report(one, "Available", at(3600))
    assert not only_episode(one).is_phantom


def test_an_empty_looking_fault_with_info_text_is_real(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "NoError", info="See logging for more information")
    report(one, "Available", at(30))
    assert not only_episode(one).is_phantom


def test_a_model_quirk_rule_filters_what_that_model_is_known_to_send(charger, knowledge):
    PhantomRule.objects.create(
        name="AC22 reports its door sensor as a fault",
        vendor="Acme*",
        model="AC22",
        status="Faulted",
        error_code="OtherError",
        vendor_error_code="DOOR*",
        max_duration_seconds=120,
    )
    one = port(charger, 1)
    report(one, "Faulted", at(0), "OtherError", vendor_error_code="DOOR_OPEN")
    report(one, "Available", at(20))

    episode = only_episode(one)
    assert (episode.is_phantom, episode.phantom_reason) == (True, "model_quirk")
    assert episode.phantom_evidence["rule"] == "AC22 reports its door sensor as a fault"


def test_a_quirk_rule_for_another_model_does_not_apply(charger, knowledge):
    PhantomRule.objects.create(name="Other model", model="DC150", vendor_error_code="DOOR*")
    one = port(charger, 1)
    report(one, "Faulted", at(0), "OtherError", vendor_error_code="DOOR_OPEN")
    report(one, "Available", at(20))
    assert not only_episode(one).is_phantom


def test_a_quirk_rule_with_a_charging_context_needs_a_running_transaction(charger, knowledge):
    PhantomRule.objects.create(
        name="Spam while charging", vendor_error_code="W*", context=RuleContext.CHARGING
    )
    one, two = port(charger, 1), port(charger, 2)
    session(one, at(0))
    report(one, "Faulted", at(30), "OtherError", vendor_error_code="W7")
    report(two, "Faulted", at(30), "OtherError", vendor_error_code="W7")
    assert only_episode(one).is_phantom
    assert not only_episode(two).is_phantom


def test_a_ground_failure_is_never_phantom_even_when_a_rule_and_a_boot_say_so(charger, knowledge):
    # A broad rule saved before the ground fault appeared (it names no code, so it was accepted).
    PhantomRule.objects.create(name="Everything from this model", vendor="Acme*")
    one = port(charger, 1)
    boot(charger, at(0))
    session(one, at(-600))
    report(one, "Faulted", at(1), "GroundFailure")
    meter(one, at(2), 100)
    meter(one, at(3), 5000)
    report(one, "Available", at(3))
    meter_values_arrived(one, at(2), at(3))

    episode = only_episode(one)
    assert episode.category == "ground_fault" and episode.is_safety
    assert not episode.is_phantom
    assert episode.phantom_evidence["kept_because"] == "safety fault"


def test_an_undervoltage_reported_as_a_warning_is_not_judged_at_all(charger, knowledge):
    one = port(charger, 1)
    report(one, "Charging", at(0), "UnderVoltage")
    episode = only_episode(one)
    assert episode.kind == "warning" and not episode.is_phantom and episode.phantom_decided_at is None


def test_a_later_boot_announcement_re_judges_the_faults_around_it(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(2), "InternalError")
    report(one, "Available", at(3))
    assert not only_episode(one).is_phantom
    boot(charger, at(0))
    committed(tasks.charger_booted.delay, charger.pk, at(0).isoformat())
    assert only_episode(one).phantom_reason == "boot_transient"


def test_thresholds_come_from_settings(charger, knowledge, settings):
    settings.FAULTS_EMPTY_FAULT_SECONDS = 10
    one = port(charger, 1)
    report(one, "Faulted", at(0), "NoError")
    report(one, "Available", at(30))
    assert not only_episode(one).is_phantom
