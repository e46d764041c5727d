from faults.models.episode import EpisodeKind, EpisodeReport, FaultEpisode

__all__ = ["EpisodeKind", "EpisodeReport", "FaultEpisode"]
