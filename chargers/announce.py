"""What the chargers app announces once a write has committed.

chargers knows nothing of faults: it sends Celery tasks *by name* after commit, and the faults app
registers tasks under these names (`@shared_task(name=STATUS_REPORTED)`). The channel layer is only
for live pages; anything that must not be lost is in the database before it is announced.
"""

import threading
from contextlib import contextmanager

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
# Several of the above in one message: ([[name, [args…]], …],), run in that order by one worker.
ANNOUNCEMENTS = "faults.announcements"

_gathering = threading.local()


def announce(name: str, *args) -> None:
    """Send task `name` with `args` after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send(name, args))


def _send(name: str, args: tuple) -> None:
    pending = getattr(_gathering, "pending", None)
    if pending is None:
        current_app.send_task(name, args=args)
    else:
        pending.append([name, list(args)])


@contextmanager
def gathered():
    """Announcements made inside leave together on exit: one broker message instead of one each.

    A batch of frames committed together announces a few hundred tasks; sending each costs a
    broker round trip and more time than the work the server did to store its frame.
    """
    _gathering.pending = pending = []
    try:
        yield
    finally:
        _gathering.pending = None
        if len(pending) == 1:
            current_app.send_task(pending[0][0], args=pending[0][1])
        elif pending:
            current_app.send_task(ANNOUNCEMENTS, args=(pending,))
