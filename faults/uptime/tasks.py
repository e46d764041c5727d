"""Celery tasks of the uptime rollups (scheduled by beat, see config/settings.py)."""

from datetime import date, datetime, timedelta

from celery import shared_task

from chargers.models import Connector
from faults.uptime import rollups


@shared_task(name="faults.uptime.roll_up_recent", time_limit=1800, soft_time_limit=1700)
def roll_up_recent() -> int:
    return rollups.roll_up_recent()


@shared_task(name="faults.uptime.roll_up_dirty", time_limit=1800, soft_time_limit=1700)
def roll_up_dirty() -> int:
    return rollups.roll_up_dirty()


@shared_task(name="faults.uptime.mark_dirty", time_limit=60)
def mark_dirty(connector_id: int, start_iso: str, end_iso: str | None = None) -> None:
    """For callers that only send tasks by name: mark a port's range stale (ISO 8601 times)."""
    start = datetime.fromisoformat(start_iso)
    end = datetime.fromisoformat(end_iso) if end_iso else None
    rollups.mark_dirty(connector_id, start, end)


@shared_task(name="faults.uptime.recompute", time_limit=3600, soft_time_limit=3500)
def recompute(first_day: str, last_day: str) -> int:
    """Recompute every port's rollups for local days first..last (ISO dates): a backfill after
    installing, or after changing caps or hours of operation."""
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    written = 0
    # A month at a time keeps each transaction and its memory bounded.
    while first <= last:
        month_end = min(last, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
        written += rollups.roll_up(Connector.objects.all(), first, month_end)
        first = month_end + timedelta(days=1)
    return written
