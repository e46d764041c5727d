"""The knowledge base compiled into lookup tables, once per process and again when it changes.

Translation runs for every fault report, so it must not query the database per rule: the live
entries, patterns, manufacturers and models are read once into dictionaries and compiled regular
expressions. A token in KnowledgeVersion changes with every edit; each process compares it at most
every KB_RULES_RECHECK_MS milliseconds (0, the default: on every translation, one primary-key
lookup) and rebuilds when it differs.
"""

import fnmatch
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from knowledgebase.textmatch import compile_pattern, normalise
from knowledgebase.versions import describe_range, in_range
from knowledgebase.vocabulary import SAFETY_CATEGORIES, EntryScope, EntryStatus


@dataclass(frozen=True)
class Rule:
    """One live entry, ready to match."""

    entry_id: int
    scope: str
    manufacturer_id: int | None
    model_id: int | None
    firmware_min: str
    firmware_max: str
    code: str  # as written in the entry
    code_regex: re.Pattern | None  # for codes with wildcards
    text_regex: re.Pattern | None
    text_pattern: str
    fields: dict  # the Translation fields the entry supplies

    @property
    def has_firmware_range(self) -> bool:
        return bool(self.firmware_min or self.firmware_max)

    @property
    def specificity(self) -> tuple:
        return (
            self.model_id is not None,
            self.has_firmware_range,
            self.code_regex is None,
            bool(self.text_regex),
        )

    def describe_firmware(self) -> str:
        return describe_range(self.firmware_min, self.firmware_max)

    def applies_to(self, model_id: int | None, firmware: str) -> bool:
        if self.model_id is not None and self.model_id != model_id:
            return False
        return in_range(firmware, self.firmware_min, self.firmware_max)


@dataclass
class RuleSet:
    token: str = ""
    manufacturer_by_alias: dict[str, int] = field(default_factory=dict)
    manufacturer_names: dict[int, str] = field(default_factory=dict)
    models: dict[int, list[tuple[re.Pattern, int, str]]] = field(default_factory=dict)
    # (scope, manufacturer id or None, lower-case code) -> rules, most specific first
    exact: dict[tuple, list[Rule]] = field(default_factory=lambda: defaultdict(list))
    # (scope, manufacturer id or None) -> rules with wildcard codes or text patterns only
    loose: dict[tuple, list[Rule]] = field(default_factory=lambda: defaultdict(list))
    patterns: list[tuple[re.Pattern, str, str, Rule]] = field(default_factory=list)
    safety_categories: frozenset = SAFETY_CATEGORIES

    def manufacturer_for(self, *names: str) -> int | None:
        """The manufacturer a vendor name or vendorId belongs to (exact alias, then alias + more words)."""
        for name in names:
            key = normalise(name)
            if not key:
                continue
            found = self.manufacturer_by_alias.get(key)
            if found is not None:
                return found
        for name in names:
            key = normalise(name)
            words = key.split()
            # "acme power gmbh" still belongs to the alias "acme power".
            for length in range(len(words) - 1, 0, -1):
                found = self.manufacturer_by_alias.get(" ".join(words[:length]))
                if found is not None:
                    return found
        return None

    def model_for(self, manufacturer_id: int | None, model_name: str) -> tuple[int | None, str]:
        if manufacturer_id is None or not model_name:
            return None, ""
        name = model_name.strip().casefold()
        for regex, model_id, label in self.models.get(manufacturer_id, ()):
            if regex.fullmatch(name):
                return model_id, label
        return None, ""


def _entry_fields(entry) -> dict:
    return {
        "entry_id": entry.id,
        "code": entry.code,
        "meaning": entry.meaning,
        "category": entry.category,
        "severity": entry.severity,
        "responsible": entry.responsible,
        "escalation_responsible": entry.escalation_responsible
        or (entry.playbook.escalation_responsible if entry.playbook_id else ""),
        "next_action": entry.next_action,
        "playbook_id": entry.playbook_id,
        "playbook_name": entry.playbook.name if entry.playbook_id else "",
        "charging_possible": entry.charging_possible,
    }


def _code_regex(code: str) -> re.Pattern | None:
    if "*" not in code and "?" not in code:
        return None
    return re.compile(fnmatch.translate(code.casefold()))


def build() -> RuleSet:
    """Read the live knowledge base into a RuleSet (a handful of queries, whatever its size)."""
    from knowledgebase.models import (
        ChargerModel,
        CodeEntry,
        FaultCategory,
        KnowledgeVersion,
        Manufacturer,
        TextPattern,
    )

    # The token first: if the knowledge base changes while we read, the next check rebuilds again.
    rules = RuleSet(token=KnowledgeVersion.current_token())
    for manufacturer in Manufacturer.objects.all():
        rules.manufacturer_names[manufacturer.id] = manufacturer.name
        for key in manufacturer.alias_keys():
            rules.manufacturer_by_alias.setdefault(key, manufacturer.id)
    for charger_model in ChargerModel.objects.all():
        for pattern in charger_model.patterns():
            regex = re.compile(fnmatch.translate(pattern.strip().casefold()))
            rules.models.setdefault(charger_model.manufacturer_id, []).append(
                (regex, charger_model.id, charger_model.name)
            )
    for candidates in rules.models.values():
        # Literal names before wildcards, longer before shorter.
        candidates.sort(key=lambda item: ("*" in item[0].pattern, -len(item[0].pattern)))

    by_id: dict[int, Rule] = {}
    live = CodeEntry.objects.filter(status=EntryStatus.LIVE).select_related("playbook")
    for entry in live:
        rule = Rule(
            entry_id=entry.id,
            scope=entry.scope,
            manufacturer_id=entry.manufacturer_id,
            model_id=entry.charger_model_id,
            firmware_min=entry.firmware_min,
            firmware_max=entry.firmware_max,
            code=entry.code,
            code_regex=_code_regex(entry.code),
            text_regex=compile_pattern(entry.text_pattern) if entry.text_pattern else None,
            text_pattern=entry.text_pattern,
            fields=_entry_fields(entry),
        )
        by_id[entry.id] = rule
        place = (entry.scope, entry.manufacturer_id)
        if entry.code and rule.code_regex is None:
            rules.exact[(*place, entry.code.casefold())].append(rule)
        else:
            rules.loose[place].append(rule)
    for bucket in (*rules.exact.values(), *rules.loose.values()):
        bucket.sort(key=lambda rule: rule.specificity, reverse=True)

    for pattern in TextPattern.objects.filter(is_active=True, entry__status=EntryStatus.LIVE):
        rule = by_id.get(pattern.entry_id)
        if rule is not None:
            rules.patterns.append((compile_pattern(pattern.pattern), pattern.name, pattern.pattern, rule))

    flagged = FaultCategory.objects.filter(is_safety=True).values_list("value", flat=True)
    rules.safety_categories = SAFETY_CATEGORIES | frozenset(flagged)
    return rules


_lock = threading.Lock()
_current: RuleSet | None = None
_checked_at = float("-inf")


def forget() -> None:
    """Make the next translation in this process re-check the version (after a local change)."""
    global _checked_at
    _checked_at = float("-inf")


def current() -> RuleSet:
    """The rule set of the knowledge base's current version."""
    global _current, _checked_at
    now = time.monotonic()
    recheck = getattr(settings, "KB_RULES_RECHECK_MS", 0) / 1000
    if _current is not None and recheck and now - _checked_at < recheck:
        return _current
    with _lock:
        from knowledgebase.models import KnowledgeVersion

        token = KnowledgeVersion.current_token()
        if _current is None or _current.token != token or not token:
            _current = build()
        # Rules read inside an open transaction may include changes that are rolled back later:
        # trust them only until the next version check, whatever KB_RULES_RECHECK_MS says.
        _checked_at = float("-inf") if connection.in_atomic_block else now
        return _current


SCOPES_WITHOUT_MANUFACTURER = (EntryScope.OCPP, EntryScope.CHARGEX, EntryScope.EVGO)
