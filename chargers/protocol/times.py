"""Time on the wire: OCPP dateTime values are UTC with a Z."""

from datetime import UTC, datetime


def wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
