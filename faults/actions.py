"""The named actions that change fault episodes. Nothing else writes a FaultEpisode.

Each action saves only the fields it changed, writes an EpisodeChange row, and pushes the new state
to live pages after the transaction commits. Follow-up work (phantom review, correlation) is queued
as Celery tasks after commit too, so that a worker never sees a row that is not yet committed.
"""

from datetime import datetime

from celery import current_app
from django.db import transaction
from django.utils import timezone

from chargers.models import Charger, Connector, DeviceEvent, StatusReport
from faults import classification
from faults.live import publish_episode_changed
from faults.models import EpisodeChange, EpisodeKind, EpisodeReport, FaultEpisode, SiteIncident
from faults.uptime import rollups
from knowledgebase.vocabulary import SAFETY_CATEGORIES, Category, PhantomReason, Responsible, Severity

REVIEW_EPISODE = "faults.review_episode"
REPORT_FIELDS = ("status", "error_code", "vendor_id", "vendor_error_code", "info")


def _history(episode: FaultEpisode, action: str, by=None, **detail) -> None:
    EpisodeChange.objects.create(episode=episode, action=action, detail=detail, by=by)


def _queue(task_name: str, *args) -> None:
    # apply_async (not send_task) so that an eager Celery configuration runs it in-process.
    transaction.on_commit(lambda: current_app.tasks[task_name].apply_async(args=args))


# Changing any of these changes when (or whether, in the filtered figure) a port was down.
UPTIME_FIELDS = frozenset({"opened_at", "closed_at", "is_phantom", "kind"})


def _uptime_changed(episode: FaultEpisode, since: datetime | None = None) -> None:
    # Written in the same transaction as the change, so a rollback leaves no stale mark behind and
    # a committed change is never missed by the next dirty sweep.
    start = min(moment for moment in (since, episode.opened_at) if moment is not None)
    rollups.mark_dirty(episode.connector_id, start, episode.closed_at)


def _changed(episode: FaultEpisode, fields: list[str], action: str, by=None, **detail) -> None:
    if fields:
        episode.save(update_fields=fields)
    if action == "opened" or UPTIME_FIELDS.intersection(fields):
        _uptime_changed(episode)
    _history(episode, action, by=by, **detail)
    publish_episode_changed(episode)


def _source_fields(report: StatusReport | None, event: DeviceEvent | None) -> dict:
    if report is not None:
        return {name: getattr(report, name) for name in REPORT_FIELDS}
    return {
        "status": "",
        "error_code": "",
        "vendor_id": "",
        "vendor_error_code": event.tech_code,
        "info": event.tech_info or event.actual_value,
    }


# --- Fault and warning episodes ----------------------------------------------------------------


def open_fault(
    connector: Connector,
    *,
    opened_at: datetime,
    kind: str = EpisodeKind.FAULT,
    report: StatusReport | None = None,
    event: DeviceEvent | None = None,
    review: bool = True,
) -> FaultEpisode:
    """Open an episode on a port at event time, from the report or device event that started it."""
    episode = FaultEpisode(
        charger_id=connector.charger_id,
        connector=connector,
        kind=kind,
        opened_at=opened_at,
        open_report=report,
        open_event=event,
        **_source_fields(report, event),
    )
    if event is not None:
        episode.source_component = event.component_name
        episode.source_variable = event.variable_name
    _apply_translation(episode)
    episode.save()
    EpisodeReport.objects.create(
        episode=episode, status_report=report, device_event=event, event_at=opened_at
    )
    _changed(episode, [], "opened", kind=kind, at=opened_at.isoformat())
    if review:
        _queue(REVIEW_EPISODE, episode.pk)
    return episode


def add_report(
    episode: FaultEpisode, *, report: StatusReport | None = None, event: DeviceEvent | None = None
) -> bool:
    """Keep a report that arrived inside the episode; codes may change mid-episode. False if known."""
    event_at = report.event_at if report is not None else event.event_at
    _, created = EpisodeReport.objects.get_or_create(
        episode=episode, status_report=report, device_event=event, defaults={"event_at": event_at}
    )
    if not created:
        return False
    latest = not episode.reports.filter(event_at__gt=event_at).exists()
    fields = []
    if latest:
        for name, value in _source_fields(report, event).items():
            if getattr(episode, name) != value:
                setattr(episode, name, value)
                fields.append(name)
    if fields:
        fields += _apply_translation(episode)
    _changed(episode, fields, "report_added", at=event_at.isoformat(), changed=fields)
    return True


def close_fault(
    episode: FaultEpisode,
    *,
    closed_at: datetime,
    report: StatusReport | None = None,
    event: DeviceEvent | None = None,
    review: bool = True,
) -> FaultEpisode:
    """Close an episode at the event time of the report that ended it."""
    if episode.closed_at is not None:
        return episode
    episode.closed_at = max(closed_at, episode.opened_at)
    episode.close_report = report
    episode.close_event = event
    _changed(
        episode, ["closed_at", "close_report", "close_event"], "closed", at=episode.closed_at.isoformat()
    )
    if review:
        _queue(REVIEW_EPISODE, episode.pk)
    return episode


def reshape_episode(
    episode: FaultEpisode,
    *,
    closed_at: datetime | None,
    close_report: StatusReport | None,
    reports: list[StatusReport],
) -> bool:
    """Make a rebuilt episode match its replayed history: start, end, reports kept and latest codes."""
    fields = []
    opener = reports[0]
    if episode.opened_at != opener.event_at:
        # The days the episode no longer covers are stale too, not only the ones it now covers.
        _uptime_changed(episode, since=min(episode.opened_at, opener.event_at))
    if episode.open_report_id != opener.pk or episode.opened_at != opener.event_at:
        episode.open_report, episode.opened_at = opener, opener.event_at
        fields += ["open_report", "opened_at"]
    if episode.closed_at != closed_at or episode.close_report_id != getattr(close_report, "pk", None):
        episode.closed_at, episode.close_report = closed_at, close_report
        fields += ["closed_at", "close_report"]
    kept = set(episode.reports.filter(status_report__isnull=False).values_list("status_report_id", flat=True))
    wanted = {report.pk for report in reports}
    if kept != wanted:
        episode.reports.filter(status_report__isnull=False).exclude(status_report_id__in=wanted).delete()
        EpisodeReport.objects.bulk_create(
            [
                EpisodeReport(episode=episode, status_report=r, event_at=r.event_at)
                for r in reports
                if r.pk not in kept
            ]
        )
    latest = reports[-1]
    codes = [name for name in REPORT_FIELDS if getattr(episode, name) != getattr(latest, name)]
    for name in codes:
        setattr(episode, name, getattr(latest, name))
    if codes:
        fields += codes + _apply_translation(episode)
    if not fields and kept == wanted:
        return False
    _changed(episode, fields, "rebuilt", reports=sorted(wanted))
    _queue(REVIEW_EPISODE, episode.pk)
    return True


def discard_episode(episode: FaultEpisode, *, successor: FaultEpisode | None = None) -> None:
    """Delete an episode that a rebuild in true event order shows never happened that way.

    Work recorded against it (playbook runs) moves to the episode that now covers its time, so
    that re-ordering reports never loses what a technician did.
    """
    if successor is not None:
        episode.playbook_runs.update(episode=successor)
        _history(successor, "absorbed", episode=episode.pk, opened_at=episode.opened_at.isoformat())
    _uptime_changed(episode)
    episode.delete()


# --- Translation -------------------------------------------------------------------------------


def _apply_translation(episode: FaultEpisode) -> list[str]:
    """Fill the knowledge-base fields of an unsaved or saved episode; return the fields it set."""
    if episode.kind == EpisodeKind.OFFLINE:
        return []
    report, translation = classification.translate_episode(episode)
    values = {
        "category": translation.category,
        "severity": translation.severity,
        "responsible": translation.responsible,
        "escalation_responsible": translation.escalation_responsible,
        "meaning": translation.meaning,
        "next_action": translation.next_action,
        "match_reason": translation.reason[:300],
        "matched_by": translation.matched_by,
        "knowledge_entry_id": translation.entry_id,
        "playbook_id": translation.playbook_id,
        "playbook_name": translation.playbook_name,
        "charging_possible": translation.charging_possible,
        "is_safety": bool(translation.is_safety or translation.category in SAFETY_CATEGORIES),
        "classified_at": timezone.now(),
    }
    if episode.kind == EpisodeKind.WARNING and values["severity"] in (Severity.FAULT, Severity.CRITICAL):
        # An error code beside an operative status is a warning: charging is still possible.
        values["severity"] = Severity.WARNING if not values["is_safety"] else Severity.CRITICAL
    if episode.escalated and values["escalation_responsible"]:
        values["responsible"] = values["escalation_responsible"]
    if episode.vehicle_suspected:
        values["responsible"] = Responsible.DRIVER
    for name, value in values.items():
        setattr(episode, name, value)
    if translation.matched_by == "unknown":
        charger = episode.charger
        opened_at = episode.opened_at
        transaction.on_commit(
            lambda: classification.record_unknown(report, charger.charge_point_id, opened_at)
        )
    return list(values)


def classify(episode: FaultEpisode, *, why: str = "") -> bool:
    """Translate the episode again through the knowledge base; True if anything shown changed."""
    before = {
        name: getattr(episode, name)
        for name in (
            "category",
            "severity",
            "responsible",
            "meaning",
            "next_action",
            "knowledge_entry_id",
            "playbook_id",
        )
    }
    fields = _apply_translation(episode)
    if not fields:
        return False
    after = {name: getattr(episode, name) for name in before}
    if after == before:
        episode.save(update_fields=["classified_at"])
        return False
    _changed(episode, fields, "classified", why=why, category=episode.category, matched_by=episode.matched_by)
    if episode.is_phantom and episode.is_safety:
        unmark_phantom(episode, evidence={"why": "the knowledge base now calls this a safety fault"})
    return True


# --- Phantom decisions -------------------------------------------------------------------------


def mark_phantom(episode: FaultEpisode, *, reason: str, evidence: dict, by=None) -> bool:
    """Record that the episode is not a real fault, with the reason and the evidence for it."""
    if episode.is_safety or episode.category in SAFETY_CATEGORIES:
        raise ValueError(f"episode {episode.pk} is a safety fault ({episode.category}): never a phantom")
    if episode.is_phantom and episode.phantom_reason == reason and episode.phantom_evidence == evidence:
        return False
    episode.is_phantom = True
    episode.phantom_reason = PhantomReason(reason)
    episode.phantom_evidence = evidence
    episode.phantom_decided_at = timezone.now()
    _changed(
        episode,
        ["is_phantom", "phantom_reason", "phantom_evidence", "phantom_decided_at"],
        "marked_phantom",
        by=by,
        reason=reason,
    )
    return True


def unmark_phantom(episode: FaultEpisode, *, evidence: dict, by=None) -> bool:
    """Record that the episode is a real fault after all (late evidence, a person's judgement)."""
    changed = episode.is_phantom or episode.phantom_decided_at is None or episode.phantom_evidence != evidence
    if not changed:
        return False
    was_phantom = episode.is_phantom
    episode.is_phantom = False
    episode.phantom_reason = ""
    episode.phantom_evidence = evidence
    episode.phantom_decided_at = timezone.now()
    _changed(
        episode,
        ["is_phantom", "phantom_reason", "phantom_evidence", "phantom_decided_at"],
        "unmarked_phantom" if was_phantom else "judged_real",
        by=by,
    )
    return True


# --- Offline episodes ----------------------------------------------------------------------------


def whole_charger(charger: Charger) -> Connector:
    connector, _ = Connector.objects.get_or_create(charger=charger, evse_id=0, connector_id=0)
    return connector


def open_offline(charger: Charger, *, at: datetime) -> FaultEpisode:
    """Open the charger's offline episode (idempotent: an open one is returned as it is)."""
    existing = FaultEpisode.objects.filter(charger=charger, kind=EpisodeKind.OFFLINE, closed_at=None).first()
    if existing is not None:
        return existing
    episode = FaultEpisode(
        charger=charger,
        connector=whole_charger(charger),
        kind=EpisodeKind.OFFLINE,
        opened_at=at,
        category=Category.CONNECTIVITY,
        severity=Severity.FAULT,
        responsible=Responsible.REMOTE_OPERATOR,
        escalation_responsible=Responsible.SITE_STAFF,
        meaning="The charger stopped talking to Faultline.",
        next_action="Check whether the site has power and internet; if it does, power-cycle the charger.",
        match_reason="No message from the charger within its heartbeat interval and grace.",
        classified_at=timezone.now(),
    )
    episode.save()
    _changed(episode, [], "opened", kind=EpisodeKind.OFFLINE, at=at.isoformat())
    _queue(REVIEW_EPISODE, episode.pk)
    return episode


def close_offline(charger: Charger, *, at: datetime) -> FaultEpisode | None:
    episode = (
        FaultEpisode.objects.filter(
            charger=charger, kind=EpisodeKind.OFFLINE, closed_at=None, opened_at__lte=at
        )
        .order_by("-opened_at")
        .first()
    )
    if episode is None:
        return None
    return close_fault(episode, closed_at=at)


# --- Correlation and alerts ----------------------------------------------------------------------


def join_incident(episode: FaultEpisode, incident: SiteIncident) -> bool:
    if episode.incident_id == incident.pk:
        return False
    episode.incident = incident
    _changed(episode, ["incident"], "joined_incident", incident=incident.pk, cause=incident.cause)
    return True


def escalate(episode: FaultEpisode, *, note: str) -> bool:
    """The same trouble keeps coming back: hand it to the next responder of its playbook."""
    if episode.escalated:
        return False
    episode.escalated = True
    episode.correlation_note = note[:300]
    fields = ["escalated", "correlation_note"]
    if episode.escalation_responsible and not episode.vehicle_suspected:
        episode.responsible = episode.escalation_responsible
        fields.append("responsible")
    _changed(episode, fields, "escalated", note=note, responsible=episode.responsible)
    return True


def suspect_vehicle(episode: FaultEpisode, *, note: str) -> bool:
    """The fault follows one vehicle across ports: the vehicle side, so the driver acts."""
    if episode.vehicle_suspected:
        return False
    episode.vehicle_suspected = True
    episode.responsible = Responsible.DRIVER
    episode.correlation_note = note[:300]
    _changed(
        episode, ["vehicle_suspected", "responsible", "correlation_note"], "vehicle_suspected", note=note
    )
    return True


def mark_alerted(episode: FaultEpisode, *, contacts: int) -> None:
    episode.alerted_at = timezone.now()
    _changed(episode, ["alerted_at"], "alerted", contacts=contacts)


def mark_recovery_sent(episode: FaultEpisode, *, contacts: int) -> None:
    episode.recovery_sent_at = timezone.now()
    _changed(episode, ["recovery_sent_at"], "recovery_sent", contacts=contacts)
