"""Celery tasks of the faults app: the chargers app's announcements, and the periodic sweeps.

Tasks take ids, re-fetch their rows, return quietly when a row is gone, and call domain functions.
Announced tasks may arrive twice or out of order: the domain functions are idempotent and serialise
per port with a row lock.
"""

import logging
from datetime import datetime, timedelta

from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chargers import announce
from chargers.models import Charger, ConnectivityChange, Connector, Site, Transaction
from faults import actions, alerts, building, correlation, phantom
from faults.models import AlertDelivery, DeliveryState, EpisodeKind, FaultEpisode, SiteDigest

log = logging.getLogger(__name__)
LIMITS = {"time_limit": 120, "soft_time_limit": 100}


def _overlapping(start: datetime, end: datetime) -> Q:
    return Q(opened_at__lte=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))


def _review_all(episode_ids) -> None:
    for episode_id in episode_ids:
        review_episode.delay(episode_id)


# --- What the chargers app announces -----------------------------------------------------------


@shared_task(name=announce.STATUS_REPORTED, **LIMITS)
def status_reported(status_report_id: int) -> None:
    with transaction.atomic():
        building.fold_status_report(status_report_id)


@shared_task(name=announce.DEVICE_EVENT_REPORTED, **LIMITS)
def device_event_reported(device_event_id: int) -> None:
    with transaction.atomic():
        building.fold_device_event(device_event_id)


@shared_task(name=announce.METER_VALUES_REPORTED, **LIMITS)
def meter_values_reported(connector_id: int, first_sampled_at: str, last_sampled_at: str) -> None:
    """Meter values (often sent late, after a reconnect) can prove a "fault" was an advisory."""
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None:
        return
    start, end = datetime.fromisoformat(first_sampled_at), datetime.fromisoformat(last_sampled_at)
    ports = Q(connector=connector) | Q(
        charger_id=connector.charger_id, connector__evse_id=0, connector__connector_id=0
    )
    _review_all(
        FaultEpisode.objects.filter(ports, _overlapping(start, end), kind=EpisodeKind.FAULT).values_list(
            "pk", flat=True
        )
    )


@shared_task(name=announce.TRANSACTION_CHANGED, **LIMITS)
def transaction_changed(transaction_id: int) -> None:
    """A session started, went on or stopped: re-judge the faults it overlaps."""
    session = Transaction.objects.filter(pk=transaction_id).first()
    if session is None or session.connector_id is None:
        return
    ports = Q(connector_id=session.connector_id) | Q(
        charger_id=session.charger_id, connector__evse_id=0, connector__connector_id=0
    )
    end = session.stopped_at or timezone.now()
    _review_all(
        FaultEpisode.objects.filter(
            ports, _overlapping(session.started_at, end), kind=EpisodeKind.FAULT
        ).values_list("pk", flat=True)
    )


@shared_task(name=announce.CONNECTIVITY_CHANGED, **LIMITS)
def connectivity_changed(connectivity_change_id: int) -> None:
    change = ConnectivityChange.objects.select_related("charger").filter(pk=connectivity_change_id).first()
    if change is None:
        return
    with transaction.atomic():
        Charger.objects.select_for_update().get(pk=change.charger_id)
        if change.online:
            actions.close_offline(change.charger, at=change.at)
        else:
            actions.open_offline(change.charger, at=change.at)


@shared_task(name=announce.CHARGER_BOOTED, **LIMITS)
def charger_booted(charger_id: int, boot_at: str) -> None:
    """A boot explains faults reported around it (boot transients): re-judge those."""
    moment = datetime.fromisoformat(boot_at)
    window = timedelta(seconds=settings.FAULTS_BOOT_WINDOW_SECONDS)
    _review_all(
        FaultEpisode.objects.filter(
            charger_id=charger_id, kind=EpisodeKind.FAULT, opened_at__range=(moment - window, moment + window)
        ).values_list("pk", flat=True)
    )


@shared_task(name=announce.ANNOUNCEMENTS, time_limit=600, soft_time_limit=540)
def announcements(entries: list) -> None:
    """A committed batch's announcements, in order, in this worker: one broker message for them all.

    Each runs as its own task would (its own transactions); one that fails is logged and the rest go on.
    """
    for name, args in entries:
        task = current_app.tasks.get(name)
        if task is None or name == announce.ANNOUNCEMENTS:
            log.error("Announcement of an unknown task %r ignored", name)
            continue
        try:
            task(*args)
        except Exception:
            log.exception("Announced task %s%r failed", name, tuple(args))


# --- Judgement of one episode ------------------------------------------------------------------


@shared_task(name=actions.REVIEW_EPISODE, **LIMITS)
def review_episode(episode_id: int) -> None:
    """Phantom verdict, correlation, and (for a closed, alerted episode) the recovery message."""
    site_id = FaultEpisode.objects.filter(pk=episode_id).values_list("charger__site_id", flat=True).first()
    with transaction.atomic():
        # Site before episode: correlation updates the neighbours' rows, and every reviewer taking
        # the locks in the same order is what keeps two of them from deadlocking.
        if site_id is not None:
            Site.objects.select_for_update().filter(pk=site_id).first()
        episode = (
            FaultEpisode.objects.select_for_update(of=("self",))
            .select_related("charger__site", "connector", "close_report")
            .filter(pk=episode_id)
            .first()
        )
        if episode is None:
            return
        phantom.review(episode)
        correlation.correlate(episode)
        alerts.recover_if_alerted(episode)


@shared_task(name="faults.reclassify", **LIMITS)
def reclassify(recent_hours: int | None = None) -> int:
    """Translate open and recent episodes again when the knowledge base changed since their last
    translation (the knowledge base may trigger this by name; beat runs it too)."""
    from knowledgebase.models import KnowledgeVersion

    changed_at = KnowledgeVersion.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    hours = settings.FAULTS_RECLASSIFY_RECENT_HOURS if recent_hours is None else recent_hours
    candidates = FaultEpisode.objects.exclude(kind=EpisodeKind.OFFLINE).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=timezone.now() - timedelta(hours=hours))
    )
    if changed_at is not None:
        candidates = candidates.filter(Q(classified_at__isnull=True) | Q(classified_at__lt=changed_at))
    changed = 0
    for episode_id in candidates.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            episode = (
                FaultEpisode.objects.select_for_update(of=("self",))
                .select_related("charger", "connector")
                .filter(pk=episode_id)
                .first()
            )
            if episode is not None and actions.classify(episode, why="knowledge base changed"):
                changed += 1
                transaction.on_commit(lambda pk=episode.pk: review_episode.delay(pk))
    return changed


# --- Alerts and digests ------------------------------------------------------------------------


@shared_task(name="faults.send_due_alerts", **LIMITS)
def send_due_alerts() -> int:
    sent = 0
    for episode_id in alerts.due_episode_ids():
        with transaction.atomic():
            sent += alerts.alert_if_due(episode_id)
    return sent


@shared_task(
    bind=True,
    name=alerts.DELIVER_ALERT,
    max_retries=settings.FAULTS_WEBHOOK_MAX_RETRIES,
    **LIMITS,
)
def deliver_alert(self, delivery_id: int) -> None:
    """Send one alert; a refused webhook retries with exponential backoff, in its own task, so a
    slow or dead endpoint never holds up other alerts."""
    delivery = (
        AlertDelivery.objects.select_related("episode__charger__site", "episode__connector", "contact")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return
    delivery.attempts += 1
    try:
        alerts.deliver(delivery)
    except alerts.DeliveryFailed as error:
        delivery.last_error = str(error)[:300]
        gave_up = self.request.retries >= self.max_retries
        delivery.state = DeliveryState.FAILED if gave_up else DeliveryState.PENDING
        delivery.save(update_fields=["attempts", "last_error", "state"])
        if gave_up:
            log.warning("alert %s to %s failed for good: %s", delivery.pk, delivery.contact, error)
            return
        raise self.retry(countdown=30 * 2**self.request.retries, exc=error) from error
    delivery.state = DeliveryState.SENT
    delivery.sent_at = timezone.now()
    delivery.save(update_fields=["attempts", "state", "sent_at", "last_error"])


@shared_task(name="faults.send_digests", **LIMITS)
def send_digests() -> int:
    """At the digest hour of each site's local day, send yesterday's digest (once per site and day)."""
    from faults.digest import send_digest

    sent = 0
    for site in Site.objects.all():
        local = timezone.localtime(timezone.now(), site.tzinfo)
        if local.hour < settings.FAULTS_DIGEST_HOUR:
            continue
        day = local.date() - timedelta(days=1)
        if not SiteDigest.objects.filter(site=site, day=day).exists():
            sent += send_digest(site, day)
    return sent
