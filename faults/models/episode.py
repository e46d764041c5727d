"""Fault episodes: one row per contiguous problem period of a port (or of a whole charger)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from chargers.models import Charger, Connector, DeviceEvent, StatusReport
from knowledgebase.vocabulary import Category, PhantomReason, Responsible, Severity


class EpisodeKind(models.TextChoices):
    FAULT = "fault", "Fault (port inoperative)"
    WARNING = "warning", "Warning (error code, charging still possible)"
    OFFLINE = "offline", "Offline (no communication)"


class FaultEpisode(models.Model):
    """A contiguous Faulted / warning / offline period, at event time, with its translation.

    Written only through faults.actions (open_fault, close_fault, mark_phantom, …).
    """

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="episodes")
    # The port; connector 0 (evse 0 / connector 0) for charger-level episodes, which down every port.
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="episodes")
    kind = models.CharField(max_length=8, choices=EpisodeKind.choices, default=EpisodeKind.FAULT)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    # What the charger reported (the latest report inside the episode).
    status = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    info = models.CharField(max_length=500, blank=True)

    # The translation through the knowledge base.
    category = models.CharField(max_length=40, default=Category.UNKNOWN)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.FAULT)
    responsible = models.CharField(
        max_length=20, choices=Responsible.choices, default=Responsible.REMOTE_OPERATOR
    )
    escalation_responsible = models.CharField(max_length=20, choices=Responsible.choices, blank=True)
    meaning = models.TextField(blank=True)
    next_action = models.TextField(blank=True)
    match_reason = models.CharField(max_length=300, blank=True)
    matched_by = models.CharField(max_length=20, blank=True)
    # Knowledge-base rows by id: the translation contract hands out ids, and an entry deleted later
    # must not delete the history of what was shown at the time.
    knowledge_entry_id = models.PositiveIntegerField(null=True, blank=True)
    playbook_id = models.PositiveIntegerField(null=True, blank=True)
    playbook_name = models.CharField(max_length=200, blank=True)
    charging_possible = models.BooleanField(null=True, blank=True)
    is_safety = models.BooleanField(default=False)
    classified_at = models.DateTimeField(null=True, blank=True)

    # 2.0.1 NotifyEvent episodes: which component/variable raised it, to pair the clear with it.
    source_component = models.CharField(max_length=50, blank=True)
    source_variable = models.CharField(max_length=50, blank=True)

    # Correlation: a site-wide incident, a recurring code escalated, a fault that follows a vehicle.
    incident = models.ForeignKey(
        "faults.SiteIncident", on_delete=models.SET_NULL, null=True, blank=True, related_name="episodes"
    )
    escalated = models.BooleanField(default=False)
    vehicle_suspected = models.BooleanField(default=False)
    correlation_note = models.CharField(max_length=300, blank=True)

    # Alerts: sent once per episode, and a recovery message once it closes.
    alerted_at = models.DateTimeField(null=True, blank=True)
    recovery_sent_at = models.DateTimeField(null=True, blank=True)

    # Phantom filtering never deletes: the decision, its reason and evidence stay on the row.
    is_phantom = models.BooleanField(default=False)
    phantom_reason = models.CharField(max_length=32, choices=PhantomReason.choices, blank=True)
    phantom_evidence = models.JSONField(default=dict, blank=True)
    phantom_decided_at = models.DateTimeField(null=True, blank=True)

    # The frames that opened and closed it.
    open_report = models.ForeignKey(
        StatusReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_report = models.ForeignKey(
        StatusReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    open_event = models.ForeignKey(
        DeviceEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_event = models.ForeignKey(
        DeviceEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The board: open episodes, newest first.
            models.Index(fields=["closed_at", "-opened_at"], name="faults_episode_open_recent"),
            # Episode building and uptime: one port's episodes over time.
            models.Index(fields=["connector", "opened_at"], name="faults_episode_port_time"),
            models.Index(fields=["charger", "opened_at"], name="faults_episode_charger_time"),
            # The alert sweep: open, not yet alerted faults.
            models.Index(
                fields=["opened_at"],
                name="faults_episode_alert_due",
                condition=models.Q(closed_at__isnull=True, alerted_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.connector} since {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_charger_level(self) -> bool:
        return self.connector.is_whole_charger

    @property
    def duration_seconds(self) -> float | None:
        if self.closed_at is None:
            return None
        return (self.closed_at - self.opened_at).total_seconds()


class EpisodeChange(models.Model):
    """One named action applied to an episode: its history, for people and for audits."""

    episode = models.ForeignKey(FaultEpisode, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} on episode {self.episode_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class PortCursor(models.Model):
    """The latest status report of a port already folded into episodes (spots late reports)."""

    connector = models.OneToOneField(Connector, on_delete=models.CASCADE, related_name="+")
    last_event_at = models.DateTimeField()
    last_report_id = models.BigIntegerField()
    # The port's open status episode, if any: most reports change nothing, and knowing that
    # without a search is what keeps folding them cheap.
    open_episode = models.ForeignKey(
        FaultEpisode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["connector"]

    def __str__(self):
        return f"{self.connector_id} up to report {self.last_report_id}"

    def is_after(self, report) -> bool:
        """Whether `report` comes after everything folded in so far (event time, then id)."""
        return (report.event_at, report.id) > (self.last_event_at, self.last_report_id)


class EpisodeReport(models.Model):
    """A report that belongs to an episode (codes can change mid-episode)."""

    episode = models.ForeignKey(FaultEpisode, on_delete=models.CASCADE, related_name="reports")
    status_report = models.ForeignKey(
        StatusReport, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    device_event = models.ForeignKey(
        DeviceEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event_at = models.DateTimeField()

    class Meta:
        ordering = ["event_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status_report__isnull=False) | models.Q(device_event__isnull=False),
                name="faults_episodereport_has_a_source",
            )
        ]

    def __str__(self):
        return f"report {self.status_report_id or self.device_event_id} in episode {self.episode_id}"
