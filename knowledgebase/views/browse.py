"""Read-only pages every role may open: codes and playbooks (technicians read these on site)."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from knowledgebase.models import CodeEntry, Manufacturer, Playbook, category_choices
from knowledgebase.vocabulary import EntryScope, EntryStatus

PAGE_SIZE = 50


@permission_required("knowledgebase.view_codeentry", raise_exception=True)
def codes(request):
    """Live code entries, searchable by code or words and filterable by scope, maker and category."""
    entries = CodeEntry.objects.select_related("manufacturer", "charger_model", "playbook")
    can_review = request.user.has_perm("knowledgebase.change_codeentry")
    status = request.GET.get("status", EntryStatus.LIVE)
    if status not in EntryStatus.values or not can_review:
        status = EntryStatus.LIVE
    entries = entries.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        entries = entries.filter(
            Q(code__icontains=query) | Q(meaning__icontains=query) | Q(text_pattern__icontains=query)
        )
    scope = request.GET.get("scope", "")
    if scope in EntryScope.values:
        entries = entries.filter(scope=scope)
    manufacturer = request.GET.get("manufacturer", "")
    if manufacturer.isdigit():
        entries = entries.filter(manufacturer_id=int(manufacturer))
    category = request.GET.get("category", "")
    if category:
        entries = entries.filter(category=category)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "knowledgebase/codes.html",
        {
            "page": page,
            "query": query,
            "scope": scope,
            "manufacturer": manufacturer,
            "category": category,
            "status": status,
            "scopes": EntryScope.choices,
            "statuses": EntryStatus.choices,
            "manufacturers": Manufacturer.objects.only("id", "name"),
            "categories": category_choices(),
            "category_labels": dict(category_choices()),
            "can_review": can_review,
            "querystring": querystring.urlencode(),
        },
    )


@permission_required("knowledgebase.view_codeentry", raise_exception=True)
def entry(request, pk: int):
    found = get_object_or_404(
        CodeEntry.objects.select_related(
            "manufacturer", "charger_model", "playbook", "manual", "approved_by"
        ),
        pk=pk,
    )
    if found.status != EntryStatus.LIVE and not request.user.has_perm("knowledgebase.change_codeentry"):
        return render(request, "knowledgebase/not_live.html", status=404)
    steps = list(found.playbook.steps.all()) if found.playbook_id else []
    return render(
        request,
        "knowledgebase/entry.html",
        {
            "entry": found,
            "steps": steps,
            "category_label": dict(category_choices()).get(found.category, found.category),
        },
    )


@permission_required("knowledgebase.view_playbook", raise_exception=True)
def playbooks(request):
    items = Playbook.objects.prefetch_related("steps")
    return render(request, "knowledgebase/playbooks.html", {"playbooks": items})


@permission_required("knowledgebase.view_playbook", raise_exception=True)
def playbook(request, slug: str):
    found = get_object_or_404(Playbook, slug=slug)
    return render(
        request,
        "knowledgebase/playbook.html",
        {
            "playbook": found,
            "steps": list(found.steps.all()),
            "entries": found.entries.filter(status=EntryStatus.LIVE).select_related(
                "manufacturer", "charger_model"
            )[:50],
        },
    )
