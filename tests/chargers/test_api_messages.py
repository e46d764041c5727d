"""The message-log API: newest first, filters, clear 400s, constant query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chargers.models import Direction, MessageType, OcppMessage

pytestmark = pytest.mark.django_db

URL = "/api/v1/chargers/CP-LOG/messages/"


@pytest.fixture
def charger(make_charger):
    return make_charger("CP-LOG")


@pytest.fixture
def as_operator(api_client, operator):
    api_client.force_authenticate(operator)
    return api_client


def log(charger, action, direction=Direction.IN, minutes_ago=0, **fields):
    return OcppMessage.objects.create(
        charger=charger,
        action=action,
        direction=direction,
        message_type=MessageType.CALL if direction == Direction.IN else MessageType.CALLRESULT,
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        unique_id=f"{action}-{minutes_ago}",
        payload={},
        **fields,
    )


def test_the_log_is_newest_first(as_operator, charger):
    log(charger, "BootNotification", minutes_ago=30)
    log(charger, "Heartbeat", minutes_ago=10)
    log(charger, "StatusNotification", minutes_ago=20)
    body = as_operator.get(URL).json()
    assert [row["action"] for row in body["results"]] == [
        "Heartbeat",
        "StatusNotification",
        "BootNotification",
    ]
    assert body["count"] == 3


def test_filters_by_action_direction_and_time(as_operator, charger):
    log(charger, "Heartbeat", minutes_ago=50)
    log(charger, "Heartbeat", Direction.OUT, minutes_ago=50)
    log(charger, "Heartbeat", minutes_ago=5)
    log(charger, "StatusNotification", minutes_ago=5)
    since = (timezone.now() - timedelta(minutes=10)).isoformat()
    rows = as_operator.get(URL, {"action": "Heartbeat", "direction": "in", "since": since}).json()["results"]
    assert [(row["action"], row["direction"]) for row in rows] == [("Heartbeat", "in")]
    until = (timezone.now() - timedelta(minutes=40)).isoformat()
    rows = as_operator.get(URL, {"until": until}).json()["results"]
    assert {row["direction"] for row in rows} == {"in", "out"} and len(rows) == 2


def test_other_chargers_messages_are_not_shown(as_operator, charger, make_charger):
    log(make_charger("CP-OTHER"), "Heartbeat")
    assert as_operator.get(URL).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"direction": "sideways"}, "direction", "not one of"),
        ({"since": "yesterday"}, "since", "not a date-time"),
        ({"until": "2026-11-21T06:00:00"}, "until", "time zone"),
        ({"since": "2026-11-21T06:00:00Z", "until": "2026-11-20T06:00:00Z"}, "since", "after until"),
        ({"colour": "red"}, "detail", "Unknown filter"),
        ({"page": "99"}, "page", "Invalid page"),
        ({"page": "first"}, "page", "Invalid page"),
    ],
)
def test_bad_parameters_get_a_clear_400(as_operator, charger, params, field, words):
    response = as_operator.get(URL, params)
    assert response.status_code == 400
    assert words in str(response.json()[field])


def test_an_unknown_charger_is_404(as_operator):
    assert as_operator.get("/api/v1/chargers/NOPE/messages/").status_code == 404


def test_reading_the_log_needs_a_role(api_client, charger, django_user_model):
    api_client.force_authenticate(django_user_model.objects.create_user("nobody"))
    assert api_client.get(URL).status_code == 403


def test_the_log_costs_the_same_queries_for_many_rows(as_operator, charger):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get(URL).status_code == 200
        return len(ctx.captured_queries)

    log(charger, "Heartbeat")
    count_queries()  # the first request also loads the user's permissions
    few = count_queries()
    OcppMessage.objects.bulk_create(
        OcppMessage(
            charger=charger, direction=Direction.IN, message_type=MessageType.CALL, action="Heartbeat"
        )
        for _ in range(60)
    )
    assert count_queries() == few


def test_the_command_list_costs_the_same_queries_for_many_rows(as_operator, charger, operator):
    from chargers.models import Command

    url = "/api/v1/chargers/CP-LOG/commands/"

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_operator.get(url).status_code == 200
        return len(ctx.captured_queries)

    Command.objects.create(charger=charger, action="Reset", requested_by=operator)
    count_queries()
    few = count_queries()
    Command.objects.bulk_create(
        Command(charger=charger, action="Reset", requested_by=operator) for _ in range(30)
    )
    assert count_queries() == few
