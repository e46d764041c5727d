"""Small template helpers for the dashboard's pages (labels, badges, pretty JSON)."""

import json
from functools import cache
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone

from knowledgebase.vocabulary import Category, PhantomReason, Responsible, Severity

register = template.Library()
# Characters reverse() leaves unquoted in a path segment.
URL_SAFE = "!$&'()*+,;=:@~"


def _label(choices, value) -> str:
    # Admins may add categories the code does not know: show their stored value readably.
    try:
        return choices(value).label
    except ValueError:
        return str(value or "").replace("_", " ").capitalize()


@register.filter
def category_label(value) -> str:
    return _label(Category, value)


@register.filter
def responsible_label(value) -> str:
    return _label(Responsible, value)


@register.filter
def severity_label(value) -> str:
    return _label(Severity, value)


@register.filter
def phantom_reason_label(value) -> str:
    return _label(PhantomReason, value)


MATCHED_BY = {
    "model_firmware": "an entry for this model and firmware",
    "model": "an entry for this model",
    "manufacturer": "an entry for this manufacturer",
    "standard": "a standard code (ChargeX / EVgo conventions)",
    "text_pattern": "a pattern in the charger's text",
    "ocpp_error_code": "the OCPP error code alone",
    "unknown": "nothing: the code is not in the knowledge base yet",
}


@register.filter
def matched_by_label(value) -> str:
    return MATCHED_BY.get(value, str(value or ""))


@register.filter
def pretty_json(value) -> str:
    """Indented JSON for people; the template's autoescaping still applies to the result."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


@register.filter
def age(value) -> str:
    """How long ago, compactly: 45s, 12m, 3h 05m, 2d 4h."""
    if not value:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


_SENTINEL = "9876543210"


@cache
def _url_template(name: str) -> tuple[str, str]:
    # Reversing once per URL name and formatting afterwards keeps a 500-row board from spending most
    # of its time in the URL resolver; the pattern itself still comes from urls.py.
    head, _, tail = reverse(name, args=[_SENTINEL]).partition(_SENTINEL)
    return head, tail


@register.filter
def fault_url(episode) -> str:
    head, tail = _url_template("faults:detail")
    return f"{head}{episode.pk}{tail}"


@register.filter
def charger_url(charger) -> str:
    head, tail = _url_template("faults:charger")
    return f"{head}{quote(charger.charge_point_id, safe=URL_SAFE)}{tail}"


@register.filter
def iso(value) -> str:
    """An aware datetime as ISO 8601 (for datetime attributes and scripts)."""
    return value.isoformat() if value else ""


@register.filter
def stamp(value) -> str:
    """A datetime for people, in the current time zone: 2026-11-21 06:12 UTC."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
