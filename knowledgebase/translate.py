"""Translate what a charger reported into meaning, who acts, and what they do next.

The most specific knowledge wins: an entry for the reporting model and firmware, then for the
model, then for the manufacturer; then the published code lists (ChargeX, EVgo) recognised by
vendorId; then free-text patterns (e-stops and friends); then the OCPP error code alone.
"""

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from knowledgebase import rules as rulebook
from knowledgebase.textmatch import normalise
from knowledgebase.vocabulary import (
    CHARGEX_VENDOR_IDS,
    EVGO_VENDOR_IDS,
    Category,
    EntryScope,
    Responsible,
    Severity,
)

MATCHED_BY = (
    "model_firmware",
    "model",
    "manufacturer",
    "standard",
    "text_pattern",
    "ocpp_error_code",
    "unknown",
)
# OCPP 1.6 error codes that say nothing about what went wrong.
UNINFORMATIVE_ERROR_CODES = frozenset({"", "NoError", "OtherError"})
OCPP16_ERROR_CODES = frozenset(
    {
        "ConnectorLockFailure",
        "EVCommunicationError",
        "GroundFailure",
        "HighTemperature",
        "InternalError",
        "LocalListConflict",
        "NoError",
        "OtherError",
        "OverCurrentFailure",
        "OverVoltage",
        "PowerMeterFailure",
        "PowerSwitchFailure",
        "ReaderFailure",
        "ResetFailure",
        "UnderVoltage",
        "WeakSignal",
    }
)
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.FAULT: 2, Severity.CRITICAL: 3}
_CHARGEX_CODE = re.compile(r"^CX\d{3}$", re.IGNORECASE)
# "F400: EMERGENCY_STOP", "[42300]Emergency stop", "0x6012 DC module": the code before the words.
_LEADING_CODE = re.compile(r"^\s*[\[(]?\s*((?:0x)?[A-Za-z]{0,4}[0-9][A-Za-z0-9_.\-]*)\s*[\])]?\s*[:\-–]?")
_MAX_SAMPLES = 5
_MAX_CHARGERS = 50


@dataclass(frozen=True)
class Report:
    """What a charger reported; all fields optional."""

    ocpp_version: str = ""  # "1.6" | "2.0.1"
    vendor: str = ""  # from BootNotification
    model: str = ""
    firmware: str = ""
    evse_id: int | None = None
    connector_id: int | None = None
    status: str = ""
    error_code: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""
    info: str = ""
    component: str = ""  # 2.0.1 NotifyEvent
    variable: str = ""
    tech_code: str = ""
    tech_info: str = ""
    stop_reason: str = ""  # 2.0.1 TransactionEvent stoppedReason / 1.6 StopTransaction reason


@dataclass(frozen=True)
class Translation:
    entry_id: int | None
    code: str
    meaning: str
    category: str
    severity: str
    responsible: str
    escalation_responsible: str
    next_action: str
    playbook_id: int | None
    playbook_name: str
    charging_possible: bool | None
    matched_by: str
    reason: str
    is_safety: bool


_TEXT_FIELDS = tuple(field.name for field in dataclasses.fields(Report) if field.type in (str, "str"))


def _without_nones(report: Report) -> Report:
    # OCPP leaves optional fields out; callers may hand them on as None rather than "".
    missing = {name: "" for name in _TEXT_FIELDS if getattr(report, name) is None}
    return dataclasses.replace(report, **missing) if missing else report


def _vendor_codes(report: Report) -> list[str]:
    """The vendor's codes in a report, as sent and with any leading code split off its text."""
    raw = [part.strip() for part in report.vendor_error_code.split(",")] + [report.tech_code.strip()]
    if report.error_code and report.error_code not in OCPP16_ERROR_CODES:
        raw.append(report.error_code.strip())  # non-conforming chargers put their own code here
    codes: list[str] = []
    for code in raw:
        if not code:
            continue
        codes.append(code)
        leading = _LEADING_CODE.match(code)
        if leading and leading.group(1) != code:
            codes.append(leading.group(1))
    return list(dict.fromkeys(codes))


def _texts(report: Report) -> str:
    fields = (report.vendor_error_code, report.info, report.tech_code, report.tech_info)
    # vendorId carries free text on some stacks; a URL or reverse domain does not.
    extra = () if "." in report.vendor_id or "/" in report.vendor_id else (report.vendor_id,)
    # A "~" between fields keeps a phrase from spanning two of them.
    return " ~ ".join(normalise(text) for text in (*fields, *extra) if text)


def _result(rule, rules, matched_by: str, reason: str, code: str = "") -> Translation:
    fields = dict(rule.fields)
    if code:
        fields["code"] = code
    return Translation(
        **fields,
        matched_by=matched_by,
        reason=reason,
        is_safety=fields["category"] in rules.safety_categories,
    )


def _manufacturer_match(report, rules, manufacturer_id, model_id, model_name, codes, text):
    name = rules.manufacturer_names[manufacturer_id]
    candidates = []
    for code in codes:
        for rule in rules.exact.get((EntryScope.MANUFACTURER, manufacturer_id, code.casefold()), ()):
            if rule.applies_to(model_id, report.firmware) and (
                rule.text_regex is None or rule.text_regex.search(text)
            ):
                candidates.append((rule.specificity, rule, code))
    for rule in rules.loose.get((EntryScope.MANUFACTURER, manufacturer_id), ()):
        if not rule.applies_to(model_id, report.firmware):
            continue
        if rule.code_regex is not None:
            code = next((code for code in codes if rule.code_regex.fullmatch(code.casefold())), None)
            if code is None or (rule.text_regex is not None and not rule.text_regex.search(text)):
                continue
        elif rule.text_regex is None or not rule.text_regex.search(text):
            continue
        else:
            code = ""
        candidates.append((rule.specificity, rule, code))
    if not candidates:
        return None
    _, rule, code = max(candidates, key=lambda item: item[0])
    what = f"code {code}" if code else f"the text pattern '{rule.text_pattern}'"
    if rule.model_id is not None and rule.has_firmware_range:
        matched_by = "model_firmware"
        reason = (
            f"{name} {model_name} entry for {what} on {rule.describe_firmware()} "
            f"(the charger runs {report.firmware})."
        )
    elif rule.model_id is not None:
        matched_by = "model"
        reason = f"{name} {model_name} entry for {what}."
    else:
        matched_by = "manufacturer"
        reason = f"{name} entry for {what}, valid for all its models"
        reason += f" on {rule.describe_firmware()}." if rule.has_firmware_range else "."
    return _result(rule, rules, matched_by, reason, code)


def _standard_lookup(rules, scope: str, code: str):
    found = rules.exact.get((scope, None, code.casefold()))
    if found:
        return found[0]
    for rule in rules.loose.get((scope, None), ()):
        if rule.code_regex is not None and rule.code_regex.fullmatch(code.casefold()):
            return rule
    return None


def _standard_match(report, rules):
    vendor_id = report.vendor_id.strip().rstrip("/").casefold()
    chargex_codes = [code for code in (report.vendor_error_code.strip(), report.tech_code.strip()) if code]
    if vendor_id in CHARGEX_VENDOR_IDS or (not vendor_id and report.tech_code):
        for code in chargex_codes:
            if _CHARGEX_CODE.match(code):
                rule = _standard_lookup(rules, EntryScope.CHARGEX, code.upper())
                if rule is not None:
                    via = f"vendorId {report.vendor_id}" if vendor_id else "a 2.0.1 techCode"
                    return _result(
                        rule, rules, "standard", f"ChargeX code {code.upper()} (recognised by {via})."
                    )
    if vendor_id in EVGO_VENDOR_IDS:
        codes = [code.strip().upper() for code in report.vendor_error_code.split(",")]
        # Concurrent errors come as lists: the n-th info text belongs to the n-th code.
        infos = [text.strip() for text in report.info.split(",")]
        found = [
            (rule, code, infos[index] if index < len(infos) else "")
            for index, code in enumerate(codes)
            if code and (rule := _standard_lookup(rules, EntryScope.EVGO, code))
        ]
        if found:
            rule, code, info = max(found, key=lambda item: _SEVERITY_RANK.get(item[0].fields["severity"], 0))
            reason = f"EVgo-style code {code} (recognised by vendorId {report.vendor_id})"
            if len([code for code in codes if code]) > 1:
                reason += f"; the most severe of the {len([code for code in codes if code])} codes reported"
            if info:
                reason += f", reported with '{info}'"
            return _result(rule, rules, "standard", reason + ".", code)
    return None


def _pattern_match(rules, text, codes):
    for regex, name, pattern, rule in rules.patterns:
        found = regex.search(text)
        if found:
            reason = (
                f"The reported text contains '{found.group(0)}', "
                f"which the pattern '{pattern}' ({name}) recognises."
            )
            return _result(rule, rules, "text_pattern", reason, codes[0] if codes else "")
    return None


def _ocpp_match(report, rules, codes):
    keys = []
    if report.error_code and report.error_code not in UNINFORMATIVE_ERROR_CODES:
        keys.append((report.error_code, f"OCPP error code {report.error_code}"))
    if report.stop_reason:
        keys.append((f"StopReason/{report.stop_reason}", f"stop reason {report.stop_reason}"))
    if report.component or report.variable:
        keys.append(
            (
                f"{report.component}/{report.variable}",
                f"2.0.1 component {report.component}, variable {report.variable}",
            )
        )
    if report.error_code in UNINFORMATIVE_ERROR_CODES and report.error_code:
        keys.append((report.error_code, f"OCPP error code {report.error_code}"))
    for key, described in keys:
        rule = _standard_lookup(rules, EntryScope.OCPP, key)
        if rule is None:
            continue
        if codes and (rule.code in UNINFORMATIVE_ERROR_CODES or rule.code_regex is not None):
            # "OtherError" or "a component has a Problem" says less than the vendor's own code, which
            # nobody has explained yet: give the general advice but call the code unknown, so that it
            # reaches the unknown-codes queue.
            reason = (
                f"No entry explains vendor code {codes[0]} yet; this is the general advice for {described}."
            )
            return _result(rule, rules, "unknown", reason, codes[0])
        unknown = f"no entry for vendor code {codes[0]}, so " if codes else ""
        reason = f"No more specific entry applies: {unknown}{described}."
        return _result(rule, rules, "ocpp_error_code", reason, key)
    return None


def _unknown(report: Report, codes: list[str], maker: str) -> Translation:
    shown = codes[0] if codes else report.error_code
    sender = maker or report.vendor or "this charger's maker"
    meaning = (
        f"{sender} code {shown} is not in the knowledge base yet."
        if codes
        else ("The knowledge base has no entry for this report yet.")
    )
    return Translation(
        entry_id=None,
        code=shown,
        meaning=meaning,
        category=Category.UNKNOWN,
        severity=Severity.FAULT,
        responsible=Responsible.REMOTE_OPERATOR,
        escalation_responsible=Responsible.VENDOR_SERVICE,
        next_action="Try a remote reset; if the fault stays, ask the manufacturer what the code means "
        "and add it to the knowledge base.",
        playbook_id=None,
        playbook_name="",
        charging_possible=None,
        matched_by="unknown",
        reason="Nothing in the knowledge base matches this report's codes or text.",
        is_safety=False,
    )


def translate(report: Report) -> Translation:
    """The best knowledge-base entry for a report, and why it matched."""
    report = _without_nones(report)
    rules = rulebook.current()
    codes = _vendor_codes(report)
    text = _texts(report)
    manufacturer_id = rules.manufacturer_for(report.vendor, report.vendor_id)
    if manufacturer_id is not None:
        model_id, model_name = rules.model_for(manufacturer_id, report.model)
        found = _manufacturer_match(report, rules, manufacturer_id, model_id, model_name, codes, text)
        if found:
            return found
    return (
        _standard_match(report, rules)
        or (_pattern_match(rules, text, codes) if text else None)
        or _ocpp_match(report, rules, codes)
        or _unknown(report, codes, rules.manufacturer_names.get(manufacturer_id, ""))
    )


def unknown_code_of(report: Report, translation: Translation | None = None) -> str:
    """The code that needs an entry, or "" when the report is already understood or has no code."""
    translation = translation or translate(report)
    if translation.matched_by not in ("ocpp_error_code", "unknown"):
        return ""
    codes = _vendor_codes(report)
    return codes[0] if codes else ""


def record_unknown(report: Report, charge_point_id: str, when: datetime) -> None:
    """Count a report whose vendor code has no entry, for the unknown-codes queue (else do nothing)."""
    from knowledgebase.models import UnknownCode

    report = _without_nones(report)
    code = unknown_code_of(report)
    if not code:
        return
    rules = rulebook.current()
    manufacturer_id = rules.manufacturer_for(report.vendor, report.vendor_id)
    vendor_key = f"m{manufacturer_id}" if manufacturer_id else normalise(report.vendor)[:110]
    key = {"vendor_key": vendor_key, "model": report.model[:100], "code": code[:100]}
    info = (report.info or report.tech_info)[:200]
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row, _ = UnknownCode.objects.select_for_update().get_or_create(
                    **key,
                    defaults={
                        "manufacturer_id": manufacturer_id,
                        "vendor": report.vendor[:100],
                        "first_seen_at": when,
                        "last_seen_at": when,
                    },
                )
                changed = ["occurrences", "first_seen_at", "last_seen_at"]
                row.occurrences = F("occurrences") + 1
                row.first_seen_at = min(row.first_seen_at, when)
                row.last_seen_at = max(row.last_seen_at, when)
                if charge_point_id and charge_point_id not in row.charge_point_ids:
                    if len(row.charge_point_ids) < _MAX_CHARGERS:
                        row.charge_point_ids = [*row.charge_point_ids, charge_point_id]
                    row.affected_chargers += 1
                    changed += ["charge_point_ids", "affected_chargers"]
                if info and info not in row.sample_info and len(row.sample_info) < _MAX_SAMPLES:
                    row.sample_info = [*row.sample_info, info]
                    changed.append("sample_info")
                row.save(update_fields=changed)
            return
        except IntegrityError:
            continue  # another worker created the same row between our read and insert: count again
