"""What the chargers app announces once a write has committed.

chargers knows nothing of faults: it sends Celery tasks *by name* after commit, and the faults app
registers tasks under these names (`@shared_task(name=STATUS_REPORTED)`). The channel layer is only
for live pages; anything that must not be lost is in the database before it is announced.
"""

from celery import current_app
from django.db import transaction

# Each name lists the task's positional arguments.
STATUS_REPORTED = "faults.status_reported"  # (status_report_id,)
DEVICE_EVENT_REPORTED = "faults.device_event_reported"  # (device_event_id,)
METER_VALUES_REPORTED = (
    "faults.meter_values_reported"  # (connector_id, first_sampled_at_iso, last_sampled_at_iso)
)
TRANSACTION_CHANGED = "faults.transaction_changed"  # (transaction_id,)  the Transaction row's pk
CONNECTIVITY_CHANGED = "faults.connectivity_changed"  # (connectivity_change_id,)
CHARGER_BOOTED = "faults.charger_booted"  # (charger_id, boot_at_iso)


def announce(name: str, *args) -> None:
    """Send task `name` with `args` after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: current_app.send_task(name, args=args))
