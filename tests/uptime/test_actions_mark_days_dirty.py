"""The fault actions keep uptime rollups honest: every change to when a port was down marks its days."""

from datetime import timedelta

import pytest

from chargers.models import StatusReport
from faults import actions
from faults.models import DirtyUptimeRange
from faults.uptime.rollups import roll_up_dirty
from tests.uptime.support import DAY, at, build_charger, compute, rollup

TODAY = DAY + timedelta(days=1)
NOW = at(9, day=TODAY)

pytestmark = pytest.mark.django_db


def faulted(port, moment, error_code="InternalError"):
    report = StatusReport.objects.create(
        charger=port.charger, connector=port, status="Faulted", error_code=error_code, event_at=moment
    )
    return actions.open_fault(port, opened_at=moment, report=report, review=False)


def test_a_late_fault_opened_and_closed_through_the_actions_changes_yesterdays_figure():
    charger, _, (port, other) = build_charger()
    compute(charger, DAY, TODAY, now=NOW)
    assert rollup(port, DAY).outage_minutes == 0

    # Yesterday's Faulted status arrives this morning, queued while the charger was offline.
    episode = faulted(port, at(16))
    actions.close_fault(episode, closed_at=at(17, 30), review=False)
    assert roll_up_dirty(now=NOW) >= 1

    assert rollup(port, DAY).outage_minutes == 90
    assert rollup(other, DAY).outage_minutes == 0
    assert not DirtyUptimeRange.objects.exists()


def test_marking_a_fault_phantom_moves_it_out_of_the_filtered_figure_only():
    charger, _, (port, _other) = build_charger()
    episode = faulted(port, at(10))
    actions.close_fault(episode, closed_at=at(11), review=False)
    roll_up_dirty(now=NOW)
    assert (rollup(port, DAY).outage_minutes, rollup(port, DAY).outage_minutes_filtered) == (60, 60)

    actions.mark_phantom(episode, reason="empty_fault", evidence={"test": True})
    roll_up_dirty(now=NOW)

    assert (rollup(port, DAY).outage_minutes, rollup(port, DAY).outage_minutes_filtered) == (60, 0)


def test_discarding_an_episode_recomputes_the_days_it_covered():
    charger, _, (port, _other) = build_charger()
    episode = faulted(port, at(8))
    actions.close_fault(episode, closed_at=at(9), review=False)
    roll_up_dirty(now=NOW)
    assert rollup(port, DAY).outage_minutes == 60

    actions.discard_episode(episode)
    roll_up_dirty(now=NOW)

    assert rollup(port, DAY).outage_minutes == 0
