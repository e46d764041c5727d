"""The fleet: sites, the chargers on them and their ports."""

import zoneinfo

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/Berlin).") from None


def validate_opening_hours(value) -> None:
    """Hours of operation: {} for always open, else {"mon": [["06:00", "22:00"]], ...}."""
    days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    if not isinstance(value, dict):
        raise ValidationError("Hours of operation must be an object keyed by weekday.")
    for day, spans in value.items():
        if day not in days:
            raise ValidationError(f"{day!r} is not a weekday (use mon, tue, … sun).")
        if not isinstance(spans, list):
            raise ValidationError(f"Hours for {day} must be a list of [open, close] pairs.")
        for span in spans:
            if not (isinstance(span, list | tuple) and len(span) == 2):
                raise ValidationError(f"Hours for {day} must be [open, close] pairs like ['06:00', '22:00'].")
            for moment in span:
                try:
                    hours, minutes = str(moment).split(":")
                    if not (0 <= int(hours) <= 24 and 0 <= int(minutes) < 60):
                        raise ValueError
                except ValueError:
                    raise ValidationError(f"{moment!r} is not a time of day (HH:MM).") from None


# See chargers/hashers.py; hashes made by earlier versions (Django's default) still verify.
CHARGER_HASHER = "pbkdf2_sha256_charger"


class Site(models.Model):
    """A place where chargers stand; its time zone sets daily report boundaries."""

    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    hours_of_operation = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_opening_hours],
        help_text='Empty for always open; otherwise {"mon": [["06:00", "22:00"]], …}.',
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    use_local_authorization_list = models.BooleanField(
        default=False,
        help_text="Check id tags against this site's local list; off: every id tag is accepted.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class RegistrationState(models.TextChoices):
    PENDING = "pending", "Pending (unknown charger waiting for a site)"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Charger(models.Model):
    """A charging station as it identifies itself over OCPP."""

    charge_point_id = models.CharField(max_length=48, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="chargers", null=True, blank=True)
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    ocpp_version = models.CharField(max_length=8, blank=True)
    password_hash = models.CharField(max_length=256, blank=True, help_text="Empty: no HTTP Basic auth asked.")
    registration_state = models.CharField(
        max_length=16, choices=RegistrationState.choices, default=RegistrationState.ACCEPTED
    )
    commissioned_at = models.DateTimeField(null=True, blank=True)
    decommissioned_at = models.DateTimeField(null=True, blank=True)
    last_boot_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    heartbeat_interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds; empty: the server default."
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    # The channel of the consumer holding this charger's socket (on whichever server node): remote
    # commands are sent there. Empty while no socket is open.
    connection_channel = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["charge_point_id"]
        permissions = [("send_command", "Can send remote commands to chargers")]
        indexes = [
            # The offline sweep: chargers whose last sign of life is older than a cut-off.
            models.Index(fields=["last_seen_at"], name="chargers_charger_last_seen"),
        ]

    def __str__(self):
        return self.charge_point_id

    def set_password(self, raw_password: str | None) -> None:
        self.password_hash = make_password(raw_password, hasher=CHARGER_HASHER) if raw_password else ""

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password_hash) and check_password(raw_password, self.password_hash)

    @property
    def requires_password(self) -> bool:
        return bool(self.password_hash)


class Connector(models.Model):
    """A port: EVSE id + connector id. (0, 0) is connector 0, the charger as a whole.

    OCPP 1.6 has no EVSE level: its connector N is stored as (N, N).
    """

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="connectors")
    evse_id = models.PositiveIntegerField()
    connector_id = models.PositiveIntegerField()
    # The latest status report, kept here so that lists of ports need no history scan.
    status = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    info = models.CharField(max_length=500, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)
    commissioned_at = models.DateTimeField(null=True, blank=True)
    decommissioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["charger", "evse_id", "connector_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["charger", "evse_id", "connector_id"], name="chargers_connector_unique_port"
            )
        ]

    def __str__(self):
        return f"{self.charger.charge_point_id} {self.label}"

    @property
    def is_whole_charger(self) -> bool:
        return self.evse_id == 0 and self.connector_id == 0

    @property
    def label(self) -> str:
        if self.is_whole_charger:
            return "charger"
        if self.evse_id == self.connector_id:
            return f"#{self.connector_id}"
        return f"EVSE {self.evse_id}/{self.connector_id}"
