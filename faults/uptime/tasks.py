"""Celery tasks of the uptime rollups (scheduled by beat, see config/settings.py)."""

from datetime import datetime

from celery import shared_task

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
