"""Uptime: excluded downtime (with its audit trail), daily per-port rollups and the dirty-range marker."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from chargers.models import Charger, Connector, Site
from knowledgebase.vocabulary import ExclusionReason


class Exclusion(models.Model):
    """Downtime an operator shows was outside their control, for a port, a charger or a whole site."""

    # Written only through faults.uptime.exclusions (record_exclusion, change_exclusion,
    # withdraw_exclusion), which keep the audit trail and mark the touched days for recomputation.

    # Exactly one scope is set: the port, the charger (all its ports) or the site (all its ports).
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, null=True, blank=True, related_name="exclusions"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=32, choices=ExclusionReason.choices)
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="%(app_label)s_%(class)s_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(site__isnull=False, charger__isnull=True, connector__isnull=True)
                    | models.Q(site__isnull=True, charger__isnull=False, connector__isnull=True)
                    | models.Q(site__isnull=True, charger__isnull=True, connector__isnull=False)
                ),
                name="%(app_label)s_%(class)s_one_scope",
            ),
        ]
        indexes = [
            # The engine: exclusions overlapping a time window.
            models.Index(fields=["start", "end"], name="faults_exclusion_window"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"

    @property
    def scope_label(self) -> str:
        if self.connector_id:
            return str(self.connector)
        if self.charger_id:
            return str(self.charger)
        return f"site {self.site}"


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ExclusionAudit(models.Model):
    """One change to an exclusion: who made it, when, and each field's old and new value."""

    exclusion = models.ForeignKey(Exclusion, on_delete=models.SET_NULL, null=True, related_name="audit")
    # Kept after a withdrawal deletes the exclusion, so that the trail still names it.
    exclusion_number = models.PositiveBigIntegerField()
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, help_text='{"field": [old, new], …}')

    class Meta:
        ordering = ["exclusion_number", "changed_at", "id"]

    def __str__(self):
        return f"exclusion {self.exclusion_number} {self.action} by {self.changed_by} at {self.changed_at}"


class PortDayRollup(models.Model):
    """One port's minutes for one site-local day: in service, down, excluded; raw and phantom-filtered."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="uptime_days")
    day = models.DateField(help_text="The day in the site's time zone.")
    service_minutes = models.PositiveIntegerField(help_text="Minutes of the day the port was commissioned.")
    outage_minutes = models.PositiveIntegerField()
    excluded_minutes = models.PositiveIntegerField()
    offline_minutes = models.PositiveIntegerField()
    faulted_minutes = models.PositiveIntegerField()
    outage_minutes_filtered = models.PositiveIntegerField()
    excluded_minutes_filtered = models.PositiveIntegerField()
    offline_minutes_filtered = models.PositiveIntegerField()
    faulted_minutes_filtered = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["connector", "day"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "day"], name="%(app_label)s_%(class)s_one_per_day")
        ]
        indexes = [
            # Reports: every port's days in a date range (the unique index serves one port's range).
            models.Index(fields=["day", "connector"], name="faults_rollup_day_port"),
        ]

    def __str__(self):
        return f"{self.connector_id} {self.day}: {self.outage_minutes} min down"


class DirtyUptimeRange(models.Model):
    """A time range of one port whose rollups are stale (late events, new exclusions)."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.connector_id} stale {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"
