from faults.models.alerts import (
    AlertChannel,
    AlertContact,
    AlertDelivery,
    AlertKind,
    DeliveryState,
    SiteDigest,
)
from faults.models.episode import EpisodeChange, EpisodeKind, EpisodeReport, FaultEpisode, PortCursor
from faults.models.incident import IncidentCause, SiteIncident
from faults.models.phantom import SAFETY_ERROR_CODES, PhantomRule, RuleContext
from faults.models.playbook_run import PlaybookRun, PlaybookRunStep, RunOutcome, SitePhoto
from faults.models.uptime import AuditAction, DirtyUptimeRange, Exclusion, ExclusionAudit, PortDayRollup

__all__ = [
    "AuditAction",
    "DirtyUptimeRange",
    "Exclusion",
    "ExclusionAudit",
    "PortDayRollup",
    "SAFETY_ERROR_CODES",
    "AlertChannel",
    "AlertContact",
    "AlertDelivery",
    "AlertKind",
    "DeliveryState",
    "EpisodeChange",
    "EpisodeKind",
    "EpisodeReport",
    "FaultEpisode",
    "IncidentCause",
    "PhantomRule",
    "PlaybookRun",
    "PlaybookRunStep",
    "RunOutcome",
    "SitePhoto",
    "PortCursor",
    "RuleContext",
    "SiteDigest",
    "SiteIncident",
]
