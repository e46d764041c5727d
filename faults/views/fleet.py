"""Charger and site pages: what each port is doing now, and the episodes behind it."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from chargers.models import Charger, Command, ConnectivityChange, Connector, Site
from faults.models import FaultEpisode, SiteIncident
from faults.views.actions import quick_actions_for
from faults.views.uptime_pages import uptime_sparkline

RECENT_EPISODES = 20
RECENT_COMMANDS = 10
RECENT_INCIDENTS = 10


def is_online(charger: Charger, last_change: ConnectivityChange | None, now=None) -> bool:
    """Online is derived: a sign of life within the heartbeat interval plus grace, and no later close."""
    now = now or timezone.now()
    if charger.last_seen_at is None:
        return False
    if last_change is not None and not last_change.online and last_change.at >= charger.last_seen_at:
        return False
    interval = charger.heartbeat_interval or settings.OCPP_HEARTBEAT_INTERVAL
    return now - charger.last_seen_at <= timedelta(seconds=interval + settings.OCPP_OFFLINE_GRACE)


def _summary_for(subject) -> str:
    # The plain-language summaries are the fault engineer's (faults/summary.py); without them the
    # page shows nothing rather than an invented sentence.
    try:
        from faults import summary
    except ImportError:
        return ""
    describe = summary.site_summary if isinstance(subject, Site) else summary.charger_summary
    return describe(subject)


@permission_required("chargers.view_charger", raise_exception=True)
def charger_detail(request, charge_point_id):
    """One charger: identity, ports with live status, open and recent episodes, remote actions."""
    charger = get_object_or_404(Charger.objects.select_related("site"), charge_point_id=charge_point_id)
    connectors = list(charger.connectors.all())
    last_change = charger.connectivity_changes.order_by("-at", "-id").first()
    episodes = list(
        FaultEpisode.objects.filter(charger=charger).select_related("connector")[:RECENT_EPISODES]
    )
    open_episodes = [episode for episode in episodes if episode.is_open]
    context = {
        "charger": charger,
        "connectors": connectors,
        "online": is_online(charger, last_change),
        "last_change": last_change,
        "open_episodes": open_episodes,
        "recent_episodes": [episode for episode in episodes if not episode.is_open],
        "commands": Command.objects.filter(charger=charger).select_related("requested_by")[:RECENT_COMMANDS],
        "summary": _summary_for(charger),
        "uptime_chart": uptime_sparkline(charger.connectors.all()),
        "quick_actions": quick_actions_for(charger, None)
        if request.user.has_perm("chargers.send_command")
        else [],
        "port_actions": [
            (connector, quick_actions_for(charger, None, connector, only_per_port=True))
            for connector in connectors
            if not connector.is_whole_charger
        ]
        if request.user.has_perm("chargers.send_command")
        else [],
    }
    return render(request, "faults/charger.html", context)


@permission_required("chargers.view_site", raise_exception=True)
def site_detail(request, pk):
    """One site at a glance: a tile per port, the site's open episodes."""
    site = get_object_or_404(Site, pk=pk)
    chargers = list(
        site.chargers.prefetch_related(
            Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id"))
        )
    )
    open_episodes = list(
        FaultEpisode.objects.filter(charger__site=site, closed_at__isnull=True)
        .select_related("charger", "connector")
        .order_by("-opened_at")
    )
    faulted_ports = {episode.connector_id for episode in open_episodes if not episode.is_phantom}
    context = {
        "site": site,
        "summary": _summary_for(site),
        "uptime_chart": uptime_sparkline(Connector.objects.filter(charger__site=site)),
        "incidents": SiteIncident.objects.filter(site=site).order_by("-opened_at")[:RECENT_INCIDENTS],
        "chargers": chargers,
        "open_episodes": open_episodes,
        "faulted_ports": faulted_ports,
    }
    return render(request, "faults/site.html", context)


@permission_required("chargers.view_site", raise_exception=True)
def site_list(request):
    """Every site, with how many chargers it has and how many real faults are open there."""
    open_real = Q(chargers__episodes__closed_at__isnull=True, chargers__episodes__is_phantom=False)
    sites = Site.objects.annotate(
        charger_count=Count("chargers", distinct=True),
        open_faults=Count("chargers__episodes", filter=open_real, distinct=True),
    ).order_by("name")
    return render(request, "faults/site_list.html", {"sites": sites})
