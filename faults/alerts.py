"""Alerts: an actionable fault still open after the delay tells the site's contacts, once; its
recovery tells them again. Email goes through Django's mail backend, webhooks are signed."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from faults import actions, phantom
from faults.models import (
    AlertChannel,
    AlertContact,
    AlertDelivery,
    AlertKind,
    EpisodeKind,
    FaultEpisode,
)
from faults.summary import episode_sentence

SIGNATURE_HEADER = "X-Faultline-Signature"
DELIVER_ALERT = "faults.deliver_alert"


class DeliveryFailed(Exception):
    """A webhook did not take the message; the task retries it later."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: hex HMAC-SHA256 of the exact body, keyed by the contact's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def episode_url(episode: FaultEpisode) -> str:
    try:
        path = reverse("faults:detail", args=[episode.pk])
    except NoReverseMatch:
        path = f"/faults/{episode.pk}/"
    return settings.SITE_URL + path


def due_episode_ids(now=None) -> list[int]:
    """Faults open past the delay that have not alerted yet (phantoms never do)."""
    now = now or timezone.now()
    return list(
        FaultEpisode.objects.filter(
            kind=EpisodeKind.FAULT,
            closed_at=None,
            alerted_at=None,
            is_phantom=False,
            charger__site__isnull=False,
            opened_at__lte=now - timedelta(seconds=settings.FAULTS_ALERT_DELAY_SECONDS),
        ).values_list("pk", flat=True)
    )


def _contacts(episode: FaultEpisode) -> list[AlertContact]:
    return list(AlertContact.objects.filter(site_id=episode.charger.site_id, active=True))


def _deliveries(episode: FaultEpisode, kind: str, contacts: list[AlertContact]) -> list[AlertDelivery]:
    created = []
    for contact in contacts:
        channels = [AlertChannel.EMAIL] * bool(contact.email) + [AlertChannel.WEBHOOK] * bool(
            contact.webhook_url
        )
        for channel in channels:
            delivery, new = AlertDelivery.objects.get_or_create(
                episode=episode, contact=contact, kind=kind, channel=channel
            )
            if new:
                created.append(delivery)
    for delivery in created:
        transaction.on_commit(lambda pk=delivery.pk: _send_later(pk))
    return created


def _send_later(delivery_id: int) -> None:
    from celery import current_app

    current_app.tasks[DELIVER_ALERT].apply_async(args=(delivery_id,))


def alert_if_due(episode_id: int) -> bool:
    """Alert the site's contacts about one episode if it is still due (call inside a transaction)."""
    episode = (
        FaultEpisode.objects.select_for_update(of=("self",))
        .select_related("charger__site", "connector")
        .filter(pk=episode_id)
        .first()
    )
    if episode is None or episode.alerted_at is not None or episode.closed_at is not None:
        return False
    # The phantom checks run on events; time alone can also settle them (a transaction that kept
    # running), so judge once more before paging anyone.
    phantom.review(episode)
    if episode.is_phantom:
        return False
    contacts = _contacts(episode)
    _deliveries(episode, AlertKind.FAULT, contacts)
    actions.mark_alerted(episode, contacts=len(contacts))
    return True


def recover_if_alerted(episode: FaultEpisode) -> bool:
    """A closed episode that alerted sends its recovery message, once."""
    if episode.alerted_at is None or episode.closed_at is None or episode.recovery_sent_at is not None:
        return False
    contacts = _contacts(episode)
    _deliveries(episode, AlertKind.RECOVERY, contacts)
    actions.mark_recovery_sent(episode, contacts=len(contacts))
    return True


def message(delivery: AlertDelivery) -> dict:
    episode = delivery.episode
    tz = episode.charger.site.tzinfo
    if delivery.kind == AlertKind.RECOVERY:
        local = timezone.localtime(episode.closed_at, tz)
        subject = f"[Faultline] Recovered: {episode.charger.charge_point_id} {episode.connector.label}"
        text = (
            f"{episode.charger.charge_point_id} {episode.connector.label} is back in service since "
            f"{local:%H:%M} (the fault opened at {timezone.localtime(episode.opened_at, tz):%H:%M})."
        )
    else:
        subject = (
            f"[Faultline] {episode.charger.charge_point_id} {episode.connector.label}: {episode.category}"
        )
        text = episode_sentence(episode, tz=tz)
    return {
        "event": "fault.recovered" if delivery.kind == AlertKind.RECOVERY else "fault.open",
        "subject": subject,
        "text": text,
        "url": episode_url(episode),
        "episode_id": episode.pk,
        "charge_point_id": episode.charger.charge_point_id,
        "evse_id": episode.connector.evse_id,
        "connector_id": episode.connector.connector_id,
        "site": episode.charger.site.name,
        "category": episode.category,
        "severity": episode.severity,
        "responsible": episode.responsible,
        "opened_at": episode.opened_at.isoformat(),
        "closed_at": episode.closed_at.isoformat() if episode.closed_at else None,
    }


def post_webhook(url: str, secret: str, payload: dict) -> None:
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.FAULTS_WEBHOOK_TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryFailed(str(getattr(error, "reason", error))[:300]) from error


def deliver(delivery: AlertDelivery) -> None:
    """Send one message; raises DeliveryFailed when a webhook refuses it (the caller retries)."""
    content = message(delivery)
    if delivery.channel == AlertChannel.EMAIL:
        body = f"{content['text']}\n\n{content['url']}\n"
        send_mail(content["subject"], body, None, [delivery.contact.email])
    else:
        post_webhook(delivery.contact.webhook_url, delivery.contact.webhook_secret, content)
