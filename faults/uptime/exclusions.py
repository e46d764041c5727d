"""The only writers of Exclusion: each writes an audit row and marks the touched days stale."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chargers.models import Charger, Connector, Site
from faults.models import AuditAction, Exclusion, ExclusionAudit
from faults.uptime import caps
from faults.uptime.engine import ports_of
from faults.uptime.rollups import mark_ports_dirty
from knowledgebase.vocabulary import ExclusionReason

AUDITED = ("site", "charger", "connector", "start", "end", "reason", "note")
CHANGEABLE = ("start", "end", "reason", "note")


def _snapshot(exclusion: Exclusion) -> dict:
    values = {}
    for name in AUDITED:
        value = getattr(exclusion, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str):
            value = str(value)
        values[name] = value
    return values


def _validate(exclusion: Exclusion) -> None:
    if timezone.is_naive(exclusion.start) or timezone.is_naive(exclusion.end):
        raise ValidationError("Start and end need a time zone (e.g. 2026-05-01T08:00:00Z).")
    if exclusion.end <= exclusion.start:
        raise ValidationError("An exclusion must end after it starts.")
    if exclusion.reason not in ExclusionReason.values:
        raise ValidationError(f"{exclusion.reason!r} is not an exclusion reason.")
    scopes = [exclusion.site_id, exclusion.charger_id, exclusion.connector_id]
    if sum(scope is not None for scope in scopes) != 1:
        raise ValidationError("An exclusion covers exactly one of: a port, a charger, a site.")


def _affected_ports(exclusion: Exclusion):
    if exclusion.connector_id:
        return Connector.objects.filter(pk=exclusion.connector_id)
    if exclusion.charger_id:
        return ports_of(Connector.objects.filter(charger_id=exclusion.charger_id))
    return ports_of(Connector.objects.filter(charger__site_id=exclusion.site_id))


def _mark_stale(exclusion: Exclusion) -> None:
    end = exclusion.end
    if caps.configured_caps().get(exclusion.reason, ("", 0))[0] == caps.PER_YEAR:
        # A yearly allowance is used in time order: this window shifts what later windows may credit.
        end = max(end, timezone.now())
    mark_ports_dirty(_affected_ports(exclusion), exclusion.start, end)


def record_exclusion(
    *,
    by,
    start: datetime,
    end: datetime,
    reason: str,
    note: str = "",
    site: Site | None = None,
    charger: Charger | None = None,
    connector: Connector | None = None,
) -> Exclusion:
    """Record excluded downtime for a port, a charger (connector 0 means the charger) or a site."""
    if connector is not None and connector.is_whole_charger:
        charger, connector = connector.charger, None
    now = timezone.now()
    exclusion = Exclusion(
        site=site,
        charger=charger,
        connector=connector,
        start=start,
        end=end,
        reason=reason,
        note=note,
        entered_by=by,
        created_at=now,
        updated_at=now,
    )
    _validate(exclusion)
    with transaction.atomic():
        exclusion.save()
        ExclusionAudit.objects.create(
            exclusion=exclusion,
            exclusion_number=exclusion.pk,
            action=AuditAction.CREATED,
            changed_by=by,
            changed_at=now,
            changes={name: [None, value] for name, value in _snapshot(exclusion).items()},
        )
        _mark_stale(exclusion)
    return exclusion


def change_exclusion(exclusion: Exclusion, *, by, **changes) -> Exclusion:
    """Change start, end, reason or note; the audit row keeps each old and new value."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        # Audit against the stored row, not a copy the caller may have held for a while.
        exclusion = Exclusion.objects.select_for_update().get(pk=exclusion.pk)
        before = _snapshot(exclusion)
        old_version = Exclusion(
            site_id=exclusion.site_id,
            charger_id=exclusion.charger_id,
            connector_id=exclusion.connector_id,
            start=exclusion.start,
            end=exclusion.end,
            reason=exclusion.reason,
        )
        for name, value in changes.items():
            setattr(exclusion, name, value)
        _validate(exclusion)
        after = _snapshot(exclusion)
        diff = {name: [before[name], after[name]] for name in AUDITED if before[name] != after[name]}
        if not diff:
            return exclusion
        exclusion.updated_at = timezone.now()
        exclusion.save(update_fields=[*changes, "updated_at"])
        ExclusionAudit.objects.create(
            exclusion=exclusion,
            exclusion_number=exclusion.pk,
            action=AuditAction.CHANGED,
            changed_by=by,
            changed_at=exclusion.updated_at,
            changes=diff,
        )
        _mark_stale(old_version)
        _mark_stale(exclusion)
    return exclusion


def withdraw_exclusion(exclusion: Exclusion, *, by) -> None:
    """Delete an exclusion; its audit trail stays, with a last row saying who withdrew it."""
    with transaction.atomic():
        exclusion = Exclusion.objects.select_for_update().get(pk=exclusion.pk)
        ExclusionAudit.objects.create(
            exclusion=exclusion,
            exclusion_number=exclusion.pk,
            action=AuditAction.WITHDRAWN,
            changed_by=by,
            changed_at=timezone.now(),
            changes={name: [value, None] for name, value in _snapshot(exclusion).items()},
        )
        _mark_stale(exclusion)
        exclusion.delete()
