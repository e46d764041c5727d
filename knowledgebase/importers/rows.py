"""Draft rows: what an import found, before it becomes draft entries, with sensible guesses."""

from dataclasses import dataclass

from knowledgebase.textmatch import normalise
from knowledgebase.vocabulary import SAFETY_CATEGORIES, Category, Responsible, Severity

MAX_ROWS = 5000
MAX_CELL_CHARS = 2000


@dataclass
class DraftRow:
    code: str
    meaning: str
    next_action: str = ""
    category: str = ""
    severity: str = ""
    responsible: str = ""
    model_name: str = ""
    firmware_min: str = ""
    firmware_max: str = ""
    text_pattern: str = ""
    page: str = ""
    row_number: int = 0


# Words in a manual's description that suggest a category (checked in order; first hit wins).
_CATEGORY_WORDS = [
    (("emergency", "e stop", "estop", "not aus", "noodstop"), Category.EMERGENCY_STOP),
    (("ground fault", "earth fault", "rcd", "residual current", "leakage"), Category.GROUND_FAULT),
    (("isolation", "insulation", "imd"), Category.ISOLATION),
    (("over current", "overcurrent"), Category.OVERCURRENT),
    (("power module", "output module", "rectifier", "converter"), Category.POWER_MODULE),
    (("voltage", "over volt", "under volt"), Category.VOLTAGE),
    (("temperature", "overheat", "over temp", "fan", "cool"), Category.TEMPERATURE),
    (("contactor", "relay"), Category.POWER_SWITCH),
    (("lock", "latch"), Category.CONNECTOR_LOCK),
    (("meter",), Category.POWER_METER),
    (("rfid", "reader", "card"), Category.READER),
    (("pilot", "vehicle", "communication", "iso 15118", "plc"), Category.EV_COMMUNICATION),
    (("network", "modem", "sim", "signal", "backend", "offline"), Category.CONNECTIVITY),
    (("mains", "power loss", "power failure", "dying gasp"), Category.POWER_LOSS),
    (("cable",), Category.CABLE),
]
_FIRST_RESPONDER = {
    Category.EMERGENCY_STOP: Responsible.SITE_STAFF,
    Category.TEMPERATURE: Responsible.SITE_STAFF,
    Category.CONNECTIVITY: Responsible.SITE_STAFF,
    Category.CONNECTOR_LOCK: Responsible.DRIVER,
    Category.EV_COMMUNICATION: Responsible.DRIVER,
    Category.POWER_LOSS: Responsible.SITE_STAFF,
}


def guess_category(text: str) -> str:
    words = f" {normalise(text)} "
    for needles, category in _CATEGORY_WORDS:
        if any(f" {needle}" in words for needle in needles):
            return category
    return Category.OTHER


def fill_guesses(row: DraftRow) -> DraftRow:
    """Fill what the manual did not say with guesses the reviewer will check."""
    if not row.category:
        row.category = guess_category(f"{row.meaning} {row.next_action}")
    if not row.severity:
        row.severity = Severity.CRITICAL if row.category in SAFETY_CATEGORIES else Severity.FAULT
    if not row.responsible:
        row.responsible = _FIRST_RESPONDER.get(row.category, Responsible.REMOTE_OPERATOR)
    return row


def looks_like_formula(value: str) -> bool:
    """Spreadsheet formula injection: a cell a spreadsheet would run instead of show."""
    if not value:
        return False
    first = value[0]
    if first in "=@\t\r":
        return True
    # "+5V rail" and "-12 V" are text; "+cmd|'/C calc'!A0" and "-2+3+cmd|..." are not.
    return first in "+-" and any(mark in value for mark in "(|!=")
