"""Episode building: status reports and device events, folded into episodes at event time.

A port's episodes follow its StatusReports in event order. Reports normally arrive in order and are
folded in one by one; a report older than what was already folded in (queued while offline, or a task
delivered late) makes the port's episodes be rebuilt from its history from that point on. Both paths
hold a row lock on the connector, so two workers never fold the same port at once.
"""

from dataclasses import dataclass, field

from chargers.models import Connector, DeviceEvent, StatusReport
from faults import actions
from faults.models import EpisodeKind, FaultEpisode, PortCursor

FAULTED = "Faulted"
NO_ERROR = {"", "NoError"}
# 2.0.1 NotifyEvent variables whose "true" means a problem and "false" (or cleared) its end.
PROBLEM_VARIABLES = {"Problem", "Tripped"}


def kind_of(report: StatusReport) -> str | None:
    """What a report means for the port: a fault, a warning, or (None) nothing wrong."""
    if report.status == FAULTED:
        return EpisodeKind.FAULT
    if report.error_code not in NO_ERROR:
        return EpisodeKind.WARNING
    return None


def _status_episodes(connector: Connector):
    # Episodes built from status reports (not 2.0.1 device events, not offline periods).
    return FaultEpisode.objects.filter(
        connector=connector, kind__in=[EpisodeKind.FAULT, EpisodeKind.WARNING], open_event__isnull=True
    )


def fold_status_report(report_id: int) -> None:
    """Fold one stored StatusReport into its port's episodes (call inside a transaction)."""
    report = StatusReport.objects.filter(pk=report_id).first()
    if report is None:
        return
    connector = Connector.objects.select_for_update().get(pk=report.connector_id)
    cursor = PortCursor.objects.filter(connector=connector).first()
    if cursor is not None and not cursor.is_after(report):
        rebuild_port(connector, since=report.event_at)
        return
    _step(connector, report)
    if cursor is None:
        PortCursor.objects.create(
            connector=connector, last_event_at=report.event_at, last_report_id=report.pk
        )
    else:
        cursor.last_event_at, cursor.last_report_id = report.event_at, report.pk
        cursor.save(update_fields=["last_event_at", "last_report_id"])


def _step(connector: Connector, report: StatusReport) -> None:
    """Apply one in-order report to the port's open status episode."""
    current = _status_episodes(connector).filter(closed_at=None).order_by("-opened_at").first()
    wanted = kind_of(report)
    if current is not None and current.kind == wanted:
        actions.add_report(current, report=report)
        return
    if current is not None:
        actions.close_fault(current, closed_at=report.event_at, report=report)
    if wanted is not None:
        actions.open_fault(connector, opened_at=report.event_at, kind=wanted, report=report)


@dataclass
class _Segment:
    kind: str
    reports: list = field(default_factory=list)
    close_report: StatusReport | None = None


def replay(reports: list[StatusReport]) -> list[_Segment]:
    """The episodes a port's reports describe, in event order (a pure function of the reports)."""
    segments: list[_Segment] = []
    current: _Segment | None = None
    for report in reports:
        wanted = kind_of(report)
        if current is not None and current.kind == wanted:
            current.reports.append(report)
            continue
        if current is not None:
            current.close_report = report
            current = None
        if wanted is not None:
            current = _Segment(kind=wanted, reports=[report])
            segments.append(current)
    return segments


def rebuild_port(connector: Connector, *, since) -> None:
    """Rebuild the port's status episodes from its report history from `since` on (idempotent).

    The caller holds the connector's row lock.
    """
    episodes = _status_episodes(connector)
    covering = (
        episodes.filter(opened_at__lte=since).exclude(closed_at__lt=since).order_by("opened_at").first()
    )
    start = covering.opened_at if covering is not None else since
    existing = {episode.open_report_id: episode for episode in episodes.filter(opened_at__gte=start)}
    reports = list(
        StatusReport.objects.filter(connector=connector, event_at__gte=start).order_by("event_at", "id")
    )
    for segment in replay(reports):
        opener = segment.reports[0]
        close_report = segment.close_report
        closed_at = close_report.event_at if close_report is not None else None
        episode = existing.pop(opener.pk, None)
        if episode is not None and episode.kind != segment.kind:
            actions.discard_episode(episode)
            episode = None
        if episode is None:
            episode = actions.open_fault(
                connector, opened_at=opener.event_at, kind=segment.kind, report=opener
            )
            for report in segment.reports[1:]:
                actions.add_report(episode, report=report)
            if close_report is not None:
                actions.close_fault(episode, closed_at=closed_at, report=close_report)
        else:
            actions.reshape_episode(
                episode, closed_at=closed_at, close_report=close_report, reports=segment.reports
            )
    for leftover in existing.values():
        actions.discard_episode(leftover)
    if reports:
        last = reports[-1]
        PortCursor.objects.update_or_create(
            connector=connector, defaults={"last_event_at": last.event_at, "last_report_id": last.pk}
        )


# --- OCPP 2.0.1 NotifyEvent ----------------------------------------------------------------------


def _is_raise(event: DeviceEvent) -> bool | None:
    """True for a raised problem, False for its clear, None for events that are not about problems."""
    if event.variable_name not in PROBLEM_VARIABLES:
        return None
    if event.cleared:
        return False
    return event.actual_value.strip().lower() == "true"


def _pairs_with(event: DeviceEvent) -> dict:
    return {
        "source_component": event.component_name,
        "source_variable": event.variable_name,
    }


def fold_device_event(event_id: int) -> None:
    """Open or close the episode a 2.0.1 Problem/Tripped event raises or clears (in a transaction)."""
    event = DeviceEvent.objects.select_related("charger").filter(pk=event_id).first()
    if event is None:
        return
    raised = _is_raise(event)
    if raised is None:
        return
    connector = event.connector or actions.whole_charger(event.charger)
    Connector.objects.select_for_update().get(pk=connector.pk)
    episodes = FaultEpisode.objects.filter(
        connector=connector, open_event__isnull=False, **_pairs_with(event)
    )
    if episodes.filter(open_event=event).exists() or episodes.filter(close_event=event).exists():
        return  # delivered twice
    if raised:
        if episodes.filter(closed_at=None).exists():
            actions.add_report(episodes.filter(closed_at=None).get(), event=event)
            return
        episode = actions.open_fault(connector, opened_at=event.event_at, event=event)
        # Queued events can arrive in any order: a clear already stored after this raise ends it.
        clear = (
            DeviceEvent.objects.filter(
                charger=event.charger,
                connector=event.connector,
                component_name=event.component_name,
                variable_name=event.variable_name,
                event_at__gte=event.event_at,
            )
            .exclude(pk=event.pk)
            .order_by("event_at", "id")
        )
        for candidate in clear:
            if _is_raise(candidate) is False:
                actions.close_fault(episode, closed_at=candidate.event_at, event=candidate)
                break
        return
    episode = episodes.filter(closed_at=None, opened_at__lte=event.event_at).order_by("-opened_at").first()
    if episode is not None:
        actions.close_fault(episode, closed_at=event.event_at, event=event)
    # A clear for a problem never seen raised (raised before Faultline knew the charger, or lost):
    # nothing to close, and the event itself stays in the log.
