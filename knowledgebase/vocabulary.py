"""The stored vocabularies of DESIGN.md (values are contracts; labels and colours are for people)."""

from django.db import models


class Responsible(models.TextChoices):
    NONE = "none", "Nobody"
    DRIVER = "driver", "Driver"
    REMOTE_OPERATOR = "remote_operator", "Remote operator"
    SITE_STAFF = "site_staff", "Site staff"
    ELECTRICIAN = "electrician", "Electrician"
    VENDOR_SERVICE = "vendor_service", "Vendor service"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    FAULT = "fault", "Fault"
    CRITICAL = "critical", "Critical (safety)"


SEVERITY_COLOURS = {
    Severity.INFO: "#44607f",
    Severity.WARNING: "#a86400",
    Severity.FAULT: "#c0392b",
    Severity.CRITICAL: "#7d1020",
}


class Category(models.TextChoices):
    """Built-in categories; admins may add more (knowledgebase keeps them as data)."""

    EMERGENCY_STOP = "emergency_stop", "Emergency stop"
    GROUND_FAULT = "ground_fault", "Ground fault"
    OVERCURRENT = "overcurrent", "Over-current"
    VOLTAGE = "voltage", "Supply voltage"
    TEMPERATURE = "temperature", "Temperature"
    CONNECTOR_LOCK = "connector_lock", "Connector lock"
    EV_COMMUNICATION = "ev_communication", "Vehicle communication"
    INTERNAL = "internal", "Internal error"
    POWER_MODULE = "power_module", "Power module"
    POWER_SWITCH = "power_switch", "Power switch (contactor)"
    POWER_METER = "power_meter", "Power meter"
    POWER_LOSS = "power_loss", "Power loss"
    READER = "reader", "Card reader"
    RESET_FAILURE = "reset_failure", "Reset failure"
    LOCAL_LIST = "local_list", "Local authorization list"
    CONNECTIVITY = "connectivity", "Connectivity"
    ISOLATION = "isolation", "Isolation"
    CABLE = "cable", "Cable"
    AUTHORIZATION = "authorization", "Authorization"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


# Never filtered as phantom, whatever a rule says (DESIGN.md invariant 5).
SAFETY_CATEGORIES = frozenset(
    {
        Category.GROUND_FAULT,
        Category.OVERCURRENT,
        Category.VOLTAGE,
        Category.ISOLATION,
        Category.POWER_SWITCH,
    }
)


class PhantomReason(models.TextChoices):
    BOOT_TRANSIENT = "boot_transient", "Boot transient"
    ADVISORY_WHILE_CHARGING = "advisory_while_charging", "Advisory while charging"
    EMPTY_FAULT = "empty_fault", "Empty fault"
    MODEL_QUIRK = "model_quirk", "Known model quirk"


class ExclusionReason(models.TextChoices):
    UTILITY_OUTAGE = "utility_outage", "Electric utility outage"
    VEHICLE_FAULT = "vehicle_fault", "Vehicle-caused failure"
    SCHEDULED_MAINTENANCE = "scheduled_maintenance", "Scheduled maintenance"
    VANDALISM = "vandalism", "Vandalism"
    NATURAL_DISASTER = "natural_disaster", "Natural disaster"
    OUTSIDE_OPERATING_HOURS = "outside_operating_hours", "Outside operating hours"


# --- Knowledge-base vocabularies (added by the knowledge base; values are stored) ----------------


class EntryScope(models.TextChoices):
    """Where a code's meaning comes from, from the most general to the most specific."""

    OCPP = "ocpp", "Standard OCPP"
    CHARGEX = "chargex", "ChargeX MREC"
    EVGO = "evgo", "EVgo MREC"
    MANUFACTURER = "manufacturer", "Manufacturer"


class EntrySource(models.TextChoices):
    MANUAL = "manual", "OEM manual"
    FIELD = "field", "Observed in the field"
    STANDARD = "standard", "Published standard"


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft (waiting for review)"
    LIVE = "live", "Live"
    RETIRED = "retired", "Retired (replaced or withdrawn)"


class ImportStatus(models.TextChoices):
    AWAITING_MAPPING = "awaiting_mapping", "Waiting for a column mapping"
    IN_REVIEW = "in_review", "Drafts waiting for review"
    DONE = "done", "All drafts reviewed"
    FAILED = "failed", "Import failed"


class ManualKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel workbook"
    PDF = "pdf", "PDF"


# Standard vendorId values that announce a published code list rather than a manufacturer.
CHARGEX_VENDOR_IDS = frozenset({"https://chargex.inl.gov", "http://chargex.inl.gov", "chargex.inl.gov"})
EVGO_VENDOR_IDS = frozenset({"com.evgo.mrec"})
