"""generate_fleet_history: a large fleet with a month of history, for measurements at scale."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from chargers.models import Charger, Connector, MeterReading, OcppMessage, StatusReport, Transaction
from faults.models import FaultEpisode

pytestmark = pytest.mark.django_db


def generate(**options):
    out = StringIO()
    call_command("generate_fleet_history", stdout=out, **options)
    return out.getvalue()


def test_it_builds_two_and_a_half_ports_per_charger_with_history_from_the_first_day():
    generate(chargers=12, days=4, faults_per_month=8, seed=3)
    chargers = Charger.objects.filter(charge_point_id__startswith="HIST-")
    assert chargers.count() == 12
    assert {charger.vendor for charger in chargers} >= {"Voltaro", "Northgrid"}
    ports = Connector.objects.filter(charger__in=chargers).exclude(evse_id=0)
    assert ports.count() == 30
    for port in ports:
        reports = list(StatusReport.objects.filter(connector=port).order_by("event_at"))
        assert reports[0].status == "Available"
        assert len(reports) >= 4 * 3  # about one session a day, four statuses each
        assert port.status == reports[-1].status


def test_sessions_deliver_energy_and_the_register_only_rises():
    generate(chargers=6, days=3, seed=1)
    assert not Transaction.objects.filter(meter_stop_wh__lte=F("meter_start_wh")).exists()
    for port in Connector.objects.exclude(evse_id=0):
        values = list(
            MeterReading.objects.filter(connector=port).order_by("sampled_at").values_list("value", flat=True)
        )
        assert values == sorted(values)


def test_every_fault_episode_matches_a_faulted_report_with_the_same_vendor_fields():
    generate(chargers=12, days=6, faults_per_month=10, seed=2)
    episodes = FaultEpisode.objects.all()
    assert episodes.count() > 10
    for episode in episodes:
        assert StatusReport.objects.filter(
            connector=episode.connector,
            status="Faulted",
            event_at=episode.opened_at,
            vendor_error_code=episode.vendor_error_code,
            info=episode.info,
        ).exists()
        assert episode.closed_at is None or episode.closed_at > episode.opened_at


def test_the_message_log_covers_only_the_last_days_asked_for():
    generate(chargers=6, days=5, log_days=1, seed=4)
    log = OcppMessage.objects.all()
    newest = StatusReport.objects.latest("received_at").received_at
    assert log.filter(action="Heartbeat").count() == 6 * 24
    assert log.filter(action="StatusNotification").exists()
    oldest_logged = log.order_by("received_at").first().received_at
    assert (newest - oldest_logged).total_seconds() <= 24 * 3600 + 60


def test_it_refuses_to_generate_over_an_existing_fleet_with_the_same_prefix():
    generate(chargers=2, days=1)
    with pytest.raises(CommandError, match="exist already"):
        generate(chargers=2, days=1)
    assert generate(chargers=2, days=1, prefix="AGAIN").startswith("2 chargers")
