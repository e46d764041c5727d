"""Admin pages: upload a manual, map its columns, review and approve drafts, work the unknown queue."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from knowledgebase import actions
from knowledgebase.forms import EntryForm, ManualUploadForm, MappingForm
from knowledgebase.importers import ImportRefused
from knowledgebase.importers.manuals import apply_mapping, start_import
from knowledgebase.models import CodeEntry, Manual, UnknownCode, category_choices
from knowledgebase.vocabulary import EntryScope, EntrySource, EntryStatus, ImportStatus

REVIEW = "knowledgebase.change_codeentry"


def _refused(request, refused: ImportRefused) -> None:
    messages.error(request, refused.message)
    for detail in refused.details[:20]:
        messages.error(request, detail)
    if len(refused.details) > 20:
        messages.error(request, f"… and {len(refused.details) - 20} more.")


@permission_required("knowledgebase.view_manual", raise_exception=True)
def manuals(request):
    items = Manual.objects.select_related("manufacturer", "uploaded_by")[:200]
    return render(
        request,
        "knowledgebase/manuals.html",
        {"manuals": items, "can_upload": request.user.has_perm("knowledgebase.add_manual")},
    )


@permission_required("knowledgebase.add_manual", raise_exception=True)
def upload(request):
    form = ManualUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            manual = start_import(
                form.cleaned_data["file"],
                manufacturer=form.cleaned_data["manufacturer"],
                charger_models=form.cleaned_data["charger_models"],
                version=form.cleaned_data["version"],
                user=request.user,
            )
        except ImportRefused as refused:
            _refused(request, refused)
        else:
            if manual.status == ImportStatus.AWAITING_MAPPING:
                messages.info(request, "Choose which column holds what, then create the drafts.")
            else:
                messages.success(request, f"{manual.report.get('drafts', 0)} draft entries to review.")
            return redirect(manual.get_absolute_url())
    return render(request, "knowledgebase/upload.html", {"form": form})


@permission_required("knowledgebase.add_manual", raise_exception=True)
def mapping(request, pk: int):
    manual = get_object_or_404(Manual.objects.select_related("manufacturer"), pk=pk)
    if manual.status != ImportStatus.AWAITING_MAPPING:
        return redirect(manual.get_absolute_url())
    headers = manual.report.get("headers", [])
    form = MappingForm(request.POST or None, headers=headers, initial_mapping=manual.column_mapping)
    if request.method == "POST" and form.is_valid():
        try:
            apply_mapping(manual, form.mapping())
        except ImportRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, f"{manual.report.get('drafts', 0)} draft entries to review.")
            return redirect("knowledgebase:manual_review", pk=manual.pk)
    return render(
        request,
        "knowledgebase/mapping.html",
        {"manual": manual, "form": form, "headers": headers, "preview": manual.report.get("preview", [])},
    )


@permission_required(REVIEW, raise_exception=True)
def review(request, pk: int):
    manual = get_object_or_404(Manual.objects.select_related("manufacturer", "uploaded_by"), pk=pk)
    entries = manual.entries.select_related("charger_model", "playbook").order_by("status", "code", "id")
    return render(
        request,
        "knowledgebase/review.html",
        {
            "manual": manual,
            "entries": entries,
            "drafts": sum(1 for entry in entries if entry.status == EntryStatus.DRAFT),
            "changes": manual.report.get("changes", {}),
            "category_labels": dict(category_choices()),
        },
    )


@require_POST
@permission_required(REVIEW, raise_exception=True)
def approve(request, pk: int):
    entry = get_object_or_404(CodeEntry, pk=pk)
    actions.approve_entry(entry, request.user)
    messages.success(request, f"{entry.code or entry.text_pattern} is live.")
    return redirect(_back_to(entry))


@require_POST
@permission_required(REVIEW, raise_exception=True)
def approve_all(request, pk: int):
    manual = get_object_or_404(Manual, pk=pk)
    count = actions.approve_all(manual, request.user)
    messages.success(request, f"{count} entries are live.")
    return redirect("knowledgebase:manual_review", pk=manual.pk)


@require_POST
@permission_required("knowledgebase.delete_codeentry", raise_exception=True)
def discard(request, pk: int):
    entry = get_object_or_404(CodeEntry, pk=pk, status=EntryStatus.DRAFT)
    back = _back_to(entry)
    actions.discard_draft(entry)
    messages.success(request, "Draft discarded.")
    return redirect(back)


@permission_required(REVIEW, raise_exception=True)
def edit_entry(request, pk: int):
    entry = get_object_or_404(CodeEntry.objects.select_related("manufacturer"), pk=pk)
    form = EntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect(_back_to(entry))
    return render(
        request, "knowledgebase/entry_form.html", {"form": form, "entry": entry, "title": "Edit entry"}
    )


def _back_to(entry: CodeEntry) -> str:
    if entry.manual_id:
        return reverse("knowledgebase:manual_review", args=[entry.manual_id])
    return reverse("knowledgebase:entry", args=[entry.pk])


@permission_required(REVIEW, raise_exception=True)
def unknown_codes(request):
    """Codes seen in the field with no entry, most frequent first."""
    queue = (
        UnknownCode.objects.filter(resolved_by=None)
        .select_related("manufacturer")
        .order_by("-occurrences", "-last_seen_at", "id")[:200]
    )
    return render(request, "knowledgebase/unknown.html", {"queue": queue})


@permission_required("knowledgebase.add_codeentry", raise_exception=True)
def write_entry(request, pk: int):
    """Write the entry for an unknown code: it goes live at once (an admin wrote it) and leaves the queue."""
    unknown = get_object_or_404(UnknownCode.objects.select_related("manufacturer"), pk=pk)
    entry = CodeEntry(
        scope=EntryScope.MANUFACTURER,
        manufacturer=unknown.manufacturer,
        code=unknown.code,
        source=EntrySource.FIELD,
        status=EntryStatus.LIVE,
        approved_by=request.user,
    )
    form = EntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        actions.resolve_unknown_codes(entry)
        UnknownCode.objects.filter(pk=unknown.pk).update(resolved_by=entry)
        messages.success(request, f"{entry.code} is live; the unknown code left the queue.")
        return redirect("knowledgebase:unknown_codes")
    return render(
        request,
        "knowledgebase/entry_form.html",
        {"form": form, "unknown": unknown, "title": f"Write the entry for {unknown.code}"},
    )
