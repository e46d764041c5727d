"""Periodic work of the chargers app."""

from celery import shared_task

from chargers import connectivity

SWEEP_SILENT_CHARGERS = "chargers.sweep_silent_chargers"


@shared_task(name=SWEEP_SILENT_CHARGERS, time_limit=120, soft_time_limit=100)
def sweep_silent_chargers() -> int:
    return connectivity.sweep_silent_chargers()
