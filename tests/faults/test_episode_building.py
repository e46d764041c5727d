"""Episodes from status reports and 2.0.1 events, at event time, whatever order they arrive in."""

from django.db import transaction
from django.test import TestCase

from faults import building, tasks
from faults.models import EpisodeKind, FaultEpisode, PlaybookRun
from tests.faults.conftest import (
    at,
    committed,
    connectivity,
    device_event,
    port,
    report,
    store_only,
)


def episodes_of(connector):
    return list(FaultEpisode.objects.filter(connector=connector).order_by("opened_at"))


def test_a_contiguous_faulted_period_is_one_episode_keeping_every_report(charger, knowledge):
    one = port(charger, 1)
    report(one, "Available", at(0))
    first = report(one, "Faulted", at(10), "OtherError", vendor_error_code="E12")
    second = report(one, "Faulted", at(20), "InternalError", vendor_error_code="E13")
    closing = report(one, "Available", at(90))

    [episode] = episodes_of(one)
    assert episode.kind == EpisodeKind.FAULT
    assert (episode.opened_at, episode.closed_at) == (at(10), at(90))
    assert episode.open_report == first and episode.close_report == closing
    assert [r.status_report_id for r in episode.reports.all()] == [first.pk, second.pk]
    # The latest codes inside the episode are the ones shown, and translated.
    assert (episode.error_code, episode.vendor_error_code) == ("InternalError", "E13")
    assert episode.category == "internal"
    history = [change.action for change in episode.changes.all()]
    assert history[0] == "opened" and {"report_added", "closed"} <= set(history)


def test_an_error_code_with_an_operative_status_is_a_warning_not_an_outage(charger, knowledge):
    one = port(charger, 1)
    report(one, "Charging", at(0), "HighTemperature")
    report(one, "Charging", at(60))

    [episode] = episodes_of(one)
    assert episode.kind == EpisodeKind.WARNING
    assert episode.closed_at == at(60)
    assert episode.severity == "warning"


def test_a_warning_that_turns_into_a_fault_becomes_a_separate_fault_episode(charger, knowledge):
    one = port(charger, 1)
    report(one, "Charging", at(0), "HighTemperature")
    report(one, "Faulted", at(30), "HighTemperature")

    warning, fault = episodes_of(one)
    assert (warning.kind, warning.closed_at) == (EpisodeKind.WARNING, at(30))
    assert (fault.kind, fault.opened_at, fault.closed_at) == (EpisodeKind.FAULT, at(30), None)


def test_a_connector_zero_fault_is_an_episode_of_the_whole_charger(charger, knowledge):
    whole = port(charger, 0)
    report(whole, "Faulted", at(0), "OtherError", info="Emergency stop pressed")

    [episode] = episodes_of(whole)
    assert episode.is_charger_level
    assert episode.category == "emergency_stop"


def test_statuses_queued_offline_and_delivered_late_land_at_their_true_times(charger, knowledge):
    one = port(charger, 1)
    report(one, "Available", at(0))
    # The charger was offline from 60 s; after reconnecting it first says Available (now) ...
    report(one, "Available", at(600), received_at=at(600))
    # ... then delivers what it queued, with the original timestamps.
    report(one, "Faulted", at(100), "InternalError", received_at=at(601))
    report(one, "Available", at(400), received_at=at(602))

    [episode] = episodes_of(one)
    assert (episode.opened_at, episode.closed_at) == (at(100), at(400))


def test_a_late_report_splits_an_open_episode_where_it_happened(charger, knowledge):
    one = port(charger, 1)
    first = report(one, "Faulted", at(0), "InternalError")
    report(one, "Faulted", at(300), "InternalError")
    # Delivered late: the port was Available in between, so these are two episodes.
    report(one, "Available", at(100), received_at=at(400))

    before, after = episodes_of(one)
    assert (before.opened_at, before.closed_at, before.open_report) == (at(0), at(100), first)
    assert (after.opened_at, after.closed_at) == (at(300), None)


def test_tasks_delivered_out_of_order_and_twice_give_the_same_episodes(charger, knowledge):
    one = port(charger, 1)
    opened = store_only(one, "Faulted", at(10), "InternalError")
    closed = store_only(one, "Available", at(50))
    committed(tasks.status_reported.delay, closed.pk)
    committed(tasks.status_reported.delay, opened.pk)
    committed(tasks.status_reported.delay, opened.pk)
    committed(tasks.status_reported.delay, closed.pk)

    [episode] = episodes_of(one)
    assert (episode.opened_at, episode.closed_at) == (at(10), at(50))
    assert episode.reports.count() == 1


def test_a_rebuild_keeps_the_episode_row_and_its_phantom_decision(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "InternalError")
    [episode] = episodes_of(one)
    report(one, "Faulted", at(20), "OtherError", received_at=at(30))
    report(one, "Available", at(10), received_at=at(31))  # late: the fault ended at 10 s

    first, second = episodes_of(one)
    assert first.pk == episode.pk
    assert (first.closed_at, second.opened_at) == (at(10), at(20))


def test_a_notify_event_raise_and_clear_pair_is_one_episode(charger, knowledge):
    raised = device_event(charger, at(0), value="true", tech_code="X17", tech_info="Relay check")
    cleared = device_event(charger, at(45), value="false", cleared=True)

    [episode] = episodes_of(port(charger, 0))
    assert episode.open_event == raised and episode.close_event == cleared
    assert (episode.opened_at, episode.closed_at) == (at(0), at(45))
    assert episode.vendor_error_code == "X17"


def test_a_clear_for_an_event_never_seen_raised_is_kept_without_an_episode(charger, knowledge):
    device_event(charger, at(45), value="false", cleared=True)
    assert not FaultEpisode.objects.exists()


def test_a_raise_delivered_after_its_clear_still_closes(charger, knowledge):
    device_event(charger, at(45), value="false", cleared=True)
    device_event(charger, at(0), value="true", tech_code="X17")

    [episode] = episodes_of(port(charger, 0))
    assert (episode.opened_at, episode.closed_at) == (at(0), at(45))


def test_events_about_other_variables_open_nothing(charger, knowledge):
    device_event(charger, at(0), variable="AvailabilityState", value="Available")
    assert not FaultEpisode.objects.exists()


def test_offline_periods_are_their_own_kind_of_episode(charger, knowledge):
    connectivity(charger, at(0), online=False)
    connectivity(charger, at(0), online=False)  # announced twice
    connectivity(charger, at(300), online=True)

    [episode] = FaultEpisode.objects.filter(kind=EpisodeKind.OFFLINE)
    assert (episode.opened_at, episode.closed_at) == (at(0), at(300))
    assert episode.category == "connectivity"


def test_a_late_report_deep_in_a_long_history_gives_what_a_full_rebuild_gives(charger, knowledge):
    one = port(charger, 1)
    states = ["Available", "Faulted", "Faulted", "Charging", "Faulted", "Available", "Preparing", "Faulted"]
    for number, state in enumerate(states * 3):
        report(one, state, at(number * 100), "InternalError" if state == "Faulted" else "NoError")
    # Queued while offline: the port was Available between the two Faulted reports at 100 s and 200 s.
    report(one, "Available", at(150), received_at=at(5000))
    after_late = sorted((e.kind, e.opened_at, e.closed_at) for e in episodes_of(one))

    with TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            building.rebuild_port(one, since=at(0))
    assert sorted((e.kind, e.opened_at, e.closed_at) for e in episodes_of(one)) == after_late
    assert (EpisodeKind.FAULT, at(100), at(150)) in after_late
    assert (EpisodeKind.FAULT, at(200), at(300)) in after_late


def test_a_late_report_that_moves_an_episodes_start_keeps_the_row_and_the_work_on_it(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "InternalError")
    report(one, "Available", at(100))
    report(one, "Faulted", at(200), "InternalError")
    [_, second] = episodes_of(one)
    run = PlaybookRun.objects.create(episode=second, playbook_name="Remote reset ladder")
    # Queued while offline: the port faulted again at 150 s, before the report at 200 s.
    report(one, "Faulted", at(150), "OtherError", received_at=at(300))

    first, moved = episodes_of(one)
    assert moved.pk == second.pk
    assert (moved.opened_at, moved.closed_at) == (at(150), None)
    run.refresh_from_db()
    assert run.episode_id == second.pk
    assert (first.opened_at, first.closed_at) == (at(0), at(100))
