"""translate(): the most specific knowledge wins, and says why."""

import pytest

from knowledgebase.models import ChargerModel, CodeEntry, Manufacturer
from knowledgebase.translate import Report, translate
from knowledgebase.versions import in_range, parse_version
from knowledgebase.vocabulary import Category, EntryScope, EntryStatus, Responsible, Severity

pytestmark = pytest.mark.django_db


def test_the_same_vendor_code_means_different_things_for_two_manufacturers(knowledge):
    voltaro = translate(Report(vendor="Voltaro", error_code="OtherError", vendor_error_code="0x6012"))
    brightwatt = translate(Report(vendor="Brightwatt", error_code="OtherError", vendor_error_code="0x6012"))
    assert voltaro.category == Category.POWER_MODULE
    assert brightwatt.category == Category.TEMPERATURE
    assert voltaro.entry_id != brightwatt.entry_id
    assert voltaro.matched_by == brightwatt.matched_by == "manufacturer"
    assert "Voltaro" in voltaro.reason and "Brightwatt" in brightwatt.reason


def test_a_bare_number_is_scoped_by_manufacturer_too(knowledge):
    assert translate(Report(vendor="VOLTARO", vendor_error_code="10")).category == Category.OTHER
    isolation = translate(Report(vendor="BW Charging", vendor_error_code="10"))
    assert isolation.category == Category.ISOLATION
    assert isolation.is_safety is True
    assert isolation.escalation_responsible == Responsible.ELECTRICIAN


def test_vendor_aliases_with_extra_words_and_vendor_id_find_the_manufacturer(knowledge):
    by_longer_name = translate(Report(vendor="Voltaro Energy GmbH", vendor_error_code="0x6012"))
    by_vendor_id = translate(Report(vendor_id="com.voltaro", vendor_error_code="0x6012"))
    assert by_longer_name.matched_by == by_vendor_id.matched_by == "manufacturer"


def test_a_model_specific_entry_beats_the_manufacturer_wide_one(knowledge):
    found = translate(Report(vendor="Voltaro", model="VX-150 DC", firmware="2.9", vendor_error_code="0x6012"))
    assert found.matched_by == "model"
    assert found.charging_possible is True
    assert "VX-150" in found.reason
    other_model = translate(Report(vendor="Voltaro", model="VX-50", vendor_error_code="0x6012"))
    assert other_model.matched_by == "manufacturer"


@pytest.mark.parametrize(
    ("firmware", "matched_by"),
    [
        ("2.9", "model"),
        ("3.0", "model_firmware"),
        ("3.2.1", "model_firmware"),
        ("3.4.9", "model_firmware"),
        ("3.5", "model"),
        ("3.10", "model"),  # numerically after 3.4, not between 3.1 and 3.2
        ("", "model"),
    ],
)
def test_firmware_ranges_are_respected(knowledge, firmware, matched_by):
    found = translate(Report(vendor="Voltaro", model="VX-150", firmware=firmware, vendor_error_code="0x6012"))
    assert found.matched_by == matched_by
    if matched_by == "model_firmware":
        assert found.severity == Severity.INFO
        assert f"runs {firmware}" in found.reason


def test_versions_compare_as_numbers():
    assert parse_version("v2.10.3-rc1") == (2, 10, 3, 1)
    assert parse_version("2.10") > parse_version("2.9")
    assert in_range("2.10", "2.9", "")
    assert not in_range("2.9", "2.10", "")
    assert in_range("2.2.7", "", "2.2")
    assert not in_range("2.3", "", "2.2")
    assert not in_range("", "1.0", "")


def test_chargex_codes_are_recognised_by_vendor_id(knowledge):
    found = translate(
        Report(
            status="Faulted",
            error_code="OtherError",
            vendor_id="https://chargex.inl.gov/",
            vendor_error_code="CX008",
        )
    )
    assert (found.matched_by, found.category, found.code) == ("standard", Category.EMERGENCY_STOP, "CX008")
    assert "ChargeX" in found.reason
    ground = translate(
        Report(error_code="GroundFailure", vendor_id="https://chargex.inl.gov", vendor_error_code="CX002")
    )
    assert ground.is_safety is True


def test_a_chargex_looking_code_from_another_vendor_id_is_not_taken_for_chargex(knowledge):
    found = translate(Report(error_code="OtherError", vendor_id="com.somebody", vendor_error_code="CX008"))
    assert found.matched_by == "unknown"


def test_chargex_in_a_201_tech_code_is_recognised(knowledge):
    found = translate(Report(ocpp_version="2.0.1", component="EVSE", variable="Problem", tech_code="CX019"))
    assert (found.matched_by, found.category) == ("standard", Category.CABLE)


def test_evgo_hex_codes_and_conventions(knowledge):
    estop = translate(
        Report(connector_id=0, status="Faulted", vendor_id="com.evgo.mrec", vendor_error_code="A004")
    )
    assert (estop.category, estop.responsible) == (Category.EMERGENCY_STOP, Responsible.SITE_STAFF)
    user_actionable = translate(Report(vendor_id="com.evgo.mrec", vendor_error_code="A0FF"))
    assert (user_actionable.responsible, user_actionable.code) == (Responsible.DRIVER, "A0FF")
    safety = translate(Report(vendor_id="com.evgo.mrec", vendor_error_code="F0AB"))
    assert safety.severity == Severity.CRITICAL and safety.is_safety is True


def test_of_several_evgo_codes_the_most_severe_one_wins(knowledge):
    found = translate(
        Report(
            vendor_id="com.evgo.mrec",
            vendor_error_code="A000,F008",
            info="not authorised,voltage on connector",
        )
    )
    assert found.code == "F008"
    assert found.category == Category.VOLTAGE
    assert "2 codes" in found.reason


def test_the_ocpp_error_code_alone_is_the_fallback(knowledge):
    found = translate(Report(status="Faulted", error_code="GroundFailure"))
    assert (found.matched_by, found.category, found.is_safety) == (
        "ocpp_error_code",
        Category.GROUND_FAULT,
        True,
    )
    assert found.playbook_name == "Ground fault: lock out and call an electrician"


def test_an_unknown_vendor_code_with_other_error_is_unknown(knowledge):
    found = translate(Report(vendor="Voltaro", error_code="OtherError", vendor_error_code="0x9999"))
    assert (found.matched_by, found.code, found.category) == ("unknown", "0x9999", Category.OTHER)
    assert "0x9999" in found.reason
    assert "vendor" in found.next_action.lower()  # the general advice for OtherError


def test_an_unknown_code_without_any_standard_code_says_who_sent_it(knowledge):
    found = translate(Report(vendor="Voltaro", vendor_error_code="0x9999"))
    assert (found.matched_by, found.category, found.entry_id) == ("unknown", Category.UNKNOWN, None)
    assert "Voltaro (sample) code 0x9999" in found.meaning


def test_an_unknown_vendor_code_beside_an_informative_error_code_falls_back_to_it(knowledge):
    found = translate(Report(vendor="Voltaro", error_code="GroundFailure", vendor_error_code="0x9999"))
    assert (found.matched_by, found.category) == ("ocpp_error_code", Category.GROUND_FAULT)
    assert "0x9999" in found.reason


def test_other_error_without_any_vendor_code_gets_the_generic_advice(knowledge):
    found = translate(Report(status="Faulted", error_code="OtherError"))
    assert found.matched_by == "ocpp_error_code"
    assert "vendor" in found.next_action.lower()


def test_a_201_problem_with_an_unexplained_tech_code_is_unknown(knowledge):
    found = translate(Report(ocpp_version="2.0.1", component="EVSE", variable="Problem", tech_code="VND-7"))
    assert (found.matched_by, found.code) == ("unknown", "VND-7")


def test_ocpp_201_components_and_stop_reasons_translate(knowledge):
    lock = translate(Report(ocpp_version="2.0.1", component="ConnectorPlugRetentionLock", variable="Problem"))
    assert lock.category == Category.CONNECTOR_LOCK
    generic = translate(Report(ocpp_version="2.0.1", component="PowerConverter", variable="Problem"))
    assert generic.category == Category.INTERNAL
    tripped = translate(Report(ocpp_version="2.0.1", component="RCD", variable="Tripped"))
    assert tripped.is_safety is True
    stop = translate(Report(ocpp_version="2.0.1", stop_reason="EmergencyStop"))
    assert stop.category == Category.EMERGENCY_STOP


def test_nothing_known_is_unknown(db):
    found = translate(Report(vendor="Nobody", vendor_error_code="ZZ-1"))
    assert (found.matched_by, found.category, found.entry_id, found.code) == (
        "unknown",
        Category.UNKNOWN,
        None,
        "ZZ-1",
    )


def test_a_manufacturer_text_pattern_entry_matches_the_info_text(knowledge):
    found = translate(Report(vendor="Brightwatt", info="DC output module Vol abnormal during idle time"))
    assert found.matched_by == "manufacturer"
    assert found.category == Category.POWER_MODULE


def test_drafts_do_not_translate_until_they_are_live(knowledge):
    maker = Manufacturer.objects.create(name="Draftco")
    entry = CodeEntry.objects.create(
        manufacturer=maker,
        code="E77",
        meaning="Pump failure",
        category=Category.TEMPERATURE,
        status=EntryStatus.DRAFT,
    )
    assert translate(Report(vendor="Draftco", vendor_error_code="E77")).matched_by == "unknown"
    entry.status = EntryStatus.LIVE
    entry.save(update_fields=["status"])
    assert translate(Report(vendor="Draftco", vendor_error_code="E77")).entry_id == entry.id


def test_a_change_made_by_another_process_is_picked_up(knowledge, settings):
    """Another process bumps the version row; this process's cached rules must notice."""
    from knowledgebase.models import KnowledgeVersion

    maker = Manufacturer.objects.create(name="Elsewhere")
    translate(Report(vendor="Elsewhere", vendor_error_code="7"))  # warm this process's cache
    # What another process would do: write rows and a new token, without touching our memory.
    CodeEntry.objects.bulk_create(
        [CodeEntry(scope=EntryScope.MANUFACTURER, manufacturer=maker, code="7", meaning="Fan", match_key="x")]
    )
    KnowledgeVersion.objects.filter(pk=1).update(token="from-another-process")
    assert translate(Report(vendor="Elsewhere", vendor_error_code="7")).meaning == "Fan"


def test_translation_of_many_reports_does_not_query_per_rule(knowledge, django_assert_max_num_queries):
    reports = [Report(vendor="Voltaro", model="VX-150", firmware="3.1", vendor_error_code="0x6012")] * 50
    translate(reports[0])
    with django_assert_max_num_queries(50):  # one version check per translation, no rule reads
        for report in reports:
            translate(report)


def test_model_patterns_match_whole_names_case_insensitively(knowledge):
    model = ChargerModel.objects.get(name="VX-150")
    assert model.patterns() == ["VX-150*", "VX150*"]
    assert (
        translate(Report(vendor="voltaro", model="vx150-eu", vendor_error_code="0x6012")).matched_by
        == "model"
    )


def test_the_info_text_of_the_chosen_evgo_code_is_quoted(knowledge):
    found = translate(
        Report(
            vendor_id="com.evgo.mrec",
            vendor_error_code="A000,F008",
            info="not authorised,voltage on connector",
        )
    )
    assert "voltage on connector" in found.reason


def test_fields_left_out_as_none_are_read_as_empty(knowledge):
    found = translate(Report(vendor=None, error_code="GroundFailure", vendor_error_code=None, info=None))
    assert found.category == Category.GROUND_FAULT
