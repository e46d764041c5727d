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


def _status_episodes(connector):
    # Episodes built from status reports (not 2.0.1 device events, not offline periods).
    return FaultEpisode.objects.filter(
        connector=connector, kind__in=[EpisodeKind.FAULT, EpisodeKind.WARNING], open_event__isnull=True
    )


def fold_status_report(report_id: int) -> None:
    """Fold one stored StatusReport into its port's episodes (call inside a transaction)."""
    report = StatusReport.objects.filter(pk=report_id).first()
    if report is None:
        return
    # The cursor's row lock serialises the port; its first report locks the connector instead.
    cursor = PortCursor.objects.select_for_update().filter(connector_id=report.connector_id).first()
    if cursor is None:
        Connector.objects.select_for_update().get(pk=report.connector_id)
        cursor = PortCursor.objects.select_for_update().filter(connector_id=report.connector_id).first()
    if cursor is not None and not cursor.is_after(report):
        rebuild_port(report.connector, since=report.event_at, late=report)
        return
    if cursor is None:
        cursor = PortCursor(connector_id=report.connector_id)
    cursor.open_episode = _step(report, cursor.open_episode_id if cursor.pk else _open_status_episode(report))
    cursor.last_event_at, cursor.last_report_id = report.event_at, report.pk
    if cursor.pk:
        cursor.save(update_fields=["last_event_at", "last_report_id", "open_episode"])
    else:
        cursor.save()


def _open_status_episode(report: StatusReport) -> int | None:
    episode = _status_episodes(report.connector_id).filter(closed_at=None).order_by("-opened_at").first()
    return episode.pk if episode is not None else None


def _step(report: StatusReport, open_episode_id: int | None) -> FaultEpisode | None:
    """Apply one in-order report to the port's open status episode; return the one open after it."""
    wanted = kind_of(report)
    if open_episode_id is None and wanted is None:
        return None  # the common case: nothing was wrong and nothing is
    current = FaultEpisode.objects.filter(pk=open_episode_id).first() if open_episode_id else None
    if current is not None and current.kind == wanted:
        actions.add_report(current, report=report)
        return current
    if current is not None:
        actions.close_fault(current, closed_at=report.event_at, report=report)
    if wanted is None:
        return None
    return actions.open_fault(report.connector, opened_at=report.event_at, kind=wanted, report=report)


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


def _window(reports, late: StatusReport | None) -> tuple[list[StatusReport], bool]:
    """The reports a late one can change: up to the end of the run that follows it.

    A report's kind depends on itself alone, so a late report can only join or split the runs
    around it; the first report after the run that follows it starts afresh whatever came before.
    Returns the reports (the last one only ending what precedes it) and whether it stopped early.
    """
    window: list[StatusReport] = []
    following = None
    for report in reports:
        window.append(report)
        if late is None or (report.event_at, report.pk) <= (late.event_at, late.pk):
            continue
        if following is None:
            following = (kind_of(report),)
        elif kind_of(report) != following[0]:
            return window, True
    return window, False


def _overlapping(episodes: dict, kind: str, start, end) -> FaultEpisode | None:
    """An episode of `kind` among `episodes` whose span overlaps [start, end] (end None: still open)."""
    for episode in episodes.values():
        if episode.kind != kind:
            continue
        if (end is None or episode.opened_at <= end) and (
            episode.closed_at is None or episode.closed_at >= start
        ):
            return episode
    return None


def rebuild_port(connector: Connector, *, since, late: StatusReport | None = None) -> None:
    """Rebuild the port's status episodes from its report history from `since` on (idempotent).

    With `late` (a report folded in after later ones), only the stretch it can change is replayed.
    The caller holds the connector's row lock.
    """
    episodes = _status_episodes(connector)
    covering = (
        episodes.filter(opened_at__lte=since).exclude(closed_at__lt=since).order_by("opened_at").first()
    )
    start = covering.opened_at if covering is not None else since
    history = StatusReport.objects.filter(connector=connector, event_at__gte=start).order_by("event_at", "id")
    reports, stopped_early = _window(history.iterator(chunk_size=200), late)
    segments = replay(reports)
    if stopped_early:
        boundary = reports[-1]
        # The boundary report only ends the stretch; whatever it opens is outside it and unchanged.
        segments = [segment for segment in segments if segment.reports[0] is not boundary]
        inside = [report.pk for report in reports[:-1]]
        existing = {e.open_report_id: e for e in episodes.filter(open_report_id__in=inside)}
    else:
        existing = {e.open_report_id: e for e in episodes.filter(opened_at__gte=start)}
    kept = []
    for segment in segments:
        opener = segment.reports[0]
        close_report = segment.close_report
        closed_at = close_report.event_at if close_report is not None else None
        episode = existing.get(opener.pk)
        if episode is None or episode.kind != segment.kind:
            # Keep the row (its id, decisions and the work recorded against it) when one of the
            # same kind covered this stretch before the late report reshaped it.
            episode = _overlapping(existing, segment.kind, opener.event_at, closed_at)
        if episode is None:
            episode = actions.open_fault(
                connector, opened_at=opener.event_at, kind=segment.kind, report=opener
            )
            for report in segment.reports[1:]:
                actions.add_report(episode, report=report)
            if close_report is not None:
                actions.close_fault(episode, closed_at=closed_at, report=close_report)
        else:
            existing.pop(episode.open_report_id, None)
            actions.reshape_episode(
                episode, closed_at=closed_at, close_report=close_report, reports=segment.reports
            )
        kept.append(episode)
    for leftover in existing.values():
        successor = _overlapping(
            {e.pk: e for e in kept}, leftover.kind, leftover.opened_at, leftover.closed_at
        )
        actions.discard_episode(leftover, successor=successor)
    still_open = episodes.filter(closed_at=None).order_by("-opened_at").first()
    if reports and not stopped_early:
        last = reports[-1]
        PortCursor.objects.update_or_create(
            connector=connector,
            defaults={"last_event_at": last.event_at, "last_report_id": last.pk, "open_episode": still_open},
        )
    else:
        PortCursor.objects.filter(connector=connector).update(open_episode=still_open)


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
