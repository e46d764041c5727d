"""One cause behind several ports: a site incident; a recurring code: escalation; a fault that
follows one vehicle: the vehicle side."""

from faults.models import FaultEpisode, IncidentCause, SiteIncident
from knowledgebase.vocabulary import Responsible
from tests.factories import ChargerFactory, ConnectorFactory
from tests.faults.conftest import at, connectivity, port, report, session


def neighbour(site, name):
    charger = ChargerFactory(charge_point_id=name, site=site)
    ConnectorFactory(charger=charger, evse_id=1)
    return charger


def test_three_ports_of_one_site_faulting_together_make_one_site_incident(site, charger, knowledge):
    others = [neighbour(site, "CP-8"), neighbour(site, "CP-9")]
    report(port(charger, 1), "Faulted", at(0), "UnderVoltage")
    report(port(others[0], 1), "Faulted", at(40), "UnderVoltage")
    report(port(others[1], 1), "Faulted", at(90), "InternalError")

    incident = SiteIncident.objects.get()
    assert incident.site == site
    assert incident.cause == IncidentCause.SUPPLY
    assert incident.opened_at == at(0)
    assert "supply" in incident.explanation
    assert FaultEpisode.objects.filter(incident=incident).count() == 3


def test_ports_faulting_hours_apart_are_separate_problems(site, charger, knowledge):
    others = [neighbour(site, "CP-8"), neighbour(site, "CP-9")]
    report(port(charger, 1), "Faulted", at(0), "InternalError")
    report(port(others[0], 1), "Faulted", at(3600), "InternalError")
    report(port(others[1], 1), "Faulted", at(7200), "InternalError")
    assert not SiteIncident.objects.exists()


def test_chargers_going_offline_together_suggest_the_network(site, charger, knowledge):
    others = [neighbour(site, "CP-8"), neighbour(site, "CP-9")]
    for number, one in enumerate([charger, *others]):
        connectivity(one, at(number * 10), online=False)

    incident = SiteIncident.objects.get()
    assert incident.cause == IncidentCause.NETWORK
    for number, one in enumerate([charger, *others]):
        connectivity(one, at(600 + number), online=True)
    incident.refresh_from_db()
    assert incident.closed_at == at(602)


def test_the_same_code_coming_back_on_one_port_escalates_to_the_next_responder(charger, knowledge):
    one = port(charger, 1)
    for hour in range(3):
        report(one, "Faulted", at(hour * 3600), "InternalError")
        report(one, "Available", at(hour * 3600 + 600))

    first, second, third = FaultEpisode.objects.filter(connector=one).order_by("opened_at")
    assert not first.escalated and not second.escalated
    assert third.escalated
    assert third.responsible == Responsible.VENDOR_SERVICE
    assert "3 times" in third.correlation_note


def test_a_fault_that_follows_one_vehicle_across_ports_points_to_the_vehicle(site, charger, knowledge):
    other = neighbour(site, "CP-8")
    # Each session stopped with the fault: it really stopped charging.
    session(port(charger, 1), at(0), at(101), id_tag="CAR-42")
    report(port(charger, 1), "Faulted", at(100), "OtherError", vendor_error_code="EV_COMM")
    report(port(charger, 1), "Available", at(400))
    session(port(other, 1), at(1000), at(1101), id_tag="CAR-42")
    report(port(other, 1), "Faulted", at(1100), "OtherError", vendor_error_code="EV_COMM")

    latest = FaultEpisode.objects.get(connector=port(other, 1))
    assert latest.vehicle_suspected
    assert latest.responsible == Responsible.DRIVER
    assert "CAR-42" in latest.correlation_note


def test_a_different_vehicle_on_the_other_port_is_not_blamed(site, charger, knowledge):
    other = neighbour(site, "CP-8")
    session(port(charger, 1), at(0), at(101), id_tag="CAR-42")
    report(port(charger, 1), "Faulted", at(100), "OtherError", vendor_error_code="EV_COMM")
    session(port(other, 1), at(1000), at(1101), id_tag="CAR-7")
    report(port(other, 1), "Faulted", at(1100), "OtherError", vendor_error_code="EV_COMM")
    assert not FaultEpisode.objects.filter(vehicle_suspected=True).exists()


def test_an_episode_that_bridges_two_incidents_merges_them_and_closing_them_all_ends_them(
    site, charger, knowledge
):
    others = [neighbour(site, f"CP-{n}") for n in range(20, 27)]
    ports = [port(charger, 1), *(port(other, 1) for other in others)]
    for one, second in zip(ports[:3], [0, 10, 20], strict=True):
        report(one, "Faulted", at(second), "InternalError")
    for one, second in zip(ports[3:6], [600, 610, 620], strict=True):
        report(one, "Faulted", at(second), "InternalError")
    assert SiteIncident.objects.count() == 2
    report(ports[6], "Faulted", at(310), "InternalError")  # within minutes of both groups

    assert not SiteIncident.objects.filter(episodes__isnull=True).exists()
    for one in ports[:7]:
        report(one, "Available", at(4000))
    assert not SiteIncident.objects.filter(closed_at=None).exists()
    assert FaultEpisode.objects.filter(incident__isnull=True).count() == 0
