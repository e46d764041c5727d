"""Reading frames and clocks at the parsing boundary (pure functions, no server)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chargers.protocol.frames import check_payload, event_time, parse_frame, parse_timestamp


def test_a_call_is_split_into_its_parts():
    frame = parse_frame('[2,"42","Heartbeat",{}]', "1.6")
    assert (frame.message_type, frame.unique_id, frame.action, frame.payload, frame.is_refused) == (
        2,
        "42",
        "Heartbeat",
        {},
        False,
    )


def test_a_callerror_from_the_charger_keeps_code_and_details():
    frame = parse_frame('[4,"7","NotSupported","no",{"why":"x"}]', "2.0.1")
    assert (frame.call_error_code, frame.call_error_description, frame.call_error_details) == (
        "NotSupported",
        "no",
        {"why": "x"},
    )


def test_an_id_longer_than_36_characters_is_unreadable():
    frame = parse_frame(f'[2,"{"x" * 37}","Heartbeat",{{}}]', "2.0.1")
    assert (frame.error_code, frame.answer_id) == ("RpcFrameworkError", "-1")


def test_true_is_not_a_message_type():
    assert parse_frame('[true,"1",{}]', "2.0.1").error_code == "MessageTypeNotSupported"


def test_several_schema_errors_are_only_interpretable_when_all_are_value_errors():
    both_values = check_payload(
        2, "StatusNotification", {"connectorId": 1, "status": "Nope", "errorCode": "Bad"}, "1.6"
    )
    assert both_values.interpretable and both_values.error_code == "PropertyConstraintViolation"
    value_and_type = check_payload(
        2, "StatusNotification", {"connectorId": "1", "status": "Nope", "errorCode": "NoError"}, "1.6"
    )
    assert not value_and_type.interpretable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21T06:00:00Z", datetime(2026, 11, 21, 6, tzinfo=UTC)),
        ("2026-11-21T07:00:00+01:00", datetime(2026, 11, 21, 6, tzinfo=UTC)),
        ("2026-11-21T06:00:00.123z", datetime(2026, 11, 21, 6, 0, 0, 123000, tzinfo=UTC)),
        ("2026-11-21T06:00:00", datetime(2026, 11, 21, 6, tzinfo=UTC)),  # no offset: UTC, as OCPP requires
        ("yesterday", None),
        (None, None),
    ],
)
def test_charger_timestamps_become_aware_utc(text, expected):
    assert parse_timestamp(text) == expected


def test_event_time_believes_the_charger_unless_it_is_in_the_future_or_never_set():
    received = datetime(2026, 11, 21, 6, tzinfo=UTC)
    assert event_time(received - timedelta(hours=3), received) == received - timedelta(hours=3)
    assert event_time(received + timedelta(minutes=2), received) == received + timedelta(minutes=2)
    assert event_time(received + timedelta(minutes=10), received) == received
    assert event_time(datetime(1970, 1, 1, tzinfo=UTC), received) == received
    assert event_time(None, received) == received


def test_a_valid_payload_is_left_exactly_as_the_charger_sent_it():
    # The 2.0.1 schema gives sampledValue defaults (measurand, context, location): a check must not
    # write them into what is logged.
    payload = {
        "evseId": 1,
        "meterValue": [{"timestamp": "2026-11-21T06:00:00Z", "sampledValue": [{"value": 5}]}],
    }
    before = json.loads(json.dumps(payload))
    assert check_payload(2, "MeterValues", payload, "2.0.1").ok
    assert payload == before


def test_the_fast_check_and_the_named_error_agree_on_what_is_invalid():
    missing = check_payload(2, "StatusNotification", {"connectorId": 1, "status": "Available"}, "1.6")
    assert missing.error_code == "OccurenceConstraintViolation"
    extra = check_payload(2, "Heartbeat", {"unexpected": 1}, "2.0.1")
    assert extra.error_code == "FormatViolation"
    # A date that is not a date passes, as the library's own validator lets it (formats unchecked).
    assert check_payload(
        2,
        "StatusNotification",
        {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": "soon"},
        "1.6",
    ).ok
