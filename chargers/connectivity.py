"""Online and offline: any message is a sign of life; silence past interval + grace or a closed
socket is offline. Each transition is a ConnectivityChange row, announced after commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from chargers import announce, live
from chargers.models import Charger, ConnectivityChange
from chargers.protocol.group_commit import after_commit

SOCKET_OPENED = "socket opened"
SOCKET_CLOSED = "socket closed"
TRAFFIC_RESUMED = "traffic resumed"


def silence_limit(charger: Charger) -> timedelta:
    interval = charger.heartbeat_interval or settings.OCPP_HEARTBEAT_INTERVAL
    return timedelta(seconds=interval + settings.OCPP_OFFLINE_GRACE)


def last_seen_write_spacing() -> timedelta:
    """How stale last_seen_at may get before a message rewrites it: well inside the offline limit."""
    limit = settings.OCPP_HEARTBEAT_INTERVAL + settings.OCPP_OFFLINE_GRACE
    return timedelta(seconds=min(30.0, limit / 4))


def _latest_online(charger_id: int) -> bool | None:
    return (
        ConnectivityChange.objects.filter(charger_id=charger_id)
        .order_by("-at", "-id")
        .values_list("online", flat=True)
        .first()
    )


def _transition(charger: Charger, online: bool, at: datetime, reason: str) -> ConnectivityChange | None:
    if _latest_online(charger.pk) is online:
        return None
    change = ConnectivityChange.objects.create(charger=charger, at=at, online=online, reason=reason)
    after_commit(lambda: announce.announce(announce.CONNECTIVITY_CHANGED, change.pk))
    live.publish_on_commit(
        [live.DASHBOARD_GROUP, live.charger_group(charger.charge_point_id)],
        {"event": "charger.online", "charge_point_id": charger.charge_point_id, "online": online},
    )
    return change


def _locked(charger_id: int) -> Charger:
    # Transitions of one charger are serialised: the server and the sweep may race.
    return (
        Charger.objects.select_for_update().only("id", "charge_point_id", "last_seen_at").get(pk=charger_id)
    )


def saw(charger_id: int, at: datetime, reason: str = TRAFFIC_RESUMED) -> None:
    """A sign of life (call inside the frame's transaction)."""
    charger = _locked(charger_id)
    charger.last_seen_at = at
    charger.save(update_fields=["last_seen_at"])
    _transition(charger, True, at, reason)


def connected(charger_id: int, channel_name: str, at: datetime, version: str) -> None:
    with transaction.atomic():
        charger = _locked(charger_id)
        charger.last_seen_at = at
        charger.connection_channel = channel_name
        charger.ocpp_version = version
        charger.save(update_fields=["last_seen_at", "connection_channel", "ocpp_version"])
        _transition(charger, True, at, SOCKET_OPENED)


def disconnected(charger_id: int, channel_name: str, at: datetime) -> None:
    """The socket closed. A newer socket of the same charger may already be open: then nothing changed."""
    with transaction.atomic():
        charger = Charger.objects.select_for_update().get(pk=charger_id)
        if charger.connection_channel != channel_name:
            return
        charger.connection_channel = ""
        charger.save(update_fields=["connection_channel"])
        _transition(charger, False, at, SOCKET_CLOSED)


def mark_silent_offline(charger_id: int, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        charger = Charger.objects.select_for_update().get(pk=charger_id)
        if charger.last_seen_at is None or now - charger.last_seen_at <= silence_limit(charger):
            return False
        seconds = int((now - charger.last_seen_at).total_seconds())
        # The charger went quiet when it was last heard, not when the sweep noticed.
        at = charger.last_seen_at + silence_limit(charger)
        return _transition(charger, False, min(at, now), f"no traffic for {seconds} s") is not None


def silent_online_charger_ids(now: datetime | None = None) -> list[int]:
    """Chargers last known online and silent longer than the shortest interval + grace in use.

    mark_silent_offline() applies each charger's own limit; this keeps the candidate list short.
    """
    now = now or timezone.now()
    shortest = Charger.objects.aggregate(shortest=Min("heartbeat_interval"))["shortest"]
    interval = min(shortest or settings.OCPP_HEARTBEAT_INTERVAL, settings.OCPP_HEARTBEAT_INTERVAL)
    cutoff = now - timedelta(seconds=interval + settings.OCPP_OFFLINE_GRACE)
    latest = ConnectivityChange.objects.filter(charger=OuterRef("pk")).order_by("-at", "-id")
    return list(
        Charger.objects.filter(last_seen_at__lt=cutoff)
        .annotate(latest_online=Subquery(latest.values("online")[:1]))
        .filter(latest_online=True)
        .values_list("id", flat=True)
    )


def sweep_silent_chargers(now: datetime | None = None) -> int:
    """Mark offline every charger still online whose silence outlasted its limit; returns how many."""
    now = now or timezone.now()
    return sum(mark_silent_offline(charger_id, now) for charger_id in silent_online_charger_ids(now))
