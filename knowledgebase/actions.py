"""Named changes to the knowledge base: approving drafts, writing an entry for an unknown code."""

from django.db import transaction
from django.utils import timezone

from knowledgebase.models import CodeEntry, KnowledgeVersion, Manual, UnknownCode
from knowledgebase.vocabulary import EntryStatus, ImportStatus


def approve_entry(entry: CodeEntry, user) -> CodeEntry:
    """Make a draft live; a live entry for the same code and scope is retired (a newer manual wins)."""
    with transaction.atomic():
        entry = CodeEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != EntryStatus.DRAFT:
            return entry
        CodeEntry.objects.filter(match_key=entry.compute_match_key(), status=EntryStatus.LIVE).update(
            status=EntryStatus.RETIRED, updated_at=timezone.now()
        )
        entry.status = EntryStatus.LIVE
        entry.approved_by = user
        entry.approved_at = timezone.now()
        entry.save(update_fields=["status", "approved_by", "approved_at"])
        resolve_unknown_codes(entry)
        if entry.manual_id:
            _close_manual_if_reviewed(entry.manual_id)
    return entry


def approve_all(manual: Manual, user) -> int:
    """Approve every draft of a manual in one go; returns how many went live."""
    with transaction.atomic(), KnowledgeVersion.batch():
        drafts = list(manual.entries.filter(status=EntryStatus.DRAFT).order_by("id"))
        for draft in drafts:
            approve_entry(draft, user)
    return len(drafts)


def discard_draft(entry: CodeEntry) -> None:
    with transaction.atomic():
        if entry.status == EntryStatus.DRAFT:
            manual_id = entry.manual_id
            entry.delete()
            if manual_id:
                _close_manual_if_reviewed(manual_id)


def resolve_unknown_codes(entry: CodeEntry) -> int:
    """Take the unknown codes this live entry now explains out of the queue."""
    if entry.status != EntryStatus.LIVE or not entry.code or not entry.manufacturer_id:
        return 0
    return UnknownCode.objects.filter(
        manufacturer_id=entry.manufacturer_id, code__iexact=entry.code, resolved_by=None
    ).update(resolved_by=entry)


def _close_manual_if_reviewed(manual_id: int) -> None:
    if not CodeEntry.objects.filter(manual_id=manual_id, status=EntryStatus.DRAFT).exists():
        Manual.objects.filter(pk=manual_id, status=ImportStatus.IN_REVIEW).update(status=ImportStatus.DONE)
