"""The operators' board: open episodes across sites, grouped by who must act."""

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import permission_required
from django.db.models import Case, Count, IntegerField, Value, When
from django.shortcuts import render
from django.utils import timezone

from chargers.models import Charger, Site
from faults.models import FaultEpisode
from knowledgebase.vocabulary import Category, Responsible, Severity

# The order in which groups appear: whoever can act soonest and cheapest first.
GROUP_ORDER = [
    Responsible.REMOTE_OPERATOR,
    Responsible.SITE_STAFF,
    Responsible.ELECTRICIAN,
    Responsible.VENDOR_SERVICE,
    Responsible.DRIVER,
    Responsible.NONE,
]
SEVERITY_RANK = [Severity.CRITICAL, Severity.FAULT, Severity.WARNING, Severity.INFO]
AGE_CHOICES = [
    ("", "Any age"),
    ("15m", "Open over 15 minutes"),
    ("1h", "Open over 1 hour"),
    ("1d", "Open over 1 day"),
    ("7d", "Open over 7 days"),
]
AGE_DELTAS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
}
# The board is for people: past this many rows, filters say more than another screenful would. Every
# group still counts all its open episodes; live rows keep arriving on top.
BOARD_ROW_LIMIT = 200


class BoardFilters(forms.Form):
    q = forms.CharField(required=False, label="Charger id", max_length=48)
    site = forms.ModelChoiceField(
        queryset=Site.objects.only("id", "name"), required=False, empty_label="All sites"
    )
    make = forms.ChoiceField(required=False, label="Make")
    category = forms.ChoiceField(required=False, choices=[("", "All categories"), *Category.choices])
    responsible = forms.ChoiceField(required=False, choices=[("", "Anyone"), *Responsible.choices])
    age = forms.ChoiceField(required=False, choices=AGE_CHOICES)
    raw = forms.BooleanField(required=False, label="Show phantom faults (raw)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vendors = (
            Charger.objects.exclude(vendor="").order_by("vendor").values_list("vendor", flat=True).distinct()
        )
        self.fields["make"].choices = [("", "All makes"), *((vendor, vendor) for vendor in vendors)]

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the raw/filtered toggle limits rows (live rows are then checked)."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("q", "site", "make", "category", "responsible", "age"))


def open_episodes(filters: dict, *, now=None):
    """Open episodes matching the board's filters, most urgent first, with what a row shows."""
    now = now or timezone.now()
    episodes = FaultEpisode.objects.filter(closed_at__isnull=True).select_related(
        "charger__site", "connector"
    )
    if not filters.get("raw"):
        episodes = episodes.filter(is_phantom=False)
    if filters.get("q"):
        episodes = episodes.filter(charger__charge_point_id__icontains=filters["q"].strip())
    if filters.get("site"):
        episodes = episodes.filter(charger__site=filters["site"])
    if filters.get("make"):
        episodes = episodes.filter(charger__vendor=filters["make"])
    if filters.get("category"):
        episodes = episodes.filter(category=filters["category"])
    if filters.get("responsible"):
        episodes = episodes.filter(responsible=filters["responsible"])
    if filters.get("age") in AGE_DELTAS:
        episodes = episodes.filter(opened_at__lte=now - AGE_DELTAS[filters["age"]])
    return episodes.annotate(
        severity_rank=Case(
            *(When(severity=value, then=Value(rank)) for rank, value in enumerate(SEVERITY_RANK)),
            default=Value(len(SEVERITY_RANK)),
            output_field=IntegerField(),
        )
    ).order_by("severity_rank", "opened_at", "id")


def group_by_responsible(episodes, counts: dict[str, int]) -> list[dict]:
    rows: dict[str, list] = {value: [] for value in GROUP_ORDER}
    for episode in episodes:
        rows.setdefault(episode.responsible, []).append(episode)
    return [
        {
            "value": value,
            "label": Responsible(value).label if value in Responsible.values else value,
            "episodes": group_rows,
            "count": counts.get(value, 0),
        }
        for value, group_rows in rows.items()
    ]


@permission_required("faults.view_faultepisode", raise_exception=True)
def board(request):
    """The operators' board: faulted ports across sites, grouped by who must act."""
    form = BoardFilters(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    episodes = open_episodes(filters)
    counts = dict(
        episodes.order_by().values_list("responsible").annotate(n=Count("id")).values_list("responsible", "n")
    )
    total = sum(counts.values())
    # Raw and filtered side by side: the filtered board says how many phantoms it leaves out.
    hidden_phantoms = (
        0 if filters.get("raw") else open_episodes({**filters, "raw": True}).filter(is_phantom=True).count()
    )
    chosen = {
        name: str(form.data.get(name, "")) for name in ("site", "make", "category", "responsible", "age")
    }
    selects = [
        ("site", "Site", [("", "All sites"), *Site.objects.values_list("id", "name")], chosen["site"]),
        ("make", "Make", form.fields["make"].choices, chosen["make"]),
        ("category", "Category", form.fields["category"].choices, chosen["category"]),
        ("responsible", "Who acts", form.fields["responsible"].choices, chosen["responsible"]),
        ("age", "Age", form.fields["age"].choices, chosen["age"]),
    ]
    shown = list(episodes[:BOARD_ROW_LIMIT])
    context = {
        "form": form,
        "selects": selects,
        "groups": group_by_responsible(shown, counts),
        "total": total,
        "hidden_phantoms": hidden_phantoms,
        "shown": len(shown),
        "truncated": total > len(shown),
        "show_raw": bool(filters.get("raw")),
        "narrowed": form.is_bound and form.is_valid() and form.narrowed,
    }
    return render(request, "faults/board.html", context)
