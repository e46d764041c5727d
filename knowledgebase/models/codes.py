"""Error-code entries, the free-text patterns that catch faults hidden in text, and unknown codes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from knowledgebase.models.catalogue import ChangesKnowledge, ChargerModel, Manufacturer, validate_category
from knowledgebase.models.playbooks import Playbook
from knowledgebase.textmatch import compile_pattern
from knowledgebase.versions import describe_range, parse_version
from knowledgebase.vocabulary import (
    Category,
    EntryScope,
    EntrySource,
    EntryStatus,
    Responsible,
    Severity,
)


def validate_pattern(value: str) -> None:
    if not value:
        return
    try:
        compile_pattern(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def validate_version(value: str) -> None:
    if value and not parse_version(value):
        raise ValidationError(f"{value!r} has no version number in it (e.g. 2.10 or 3.1.4).")


class CodeEntry(ChangesKnowledge):
    """What one code (or free-text pattern) means in one scope, who acts, and what they do next."""

    scope = models.CharField(max_length=16, choices=EntryScope.choices, default=EntryScope.MANUFACTURER)
    manufacturer = models.ForeignKey(
        Manufacturer, on_delete=models.CASCADE, null=True, blank=True, related_name="entries"
    )
    charger_model = models.ForeignKey(
        ChargerModel, on_delete=models.CASCADE, null=True, blank=True, related_name="entries"
    )
    firmware_min = models.CharField(
        max_length=30, blank=True, validators=[validate_version], help_text="Lowest firmware (inclusive)."
    )
    firmware_max = models.CharField(
        max_length=30,
        blank=True,
        validators=[validate_version],
        help_text="Highest firmware (inclusive; '2.2' includes 2.2.7).",
    )
    code = models.CharField(
        max_length=100,
        blank=True,
        help_text="As the charger sends it (vendorErrorCode, techCode, errorCode…); * is a wildcard.",
    )
    text_pattern = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_pattern],
        help_text="Optional phrase found in the info or vendor text, e.g. 'output module vol* abnormal'.",
    )
    meaning = models.TextField()
    category = models.CharField(max_length=40, default=Category.OTHER, validators=[validate_category])
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.FAULT)
    responsible = models.CharField(
        max_length=20, choices=Responsible.choices, default=Responsible.REMOTE_OPERATOR
    )
    escalation_responsible = models.CharField(max_length=20, choices=Responsible.choices, blank=True)
    next_action = models.TextField(blank=True)
    playbook = models.ForeignKey(
        Playbook, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    charging_possible = models.BooleanField(null=True, blank=True, help_text="Empty: it depends.")
    source = models.CharField(max_length=10, choices=EntrySource.choices, default=EntrySource.FIELD)
    manual = models.ForeignKey(
        "knowledgebase.Manual", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    manual_page = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.LIVE)
    is_sample = models.BooleanField(default=False, help_text="Fictional example shipped with Faultline.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # What makes two entries "the same entry" (a newer manual replaces the older one's).
    match_key = models.CharField(max_length=500, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "manufacturer__name", "code", "id"]
        verbose_name_plural = "code entries"
        constraints = [
            models.UniqueConstraint(
                fields=["match_key"],
                condition=models.Q(status=EntryStatus.LIVE),
                name="%(app_label)s_%(class)s_one_live_per_key",
            ),
            models.CheckConstraint(
                condition=~models.Q(code="", text_pattern=""), name="%(app_label)s_%(class)s_code_or_pattern"
            ),
        ]
        indexes = [
            # The review page: a manual's drafts.
            models.Index(fields=["manual", "status"], name="kb_entry_manual_status"),
            # The code browser: live entries of one manufacturer.
            models.Index(fields=["status", "scope", "manufacturer"], name="kb_entry_status_scope"),
        ]

    def __str__(self):
        where = self.manufacturer.name if self.manufacturer_id else self.get_scope_display()
        return f"{where}: {self.code or self.text_pattern}"

    def get_absolute_url(self):
        return reverse("knowledgebase:entry", args=[self.pk])

    def compute_match_key(self) -> str:
        return "|".join(
            [
                self.scope,
                str(self.manufacturer_id or ""),
                str(self.charger_model_id or ""),
                self.firmware_min,
                self.firmware_max,
                self.code.strip().casefold(),
                self.text_pattern.strip().casefold(),
            ]
        )[:500]

    def clean(self):
        errors = {}
        if not self.code.strip() and not self.text_pattern.strip():
            errors["code"] = "Give the code as the charger sends it, or a text pattern, or both."
        if self.scope == EntryScope.MANUFACTURER and not self.manufacturer_id:
            errors["manufacturer"] = "A manufacturer's entry needs its manufacturer."
        if self.scope != EntryScope.MANUFACTURER and self.manufacturer_id:
            errors["scope"] = "Only manufacturer entries name a manufacturer."
        if self.charger_model_id and self.charger_model.manufacturer_id != self.manufacturer_id:
            errors["charger_model"] = "This model belongs to another manufacturer."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.code = self.code.strip()
        self.match_key = self.compute_match_key()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "match_key", "code", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def scope_description(self) -> str:
        parts = [self.manufacturer.name if self.manufacturer_id else self.get_scope_display()]
        if self.charger_model_id:
            parts.append(self.charger_model.name)
        if self.firmware_min or self.firmware_max:
            parts.append(describe_range(self.firmware_min, self.firmware_max))
        return ", ".join(parts)


class TextPattern(ChangesKnowledge):
    """A phrase that reveals a fault in free text whatever the code (e-stops, dying gasps, …)."""

    name = models.CharField(max_length=120)
    pattern = models.CharField(
        max_length=300,
        validators=[validate_pattern],
        help_text="Words in order, separators optional, * for a word prefix ('nood stop*'); "
        "or 're:' + a regular expression over lower-case ASCII text.",
    )
    entry = models.ForeignKey(
        CodeEntry,
        on_delete=models.CASCADE,
        related_name="text_patterns",
        help_text="The entry whose meaning and next action apply when the pattern is found.",
    )
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower numbers are tried first.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pattern"], name="%(app_label)s_%(class)s_unique_pattern")
        ]

    def __str__(self):
        return f"{self.name}: {self.pattern}"


class UnknownCode(models.Model):
    """A (manufacturer, model, code) seen in the field with no entry: the queue admins work through."""

    manufacturer = models.ForeignKey(
        Manufacturer, on_delete=models.SET_NULL, null=True, blank=True, related_name="unknown_codes"
    )
    vendor = models.CharField(max_length=100, blank=True, help_text="As the charger spelled it.")
    model = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=100)
    # Manufacturer id, or the normalised vendor when no manufacturer is known yet.
    vendor_key = models.CharField(max_length=120)
    occurrences = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    charge_point_ids = models.JSONField(default=list, blank=True)
    affected_chargers = models.PositiveIntegerField(default=0)
    sample_info = models.JSONField(default=list, blank=True)
    resolved_by = models.ForeignKey(
        CodeEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="resolved_unknowns"
    )

    class Meta:
        ordering = ["-occurrences", "-last_seen_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor_key", "model", "code"], name="%(app_label)s_%(class)s_unique_code"
            )
        ]
        indexes = [
            # The queue: open unknown codes, most frequent first.
            models.Index(fields=["resolved_by", "-occurrences"], name="kb_unknown_queue"),
        ]

    def __str__(self):
        return f"{self.vendor or 'unknown vendor'} {self.model} {self.code}".strip()
