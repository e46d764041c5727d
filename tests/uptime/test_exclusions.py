"""Exclusions: who entered what (audited), what they cover, and the caps a rule sets."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from faults.models import AuditAction, DirtyUptimeRange, EpisodeKind, Exclusion, ExclusionAudit
from faults.uptime.exclusions import change_exclusion, record_exclusion, withdraw_exclusion
from faults.uptime.rollups import roll_up_dirty
from knowledgebase.vocabulary import ExclusionReason
from tests.uptime.support import DAY, LATER, at, build_charger, compute, episode, rollup

pytestmark = pytest.mark.django_db


def test_every_change_to_an_exclusion_leaves_an_audit_row_naming_who_and_what(operator, technician):
    charger, _, (port, _) = build_charger()
    exclusion = record_exclusion(
        by=operator, connector=port, start=at(10), end=at(11), reason=ExclusionReason.VEHICLE_FAULT, note="EV"
    )
    number = exclusion.pk
    change_exclusion(exclusion, by=technician, end=at(12), note="EV firmware")
    withdraw_exclusion(exclusion, by=operator)

    assert not Exclusion.objects.exists()
    trail = list(ExclusionAudit.objects.filter(exclusion_number=number))
    assert [(row.action, row.changed_by) for row in trail] == [
        (AuditAction.CREATED, operator),
        (AuditAction.CHANGED, technician),
        (AuditAction.WITHDRAWN, operator),
    ]
    assert trail[0].changes["reason"] == [None, "vehicle_fault"]
    assert trail[1].changes == {
        "end": [at(11).isoformat(), at(12).isoformat()],
        "note": ["EV", "EV firmware"],
    }
    assert trail[2].changes["note"] == ["EV firmware", None]


def test_a_change_that_changes_nothing_is_not_audited(operator):
    _, _, (port, _) = build_charger()
    exclusion = record_exclusion(
        by=operator, connector=port, start=at(10), end=at(11), reason=ExclusionReason.VANDALISM
    )
    change_exclusion(exclusion, by=operator, note="")
    assert ExclusionAudit.objects.filter(exclusion_number=exclusion.pk).count() == 1


def test_an_exclusion_that_ends_before_it_starts_is_refused_and_nothing_is_written(operator):
    _, _, (port, _) = build_charger()
    with pytest.raises(ValidationError, match="end after it starts"):
        record_exclusion(
            by=operator, connector=port, start=at(11), end=at(10), reason=ExclusionReason.VANDALISM
        )
    assert not Exclusion.objects.exists()
    assert not ExclusionAudit.objects.exists()


def test_a_site_wide_exclusion_covers_every_port_of_every_charger_there(operator):
    charger, whole, ports = build_charger()
    neighbour, neighbour_whole, neighbour_ports = build_charger("CP-2", site=charger.site)
    episode(whole, at(3), at(5), kind=EpisodeKind.OFFLINE)
    episode(neighbour_whole, at(3), at(5), kind=EpisodeKind.OFFLINE)
    record_exclusion(
        by=operator, site=charger.site, start=at(2), end=at(4), reason=ExclusionReason.NATURAL_DISASTER
    )
    compute(charger)
    compute(neighbour)

    assert [rollup(port).excluded_minutes for port in ports + neighbour_ports] == [60, 60, 60, 60]


def test_an_exclusion_entered_for_connector_zero_covers_the_whole_charger(operator):
    charger, whole, ports = build_charger()
    exclusion = record_exclusion(
        by=operator, connector=whole, start=at(1), end=at(2), reason=ExclusionReason.UTILITY_OUTAGE
    )
    assert (exclusion.charger, exclusion.connector) == (charger, None)


def test_vandalism_is_excluded_for_at_most_the_configured_days_per_incident(operator, settings):
    settings.UPTIME_EXCLUSION_CAPS = {"vandalism": ("incident", 2 * 24 * 60)}
    charger, _, (port, _) = build_charger()
    first, last = DAY, DAY + timedelta(days=3)
    episode(port, at(0), at(0, day=last + timedelta(days=1)))
    record_exclusion(
        by=operator,
        connector=port,
        start=at(0),
        end=at(0, day=last + timedelta(days=1)),
        reason=ExclusionReason.VANDALISM,
    )
    compute(charger, first, last)

    assert [rollup(port, first + timedelta(days=n)).excluded_minutes for n in range(4)] == [1440, 1440, 0, 0]


def test_scheduled_maintenance_is_excluded_up_to_the_yearly_allowance_in_time_order(operator, settings):
    settings.UPTIME_EXCLUSION_CAPS = {"scheduled_maintenance": ("year", 3 * 60)}
    charger, _, (port, _) = build_charger()
    earlier_day = date(2026, 2, 1)
    episode(port, at(8, day=earlier_day), at(10, day=earlier_day))
    episode(port, at(8), at(10))
    for day in (earlier_day, DAY):
        record_exclusion(
            by=operator,
            connector=port,
            start=at(8, day=day),
            end=at(10, day=day),
            reason=ExclusionReason.SCHEDULED_MAINTENANCE,
        )
    compute(charger, earlier_day, DAY)

    # Two hours in February use two of the three; March gets the one hour left.
    assert rollup(port, earlier_day).excluded_minutes == 120
    assert rollup(port, DAY).excluded_minutes == 60


def test_recording_an_exclusion_marks_the_days_it_touches_and_the_sweep_updates_them(operator):
    charger, _, (port, other) = build_charger()
    episode(port, at(10), at(11))
    compute(charger)
    assert rollup(port).excluded_minutes == 0

    record_exclusion(
        by=operator, connector=port, start=at(10), end=at(10, 45), reason=ExclusionReason.UTILITY_OUTAGE
    )
    assert list(DirtyUptimeRange.objects.values_list("connector_id", flat=True)) == [port.pk]
    roll_up_dirty(now=LATER)

    assert rollup(port).excluded_minutes == 45
    assert not DirtyUptimeRange.objects.exists()
