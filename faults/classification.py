"""The bridge to the knowledge base: what an episode's reports say, translated for people."""

from faults.models import FaultEpisode
from knowledgebase import translate as kb


def translate_fields(**fields) -> kb.Translation:
    """Translate one report given as keyword fields of knowledgebase.translate.Report."""
    return kb.translate(kb.Report(**fields))


def report_for(episode: FaultEpisode) -> kb.Report:
    """The knowledge base's Report for what the episode's latest report said."""
    charger = episode.charger
    connector = episode.connector
    fields = {
        "ocpp_version": charger.ocpp_version,
        "vendor": charger.vendor,
        "model": charger.model,
        "firmware": charger.firmware_version,
        "evse_id": connector.evse_id,
        "connector_id": connector.connector_id,
        "status": episode.status,
        "error_code": episode.error_code,
        "vendor_id": episode.vendor_id,
        "vendor_error_code": episode.vendor_error_code,
        "info": episode.info,
    }
    if episode.source_component:
        # A 2.0.1 NotifyEvent: its code and text travel as techCode / techInfo.
        fields.update(
            status="",
            component=episode.source_component,
            variable=episode.source_variable,
            tech_code=episode.vendor_error_code,
            tech_info=episode.info,
            vendor_error_code="",
            info="",
        )
    return kb.Report(**fields)


def translate_episode(episode: FaultEpisode) -> tuple[kb.Report, kb.Translation]:
    report = report_for(episode)
    return report, kb.translate(report)


def record_unknown(report: kb.Report, charge_point_id: str, when) -> None:
    kb.record_unknown(report, charge_point_id, when)
