"""Emergency stops hide in free text, in many spellings and languages; unrelated text never matches."""

import pytest

from knowledgebase.models import CodeEntry, TextPattern
from knowledgebase.translate import Report, translate
from knowledgebase.vocabulary import Category, EntryScope, Responsible

pytestmark = pytest.mark.django_db

PRESSED = [
    "F400: EMERGENCY_STOP_BUTTON_1",
    "[42300]Emergency stop button pressed",
    "Release emergency button and reset charger",
    "EMERGENCY STOP ACTIVATED",
    "EmergencyStopPressed",
    "emergency-stop",
    "E-Stop pressed",
    "ESTOP",
    "estop_triggered",
    "Emergency switch operated",
    "Emergency shutdown",
    "Emergency push button engaged",
    "Not-Aus betätigt",
    "NOTAUS",
    "Not-Aus-Taster gedrückt",
    "Nothalt ausgelöst",
    "Arrêt d'urgence activé",
    "ARRET URGENCE",
    "Bouton d'urgence enfoncé",
    "Noodstop ingedrukt",
    "NOODSTOPKNOP",
    "Parada de emergencia pulsada",
    "Seta de emergencia",
    "Arresto di emergenza premuto",
    "Pulsante di emergenza",
    "Nödstopp aktiverat",
    "Nødstop aktiveret",
    "Hätäseis painettu",
    "Wyłącznik awaryjny",
    "(1203) emergency stop",
]

NOT_PRESSED = [
    "StopReason:Local",
    "Emergency lighting test ok",
    "stopped charging by user",
    "Remote stop requested",
    "Stop button pressed",
    "StopTransaction accepted",
    "Emergency call service not configured",
    "DC output module Vol abnormal during idle time",
    "StopReason:GlobalInterlockFail",
    "Charger not Australian certified",
    "nodes stopped responding",
    "Estimated stop time 18:00",
    "Error(s) occurred in EVSE",
    "See logging for more information",
]


@pytest.mark.parametrize("text", PRESSED)
@pytest.mark.parametrize("connector_id", [0, 1, 2])
def test_it_recognises_an_emergency_stop_in_the_vendor_code(knowledge, text, connector_id):
    found = translate(
        Report(
            connector_id=connector_id, status="Faulted", error_code="OtherError", vendor_error_code=text[:50]
        )
    )
    assert found.category == Category.EMERGENCY_STOP, found.reason
    assert found.responsible == Responsible.SITE_STAFF
    assert "release the button and reset" in found.next_action.lower()


@pytest.mark.parametrize("text", PRESSED)
def test_it_recognises_an_emergency_stop_in_the_info_text(knowledge, text):
    found = translate(Report(connector_id=0, status="Faulted", error_code="OtherError", info=text))
    assert found.category == Category.EMERGENCY_STOP, found.reason
    assert found.matched_by in {"text_pattern", "manufacturer"}


@pytest.mark.parametrize("text", NOT_PRESSED)
def test_it_does_not_fire_on_unrelated_text(knowledge, text):
    found = translate(
        Report(
            connector_id=1, status="Faulted", error_code="OtherError", vendor_error_code=text[:50], info=text
        )
    )
    assert found.category != Category.EMERGENCY_STOP, found.reason


def test_standard_forms_of_an_emergency_stop_are_recognised(knowledge):
    forms = [
        Report(
            connector_id=0,
            vendor_id="https://chargex.inl.gov",
            error_code="OtherError",
            vendor_error_code="CX008",
        ),
        Report(connector_id=0, status="Faulted", vendor_id="com.evgo.mrec", vendor_error_code="A004"),
        Report(ocpp_version="2.0.1", evse_id=1, connector_id=1, stop_reason="EmergencyStop"),
        Report(ocpp_version="2.0.1", evse_id=0, tech_code="E-STOP", tech_info="Emergency stop pressed"),
    ]
    for report in forms:
        assert translate(report).category == Category.EMERGENCY_STOP, report


def test_a_dying_gasp_is_a_power_loss(knowledge):
    found = translate(
        Report(connector_id=0, status="Faulted", error_code="OtherError", vendor_error_code="DYING GASP ")
    )
    assert found.category == Category.POWER_LOSS
    assert found.matched_by == "text_pattern"


def test_an_admin_added_phrasing_is_recognised_after_saving(knowledge):
    report = Report(error_code="OtherError", info="Svampknapp intryckt")
    assert translate(report).category != Category.EMERGENCY_STOP
    estop = CodeEntry.objects.get(scope=EntryScope.OCPP, code="StopReason/EmergencyStop")
    TextPattern.objects.create(name="Svampknapp (Swedish)", pattern="svampknapp*", entry=estop)
    assert translate(report).category == Category.EMERGENCY_STOP


def test_a_ground_fault_in_words_is_a_safety_fault(knowledge):
    found = translate(Report(error_code="OtherError", info="Earth fault detected on output"))
    assert found.category == Category.GROUND_FAULT and found.is_safety


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("[42300]Emergency stop button pressed", "42300 emergency stop button pressed"),
        ("F400: EMERGENCY_STOP_BUTTON_1", "f400 emergency stop button 1"),
        ("EmergencyStopPressed", "emergency stop pressed"),
        ("Arrêt d'urgence", "arret d urgence"),
        ("Nødstopp", "nodstopp"),
        ("NOT-AUS  Betätigt", "not aus betatigt"),
        ("Straße", "strasse"),
    ],
)
def test_text_is_folded_to_plain_words_before_matching(raw, normalised):
    from knowledgebase.textmatch import normalise

    assert normalise(raw) == normalised


def test_a_broken_admin_pattern_is_refused_when_saved(knowledge):
    from django.core.exceptions import ValidationError

    estop = CodeEntry.objects.get(scope=EntryScope.OCPP, code="StopReason/EmergencyStop")
    for bad in ("re:(unclosed", "!!! ---"):
        with pytest.raises(ValidationError):
            TextPattern(name="bad", pattern=bad, entry=estop).full_clean()
