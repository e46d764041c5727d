"""Periodic work of the chargers app."""

from celery import shared_task

from chargers import connectivity, retention

SWEEP_SILENT_CHARGERS = "chargers.sweep_silent_chargers"


@shared_task(name=SWEEP_SILENT_CHARGERS, time_limit=120, soft_time_limit=100)
def sweep_silent_chargers() -> int:
    return connectivity.sweep_silent_chargers()


CREATE_MESSAGE_LOG_PARTITIONS = "chargers.create_message_log_partitions"
APPLY_MESSAGE_LOG_RETENTION = "chargers.apply_message_log_retention"


@shared_task(name=CREATE_MESSAGE_LOG_PARTITIONS, time_limit=300, soft_time_limit=240)
def create_message_log_partitions() -> int:
    return retention.ensure_partitions()


# A first run on a large backlog deletes many batches; later runs drop a day and purge one or two.
@shared_task(name=APPLY_MESSAGE_LOG_RETENTION, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def apply_message_log_retention() -> dict:
    retention.ensure_partitions()
    run = retention.apply_retention()
    return {"dropped_partitions": run.dropped_partitions, "deleted": run.deleted}
