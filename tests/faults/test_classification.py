"""Every episode is translated through the knowledge base, and again when the knowledge changes."""

from faults import tasks
from faults.models import FaultEpisode
from knowledgebase.models import CodeEntry, UnknownCode
from knowledgebase.vocabulary import Category, EntryScope, Responsible, Severity
from tests.faults.conftest import at, committed, port, report


def test_an_episode_carries_the_translation_and_why_it_matched(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "OtherError", vendor_error_code="F400: EMERGENCY_STOP_BUTTON_1")

    episode = FaultEpisode.objects.get(connector=one)
    assert episode.category == Category.EMERGENCY_STOP
    assert episode.responsible == Responsible.SITE_STAFF
    assert episode.escalation_responsible == Responsible.VENDOR_SERVICE
    assert episode.meaning == "Its emergency stop button was pressed"
    assert episode.next_action == "Release the button and reset the charger"
    assert episode.playbook_id == knowledge["estop_playbook"].pk
    assert episode.playbook_name == "Emergency stop pressed"
    assert episode.knowledge_entry_id == knowledge["estop"].pk
    assert episode.matched_by == "text_pattern"
    assert "emergency stop" in episode.match_reason


def test_e_stops_in_several_vendors_phrasings_are_all_emergency_stops(charger, knowledge):
    phrasings = [
        {"vendor_error_code": "F400: EMERGENCY_STOP_BUTTON_1"},
        {"info": "[42300]Emergency stop button pressed"},
        {"vendor_error_code": "E-STOP", "info": "pressed"},
        {"info": "Not-Aus betätigt"},
    ]
    for number, fields in enumerate(phrasings):
        connector = port(charger, 0) if number % 2 == 0 else port(charger, 1)
        report(connector, "Faulted", at(number * 100), "OtherError", **fields)
        report(connector, "Available", at(number * 100 + 50))
    episodes = FaultEpisode.objects.order_by("opened_at")
    assert [e.category for e in episodes] == [Category.EMERGENCY_STOP] * 4
    assert {e.responsible for e in episodes} == {Responsible.SITE_STAFF}


def test_text_that_merely_mentions_stop_is_not_an_e_stop(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "OtherError", info="Charging stop requested by emergency services app")
    assert FaultEpisode.objects.get(connector=one).category != Category.EMERGENCY_STOP


def test_an_unknown_code_is_queued_for_the_knowledge_base_admins(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "", vendor_error_code="0x6012", info="DC output module Vol abnormal")

    episode = FaultEpisode.objects.get(connector=one)
    assert episode.matched_by == "unknown" and episode.category == Category.UNKNOWN
    unknown = UnknownCode.objects.get()
    assert unknown.code == "0x6012"
    assert unknown.charge_point_ids == ["CP-7"]


def test_open_episodes_are_translated_again_when_the_knowledge_base_changes(charger, knowledge):
    one = port(charger, 1)
    report(one, "Faulted", at(0), "OtherError", vendor_error_code="0x6012")
    assert FaultEpisode.objects.get(connector=one).category == Category.OTHER

    CodeEntry.objects.create(
        scope=EntryScope.MANUFACTURER,
        manufacturer=_manufacturer(),
        code="0x6012",
        meaning="A DC output module reports an abnormal voltage",
        category=Category.POWER_MODULE,
        severity=Severity.FAULT,
        responsible=Responsible.VENDOR_SERVICE,
    )
    assert committed(tasks.reclassify, recent_hours=10**6) == 1

    episode = FaultEpisode.objects.get(connector=one)
    assert episode.category == Category.POWER_MODULE
    assert episode.responsible == Responsible.VENDOR_SERVICE
    assert "classified" in [change.action for change in episode.changes.all()]
    # Nothing changed since: the next run has nothing to do.
    assert committed(tasks.reclassify, recent_hours=10**6) == 0


def _manufacturer():
    from knowledgebase.models import Manufacturer

    return Manufacturer.objects.create(name="Acme Charging")
