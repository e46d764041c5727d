"""The uptime page: month by month against the 97% line, raw beside filtered, outages, exclusions."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from chargers.models import Charger, Connector, Site
from faults.models import Exclusion, PortDayRollup
from faults.uptime.calendar import day_boundaries
from faults.uptime.engine import load_history, load_ports, outages, timeline, window_for_days
from faults.uptime.exclusions import record_exclusion
from faults.uptime.intervals import minute_floor
from faults.uptime.reports import Figures, add_months, aggregate, month_start, monthly_sums, port_figures
from faults.views.charts import month_chart, sparkline
from knowledgebase.vocabulary import ExclusionReason

MONTHS_SHOWN = 12
TABLE_DAYS = 30
OUTAGES_SHOWN = 200


class UptimeScope(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, empty_label="All sites")
    charger = forms.CharField(required=False, max_length=48, label="Charger id")

    def clean_charger(self):
        value = self.cleaned_data["charger"].strip()
        if not value:
            return None
        charger = Charger.objects.filter(charge_point_id=value).select_related("site").first()
        if charger is None:
            raise ValidationError(f"No charger has the id {value!r}.")
        return charger


class ExclusionForm(forms.Form):
    charger = forms.CharField(required=False, max_length=48, help_text="Empty: the whole site.")
    port = forms.IntegerField(required=False, min_value=1, help_text="Empty: the whole charger.")
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False)
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.ChoiceField(choices=ExclusionReason.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def clean(self):
        data = super().clean()
        charger_id = (data.get("charger") or "").strip()
        data["target"] = {}
        if charger_id:
            charger = Charger.objects.filter(charge_point_id=charger_id).first()
            if charger is None:
                raise ValidationError(f"No charger has the id {charger_id!r}.")
            if data.get("port"):
                connector = Connector.objects.filter(
                    charger=charger, evse_id=data["port"], connector_id=data["port"]
                ).first()
                if connector is None:
                    raise ValidationError(f"{charger_id} has no port #{data['port']}.")
                data["target"] = {"connector": connector}
            else:
                data["target"] = {"charger": charger}
        elif data.get("site"):
            data["target"] = {"site": data["site"]}
        else:
            raise ValidationError(
                "Say what the exclusion covers: a site, or a charger (and optionally a port)."
            )
        return data


def percent(service: int, outage: int, excluded: int) -> float | None:
    return Figures(service, outage, excluded).uptime_percent


def _scope_connectors(site: Site | None, charger: Charger | None):
    connectors = Connector.objects.all()
    if charger is not None:
        return connectors.filter(charger=charger)
    if site is not None:
        return connectors.filter(charger__site=site)
    return connectors


def monthly_series(connectors, months: list[date]) -> dict[str, list[float | None]]:
    """Plain uptime of each month for the whole scope, filtered and raw."""
    series = {}
    for name, filtered in (("Filtered", True), ("Raw", False)):
        sums = monthly_sums(connectors, months[0], months[-1], filtered=filtered)
        totals = {month: [0, 0, 0] for month in months}
        for (_, month), values in sums.items():
            key = month.date() if hasattr(month, "date") else month
            if key in totals:
                for i in range(3):
                    totals[key][i] += values[i]
        series[name] = [percent(*totals[month]) for month in months]
    return series


def daily_uptime(connectors, days: int = TABLE_DAYS) -> list[float | None]:
    """Filtered uptime of each of the last `days` days for a set of ports (one query)."""
    today = timezone.localdate()
    first = today - timedelta(days=days)
    rows = {
        row["day"]: row
        for row in PortDayRollup.objects.filter(connector__in=connectors, day__gte=first, day__lt=today)
        .values("day")
        .annotate(
            service=Sum("service_minutes"),
            outage=Sum("outage_minutes_filtered"),
            excluded=Sum("excluded_minutes_filtered"),
        )
        .order_by()
    }
    values = []
    for offset in range(days):
        row = rows.get(first + timedelta(days=offset))
        values.append(percent(row["service"], row["outage"], row["excluded"]) if row else None)
    return values


def uptime_sparkline(connectors) -> str:
    return sparkline(daily_uptime(connectors))


def outage_rows(connectors, first: date, last: date, *, filtered: bool) -> list:
    now = timezone.now()
    now_minute = minute_floor(now)
    start, end = window_for_days(first, last)
    history = load_history(connectors, start, min(end, now_minute + 1), now)
    rows = []
    for port in load_ports(connectors):
        bounds = day_boundaries(first, last, port.tz)
        rows.extend(outages(timeline(port, history, bounds[0], min(bounds[-1], now_minute)), filtered))
    rows.sort(key=lambda outage: outage.start, reverse=True)
    return rows[:OUTAGES_SHOWN]


def uptime_table(
    connectors, site: Site | None, charger: Charger | None, first: date, last: date
) -> list[dict]:
    """Rows of filtered and raw figures: per port of a charger, per charger of a site, or per site."""
    filtered_rows = port_figures(connectors, first, last, method="period", filtered=True)
    raw_rows = port_figures(connectors, first, last, method="period", filtered=False)
    if charger is not None:
        return [
            {"name": f"{port.charge_point_id} #{port.connector_id}", "filtered": f, "raw": r}
            for (port, f), (_, r) in zip(filtered_rows, raw_rows, strict=True)
        ]
    by_charger_f, by_site_f = aggregate(filtered_rows)
    by_charger_r, by_site_r = aggregate(raw_rows)
    if site is None:
        site_names = dict(Site.objects.values_list("id", "name"))
        return [
            {"name": site_names.get(key, "No site"), "filtered": by_site_f[key], "raw": by_site_r[key]}
            for key in sorted(by_site_f, key=lambda key: site_names.get(key, ""))
        ]
    names = {port.charger_id: port.charge_point_id for port, _ in filtered_rows}
    return [
        {"name": names[key], "filtered": by_charger_f[key], "raw": by_charger_r[key]}
        for key in sorted(by_charger_f, key=lambda key: names[key])
    ]


def export_links(site: Site | None, charger: Charger | None, first: date, last: date) -> dict[str, str]:
    """The uptime API's CSV exports for this scope: the last complete quarter, and these days' outages."""
    scope = {"charger": charger.charge_point_id} if charger else {"site": site.name} if site else {}
    quarter_month = add_months(month_start(timezone.localdate()), -3)
    quarterly = {"format": "csv", "year": quarter_month.year, "quarter": (quarter_month.month - 1) // 3 + 1}
    outages = {"format": "csv", "start": first.isoformat(), "end": last.isoformat()}
    return {
        "quarterly": reverse("uptime-federal-quarterly") + "?" + urlencode({**quarterly, **scope}),
        "outages": reverse("uptime-outages") + "?" + urlencode({**outages, **scope}),
    }


def exclusions_for(site: Site | None, charger: Charger | None):
    exclusions = Exclusion.objects.select_related("site", "charger", "connector__charger", "entered_by")
    if charger is not None:
        exclusions = exclusions.filter(Q(charger=charger) | Q(connector__charger=charger))
    elif site is not None:
        exclusions = exclusions.filter(
            Q(site=site) | Q(charger__site=site) | Q(connector__charger__site=site)
        )
    return exclusions.order_by("-start")


@permission_required("faults.view_portdayrollup", raise_exception=True)
def uptime(request):
    """Uptime per site or charger: twelve months against 97%, a table of the last 30 days, outages."""
    scope = UptimeScope(request.GET or None)
    site = charger = None
    if scope.is_valid():
        site, charger = scope.cleaned_data["site"], scope.cleaned_data["charger"]
    connectors = _scope_connectors(site, charger)
    this_month = month_start(timezone.localdate())
    months = [add_months(this_month, back) for back in range(-(MONTHS_SHOWN - 1), 1)]
    last = timezone.localdate() - timedelta(days=1)
    first = last - timedelta(days=TABLE_DAYS - 1)
    scoped = site is not None or charger is not None
    context = {
        "scope": scope,
        "site": site,
        "charger": charger,
        "chart": month_chart([f"{month:%b %y}" for month in months], monthly_series(connectors, months)),
        "table": uptime_table(connectors, site, charger, first, last),
        "first": first,
        "last": last,
        # Outages need each port's history: only for a site or a charger, not the whole fleet at once.
        "outages": outage_rows(connectors, first, last, filtered=True) if scoped else None,
        "exports": export_links(site, charger, first, last),
        "exclusions": exclusions_for(site, charger)[:20],
        "exclusion_form": ExclusionForm(
            initial={"site": site, "charger": charger.charge_point_id if charger else ""}
        ),
        "can_exclude": request.user.has_perm("faults.add_exclusion"),
    }
    return render(request, "faults/uptime.html", context)


@require_POST
@permission_required("faults.add_exclusion", raise_exception=True)
def add_exclusion(request):
    """Record excluded downtime entered on the uptime page, with who entered it (audited)."""
    form = ExclusionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_exclusion(
                by=request.user,
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
                note=data["note"],
                **data["target"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Exclusion recorded; the uptime figures will follow shortly.")
    else:
        problems = [
            f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in form.errors.items()
        ]
        messages.error(request, "The exclusion was not recorded. " + " ".join(problems))
    return redirect(reverse("faults:uptime") + "?" + request.POST.get("scope", ""))
