"""Operator policy for chargers: per-model tolerance of non-conforming payloads and local id lists."""

from fnmatch import fnmatchcase

from django.db import models
from django.utils import timezone

from chargers.models.fleet import Site


class ModelPolicy(models.Model):
    """Whether payloads that break the OCPP schema but can be read are accepted for a charger model."""

    vendor = models.CharField(max_length=50, help_text="As the charger reports it in BootNotification.")
    model_pattern = models.CharField(
        max_length=50, default="*", help_text="Model name; shell wildcards allowed (e.g. DC5*)."
    )
    accept_nonconforming = models.BooleanField(
        default=False,
        help_text="Apply readable payloads that break the schema (e.g. an errorCode outside the enum) "
        "instead of refusing them. They stay flagged in the message log.",
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["vendor", "model_pattern"]
        verbose_name_plural = "model policies"
        constraints = [
            models.UniqueConstraint(fields=["vendor", "model_pattern"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self):
        return f"{self.vendor} {self.model_pattern}"

    def matches(self, vendor: str, model: str) -> bool:
        return self.vendor.casefold() == vendor.casefold() and fnmatchcase(
            model.casefold(), self.model_pattern.casefold()
        )

    @classmethod
    def accepts_nonconforming(cls, vendor: str, model: str) -> bool:
        if not vendor:
            return False
        # Few rows per vendor: filter in Python so that wildcards and case work alike on every database.
        policies = cls.objects.filter(vendor__iexact=vendor)
        return any(policy.accept_nonconforming for policy in policies if policy.matches(vendor, model))


class AuthorizationStatus(models.TextChoices):
    ACCEPTED = "Accepted", "Accepted"
    BLOCKED = "Blocked", "Blocked"
    EXPIRED = "Expired", "Expired"
    INVALID = "Invalid", "Invalid"


class LocalAuthorization(models.Model):
    """An id tag on a site's local authorization list (used only when the site enables its list)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="local_authorizations")
    id_tag = models.CharField(max_length=36)
    status = models.CharField(
        max_length=16, choices=AuthorizationStatus.choices, default=AuthorizationStatus.ACCEPTED
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "id_tag"]
        constraints = [
            models.UniqueConstraint(fields=["site", "id_tag"], name="%(app_label)s_%(class)s_unique_tag")
        ]

    def __str__(self):
        return f"{self.site} {self.id_tag} ({self.status})"

    def status_at(self, when) -> str:
        if self.expires_at is not None and self.expires_at <= when:
            return AuthorizationStatus.EXPIRED
        return self.status


class LiveOutbox(models.Model):
    """A live event written by a process that cannot reach the server's in-memory channel layer."""

    groups = models.JSONField()
    event = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.event.get('event', '?')} → {', '.join(self.groups)}"
