"""Technicians on site: a playbook run per fault, its step checklist, notes and photos."""

from django.conf import settings
from django.db import models
from django.urls import reverse
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

    def get_absolute_url(self):
        return reverse("faults:run", args=[self.pk])

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


def start_playbook_run(episode: FaultEpisode, user, playbook_name: str, steps: list[dict]) -> PlaybookRun:
    """Open a run on an episode with a copy of its playbook's steps (safety steps are kept first)."""
    from django.db import transaction

    ordered = sorted(steps, key=lambda step: not step.get("is_safety", False))
    with transaction.atomic():
        run = PlaybookRun.objects.create(episode=episode, playbook_name=playbook_name[:200], started_by=user)
        PlaybookRunStep.objects.bulk_create(
            PlaybookRunStep(
                run=run,
                position=position,
                title=step["title"][:300],
                instructions=step.get("instructions", ""),
                safety_note=step.get("safety_note", ""),
                is_safety=step.get("is_safety", False),
                performer=step.get("performer", ""),
            )
            for position, step in enumerate(ordered, start=1)
        )
    return run


def mark_step(step: PlaybookRunStep, user, done: bool) -> None:
    """Tick or untick a step of a run that is still in progress."""
    if step.run.is_finished:
        raise ValueError("This run is finished: its steps can no longer change.")
    step.done_at = timezone.now() if done else None
    step.done_by = user if done else None
    step.save(update_fields=["done_at", "done_by"])


def finish_run(run: PlaybookRun, outcome: str, notes: str) -> None:
    """Record how the run ended (fixed, not fixed, escalated) and the technician's notes."""
    if outcome not in RunOutcome.values or outcome == RunOutcome.IN_PROGRESS:
        raise ValueError(f"{outcome!r} is not an outcome of a finished run.")
    if run.is_finished:
        raise ValueError("This run is already finished.")
    run.outcome = outcome
    run.notes = notes
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "notes", "finished_at"])
