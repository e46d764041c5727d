"""Site incidents: several ports of one site in trouble at once point to a common cause."""

from django.db import models
from django.utils import timezone

from chargers.models import Site


class IncidentCause(models.TextChoices):
    SUPPLY = "supply", "Power supply (utility or site electrics)"
    NETWORK = "network", "Network (site internet or backhaul)"
    UNKNOWN = "unknown", "Common cause not yet known"


class SiteIncident(models.Model):
    """Ports of one site that faulted or went offline within a short window, grouped as one problem."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="incidents")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=10, choices=IncidentCause.choices, default=IncidentCause.UNKNOWN)
    explanation = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # Joining a new episode to the site's incident of the same window.
            models.Index(fields=["site", "opened_at"], name="faults_incident_site_time"),
        ]

    def __str__(self):
        return f"{self.site} {self.get_cause_display()} since {self.opened_at:%Y-%m-%d %H:%M}"
