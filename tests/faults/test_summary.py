"""Plain-language summaries per charger and site, the daily digest, and the charger API's summary."""

from datetime import date

import time_machine
from django.core import mail

from faults import tasks
from faults.models import AlertContact, SiteDigest
from faults.summary import charger_summary, daily_digest, site_summary
from tests.faults.conftest import at, committed, port, report


def test_a_charger_down_on_an_e_stop_reads_like_the_site_manager_would_say_it(charger, knowledge):
    with time_machine.travel(at(120), tick=False):
        report(
            port(charger, 0), "Faulted", at(12 * 60), "OtherError", vendor_error_code="F400: EMERGENCY_STOP"
        )
        text = charger_summary(charger)
    assert text == (
        "CP-7 is down: its emergency stop button was pressed at 06:12 (vendor code F400: EMERGENCY_STOP). "
        "Release the button and reset the charger — anyone on site can do it in two minutes."
    )


def test_a_working_charger_says_so_and_counts_the_phantoms_it_filtered(charger, knowledge):
    with time_machine.travel(at(600), tick=False):
        report(port(charger, 1), "Faulted", at(0), "NoError")
        report(port(charger, 1), "Available", at(5))
        assert charger_summary(charger) == (
            "CP-7 is working: no open faults. 1 phantom fault filtered in the last 24 hours."
        )


def test_a_site_summary_counts_the_chargers_that_need_attention(site, charger, knowledge):
    with time_machine.travel(at(600), tick=False):
        report(port(charger, 1), "Faulted", at(0), "GroundFailure")
        text = site_summary(site)
    first, second = text.split("\n")
    assert first == "Depot North: 1 of 1 chargers need attention."
    assert second.startswith("CP-7 port #1 is out of order: ground-fault protection tripped at 06:00")
    assert "this needs an electrician" in second


def test_vendor_free_text_is_quoted_not_interpreted(charger, knowledge):
    with time_machine.travel(at(600), tick=False):
        report(port(charger, 1), "Faulted", at(0), "OtherError", vendor_error_code="<b>X</b>")
        assert "<b>X</b>" in charger_summary(charger)  # plain text; templates and JSON escape it


def test_the_daily_digest_lists_the_day_by_who_must_act(site, charger, knowledge):
    report(port(charger, 1), "Faulted", at(0), "InternalError")  # remote operator
    report(port(charger, 2), "Faulted", at(60), "OtherError", info="Emergency stop")  # site staff
    report(port(charger, 2), "Available", at(120))
    report(port(charger, 0), "Faulted", at(200), "NoError")
    report(port(charger, 0), "Available", at(201))  # phantom

    with time_machine.travel(at(3600 * 6), tick=False):
        text = daily_digest(site, date(2026, 11, 20))
    assert text.index("Site staff:") < text.index("Remote operator:")
    assert "(still open)" in text and "(cleared at 06:02)" in text
    assert "1 phantom fault filtered" in text


def test_the_digest_goes_out_once_per_site_and_day_at_the_digest_hour(site, charger, knowledge, settings):
    settings.FAULTS_DIGEST_HOUR = 7
    AlertContact.objects.create(site=site, name="Site manager", email="manager@example.com")
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    with time_machine.travel("2026-11-21 06:30Z", tick=False):
        assert committed(tasks.send_digests) == 0
    with time_machine.travel("2026-11-21 07:05Z", tick=False):
        assert committed(tasks.send_digests) == 1
        assert committed(tasks.send_digests) == 0
    assert SiteDigest.objects.get().day == date(2026, 11, 20)
    [message] = mail.outbox
    assert message.to == ["manager@example.com"]
    assert "Remote operator:" in message.body


def test_the_charger_api_detail_carries_the_summary(api_client, operator, charger, knowledge):
    with time_machine.travel(at(600), tick=False):
        report(port(charger, 1), "Faulted", at(0), "GroundFailure")
        api_client.force_authenticate(operator)
        body = api_client.get("/api/v1/chargers/CP-7/").json()
    assert body["summary"].startswith("CP-7 port #1 is out of order: ground-fault protection tripped")
    assert {"connectors", "online", "vendor"} <= set(body)
