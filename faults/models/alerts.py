"""Who hears about a site's faults, and each message sent to them."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from chargers.models import Site


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


class AlertContact(models.Model):
    """A person or system told about a site's actionable faults: by email, by signed webhook, or both."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="alert_contacts")
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_secret = models.CharField(
        max_length=100, default=new_signing_secret, help_text="Signs each webhook body (HMAC-SHA256)."
    )
    receives_digest = models.BooleanField(default=True, help_text="Also gets the daily digest by email.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site", "name", "id"]

    def __str__(self):
        return f"{self.name} ({self.site})"

    def clean(self):
        super().clean()
        if not self.email and not self.webhook_url:
            raise ValidationError("Give an email address, a webhook URL, or both.")


class AlertKind(models.TextChoices):
    FAULT = "fault", "Fault still open"
    RECOVERY = "recovery", "Recovered"


class AlertChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class AlertDelivery(models.Model):
    """One message to one contact about one episode; the unique constraint makes it once only."""

    episode = models.ForeignKey("faults.FaultEpisode", on_delete=models.CASCADE, related_name="alerts")
    contact = models.ForeignKey(AlertContact, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    channel = models.CharField(max_length=10, choices=AlertChannel.choices)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "contact", "kind", "channel"], name="faults_alertdelivery_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.channel} to {self.contact} for episode {self.episode_id}"


class SiteDigest(models.Model):
    """The daily digest sent for a site and local day (so each day goes out once)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="digests")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    body = models.TextField()

    class Meta:
        ordering = ["-day", "site"]
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="faults_sitedigest_once")]

    def __str__(self):
        return f"{self.site} digest {self.day}"
