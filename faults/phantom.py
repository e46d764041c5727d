"""Phantom-fault filtering: is this "fault" really one? Each decision keeps its reason and evidence.

The checks read the evidence around an episode (boots, meter values, transactions, admin rules) and
either mark it phantom or record that it is real. They run again when late evidence arrives, so a
decision can change either way. Safety faults are never phantom, whatever the evidence says.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Min, Q
from django.utils import timezone

from chargers.models import Direction, MeterReading, OcppMessage, Transaction
from faults import actions
from faults.building import NO_ERROR
from faults.models import SAFETY_ERROR_CODES, EpisodeKind, FaultEpisode, PhantomRule, RuleContext
from knowledgebase.vocabulary import SAFETY_CATEGORIES, PhantomReason


@dataclass(frozen=True)
class Verdict:
    reason: str  # a PhantomReason, or "" for a real fault
    evidence: dict


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 3)


def is_safety(episode: FaultEpisode) -> bool:
    return (
        episode.is_safety
        or episode.category in SAFETY_CATEGORIES
        or episode.error_code in SAFETY_ERROR_CODES
        or episode.reports.filter(status_report__error_code__in=SAFETY_ERROR_CODES).exists()
    )


def _ports_of(episode: FaultEpisode) -> Q:
    # A charger-level episode is evidenced by any of the charger's ports.
    if episode.connector.is_whole_charger:
        return Q(connector__charger_id=episode.charger_id)
    return Q(connector_id=episode.connector_id)


def _end(episode: FaultEpisode):
    return episode.closed_at or timezone.now()


def boot_transient(episode: FaultEpisode) -> Verdict | None:
    """Faulted reported around a boot and replaced by an operative status at nearly the same moment."""
    if episode.closed_at is None or episode.close_report_id is None:
        return None
    lasted = episode.closed_at - episode.opened_at
    if lasted > timedelta(seconds=settings.FAULTS_BOOT_TRANSIENT_SECONDS):
        return None
    window = timedelta(seconds=settings.FAULTS_BOOT_WINDOW_SECONDS)
    boots = sorted(
        moment
        for moment in [episode.charger.last_boot_at]
        + list(
            OcppMessage.objects.filter(
                charger_id=episode.charger_id,
                direction=Direction.IN,
                action="BootNotification",
                received_at__range=(episode.opened_at - window, episode.opened_at + window),
            ).values_list("received_at", flat=True)
        )
        if moment is not None and abs(moment - episode.opened_at) <= window
    )
    if not boots:
        return None
    boot = min(boots, key=lambda moment: abs(moment - episode.opened_at))
    return Verdict(
        PhantomReason.BOOT_TRANSIENT,
        {
            "boot_at": boot.isoformat(),
            "fault_seconds_from_boot": _seconds(episode.opened_at - boot),
            "cleared_after_seconds": _seconds(lasted),
            "cleared_by_status": episode.close_report.status,
            "threshold_seconds": settings.FAULTS_BOOT_TRANSIENT_SECONDS,
        },
    )


def advisory_while_charging(episode: FaultEpisode) -> Verdict | None:
    """Energy kept flowing during the "fault": the register rose, or the transaction kept going."""
    end = _end(episode)
    readings = MeterReading.objects.filter(
        _ports_of(episode),
        measurand=MeterReading.ENERGY_REGISTER,
        sampled_at__gte=episode.opened_at,
        sampled_at__lte=end,
        phase="",
    )
    span = readings.aggregate(
        low=Min("value"), high=Max("value"), first=Min("sampled_at"), last=Max("sampled_at")
    )
    if span["low"] is not None and span["high"] - span["low"] >= settings.FAULTS_ADVISORY_MIN_ENERGY_WH:
        return Verdict(
            PhantomReason.ADVISORY_WHILE_CHARGING,
            {
                "energy_register_wh": [span["low"], span["high"]],
                "energy_delivered_wh": round(span["high"] - span["low"], 3),
                "sampled_between": [span["first"].isoformat(), span["last"].isoformat()],
                "threshold_wh": settings.FAULTS_ADVISORY_MIN_ENERGY_WH,
            },
        )
    charging_for = timedelta(seconds=settings.FAULTS_ADVISORY_MIN_CHARGING_SECONDS)
    transaction = (
        Transaction.objects.filter(_ports_of(episode), started_at__lte=episode.opened_at)
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=episode.opened_at + charging_for))
        .order_by("-started_at")
        .first()
    )
    if transaction is None:
        return None
    # A running transaction only proves something once the fault has lasted long enough to stop it.
    if transaction.stopped_at is None and timezone.now() < episode.opened_at + charging_for:
        return None
    if (
        episode.closed_at is not None
        and transaction.stopped_at is None
        and episode.closed_at < episode.opened_at + charging_for
    ):
        return None
    return Verdict(
        PhantomReason.ADVISORY_WHILE_CHARGING,
        {
            "transaction_id": transaction.transaction_id,
            "transaction_started_at": transaction.started_at.isoformat(),
            "transaction_stopped_at": transaction.stopped_at.isoformat() if transaction.stopped_at else None,
            "threshold_seconds": settings.FAULTS_ADVISORY_MIN_CHARGING_SECONDS,
        },
    )


def empty_fault(episode: FaultEpisode) -> Verdict | None:
    """Faulted with no code, no vendor code and no info, that cleared within a short window."""
    if episode.closed_at is None:
        return None
    lasted = episode.closed_at - episode.opened_at
    if lasted > timedelta(seconds=settings.FAULTS_EMPTY_FAULT_SECONDS):
        return None
    reports = list(
        episode.reports.filter(status_report__isnull=False).values_list(
            "status_report__error_code", "status_report__vendor_error_code", "status_report__info"
        )
    )
    if episode.open_event_id is not None or not reports:
        return None
    if any(code not in NO_ERROR or vendor_code or info for code, vendor_code, info in reports):
        return None
    return Verdict(
        PhantomReason.EMPTY_FAULT,
        {
            "reports": len(reports),
            "error_codes": sorted({code or "(none)" for code, _, _ in reports}),
            "cleared_after_seconds": _seconds(lasted),
            "threshold_seconds": settings.FAULTS_EMPTY_FAULT_SECONDS,
        },
    )


def _context_holds(rule: PhantomRule, episode: FaultEpisode) -> bool:
    if rule.context == RuleContext.ANY:
        return True
    if rule.context == RuleContext.BOOT:
        boot = episode.charger.last_boot_at
        return boot is not None and abs(episode.opened_at - boot) <= timedelta(
            seconds=settings.FAULTS_BOOT_WINDOW_SECONDS
        )
    charging = (
        Transaction.objects.filter(_ports_of(episode), started_at__lte=episode.opened_at)
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gt=episode.opened_at))
        .exists()
    )
    return charging if rule.context == RuleContext.CHARGING else not charging


def model_quirk(episode: FaultEpisode, rules: list[PhantomRule] | None = None) -> Verdict | None:
    """An admin's rule for this manufacturer/model/firmware says this report is known noise."""
    if rules is None:
        rules = list(PhantomRule.objects.filter(enabled=True))
    info = episode.info
    for rule in rules:
        if not rule.matches_charger(episode.charger):
            continue
        if not rule.matches_report(
            status=episode.status,
            error_code=episode.error_code,
            vendor_error_code=episode.vendor_error_code,
            info=info,
        ):
            continue
        if rule.max_duration_seconds is not None:
            if (
                episode.closed_at is None
                or _seconds(episode.closed_at - episode.opened_at) > rule.max_duration_seconds
            ):
                continue
        if not _context_holds(rule, episode):
            continue
        return Verdict(
            PhantomReason.MODEL_QUIRK,
            {
                "rule_id": rule.pk,
                "rule": rule.name,
                "charger": {
                    "vendor": episode.charger.vendor,
                    "model": episode.charger.model,
                    "firmware": episode.charger.firmware_version,
                },
                "matched": {
                    "status": episode.status,
                    "error_code": episode.error_code,
                    "vendor_error_code": episode.vendor_error_code,
                    "info": info,
                },
                "context": rule.context,
            },
        )
    return None


CHECKS = (boot_transient, empty_fault, advisory_while_charging, model_quirk)


def judge(episode: FaultEpisode) -> Verdict:
    """The phantom verdict for an episode, from the evidence in the database now."""
    if is_safety(episode):
        return Verdict("", {"kept_because": "safety fault", "category": episode.category})
    for check in CHECKS:
        verdict = check(episode)
        if verdict is not None:
            return verdict
    return Verdict("", {"checked": [check.__name__ for check in CHECKS]})


def review(episode: FaultEpisode) -> Verdict | None:
    """Judge a fault episode and record the decision through the named actions."""
    if episode.kind != EpisodeKind.FAULT:
        return None
    verdict = judge(episode)
    if verdict.reason:
        actions.mark_phantom(episode, reason=verdict.reason, evidence=verdict.evidence)
    else:
        actions.unmark_phantom(episode, evidence=verdict.evidence)
    return verdict
