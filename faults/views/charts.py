"""Server-rendered SVG charts: uptime month by month against the 97% line, and small sparklines.

Only numbers and labels this module makes go into the markup, so it can be marked safe.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

TARGET_PERCENT = 97.0


def _y(percent: float, top: float, height: float, floor: float) -> float:
    return top + (100.0 - percent) / (100.0 - floor) * height


def chart_floor(values: list[float | None]) -> float:
    """The lowest percentage on the axis: close enough to 100 that a 1% dip shows, low enough for all."""
    known = [value for value in values if value is not None]
    lowest = min(known, default=100.0)
    return next(floor for floor in (95.0, 90.0, 80.0, 50.0, 0.0) if floor <= lowest - 1 or floor == 0.0)


def month_chart(
    labels: list[str], series: dict[str, list[float | None]], *, floor: float | None = None
) -> str:
    """Uptime per month as lines (one per series, e.g. filtered and raw) with the 97% target dashed."""
    if floor is None:
        floor = chart_floor([value for values in series.values() for value in values])
    width, height, left, top, bottom = 720, 260, 44, 12, 44
    plot_h = height - top - bottom
    step = (width - left - 30) / max(len(labels) - 1, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Uptime by month against the {TARGET_PERCENT:g}% line">'
    ]
    for step_index in range(5):
        percent = 100.0 - step_index * (100.0 - floor) / 4
        y = _y(percent, top, plot_h, floor)
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde1e8"/>')
        parts.append(f'<text x="4" y="{y + 4:.1f}" font-size="11" fill="#5d6676">{percent:g}%</text>')
    y97 = _y(TARGET_PERCENT, top, plot_h, floor)
    parts.append(
        f'<line class="line97" x1="{left}" x2="{width - 8}" y1="{y97:.1f}" y2="{y97:.1f}" stroke="#c0392b" '
        f'stroke-dasharray="5 4"/>'
        f'<text x="{width - 40}" y="{y97 - 4:.1f}" font-size="11" fill="#c0392b">97%</text>'
    )
    colours = ["#1f5fbf", "#a86400", "#1d7a46"]
    for index, (name, values) in enumerate(series.items()):
        colour = colours[index % len(colours)]
        points = [
            (left + i * step, _y(max(min(value, 100.0), floor), top, plot_h, floor))
            for i, value in enumerate(values)
            if value is not None
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            dash = ' stroke-dasharray="3 3"' if index else ""
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{path}"/>')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
        parts.append(
            f'<text x="{left + 8 + index * 150}" y="{height - 4}" font-size="12" fill="{colour}">'
            f"— {escape(name)}</text>"
        )
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % 2 == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - bottom + 14}" font-size="11" '
                f'text-anchor="middle" fill="#5d6676">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped labels above


def sparkline(values: list[float | None], *, floor: float | None = None) -> str:
    """A small line of daily uptime with the 97% line, for charger and site pages."""
    width, height = 160, 36
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    if floor is None:
        floor = chart_floor(values)
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{_y(max(v, floor), 2, height - 4, floor):.1f}" for i, v in known)
    y97 = _y(TARGET_PERCENT, 2, height - 4, floor)
    return mark_safe(  # noqa: S308 - numbers only
        f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-label="Daily uptime, last '
        f'{len(values)} days"><line x1="0" x2="{width}" y1="{y97:.1f}" y2="{y97:.1f}" stroke="#c0392b" '
        f'stroke-dasharray="3 3"/>'
        f'<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="{points}"/></svg>'
    )
