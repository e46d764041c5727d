"""Uptime figures read from the daily rollups: per port, and summed per charger and per site.

Methods:
- `nevi`: the US federal formula over the twelve months ending with a given month,
  μ = (525,600 − (T_outage − T_excluded)) / 525,600 × 100 (a port in service for less than the
  window is measured over the minutes it was in service);
- `period`: any range of days, (period − (outage − excluded)) / period × 100;
- `strict`: the same range with no exclusions at all (a fleet operator's own view).

Charger and site figures add up their ports' minutes and compute the percentage from those sums;
they are not means of port percentages (a port out of service for most of the period weighs less).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth

from faults.models import PortDayRollup
from faults.uptime.engine import Port, load_ports, ports_of

NEVI_YEAR_MINUTES = 525_600


class Method(models.TextChoices):
    NEVI = "nevi", "NEVI (rolling twelve months, 525,600-minute year)"
    PERIOD = "period", "Period (any range of days)"
    STRICT = "strict", "Strict (no exclusions)"


@dataclass
class Figures:
    period_minutes: int = 0
    outage_minutes: int = 0
    excluded_minutes: int = 0

    @property
    def uptime_percent(self) -> float | None:
        if self.period_minutes <= 0:
            return None
        counted = self.outage_minutes - self.excluded_minutes
        return round((self.period_minutes - counted) / self.period_minutes * 100, 3)

    def add(self, other: "Figures") -> None:
        self.period_minutes += other.period_minutes
        self.outage_minutes += other.outage_minutes
        self.excluded_minutes += other.excluded_minutes

    def as_dict(self) -> dict:
        return {
            "period_minutes": self.period_minutes,
            "outage_minutes": self.outage_minutes,
            "excluded_minutes": self.excluded_minutes,
            "uptime_percent": self.uptime_percent,
        }


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def nevi_window(month: date) -> tuple[date, date]:
    """The local days of the twelve months that end with `month`."""
    return add_months(month_start(month), -11), add_months(month_start(month), 1) - timedelta(days=1)


def _columns(filtered: bool) -> tuple[str, str]:
    suffix = "_filtered" if filtered else ""
    return f"outage_minutes{suffix}", f"excluded_minutes{suffix}"


def figures_from_sums(service: int, outage: int, excluded: int, method: str) -> Figures:
    period = min(service, NEVI_YEAR_MINUTES) if method == Method.NEVI else service
    return Figures(period, outage, 0 if method == Method.STRICT else excluded)


def port_figures(
    connectors: QuerySet, first: date, last: date, *, method: str, filtered: bool
) -> list[tuple[Port, Figures]]:
    """Each port's figures over local days first..last: two queries whatever the number of ports."""
    ports = load_ports(connectors)
    outage, excluded = _columns(filtered)
    sums = {
        row["connector_id"]: row
        for row in PortDayRollup.objects.filter(
            connector_id__in=ports_of(connectors).values("id"), day__gte=first, day__lte=last
        )
        .values("connector_id")
        .annotate(service=Sum("service_minutes"), outage=Sum(outage), excluded=Sum(excluded))
        .order_by()
    }
    result = []
    for port in ports:
        row = sums.get(port.id, {"service": 0, "outage": 0, "excluded": 0})
        result.append((port, figures_from_sums(row["service"], row["outage"], row["excluded"], method)))
    return result


def aggregate(rows: list[tuple[Port, Figures]]) -> tuple[dict[int, Figures], dict[int | None, Figures]]:
    """Charger and site figures as sums of their ports' minutes."""
    by_charger: dict[int, Figures] = {}
    by_site: dict[int | None, Figures] = {}
    for port, figures in rows:
        by_charger.setdefault(port.charger_id, Figures()).add(figures)
        by_site.setdefault(port.site_id, Figures()).add(figures)
    return by_charger, by_site


def monthly_sums(connectors: QuerySet, first_month: date, last_month: date, *, filtered: bool) -> dict:
    """{(port id, first day of month): (service, outage, excluded)} from the daily rollups."""
    outage, excluded = _columns(filtered)
    rows = (
        PortDayRollup.objects.filter(
            connector_id__in=ports_of(connectors).values("id"),
            day__gte=first_month,
            day__lt=add_months(last_month, 1),
        )
        .annotate(month=TruncMonth("day"))
        .values("connector_id", "month")
        .annotate(service=Sum("service_minutes"), outage=Sum(outage), excluded=Sum(excluded))
        .order_by()
    )
    return {
        (row["connector_id"], row["month"]): (row["service"], row["outage"], row["excluded"]) for row in rows
    }


def nevi_by_month(
    connectors: QuerySet, months: list[date], *, filtered: bool
) -> list[tuple[Port, date, Figures]]:
    """Each port's NEVI figure as computed at the end of each month in `months` (twelve-month windows),
    from monthly sums of the daily rollups: one query for the ports, one for the sums."""
    ports = load_ports(connectors)
    sums = monthly_sums(connectors, add_months(min(months), -11), max(months), filtered=filtered)
    result = []
    for port in ports:
        for month in months:
            service = outage = excluded = 0
            for back in range(12):
                values = sums.get((port.id, add_months(month, -back)))
                if values:
                    service, outage, excluded = service + values[0], outage + values[1], excluded + values[2]
            result.append((port, month, figures_from_sums(service, outage, excluded, Method.NEVI)))
    return result
