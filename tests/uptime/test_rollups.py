"""Rollups stay current: hourly for recent days, and through dirty marks for late history."""

import time
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from faults.models import DirtyUptimeRange, PortDayRollup
from faults.uptime.rollups import mark_dirty, roll_up_dirty, roll_up_recent
from faults.uptime.tasks import recompute
from tests.uptime.support import DAY, at, build_charger, compute, episode, rollup

TODAY = DAY + timedelta(days=1)


@pytest.mark.django_db
def test_a_late_queued_status_changes_yesterdays_figure_once_its_days_are_marked_dirty():
    charger, _, (port, other) = build_charger()
    now = at(9, day=TODAY)
    compute(charger, DAY, TODAY, now=now)
    assert rollup(port, DAY).outage_minutes == 0

    # The charger was offline and delivers yesterday's Faulted status only this morning.
    late = episode(port, at(16), at(17, 30))
    compute(charger, TODAY, now=now)  # the hourly pass alone does not look back
    assert rollup(port, DAY).outage_minutes == 0

    mark_dirty(port.pk, late.opened_at, late.closed_at)
    assert roll_up_dirty(now=now) == 1

    assert rollup(port, DAY).outage_minutes == 90
    assert rollup(other, DAY).outage_minutes == 0
    assert not DirtyUptimeRange.objects.exists()


@pytest.mark.django_db
def test_marking_connector_zero_dirty_marks_every_port_of_the_charger():
    charger, whole, ports = build_charger(ports=3)
    mark_dirty(whole.pk, at(1), at(2))
    assert sorted(DirtyUptimeRange.objects.values_list("connector_id", flat=True)) == sorted(
        p.pk for p in ports
    )


@pytest.mark.django_db
def test_the_hourly_pass_finishes_yesterday_and_counts_today_up_to_now():
    charger, _, (port, other) = build_charger()
    episode(port, at(23), at(1, day=TODAY))
    roll_up_recent(now=at(1, 30, day=TODAY))

    assert (rollup(port, DAY).service_minutes, rollup(port, DAY).outage_minutes) == (1440, 60)
    assert (rollup(port, TODAY).service_minutes, rollup(port, TODAY).outage_minutes) == (90, 60)
    assert set(PortDayRollup.objects.values_list("day", flat=True)) == {DAY, TODAY}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_celery_worker_runs_the_dirty_sweep_by_name(celery_worker_process):
    charger, _, (port, _) = build_charger()
    day = timezone.now().date() - timedelta(days=3)
    late = episode(port, at(5, day=day), at(7, day=day))
    mark_dirty(port.pk, late.opened_at, late.closed_at)

    current_app.send_task("faults.uptime.roll_up_dirty")

    # Nothing to await from a worker that only writes rows: poll the database with a deadline.
    deadline = time.monotonic() + 30
    while DirtyUptimeRange.objects.exists():
        assert time.monotonic() < deadline, celery_worker_process.output()
        time.sleep(0.1)
    assert rollup(port, day).outage_minutes == 120


@pytest.mark.django_db
def test_the_backfill_task_computes_every_port_day_of_a_range_across_months():
    charger, _, (port, other) = build_charger()
    episode(port, at(10), at(11))

    assert recompute("2026-02-20", "2026-03-10") == 2 * 19

    assert rollup(port).outage_minutes == 60
    assert PortDayRollup.objects.filter(connector=other).count() == 19


@pytest.mark.django_db
def test_a_mark_that_lies_wholly_in_the_future_is_dropped_without_computing_anything():
    charger, _, (port, _) = build_charger()
    mark_dirty(port.pk, at(10, day=TODAY + timedelta(days=5)), at(11, day=TODAY + timedelta(days=5)))

    assert roll_up_dirty(now=at(9, day=TODAY)) == 0
    assert not DirtyUptimeRange.objects.exists()
    assert not PortDayRollup.objects.exists()
