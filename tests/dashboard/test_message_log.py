"""The OCPP message log: newest first, filtered, paginated, each request paired with its answer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chargers.models import Direction, MessageType, OcppMessage
from chargers.views import MESSAGES_PER_PAGE
from tests.factories import ChargerFactory

pytestmark = pytest.mark.django_db


def frame(
    charger, unique_id, *, action="", direction=Direction.IN, kind=MessageType.CALL, payload=None, ago=0
):
    return OcppMessage.objects.create(
        charger=charger,
        unique_id=unique_id,
        action=action,
        direction=direction,
        message_type=kind,
        payload=payload if payload is not None else {},
        received_at=timezone.now() - timedelta(seconds=ago),
    )


def log(client, charger, **params):
    response = client.get(reverse("chargers:messages", args=[charger.charge_point_id]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_request_is_paired_with_its_answer_by_unique_id(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    call = frame(charger, "abc-1", action="StatusNotification", payload={"connectorId": 1}, ago=2)
    answer = frame(charger, "abc-1", direction=Direction.OUT, kind=MessageType.CALLRESULT, ago=1)
    html = log(client, charger)
    call_row = html.split(f'id="frame-{call.pk}"')[1].split("</tr>")[0]
    answer_row = html.split(f'id="frame-{answer.pk}"')[1].split("</tr>")[0]
    assert f'href="#frame-{answer.pk}"' in call_row and "answered by" in call_row
    assert f'href="#frame-{call.pk}"' in answer_row and "answers" in answer_row


def test_payloads_are_pretty_printed_and_escaped(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    frame(charger, "u1", action="StatusNotification", payload={"info": "<script>x</script>", "n": [1]})
    html = log(client, charger)
    # PostgreSQL's jsonb keeps keys in its own order, so each key is checked on its own indented line.
    assert "\n  &quot;info&quot;: &quot;&lt;script&gt;x&lt;/script&gt;&quot;" in html
    assert "\n  &quot;n&quot;: [\n    1\n  ]" in html
    assert "<script>x</script>" not in html


def test_filters_by_action_direction_and_time(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    old = frame(charger, "h1", action="Heartbeat", ago=7200)
    status = frame(charger, "s1", action="StatusNotification", ago=10)
    reset = frame(charger, "r1", action="Reset", direction=Direction.OUT, ago=5)

    def shown(**params):
        html = log(client, charger, **params)
        return {f.pk for f in (old, status, reset) if f'id="frame-{f.pk}"' in html}

    assert shown() == {old.pk, status.pk, reset.pk}
    assert shown(action="statusnotification") == {status.pk}
    assert shown(direction="out") == {reset.pk}
    since = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert shown(since=since) == {status.pk, reset.pk}
    assert shown(until=since) == {old.pk}


def test_a_fault_links_to_one_frame_and_its_partner(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    call = frame(charger, "open-1", action="StatusNotification", ago=3)
    answer = frame(charger, "open-1", direction=Direction.OUT, kind=MessageType.CALLRESULT, ago=2)
    other = frame(charger, "other", action="Heartbeat", ago=1)
    html = log(client, charger, frame=call.pk)
    assert f'id="frame-{call.pk}" class="highlight' in html
    assert f'id="frame-{answer.pk}"' in html
    assert f'id="frame-{other.pk}"' not in html


def test_the_log_is_paginated_newest_first(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    frames = [frame(charger, f"m{i}", action="Heartbeat", ago=i) for i in range(MESSAGES_PER_PAGE + 3)]
    first = log(client, charger)
    second = log(client, charger, page=2)
    assert f'id="frame-{frames[0].pk}"' in first and f'id="frame-{frames[-1].pk}"' not in first
    assert f'id="frame-{frames[-1].pk}"' in second
    assert first.index(f'id="frame-{frames[0].pk}"') < first.index(f'id="frame-{frames[1].pk}"')


def test_the_number_of_queries_does_not_grow_with_the_frames(client, operator):
    client.force_login(operator)
    charger = ChargerFactory()
    frame(charger, "a", action="Heartbeat")
    with CaptureQueriesContext(connection) as few:
        log(client, charger)
    for i in range(30):
        frame(charger, f"x{i}", action="StatusNotification", ago=i)
        frame(charger, f"x{i}", direction=Direction.OUT, kind=MessageType.CALLRESULT, ago=i)
    with CaptureQueriesContext(connection) as many:
        log(client, charger)
    assert len(many) == len(few)


def test_the_log_needs_the_right_to_view_messages(client, django_user_model):
    charger = ChargerFactory()
    client.force_login(django_user_model.objects.create_user("nobody", password="a-long-password-1"))
    assert client.get(reverse("chargers:messages", args=[charger.charge_point_id])).status_code == 403
