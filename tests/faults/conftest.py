"""Shared setup for the faults tests: a small fleet, a small knowledge base, and helpers that store
reports the way ingestion does and run the announced tasks on them."""

from datetime import UTC, datetime, timedelta

import pytest
from celery import current_app
from django.test import TestCase

from chargers.models import ConnectivityChange, DeviceEvent, MeterReading, StatusReport, Transaction
from faults import tasks
from knowledgebase.models import CodeEntry, Playbook, PlaybookStep, TextPattern
from knowledgebase.vocabulary import Category, EntryScope, EntrySource, Responsible, Severity
from tests.factories import ChargerFactory, ConnectorFactory, SiteFactory

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A moment `seconds` after 06:00 UTC on the test day."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def celery_in_process(request):
    """Tasks queued with apply_async/delay run at once in this process (the e2e tests use a worker)."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    before = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager = True
    current_app.conf.task_eager_propagates = True
    yield
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = before


def committed(function, *args, **kwargs):
    """Run `function` and then the on-commit callbacks it queued, as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return function(*args, **kwargs)


@pytest.fixture
def site(db):
    return SiteFactory(name="Depot North", timezone="UTC")


@pytest.fixture
def charger(site):
    charger = ChargerFactory(charge_point_id="CP-7", site=site, vendor="Acme Charging", model="AC22")
    ConnectorFactory(charger=charger, evse_id=0, connector_id=0)
    ConnectorFactory(charger=charger, evse_id=1)
    ConnectorFactory(charger=charger, evse_id=2)
    return charger


def port(charger, number: int):
    return charger.connectors.get(evse_id=number, connector_id=number)


def report(connector, status: str, when: datetime, error_code: str = "NoError", **fields) -> StatusReport:
    """Store a StatusReport and run the STATUS_REPORTED task on it, as ingestion announces it."""
    row = StatusReport.objects.create(
        charger=connector.charger,
        connector=connector,
        status=status,
        error_code=error_code,
        charger_timestamp=when,
        received_at=fields.pop("received_at", when),
        event_at=when,
        **fields,
    )
    committed(tasks.status_reported.delay, row.pk)
    return row


def store_only(connector, status: str, when: datetime, error_code: str = "NoError", **fields) -> StatusReport:
    return StatusReport.objects.create(
        charger=connector.charger,
        connector=connector,
        status=status,
        error_code=error_code,
        event_at=when,
        received_at=fields.pop("received_at", when),
        **fields,
    )


def device_event(charger, when, *, variable="Problem", value="true", cleared=False, connector=None, **fields):
    row = DeviceEvent.objects.create(
        charger=charger,
        connector=connector,
        event_id=fields.pop("event_id", DeviceEvent.objects.count() + 1),
        event_at=when,
        trigger=fields.pop("trigger", "Alerting"),
        actual_value=value,
        cleared=cleared,
        component_name=fields.pop("component_name", "ChargingStation"),
        variable_name=variable,
        **fields,
    )
    committed(tasks.device_event_reported.delay, row.pk)
    return row


def meter(connector, when, wh: float, transaction=None) -> MeterReading:
    return MeterReading.objects.create(
        charger=connector.charger,
        connector=connector,
        sampled_at=when,
        value=wh,
        unit="Wh",
        transaction=transaction,
    )


def meter_values_arrived(connector, first, last):
    committed(tasks.meter_values_reported.delay, connector.pk, first.isoformat(), last.isoformat())


def session(connector, started, stopped=None, id_tag="TAG-1", number=None) -> Transaction:
    return Transaction.objects.create(
        charger=connector.charger,
        connector=connector,
        transaction_id=str(number or Transaction.objects.count() + 1),
        id_tag=id_tag,
        started_at=started,
        stopped_at=stopped,
    )


def connectivity(charger, when, online: bool) -> ConnectivityChange:
    row = ConnectivityChange.objects.create(charger=charger, at=when, online=online)
    committed(tasks.connectivity_changed.delay, row.pk)
    return row


def _ocpp(code, meaning, category, severity, responsible, escalation="", next_action="", playbook=None):
    return CodeEntry.objects.create(
        scope=EntryScope.OCPP,
        code=code,
        meaning=meaning,
        category=category,
        severity=severity,
        responsible=responsible,
        escalation_responsible=escalation,
        next_action=next_action,
        playbook=playbook,
        source=EntrySource.STANDARD,
    )


@pytest.fixture
def knowledge(db):
    """A few knowledge-base entries, as an admin would write them (test setup data)."""
    estop_playbook = Playbook.objects.create(
        slug="estop", name="Emergency stop pressed", escalation="Call the vendor if it will not reset."
    )
    PlaybookStep.objects.create(
        playbook=estop_playbook,
        position=1,
        title="Release the button",
        role=Responsible.SITE_STAFF,
        estimated_minutes=1,
    )
    PlaybookStep.objects.create(
        playbook=estop_playbook,
        position=2,
        title="Reset the charger",
        role=Responsible.SITE_STAFF,
        estimated_minutes=1,
    )
    estop = CodeEntry.objects.create(
        scope=EntryScope.OCPP,
        code="",
        text_pattern="emergency stop*",
        meaning="Its emergency stop button was pressed",
        category=Category.EMERGENCY_STOP,
        severity=Severity.FAULT,
        responsible=Responsible.SITE_STAFF,
        escalation_responsible=Responsible.VENDOR_SERVICE,
        next_action="Release the button and reset the charger",
        playbook=estop_playbook,
        source=EntrySource.FIELD,
    )
    for name, pattern in [("English", "emergency stop*"), ("Short", "e stop*"), ("German", "not aus")]:
        TextPattern.objects.create(name=name, pattern=pattern, entry=estop, priority=10)
    return {
        "estop": estop,
        "estop_playbook": estop_playbook,
        "ground": _ocpp(
            "GroundFailure",
            "Ground-fault protection tripped",
            Category.GROUND_FAULT,
            Severity.CRITICAL,
            Responsible.ELECTRICIAN,
            Responsible.VENDOR_SERVICE,
            "Take the port out of service and call an electrician",
        ),
        "internal": _ocpp(
            "InternalError",
            "The charger's own hardware or software failed",
            Category.INTERNAL,
            Severity.FAULT,
            Responsible.REMOTE_OPERATOR,
            Responsible.VENDOR_SERVICE,
            "Reset the charger remotely",
        ),
        "other": _ocpp(
            "OtherError",
            "An unspecified fault",
            Category.OTHER,
            Severity.FAULT,
            Responsible.REMOTE_OPERATOR,
            Responsible.VENDOR_SERVICE,
            "Read the vendor code, then reset remotely",
        ),
        "temperature": _ocpp(
            "HighTemperature",
            "It is too hot and limits its power",
            Category.TEMPERATURE,
            Severity.WARNING,
            Responsible.SITE_STAFF,
            Responsible.VENDOR_SERVICE,
            "Check that the vents are clear",
        ),
        "voltage": _ocpp(
            "UnderVoltage",
            "The supply voltage is too low",
            Category.VOLTAGE,
            Severity.CRITICAL,
            Responsible.ELECTRICIAN,
            Responsible.ELECTRICIAN,
            "Have the site supply checked",
        ),
        "problem": _ocpp(
            "ChargingStation/Problem",
            "The charging station reports a problem",
            Category.INTERNAL,
            Severity.FAULT,
            Responsible.REMOTE_OPERATOR,
            Responsible.VENDOR_SERVICE,
            "Reset the charger remotely",
        ),
    }
