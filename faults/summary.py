"""Plain-language summaries, written from the data: per charger, per site, and the daily digest."""

from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from chargers.models import Charger, Connector, Site
from faults.models import EpisodeKind, FaultEpisode
from knowledgebase.vocabulary import Responsible

# Who must act, most urgent hand first: people who can fix it on the spot come before a vendor visit.
ACTION_ORDER = [
    Responsible.SITE_STAFF,
    Responsible.ELECTRICIAN,
    Responsible.VENDOR_SERVICE,
    Responsible.REMOTE_OPERATOR,
    Responsible.DRIVER,
    Responsible.NONE,
]
WHO_CAN_DO_IT = {
    Responsible.DRIVER: "the driver can do it",
    Responsible.REMOTE_OPERATOR: "an operator can do it remotely",
    Responsible.SITE_STAFF: "anyone on site can do it",
    Responsible.ELECTRICIAN: "this needs an electrician",
    Responsible.VENDOR_SERVICE: "this needs the manufacturer's service",
}
SMALL_NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _number(value: int) -> str:
    return SMALL_NUMBERS[value] if 0 <= value < len(SMALL_NUMBERS) else str(value)


def _clock(moment: datetime, tz) -> str:
    local = timezone.localtime(moment, tz)
    if (timezone.localtime(timezone.now(), tz).date() - local.date()).days >= 1:
        return f"{local:%Y-%m-%d %H:%M}"
    return f"{local:%H:%M}"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text[:1].upper() + text[1:] if text else ""


def _codes(episode: FaultEpisode) -> str:
    if episode.vendor_error_code:
        return f"vendor code {episode.vendor_error_code}"
    if episode.error_code and episode.error_code != "NoError":
        return f"code {episode.error_code}"
    return ""


def _playbook_minutes(playbook_ids) -> dict[int, int]:
    from knowledgebase.models import PlaybookStep

    ids = [pid for pid in playbook_ids if pid]
    if not ids:
        return {}
    rows = (
        PlaybookStep.objects.filter(playbook_id__in=ids, estimated_minutes__isnull=False)
        .values("playbook_id")
        .annotate(minutes=Sum("estimated_minutes"))
    )
    return {row["playbook_id"]: row["minutes"] for row in rows}


def where(episode: FaultEpisode, ports: int) -> str:
    name = episode.charger.charge_point_id
    if episode.kind == EpisodeKind.OFFLINE:
        return f"{name} is offline"
    if episode.kind == EpisodeKind.WARNING:
        return f"{name} port {episode.connector.label} still charges but reports a warning"
    if episode.connector.is_whole_charger or ports <= 1:
        return f"{name} is down"
    return f"{name} port {episode.connector.label} is out of order"


def episode_sentence(episode: FaultEpisode, *, tz, ports: int = 1, minutes: dict | None = None) -> str:
    """One episode in words: where, what, since when, the code, then what to do and who does it."""
    meaning = _sentence(episode.meaning) or "it reports a fault the knowledge base cannot explain yet"
    meaning = meaning[:1].lower() + meaning[1:]
    codes = _codes(episode)
    text = f"{where(episode, ports)}: {meaning} at {_clock(episode.opened_at, tz)}"
    text += f" ({codes})." if codes else "."
    action = _sentence(episode.next_action)
    if action:
        who = WHO_CAN_DO_IT.get(episode.responsible, "")
        duration = (minutes or {}).get(episode.playbook_id)
        if who and duration:
            who += f" in {_number(duration)} minute{'s' if duration != 1 else ''}"
        text += f" {action}" + (f" — {who}." if who else ".")
    if episode.correlation_note:
        text += f" {_sentence(episode.correlation_note)}."
    return text


def _worst_first(episode: FaultEpisode):
    kind_rank = {EpisodeKind.FAULT: 0, EpisodeKind.OFFLINE: 1, EpisodeKind.WARNING: 2}
    return (
        kind_rank.get(episode.kind, 3),
        not episode.connector.is_whole_charger,
        ACTION_ORDER.index(episode.responsible) if episode.responsible in ACTION_ORDER else 99,
        episode.opened_at,
    )


def open_problems(chargers) -> list[FaultEpisode]:
    return list(
        FaultEpisode.objects.filter(charger__in=chargers, closed_at=None, is_phantom=False).select_related(
            "charger", "connector"
        )
    )


def charger_summary(charger: Charger) -> str:
    """What is wrong with a charger now, who must act and how, in one or two sentences."""
    tz = charger.site.tzinfo if charger.site_id else timezone.get_current_timezone()
    problems = sorted(open_problems([charger]), key=_worst_first)
    if not problems:
        filtered = FaultEpisode.objects.filter(
            charger=charger, is_phantom=True, opened_at__gte=timezone.now() - timedelta(hours=24)
        ).count()
        text = f"{charger.charge_point_id} is working: no open faults."
        if filtered:
            text += f" {filtered} phantom fault{'s' if filtered != 1 else ''} filtered in the last 24 hours."
        return text
    ports = charger.connectors.exclude(evse_id=0, connector_id=0).count()
    minutes = _playbook_minutes({episode.playbook_id for episode in problems})
    sentences = [episode_sentence(problems[0], tz=tz, ports=ports, minutes=minutes)]
    if len(problems) > 1:
        sentences.append(f"{len(problems) - 1} more open problem{'s' if len(problems) > 2 else ''} on it.")
    return " ".join(sentences)


def site_summary(site: Site) -> str:
    """The site in a few sentences: how many chargers need attention, any common cause, then each."""
    chargers = list(site.chargers.all())
    problems = open_problems(chargers)
    if not problems:
        return f"{site.name}: all {len(chargers)} chargers are working."
    affected = {episode.charger_id for episode in problems}
    lines = [f"{site.name}: {len(affected)} of {len(chargers)} chargers need attention."]
    incident = site.incidents.filter(closed_at=None).order_by("-opened_at").first()
    if incident is not None:
        lines.append(_sentence(incident.explanation) + ".")
    minutes = _playbook_minutes({episode.playbook_id for episode in problems})
    ports = dict(
        Connector.objects.filter(charger__in=chargers)
        .exclude(evse_id=0, connector_id=0)
        .values_list("charger_id")
        .annotate(count=Count("id"))
    )
    for episode in sorted(problems, key=lambda e: (ACTION_ORDER.index(e.responsible), e.opened_at)):
        lines.append(
            episode_sentence(episode, tz=site.tzinfo, ports=ports.get(episode.charger_id, 1), minutes=minutes)
        )
    return "\n".join(lines)


def daily_digest(site: Site, day) -> str:
    """What happened on the site during its local `day` and what is still open, by who must act."""
    tz = site.tzinfo
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=1)
    episodes = list(
        FaultEpisode.objects.filter(charger__site=site, opened_at__lt=end)
        .exclude(closed_at__lt=start)
        .exclude(kind=EpisodeKind.WARNING)
        .select_related("charger", "connector")
    )
    real = [episode for episode in episodes if not episode.is_phantom]
    phantom = len(episodes) - len(real)
    lines = [f"{site.name} — {day:%A %d %B %Y}"]
    if not real:
        lines.append("No faults: every charger worked all day.")
    minutes = _playbook_minutes({episode.playbook_id for episode in real})
    for who in ACTION_ORDER:
        mine = [episode for episode in real if episode.responsible == who]
        if not mine:
            continue
        lines.append("")
        lines.append(f"{Responsible(who).label}:")
        for episode in sorted(mine, key=lambda e: (e.closed_at is not None, e.opened_at)):
            state = (
                "still open" if episode.closed_at is None else f"cleared at {_clock(episode.closed_at, tz)}"
            )
            lines.append(f"- {episode_sentence(episode, tz=tz, minutes=minutes)} ({state})")
    if phantom:
        lines.append("")
        lines.append(f"{phantom} phantom fault{'s' if phantom != 1 else ''} filtered (kept for the record).")
    return "\n".join(lines)
