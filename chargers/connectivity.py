"""Online and offline: any message is a sign of life; silence past interval + grace or a closed
socket is offline. Each transition is a ConnectivityChange row, announced after commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from chargers import announce, live
from chargers.models import Charger, ConnectivityChange
from chargers.protocol import bulk_insert, group_commit
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
    _tell(change, charger.charge_point_id)
    return change


def _tell(change: ConnectivityChange, charge_point_id: str) -> None:
    after_commit(lambda: announce.announce(announce.CONNECTIVITY_CHANGED, change.pk))
    live.publish_on_commit(
        [live.DASHBOARD_GROUP],
        {"event": "charger.online", "charge_point_id": charge_point_id, "online": change.online},
    )


def _locked(charger_id: int) -> Charger:
    # Transitions of one charger are serialised: the server and the sweep may race.
    return (
        Charger.objects.select_for_update().only("id", "charge_point_id", "last_seen_at").get(pk=charger_id)
    )


def saw(charger_id: int, at: datetime, reason: str = TRAFFIC_RESUMED) -> None:
    """A sign of life (call inside the frame's transaction)."""
    if _gathering():
        _gather(charger_id, at, reason)
        return
    charger = _locked(charger_id)
    charger.last_seen_at = at
    charger.save(update_fields=["last_seen_at"])
    _transition(charger, True, at, reason)


def connected(charger_id: int, channel_name: str, at: datetime, version: str) -> None:
    if _gathering():
        _gather(charger_id, at, SOCKET_OPENED, channel_name, version)
        return
    # No savepoint inside a group commit: should this fail, the batch is retried write by write.
    with transaction.atomic(savepoint=False):
        charger = _locked(charger_id)
        charger.last_seen_at = at
        charger.connection_channel = channel_name
        charger.ocpp_version = version
        charger.save(update_fields=["last_seen_at", "connection_channel", "ocpp_version"])
        _transition(charger, True, at, SOCKET_OPENED)


def disconnected(charger_id: int, channel_name: str, at: datetime) -> None:
    """The socket closed. A newer socket of the same charger may already be open: then nothing changed."""
    if _gathering():
        _gather_closing(charger_id, channel_name, at)
        return
    with transaction.atomic(savepoint=False):
        charger = Charger.objects.select_for_update().get(pk=charger_id)
        if charger.connection_channel != channel_name:
            return
        charger.connection_channel = ""
        charger.save(update_fields=["connection_channel"])
        _transition(charger, False, at, SOCKET_CLOSED)


# --- Signs of life gathered over a group commit (PostgreSQL) ------------------------------------
# A reconnect storm closes and opens thousands of sockets and the traffic after it renews thousands
# of last_seen_at: per charger that is a locked read, an update and a look at the latest transition.
# Inside a group commit they are gathered and applied in a few statements for the whole batch:
# sockets closed first (a socket opened after its charger's close is the newer one), then openings
# and traffic.


def _gathering() -> bool:
    return group_commit.in_batch() and bulk_insert.uses_copy()


def _gather(charger_id: int, at: datetime, reason: str, channel: str | None = None, version=None) -> None:
    gathered = group_commit.batch_memo("signs_of_life", dict)
    earlier = gathered.get(charger_id)
    if earlier is not None:
        at = max(at, earlier[0])
        if channel is None and earlier[2] is not None:
            # A socket opening in the same batch says more than the traffic after it.
            reason, channel, version = earlier[1], earlier[2], earlier[3]
    gathered[charger_id] = (at, reason, channel, version)
    group_commit.at_batch_end(_apply_gathered)


def _gather_closing(charger_id: int, channel: str, at: datetime) -> None:
    opened = group_commit.batch_memo("signs_of_life", dict).get(charger_id)
    if opened is not None and opened[2] is not None and opened[2] != channel:
        return  # the charger's newer socket opened earlier in this batch: this close changes nothing
    group_commit.batch_memo("closings", dict)[charger_id] = (channel, at)
    group_commit.at_batch_end(_apply_gathered)


_CLOSE = """
    UPDATE {table} AS charger SET connection_channel = ''
    FROM {rows} AS closed (id, channel)
    WHERE charger.id = closed.id AND charger.connection_channel = closed.channel
    RETURNING charger.id, charger.charge_point_id
"""
_CLOSE_TYPES = ("bigint", "varchar")


_RENEW = """
    UPDATE {table} AS charger SET
        last_seen_at = seen.at,
        connection_channel = COALESCE(seen.channel, charger.connection_channel),
        ocpp_version = COALESCE(seen.version, charger.ocpp_version)
    FROM {rows} AS seen (id, at, channel, version)
    WHERE charger.id = seen.id
    RETURNING charger.id, charger.charge_point_id
"""
_RENEW_TYPES = ("bigint", "timestamptz", "varchar", "varchar")
_LATEST = """
    SELECT seen.id, (
        SELECT change.online FROM {table} AS change WHERE change.charger_id = seen.id
        ORDER BY change.at DESC, change.id DESC LIMIT 1
    )
    FROM unnest(%s::bigint[]) AS seen (id)
"""


def _apply_gathered() -> None:
    closings = group_commit.batch_memo("closings", dict)
    gathered = group_commit.batch_memo("signs_of_life", dict)
    if not closings and not gathered:
        return
    table = Charger._meta.db_table
    closed_names, names = {}, {}
    # Rows in id order, the same in every batch: row locks are taken alike.
    if closings:
        rows = [(charger_id, closings[charger_id][0]) for charger_id in sorted(closings)]
        closed_names = dict(bulk_insert.update_from_rows(_CLOSE, _CLOSE_TYPES, rows, table=table))
    if gathered:
        rows = [(charger_id, *_without_reason(gathered[charger_id])) for charger_id in sorted(gathered)]
        names = dict(bulk_insert.update_from_rows(_RENEW, _RENEW_TYPES, rows, table=table))
    with connection.cursor() as cursor:
        cursor.execute(
            _LATEST.format(table=ConnectivityChange._meta.db_table), [sorted({*closed_names, *names})]
        )
        latest = dict(cursor.fetchall())
    for charger_id, charge_point_id in closed_names.items():
        if latest.get(charger_id) is not False:
            _record_change(charger_id, charge_point_id, False, closings[charger_id][1], SOCKET_CLOSED)
            latest[charger_id] = False
    for charger_id, charge_point_id in names.items():
        if latest.get(charger_id) is not True:
            at, reason, _, _ = gathered[charger_id]
            _record_change(charger_id, charge_point_id, True, at, reason)


def _without_reason(sign: tuple) -> tuple:
    at, _, channel, version = sign
    return at, channel, version


def _record_change(charger_id: int, charge_point_id: str, online: bool, at: datetime, reason: str) -> None:
    change = ConnectivityChange(charger_id=charger_id, at=at, online=online, reason=reason)
    group_commit.insert_with_batch(change)
    _tell(change, charge_point_id)


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
