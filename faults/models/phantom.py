"""Per-model phantom rules: what a manufacturer's firmware is known to send that is not a fault."""

import re
from fnmatch import fnmatchcase

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from knowledgebase.vocabulary import SAFETY_CATEGORIES

# OCPP 1.6 error codes that always name a safety trip, whatever a vendor says around them.
SAFETY_ERROR_CODES = frozenset(
    {"GroundFailure", "OverCurrentFailure", "OverVoltage", "UnderVoltage", "PowerSwitchFailure"}
)


class RuleContext(models.TextChoices):
    ANY = "any", "Any time"
    CHARGING = "charging", "While a transaction is running"
    BOOT = "boot", "Around a boot"
    IDLE = "idle", "While no transaction is running"


def _glob(pattern: str, value: str) -> bool:
    return not pattern or fnmatchcase(value.casefold(), pattern.casefold())


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(f"{value!r} is not a valid regular expression: {error}.") from None


class PhantomRule(models.Model):
    """An admin-written rule: reports matching it on these chargers are known noise, not faults."""

    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    # Which chargers: shell-style patterns, case-insensitive, empty = any.
    vendor = models.CharField(max_length=50, blank=True, help_text="e.g. Acme* (empty: any vendor)")
    model = models.CharField(max_length=50, blank=True, help_text="e.g. DC50* (empty: any model)")
    firmware = models.CharField(max_length=50, blank=True, help_text="e.g. 2.1.* (empty: any firmware)")
    # Which reports.
    status = models.CharField(max_length=32, blank=True, help_text="Exact status, e.g. Faulted (empty: any).")
    error_code = models.CharField(max_length=50, blank=True, help_text="Exact OCPP error code (empty: any).")
    vendor_error_code = models.CharField(
        max_length=50, blank=True, help_text="Pattern, e.g. W1* (empty: any)."
    )
    info_pattern = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_regex],
        help_text="Regular expression searched in info / tech info, case-insensitive (empty: any).",
    )
    max_duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only episodes that cleared within this many seconds (empty: any)."
    )
    context = models.CharField(max_length=10, choices=RuleContext.choices, default=RuleContext.ANY)
    note = models.TextField(blank=True, help_text="Why this is noise: the evidence the admin relied on.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["vendor", "model", "name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.error_code in SAFETY_ERROR_CODES:
            raise ValidationError(
                {"error_code": f"{self.error_code} is a safety trip: it is never filtered as a phantom."}
            )
        category = self.would_suppress_safety_category()
        if category:
            raise ValidationError(
                f"Reports this rule matches translate to the safety category {category!r}, "
                "which is never filtered as a phantom."
            )

    def would_suppress_safety_category(self) -> str:
        """The safety category the knowledge base gives to what this rule matches, if any."""
        from faults.classification import translate_fields

        translation = translate_fields(
            vendor=self.vendor.strip("*"),
            model=self.model.strip("*"),
            firmware=self.firmware.strip("*"),
            status=self.status,
            error_code=self.error_code,
            vendor_error_code=self.vendor_error_code if "*" not in self.vendor_error_code else "",
            info=self.info_pattern if re.escape(self.info_pattern) == self.info_pattern else "",
        )
        if translation.is_safety or translation.category in SAFETY_CATEGORIES:
            return translation.category
        return ""

    def matches_charger(self, charger) -> bool:
        return (
            _glob(self.vendor, charger.vendor)
            and _glob(self.model, charger.model)
            and _glob(self.firmware, charger.firmware_version)
        )

    def matches_report(self, *, status: str, error_code: str, vendor_error_code: str, info: str) -> bool:
        if self.status and self.status != status:
            return False
        if self.error_code and self.error_code != error_code:
            return False
        if not _glob(self.vendor_error_code, vendor_error_code):
            return False
        return not self.info_pattern or re.search(self.info_pattern, info, re.IGNORECASE) is not None
