"""The bridge to the knowledge base: what an episode's reports say, translated for people."""

import importlib
import logging

from faults.models import FaultEpisode

log = logging.getLogger(__name__)


def _kb():
    # The knowledge base is its own app, built in parallel: until its translate module exists,
    # episodes keep the 'unknown' category instead of failing the whole pipeline.
    try:
        return importlib.import_module("knowledgebase.translate")
    except ImportError:
        log.warning("knowledgebase.translate is not available: episodes stay unclassified")
        return None


def translate_fields(**fields):
    """Translate one report given as keyword fields of knowledgebase.translate.Report; None if no KB."""
    kb = _kb()
    if kb is None:
        return None
    return kb.translate(kb.Report(**fields))


def report_for(episode: FaultEpisode, *, charger=None):
    """The knowledge base's Report for what the episode's latest report said."""
    kb = _kb()
    if kb is None:
        return None
    charger = charger or episode.charger
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


def translate_episode(episode: FaultEpisode):
    """(report, translation) for the episode, or (None, None) without a knowledge base."""
    report = report_for(episode)
    if report is None:
        return None, None
    return report, _kb().translate(report)


def record_unknown(report, charge_point_id: str, when) -> None:
    kb = _kb()
    if kb is not None:
        kb.record_unknown(report, charge_point_id, when)
