"""Technicians on site: a playbook run per fault, its step checklist, notes and photos."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from faults.models.episode import FaultEpisode
from knowledgebase.vocabulary import Responsible


class RunOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    FIXED = "fixed", "Fixed"
    NOT_FIXED = "not_fixed", "Not fixed"
    ESCALATED = "escalated", "Escalated"


class PlaybookRun(models.Model):
    """One technician's attempt to fix a fault by following its playbook, and how it ended."""

    episode = models.ForeignKey(FaultEpisode, on_delete=models.CASCADE, related_name="playbook_runs")
    # A copy of the playbook's name and steps as they were when the run started: the knowledge base
    # may be edited later, but the record of what the technician was asked to do must not change.
    playbook_name = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=RunOutcome.choices, default=RunOutcome.IN_PROGRESS)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # The fault page: this episode's runs, newest first.
            models.Index(fields=["episode", "-started_at"], name="faults_run_episode_recent"),
        ]

    def __str__(self):
        return f"run of {self.playbook_name or 'no playbook'} on episode {self.episode_id}"

    @property
    def is_finished(self) -> bool:
        return self.outcome != RunOutcome.IN_PROGRESS


class PlaybookRunStep(models.Model):
    """A step of a run: what to do, whether it is about safety, and when it was done."""

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    instructions = models.TextField(blank=True)
    safety_note = models.TextField(blank=True)
    is_safety = models.BooleanField(default=False)
    performer = models.CharField(max_length=20, choices=Responsible.choices, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="faults_playbookrunstep_unique_position")
        ]

    def __str__(self):
        return f"step {self.position} of run {self.run_id}: {self.title}"


def site_photo_path(photo: "SitePhoto", filename: str) -> str:
    # The name a phone gives a photo is not trusted: the stored name comes from the run and the
    # detected content type.
    when = timezone.now()
    return f"site-photos/{when:%Y/%m}/run-{photo.run_id}-{when:%H%M%S%f}.{photo.extension}"


class SitePhoto(models.Model):
    """A photo taken on site during a playbook run (validated by content, size-limited)."""

    EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=site_photo_path)
    content_type = models.CharField(max_length=32)
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"photo {self.pk} of run {self.run_id}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")
