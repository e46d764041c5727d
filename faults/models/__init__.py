from faults.models.episode import EpisodeKind, EpisodeReport, FaultEpisode
from faults.models.playbook_run import PlaybookRun, PlaybookRunStep, RunOutcome, SitePhoto
from faults.models.uptime import AuditAction, DirtyUptimeRange, Exclusion, ExclusionAudit, PortDayRollup

__all__ = [
    "AuditAction",
    "DirtyUptimeRange",
    "Exclusion",
    "ExclusionAudit",
    "PortDayRollup",
    "EpisodeKind",
    "EpisodeReport",
    "FaultEpisode",
    "PlaybookRun",
    "PlaybookRunStep",
    "RunOutcome",
    "SitePhoto",
]
