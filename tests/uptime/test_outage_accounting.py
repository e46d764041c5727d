"""Per-port outage accounting with known answers: faults, phantoms, connector 0, offline, commissioning."""

from datetime import timedelta

import pytest

from chargers.models import Connector
from faults.models import EpisodeKind, PortDayRollup
from faults.uptime.exclusions import record_exclusion
from knowledgebase.vocabulary import ExclusionReason
from tests.uptime.support import DAY, at, build_charger, compute, energy_reading, episode, rollup

pytestmark = pytest.mark.django_db


def test_a_one_hour_fault_with_thirty_minutes_excluded_leaves_thirty_minutes_counted(operator):
    charger, _, (port, other) = build_charger()
    episode(port, at(10), at(11))
    record_exclusion(
        by=operator, connector=port, start=at(10, 30), end=at(12), reason=ExclusionReason.UTILITY_OUTAGE
    )
    compute(charger)

    day = rollup(port)
    assert (day.service_minutes, day.outage_minutes, day.excluded_minutes) == (1440, 60, 30)
    assert (day.faulted_minutes, day.offline_minutes) == (60, 0)
    assert (day.outage_minutes_filtered, day.excluded_minutes_filtered) == (60, 30)
    assert rollup(other).outage_minutes == 0


def test_a_phantom_counts_in_the_raw_figure_only():
    charger, _, (port, _) = build_charger()
    episode(port, at(8), at(8, 20), phantom=True)
    episode(port, at(9), at(9, 5))
    compute(charger)

    day = rollup(port)
    assert day.outage_minutes == 25
    assert day.outage_minutes_filtered == 5
    assert (day.faulted_minutes, day.faulted_minutes_filtered) == (25, 5)


def test_a_connector_zero_fault_downs_every_port():
    charger, whole, ports = build_charger(ports=3)
    episode(whole, at(2), at(4))
    episode(ports[0], at(3), at(5))  # overlaps the charger-level fault: counted once
    compute(charger)

    assert [rollup(port).outage_minutes for port in ports] == [180, 120, 120]
    assert not PortDayRollup.objects.filter(connector=whole).exists()  # connector 0 is not a port


def test_an_offline_hour_is_an_hour_down_for_every_port_and_a_fault_inside_it_adds_nothing():
    charger, whole, ports = build_charger()
    episode(whole, at(14), at(15), kind=EpisodeKind.OFFLINE)
    episode(ports[0], at(14, 30), at(15))
    compute(charger)

    first, second = rollup(ports[0]), rollup(ports[1])
    assert (first.outage_minutes, first.offline_minutes, first.faulted_minutes) == (60, 60, 30)
    assert (second.outage_minutes, second.offline_minutes) == (60, 60)


def test_a_port_that_kept_delivering_energy_while_offline_was_up_for_that_time():
    charger, whole, (delivering, idle) = build_charger()
    episode(whole, at(14), at(15), kind=EpisodeKind.OFFLINE)
    # Readings every five minutes from 14:00 to 14:40, delivered after the charger came back.
    for n in range(9):
        energy_reading(delivering, at(14, 5 * n), 1000 + 500 * n)
    compute(charger)

    assert rollup(delivering).outage_minutes == 20
    assert rollup(idle).outage_minutes == 60


def test_warnings_are_never_outage():
    charger, _, (port, _) = build_charger()
    episode(port, at(1), at(6), kind=EpisodeKind.WARNING)
    compute(charger)

    assert rollup(port).outage_minutes == 0


def test_partial_minutes_of_downtime_count_as_whole_minutes():
    charger, _, (port, _) = build_charger()
    episode(port, at(10) + timedelta(seconds=30), at(10, 2) + timedelta(seconds=1))
    compute(charger)

    assert rollup(port).outage_minutes == 3


def test_time_before_commissioning_and_after_decommissioning_is_outside_the_period():
    charger, _, (port, other) = build_charger()
    Connector.objects.filter(pk=port.pk).update(commissioned_at=at(6))
    charger.decommissioned_at = at(18)
    charger.save(update_fields=["decommissioned_at"])
    episode(port, at(4), at(7))
    compute(charger)

    assert (rollup(port).service_minutes, rollup(port).outage_minutes) == (12 * 60, 60)
    assert rollup(other).service_minutes == 18 * 60


def test_an_open_episode_runs_until_now_and_today_is_computed_up_to_now():
    charger, _, (port, _) = build_charger()
    episode(port, at(20), None)
    compute(charger, now=at(22, 15))

    day = rollup(port, DAY)
    assert (day.service_minutes, day.outage_minutes) == (22 * 60 + 15, 135)
    assert not PortDayRollup.objects.filter(day=DAY + timedelta(days=1)).exists()


def test_an_evse_level_fault_downs_the_connectors_of_that_evse_only():
    charger, _, (port, other) = build_charger()
    evse_one = Connector.objects.create(charger=charger, evse_id=1, connector_id=0)
    episode(evse_one, at(6), at(7))
    compute(charger)

    assert (rollup(port).outage_minutes, rollup(other).outage_minutes) == (60, 0)
    assert not PortDayRollup.objects.filter(connector=evse_one).exists()
