"""CSV exports: the federal quarterly uptime layout and the list of outages."""

import csv
import io
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from faults.uptime.calendar import day_boundaries
from faults.uptime.engine import Port, load_history, load_ports, outages, timeline, window_for_days
from faults.uptime.intervals import minute_floor
from faults.uptime.reports import add_months, nevi_by_month, nevi_window

QUARTERLY_COLUMNS = [
    "port_id",
    "station_id",
    "uptime_reporting_start",
    "uptime_reporting_end",
    "reporting_month",
    "uptime_pct",
    "outage_total",
    "outage_excluded",
]
OUTAGE_COLUMNS = [
    "outage_id",
    "port_id",
    "station_id",
    "outage_start",
    "outage_end",
    "outage_duration",
    "outage_cause",
    "outage_exempted",
    "exemption_reason",
]


def port_id(port: Port) -> str:
    return f"{port.charge_point_id}/{port.evse_id}/{port.connector_id}"


def _safe(value) -> str:
    # Charge point ids come from the network: a cell starting with =, +, - or @ would run as a
    # formula in a spreadsheet, so it is quoted as text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def quarter_months(year: int, quarter: int) -> list[date]:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    return [add_months(first, n) for n in range(3)]


def federal_quarterly_csv(connectors: QuerySet, year: int, quarter: int, *, filtered: bool) -> str:
    """Per port, for each month of the quarter: the NEVI figure over the twelve months ending with
    that month, with that window's outage and excluded minutes (so each row's numbers reproduce its
    uptime_pct through the formula)."""
    rows = []
    for port, month, figures in nevi_by_month(connectors, quarter_months(year, quarter), filtered=filtered):
        first, last = nevi_window(month)
        uptime = figures.uptime_percent
        rows.append(
            [
                port_id(port),
                port.charge_point_id,
                first.isoformat(),
                last.isoformat(),
                f"{month:%Y%m}",
                "" if uptime is None else f"{uptime:.2f}",
                figures.outage_minutes,
                figures.excluded_minutes,
            ]
        )
    return _csv(QUARTERLY_COLUMNS, rows)


def outage_list_csv(connectors: QuerySet, first: date, last: date, *, filtered: bool) -> str:
    """Every outage of the ports over local days first..last, split where exclusions begin or end."""
    now = timezone.now()
    now_minute = minute_floor(now)
    ports = load_ports(connectors)
    start, end = window_for_days(first, last)
    history = load_history(connectors, start, min(end, now_minute + 1), now)
    rows = []
    for port in ports:
        bounds = day_boundaries(first, last, port.tz)
        line = timeline(port, history, bounds[0], min(bounds[-1], now_minute))
        for outage in outages(line, filtered):
            rows.append(
                [
                    outage.outage_id,
                    port_id(port),
                    port.charge_point_id,
                    outage.start.isoformat(),
                    outage.end.isoformat(),
                    outage.minutes,
                    "; ".join(outage.causes),
                    "yes" if outage.excluded else "no",
                    "; ".join(outage.exclusion_reasons),
                ]
            )
    return _csv(OUTAGE_COLUMNS, rows)
