"""Repair playbooks: ordered steps that say who does what, with what, and how long it takes."""

from django.db import models
from django.urls import reverse

from knowledgebase.models.catalogue import ChangesKnowledge
from knowledgebase.vocabulary import Responsible


class Playbook(ChangesKnowledge):
    """A named procedure for one kind of fault, ending in an escalation when the steps do not help."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    escalation = models.TextField(help_text="What to do, and whom to call, when the steps did not help.")
    escalation_responsible = models.CharField(
        max_length=20, choices=Responsible.choices, default=Responsible.VENDOR_SERVICE
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("knowledgebase:playbook", args=[self.slug])

    @property
    def total_minutes(self) -> int:
        return sum(step.estimated_minutes or 0 for step in self.steps.all())


class PlaybookStep(ChangesKnowledge):
    """One step of a playbook, in order."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=160)
    instructions = models.TextField(blank=True)
    safety_note = models.TextField(blank=True)
    role = models.CharField(max_length=20, choices=Responsible.choices, help_text="Who performs this step.")
    tools = models.CharField(max_length=300, blank=True, help_text="Tools or parts needed.")
    estimated_minutes = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["playbook", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "position"], name="%(app_label)s_%(class)s_unique_position"
            )
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"
