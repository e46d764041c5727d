"""record_unknown(): codes seen in the field with no entry, counted per manufacturer, model and code."""

from datetime import UTC, datetime, timedelta

import pytest

from knowledgebase.models import Manufacturer, UnknownCode
from knowledgebase.translate import Report, record_unknown

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def acme(knowledge):
    return Manufacturer.objects.create(name="Acme Charging", aliases="ACME, Acme Power")


def test_it_counts_occurrences_chargers_and_the_time_span(acme):
    report = Report(
        vendor="ACME", model="DC60", error_code="OtherError", vendor_error_code="E77", info="pump"
    )
    record_unknown(report, "CP-1", NOON)
    record_unknown(report, "CP-2", NOON - timedelta(hours=3))  # a late report from earlier
    record_unknown(report, "CP-1", NOON + timedelta(hours=1))
    unknown = UnknownCode.objects.get()
    assert (unknown.manufacturer, unknown.model, unknown.code) == (acme, "DC60", "E77")
    assert unknown.occurrences == 3
    assert unknown.affected_chargers == 2
    assert unknown.charge_point_ids == ["CP-1", "CP-2"]
    assert unknown.first_seen_at == NOON - timedelta(hours=3)
    assert unknown.last_seen_at == NOON + timedelta(hours=1)


def test_aliases_of_one_manufacturer_share_a_row(acme):
    record_unknown(Report(vendor="ACME", model="DC60", vendor_error_code="E77"), "CP-1", NOON)
    record_unknown(Report(vendor="Acme Power GmbH", model="DC60", vendor_error_code="E77"), "CP-2", NOON)
    assert UnknownCode.objects.get().occurrences == 2


def test_each_model_gets_its_own_row(acme):
    record_unknown(Report(vendor="ACME", model="DC60", vendor_error_code="E77"), "CP-1", NOON)
    record_unknown(Report(vendor="ACME", model="AC22", vendor_error_code="E77"), "CP-2", NOON)
    assert UnknownCode.objects.count() == 2


def test_sample_texts_are_distinct_and_few(acme):
    for number in range(8):
        info = f"pressure {number % 6}"
        record_unknown(Report(vendor="ACME", vendor_error_code="E77", info=info), "CP-1", NOON)
    assert UnknownCode.objects.get().sample_info == [f"pressure {n}" for n in range(5)]


def test_an_unknown_vendor_is_kept_by_name(knowledge):
    record_unknown(Report(vendor="Nobody Knows Inc", vendor_error_code="Z1"), "CP-9", NOON)
    unknown = UnknownCode.objects.get()
    assert unknown.manufacturer is None
    assert unknown.vendor == "Nobody Knows Inc"


@pytest.mark.parametrize(
    "report",
    [
        Report(vendor="Voltaro", vendor_error_code="0x6012"),  # a manufacturer entry
        Report(vendor_id="https://chargex.inl.gov", error_code="OtherError", vendor_error_code="CX008"),
        Report(error_code="OtherError", info="Emergency stop pressed"),  # no code at all
        Report(error_code="GroundFailure"),
        Report(status="Faulted", error_code="OtherError", vendor_error_code="Not-Aus betätigt"),
    ],
)
def test_reports_the_knowledge_base_explains_are_not_queued(knowledge, report):
    record_unknown(report, "CP-1", NOON)
    assert not UnknownCode.objects.exists()
