"""Rows the dashboard tests build: episodes as the fault engine would leave them."""

from datetime import timedelta

from django.utils import timezone

from faults.models import FaultEpisode
from knowledgebase.vocabulary import Category, Responsible, Severity
from tests.factories import ChargerFactory, ConnectorFactory


def open_episode(charger=None, *, evse_id=1, minutes_ago=30, **fields) -> FaultEpisode:
    """An open, classified fault episode on a port (created directly: views only read them)."""
    charger = charger or ChargerFactory()
    connector = ConnectorFactory(charger=charger, evse_id=evse_id, status="Faulted")
    defaults = {
        "status": "Faulted",
        "error_code": "OtherError",
        "vendor_error_code": "0x6012",
        "info": "DC output module voltage abnormal",
        "category": Category.POWER_MODULE,
        "severity": Severity.FAULT,
        "responsible": Responsible.REMOTE_OPERATOR,
        "meaning": "The DC output module reported abnormal voltage while idle.",
        "next_action": "Reset the charger remotely; if it returns, call vendor service.",
    }
    defaults.update(fields)
    # Translated now, as the engine would have: the worker's "knowledge base changed, translate
    # again" pass (a test that loads the knowledge base sends it) must find nothing to redo here.
    defaults.setdefault("classified_at", timezone.now())
    return FaultEpisode.objects.create(
        charger=charger,
        connector=connector,
        opened_at=timezone.now() - timedelta(minutes=minutes_ago),
        **defaults,
    )
