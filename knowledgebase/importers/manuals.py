"""Importing a manual: upload -> (column mapping) -> draft entries + a report of what changed.

Every step is all-or-nothing: a refused file or row leaves no manual, no file and no entry behind.
"""

import hashlib
import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from knowledgebase.importers import ImportRefused
from knowledgebase.importers.pdf import rows_from_pdf
from knowledgebase.importers.rows import DraftRow
from knowledgebase.importers.sniff import sniff
from knowledgebase.importers.tabular import (
    Table,
    guess_mapping,
    read_csv,
    read_xlsx,
    rows_from_table,
    validate_mapping,
)
from knowledgebase.models import CodeEntry, Manual, Playbook, category_choices
from knowledgebase.vocabulary import Category, EntryScope, EntrySource, EntryStatus, ImportStatus, ManualKind

# The playbook a draft starts with, by category (the reviewer may change it).
DEFAULT_PLAYBOOKS = {
    Category.EMERGENCY_STOP: "estop-release-reset",
    Category.GROUND_FAULT: "ground-fault-lockout",
    Category.ISOLATION: "ground-fault-lockout",
    Category.TEMPERATURE: "over-temperature-inspection",
    Category.READER: "reader-replacement",
    Category.CONNECTIVITY: "connectivity-checks",
    Category.INTERNAL: "remote-reset-ladder",
    Category.POWER_MODULE: "remote-reset-ladder",
    Category.POWER_SWITCH: "vendor-service-visit",
    Category.RESET_FAILURE: "site-power-cycle",
    Category.LOCAL_LIST: "resend-local-list",
}


# Pass as mapping= to take the columns from the header words instead of asking (the API does).
GUESS = "guess"


def read_table(kind: str, data: bytes) -> Table:
    return read_xlsx(data) if kind == ManualKind.XLSX else read_csv(data)


def start_import(upload, *, manufacturer, charger_models=(), version="", user=None, mapping=None) -> Manual:
    """Check the upload and record the manual; PDFs (and tables with a mapping) get their drafts at once.

    Raises ImportRefused (and stores nothing) when the file or any of its rows cannot be imported.
    """
    sniffed = sniff(upload)
    table = None
    rows: list[DraftRow] | None = None
    if sniffed.kind == ManualKind.PDF:
        rows = rows_from_pdf(sniffed.data)
    else:
        table = read_table(sniffed.kind, sniffed.data)
        if mapping == GUESS:
            mapping = guess_mapping(table.headers)
        if mapping is not None:
            rows = rows_from_table(table, validate_mapping(mapping, table.headers), dict(category_choices()))
    manual = Manual(
        original_name=sniffed.name[:255],
        kind=sniffed.kind,
        sha256=hashlib.sha256(sniffed.data).hexdigest(),
        manufacturer=manufacturer,
        version=version,
        uploaded_by=user,
        uploaded_at=timezone.now(),
        status=ImportStatus.AWAITING_MAPPING,
    )
    if table is not None:
        manual.column_mapping = guess_mapping(table.headers) if mapping is None else mapping
        manual.report = {"headers": table.headers, "preview": table.preview(), "row_count": len(table.rows)}
    manual.file.save(sniffed.name, ContentFile(sniffed.data), save=False)
    try:
        with transaction.atomic():
            manual.save()
            manual.charger_models.set(charger_models)
            if rows is not None:
                _create_drafts(manual, rows)
    except BaseException:
        manual.file.delete(save=False)
        raise
    return manual


def apply_mapping(manual: Manual, mapping: dict) -> Manual:
    """Turn a CSV/XLSX manual's rows into drafts with the admin's column mapping (all rows or none)."""
    if manual.status != ImportStatus.AWAITING_MAPPING:
        raise ImportRefused("This manual's drafts were already created.")
    with manual.file.open("rb") as handle:
        table = read_table(manual.kind, handle.read())
    clean = validate_mapping(mapping, table.headers)
    rows = rows_from_table(table, clean, dict(category_choices()))
    with transaction.atomic():
        manual.column_mapping = clean
        _create_drafts(manual, rows)
    return manual


def _model_for(manual: Manual, name: str, models: list):
    if not name:
        return models[0] if len(models) == 1 else None
    for charger_model in manual.manufacturer.charger_models.all():
        if name.casefold() in {
            charger_model.name.casefold(),
            *(p.casefold() for p in charger_model.patterns()),
        }:
            return charger_model
    raise ImportRefused(f"{name!r} is not a model of {manual.manufacturer}; add the model first.")


def _create_drafts(manual: Manual, rows: list[DraftRow]) -> None:
    models = list(manual.charger_models.all())
    playbooks = {
        playbook.slug: playbook for playbook in Playbook.objects.filter(slug__in=DEFAULT_PLAYBOOKS.values())
    }
    drafts = []
    problems = []
    for row in rows:
        try:
            charger_model = _model_for(manual, row.model_name, models)
        except ImportRefused as refused:
            problems.append(f"Row {row.row_number}: {refused.message}" if row.row_number else refused.message)
            continue
        entry = CodeEntry(
            scope=EntryScope.MANUFACTURER,
            manufacturer=manual.manufacturer,
            charger_model=charger_model,
            firmware_min=row.firmware_min,
            firmware_max=row.firmware_max,
            code=row.code.strip()[:100],
            text_pattern=row.text_pattern,
            meaning=row.meaning,
            category=row.category,
            severity=row.severity,
            responsible=row.responsible,
            next_action=row.next_action,
            playbook=playbooks.get(DEFAULT_PLAYBOOKS.get(row.category, "")),
            source=EntrySource.MANUAL,
            manual=manual,
            manual_page=row.page[:20],
            status=EntryStatus.DRAFT,
        )
        entry.match_key = entry.compute_match_key()
        drafts.append(entry)
    if problems:
        raise ImportRefused(f"{len(problems)} row(s) cannot be imported; nothing was changed.", problems)
    CodeEntry.objects.bulk_create(drafts)
    manual.status = ImportStatus.IN_REVIEW
    manual.report = {**manual.report, "drafts": len(drafts), "changes": changes_against_live(manual, drafts)}
    manual.save(update_fields=["status", "report", "column_mapping"])


def _diff_key(entry: CodeEntry) -> tuple:
    return (
        entry.charger_model_id,
        entry.code.casefold(),
        entry.firmware_min,
        entry.firmware_max,
        entry.text_pattern,
    )


def changes_against_live(manual: Manual, drafts: list[CodeEntry]) -> dict:
    """What this manual adds, changes and drops compared with the manufacturer's live manual entries."""
    live = {
        _diff_key(entry): entry
        for entry in CodeEntry.objects.filter(
            manufacturer=manual.manufacturer, status=EntryStatus.LIVE, source=EntrySource.MANUAL
        ).exclude(manual=manual)
    }
    added, changed, unchanged = [], [], 0
    for draft in drafts:
        before = live.pop(_diff_key(draft), None)
        if before is None:
            added.append(draft.code or draft.text_pattern)
        elif (before.meaning, before.next_action) != (draft.meaning, draft.next_action):
            changed.append({"code": draft.code, "before": before.meaning, "after": draft.meaning})
        else:
            unchanged += 1
    removed = sorted(entry.code or entry.text_pattern for entry in live.values())
    return {"added": added, "changed": changed, "removed": removed, "unchanged": unchanged}


def describe(refused: ImportRefused) -> str:
    """One text for logs and API answers: the message and its first details."""
    out = io.StringIO()
    out.write(refused.message)
    for detail in refused.details[:20]:
        out.write(f"\n- {detail}")
    return out.getvalue()
