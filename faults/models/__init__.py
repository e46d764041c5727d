from faults.models.episode import EpisodeKind, EpisodeReport, FaultEpisode
from faults.models.playbook_run import PlaybookRun, PlaybookRunStep, RunOutcome, SitePhoto

__all__ = [
    "EpisodeKind",
    "EpisodeReport",
    "FaultEpisode",
    "PlaybookRun",
    "PlaybookRunStep",
    "RunOutcome",
    "SitePhoto",
]
