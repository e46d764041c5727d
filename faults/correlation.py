"""Correlation: one cause behind many episodes (a site incident), a code that keeps coming back on a
port (escalation), and a fault that follows one vehicle across ports (the vehicle side)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from chargers.models import Transaction
from faults import actions
from faults.models import EpisodeKind, FaultEpisode, IncidentCause, SiteIncident
from knowledgebase.vocabulary import Category

SUPPLY_CATEGORIES = {Category.VOLTAGE, Category.POWER_LOSS}
# Categories a vehicle can cause; a card reader or a local list never follows a car.
VEHICLE_CATEGORIES = {
    Category.EV_COMMUNICATION,
    Category.OVERCURRENT,
    Category.GROUND_FAULT,
    Category.CONNECTOR_LOCK,
    Category.ISOLATION,
    Category.OTHER,
    Category.UNKNOWN,
}


def suggest_cause(episodes: list[FaultEpisode]) -> tuple[str, str]:
    """A site-level cause and the sentence explaining it, from what the episodes have in common."""
    chargers = {episode.charger_id for episode in episodes}
    offline = [episode for episode in episodes if episode.kind == EpisodeKind.OFFLINE]
    supply = [episode for episode in episodes if episode.category in SUPPLY_CATEGORIES]
    ports = len({episode.connector_id for episode in episodes})
    if supply:
        return (
            IncidentCause.SUPPLY,
            f"{ports} ports on {len(chargers)} charger(s) reported supply trouble within minutes of each "
            "other: check the site's supply (utility, main breaker) before sending anyone to each charger.",
        )
    if offline and len(offline) == len(episodes):
        return (
            IncidentCause.NETWORK,
            f"{len(chargers)} chargers went offline together: the site's internet or router is the likely "
            "cause, or its power if they stay dark.",
        )
    if len(chargers) > 1:
        count = len(chargers)
        return (
            IncidentCause.SUPPLY,
            f"{ports} ports on {count} chargers faulted within minutes of each other: a common cause on "
            f"the site's supply is more likely than {count} separate failures.",
        )
    return (
        IncidentCause.UNKNOWN,
        f"{ports} ports of one charger faulted together: look at the charger as a whole first.",
    )


def correlate_site(episode: FaultEpisode) -> SiteIncident | None:
    """Group the episode with others of its site that opened within the incident window."""
    site_id = episode.charger.site_id
    if site_id is None or episode.is_phantom or episode.kind == EpisodeKind.WARNING:
        return None
    window = timedelta(seconds=settings.FAULTS_INCIDENT_WINDOW_SECONDS)
    # The caller holds the site's row lock, so two workers never open two incidents for one window.
    neighbours = list(
        FaultEpisode.objects.filter(
            charger__site_id=site_id,
            kind__in=[EpisodeKind.FAULT, EpisodeKind.OFFLINE],
            is_phantom=False,
            opened_at__range=(episode.opened_at - window, episode.opened_at + window),
        ).select_related("charger")
    )
    if len({neighbour.connector_id for neighbour in neighbours}) < settings.FAULTS_INCIDENT_MIN_PORTS:
        return None
    incident = next((n.incident for n in neighbours if n.incident_id is not None), None)
    cause, explanation = suggest_cause(neighbours)
    opened_at = min(neighbour.opened_at for neighbour in neighbours)
    if incident is None:
        incident = SiteIncident.objects.create(
            site_id=site_id, opened_at=opened_at, cause=cause, explanation=explanation
        )
    elif (incident.cause, incident.explanation, incident.opened_at) != (cause, explanation, opened_at):
        incident.cause, incident.explanation, incident.opened_at = cause, explanation, opened_at
        incident.save(update_fields=["cause", "explanation", "opened_at"])
    merged = {n.incident_id for n in neighbours if n.incident_id not in (None, incident.pk)}
    for neighbour in neighbours:
        actions.join_incident(neighbour, incident)
    # Two incidents that turn out to be one window: the ones left without episodes go.
    SiteIncident.objects.filter(pk__in=merged, episodes__isnull=True).delete()
    return incident


def close_finished_incident(incident: SiteIncident) -> None:
    """Close the incident when its last episode closes; drop it if merging left it empty."""
    ends = list(incident.episodes.values_list("closed_at", flat=True))
    if not ends:
        incident.delete()
    elif incident.closed_at is None and None not in ends:
        incident.closed_at = max(ends)
        incident.save(update_fields=["closed_at"])


def check_recurrence(episode: FaultEpisode) -> bool:
    """The same code on the same port again and again within the window: escalate."""
    if episode.kind != EpisodeKind.FAULT or episode.is_phantom or episode.escalated:
        return False
    if not (episode.error_code or episode.vendor_error_code or episode.knowledge_entry_id):
        return False
    since = episode.opened_at - timedelta(hours=settings.FAULTS_RECURRENCE_WINDOW_HOURS)
    same = Q(error_code=episode.error_code, vendor_error_code=episode.vendor_error_code)
    if episode.knowledge_entry_id is not None:
        same |= Q(knowledge_entry_id=episode.knowledge_entry_id)
    earlier = (
        FaultEpisode.objects.filter(
            same, connector_id=episode.connector_id, kind=EpisodeKind.FAULT, is_phantom=False
        )
        .filter(opened_at__gte=since, opened_at__lt=episode.opened_at)
        .count()
    )
    if earlier + 1 < settings.FAULTS_RECURRENCE_COUNT:
        return False
    code = episode.vendor_error_code or episode.error_code or episode.category
    return actions.escalate(
        episode,
        note=f"{code} came back {earlier + 1} times on this port within "
        f"{settings.FAULTS_RECURRENCE_WINDOW_HOURS} h: the first remedy is not holding.",
    )


def _transaction_at(episode: FaultEpisode) -> Transaction | None:
    return (
        Transaction.objects.filter(connector_id=episode.connector_id, started_at__lte=episode.opened_at)
        .exclude(id_tag="")
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=episode.opened_at))
        .order_by("-started_at")
        .first()
    )


def check_vehicle(episode: FaultEpisode) -> bool:
    """A fault that happened with the same idTag plugged in on other ports: the vehicle side."""
    if episode.kind != EpisodeKind.FAULT or episode.is_phantom or episode.category not in VEHICLE_CATEGORIES:
        return False
    session = _transaction_at(episode)
    if session is None:
        return False
    since = episode.opened_at - timedelta(hours=settings.FAULTS_RECURRENCE_WINDOW_HOURS)
    others = (
        Transaction.objects.filter(id_tag=session.id_tag, started_at__gte=since - timedelta(days=1))
        .exclude(connector_id=episode.connector_id)
        .exclude(connector=None)
    )
    ports = set()
    for other in others:
        end = other.stopped_at or episode.opened_at
        if FaultEpisode.objects.filter(
            connector_id=other.connector_id,
            kind=EpisodeKind.FAULT,
            is_phantom=False,
            opened_at__gte=max(other.started_at, since),
            opened_at__lte=end,
        ).exists():
            ports.add(other.connector_id)
    if not ports:
        return False
    return actions.suspect_vehicle(
        episode,
        note=f"The same vehicle (idTag {session.id_tag}) had faults on {len(ports) + 1} different ports: "
        "the vehicle side is the likely cause.",
    )


def correlate(episode: FaultEpisode) -> None:
    correlate_site(episode)
    check_vehicle(episode)
    check_recurrence(episode)
    # Re-read: correlating may have moved the episode into a neighbour's incident.
    incident = SiteIncident.objects.filter(episodes=episode).first()
    if incident is not None and episode.closed_at is not None:
        close_finished_incident(incident)
