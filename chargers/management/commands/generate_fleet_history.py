"""`python manage.py generate_fleet_history`: a large fleet with a month of history, for measurements.

Ten thousand chargers (25,000 ports by default) on a hundred sites, each port with a month of
sessions (statuses, transactions, energy readings), faults in the makes' dialects with their fault
episodes, offline spells, and the raw message log for the last days. Rows go in with PostgreSQL
COPY: the point is to measure pages, API lists and uptime roll-ups at scale, not to replay traffic.
"""

import json
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from chargers.models import (
    Charger,
    ConnectivityChange,
    Connector,
    Direction,
    MessageType,
    MeterReading,
    OcppMessage,
    Site,
    StatusReport,
    Transaction,
)
from chargers.simulator.dialects import SCENARIOS
from chargers.simulator.fleet import SITE_NAMES
from chargers.simulator.profiles import MAKES
from chargers.simulator.traffic import TrafficPlan

# A fault lasts from a minute to a day (minutes), skewed short like the field.
FAULT_MINUTES = (1, 24 * 60)
PORTS_PER_CHUNK = 1000


def copy_rows(model, rows: list[dict]) -> int:
    """COPY dicts (attname -> value) into the model's table; fields left out take their default."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    defaults = {field.attname: field.get_default() for field in fields}
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for field in fields:
                    value = row.get(field.attname, defaults[field.attname])
                    if field.attname in json_fields and value is not None:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)
    return len(rows)


def fault_signatures() -> dict[str, list[dict]]:
    """For each make, the StatusNotification fields its faults are raised with (1.6 form)."""
    signatures = {}
    for make in MAKES:
        plan = TrafficPlan(make, "HISTORY", seed=0)
        found = []
        for name in make.faults:
            payload = SCENARIOS[name](plan, 1).steps[0].payload
            if make.is_v201:
                # 2.0.1 carries the code in NotifyEvent; the status history only says Faulted.
                found.append({"error_code": "", "vendor_id": "", "vendor_error_code": "", "info": ""})
            else:
                found.append(
                    {
                        "error_code": payload["errorCode"],
                        "vendor_id": payload.get("vendorId", ""),
                        "vendor_error_code": payload.get("vendorErrorCode", ""),
                        "info": payload.get("info", ""),
                    }
                )
        signatures[make.key] = found
    return signatures


class Command(BaseCommand):
    help = (
        "Generate a large fleet (default 10,000 chargers, 25,000 ports) with a month of status history, "
        "sessions, faults and episodes, offline spells and a message log. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chargers", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--sessions-per-day", type=float, default=1.0, help="per port, on average")
        parser.add_argument("--faults-per-month", type=float, default=2.0, help="per port, on average")
        parser.add_argument("--log-days", type=int, default=3, help="days of raw message log to write")
        parser.add_argument("--prefix", default="HIST")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_fleet_history writes with COPY: run it on PostgreSQL (DATABASE_URL)."
            )
        if options["chargers"] < 1 or options["days"] < 1:
            raise CommandError("--chargers and --days must be at least 1.")
        if Charger.objects.filter(charge_point_id__startswith=f"{options['prefix']}-").exists():
            raise CommandError(
                f"Chargers with the prefix {options['prefix']!r} exist already: use another --prefix."
            )
        started = time.monotonic()
        with transaction.atomic():
            counts = History(options).write()
        elapsed = time.monotonic() - started
        self.stdout.write(
            ", ".join(f"{count:,} {name}" for name, count in counts.items()) + f" in {elapsed:.0f} s."
        )


class History:
    """The generator's state: the fleet it created and the rows it is about to write."""

    def __init__(self, options: dict):
        self.options = options
        self.rng = random.Random(options["seed"])
        self.now = timezone.now().replace(microsecond=0)
        self.start = self.now - timedelta(days=options["days"])
        self.signatures = fault_signatures()

    def write(self) -> dict[str, int]:
        counts = {}
        sites = [
            Site.objects.get_or_create(name=f"{name} {number} (history)")[0]
            for number in range(1, 21)
            for name in SITE_NAMES
        ]
        chargers = self._chargers(sites)
        counts["chargers"] = len(chargers)
        ports = self._ports(chargers)
        counts["ports"] = sum(1 for port in ports if port.evse_id)
        counts.update({"status reports": 0, "transactions": 0, "meter readings": 0})
        faults, logged, latest = [], [], []
        log_since = self.now - timedelta(days=self.options["log_days"])
        # A thousand ports at a time, so that memory stays small whatever the fleet's size.
        for first in range(0, len(ports), PORTS_PER_CHUNK):
            reports, transactions, readings = [], [], []
            for port in ports[first : first + PORTS_PER_CHUNK]:
                if port.evse_id:
                    self._port_month(port, reports, transactions, readings, faults)
            counts["status reports"] += copy_rows(StatusReport, reports)
            counts["transactions"] += copy_rows(Transaction, transactions)
            counts["meter readings"] += copy_rows(MeterReading, readings)
            logged += [report for report in reports if report["received_at"] >= log_since]
            latest += self._latest_reports(reports)
        counts["fault episodes"] = self._episodes(faults)
        counts["connectivity changes"] = copy_rows(ConnectivityChange, self._offline_spells(chargers))
        counts["logged messages"] = copy_rows(OcppMessage, self._message_log(chargers, logged))
        self._latest_statuses(ports, latest)
        return counts

    def _chargers(self, sites: list[Site]) -> list[Charger]:
        prefix = self.options["prefix"]
        chargers = []
        for number in range(1, self.options["chargers"] + 1):
            make = MAKES[(number - 1) % len(MAKES)]
            chargers.append(
                Charger(
                    charge_point_id=f"{prefix}-{make.key}-{number:05d}",
                    site=sites[number % len(sites)],
                    vendor=make.vendor,
                    model=make.model,
                    serial_number=f"{make.key}{number:08d}",
                    firmware_version=make.firmware,
                    ocpp_version=make.ocpp_version,
                    commissioned_at=self.start - timedelta(days=90),
                    last_boot_at=self.start,
                    last_seen_at=self.now,
                )
            )
        return Charger.objects.bulk_create(chargers, batch_size=2000)

    def _ports(self, chargers: list[Charger]) -> list[Connector]:
        ports = []
        for index, charger in enumerate(chargers):
            make = MAKES[index % len(MAKES)]
            # Two or three ports per charger: 2.5 on average, 25,000 for 10,000 chargers.
            count = 3 if index % 2 else 2
            ports.append(
                Connector(charger=charger, evse_id=0, connector_id=0, commissioned_at=charger.commissioned_at)
            )
            for number in range(1, count + 1):
                connector_id = 1 if make.is_v201 else number
                ports.append(
                    Connector(
                        charger=charger,
                        evse_id=number,
                        connector_id=connector_id,
                        commissioned_at=charger.commissioned_at,
                    )
                )
        ports = Connector.objects.bulk_create(ports, batch_size=5000)
        self.make_of = {charger.pk: MAKES[index % len(MAKES)] for index, charger in enumerate(chargers)}
        return ports

    def _moment(self, day: int, low_hour: float = 0, high_hour: float = 24):
        return self.start + timedelta(days=day, hours=self.rng.uniform(low_hour, high_hour))

    def _report(self, port: Connector, at, status: str, **fields) -> dict:
        return {
            "charger_id": port.charger_id,
            "connector_id": port.pk,
            "status": status,
            "error_code": fields.get("error_code", "NoError"),
            "vendor_id": fields.get("vendor_id", ""),
            "vendor_error_code": fields.get("vendor_error_code", ""),
            "info": fields.get("info", ""),
            "charger_timestamp": at,
            "received_at": at + timedelta(milliseconds=self.rng.randint(20, 900)),
            "event_at": at,
            "nonconforming": False,
        }

    def _port_month(self, port, reports, transactions, readings, faults) -> None:
        make = self.make_of[port.charger_id]
        register = self.rng.uniform(1e5, 5e6)
        reports.append(self._report(port, self.start, "Available"))
        for day in range(self.options["days"]):
            sessions = int(self.options["sessions_per_day"]) + (
                self.rng.random() < self.options["sessions_per_day"] % 1
            )
            for _ in range(sessions):
                begin = self._moment(day, 6, 21)
                end = begin + timedelta(minutes=self.rng.uniform(20, 120))
                energy = (
                    (end - begin).total_seconds() / 3600 * self.rng.uniform(7_000, 0.8 * make.max_power_w)
                )
                transaction_id = f"{port.pk}-{day}-{self.rng.getrandbits(24)}"
                occupied = "Occupied" if make.is_v201 else "Charging"
                reports.append(self._report(port, begin, "Preparing" if not make.is_v201 else "Occupied"))
                reports.append(self._report(port, begin + timedelta(seconds=30), occupied))
                reports.append(self._report(port, end, "Finishing" if not make.is_v201 else "Occupied"))
                reports.append(self._report(port, end + timedelta(minutes=2), "Available"))
                transactions.append(
                    {
                        "charger_id": port.charger_id,
                        "connector_id": port.pk,
                        "transaction_id": transaction_id,
                        "id_tag": "TAG1234",
                        "started_at": begin,
                        "stopped_at": end,
                        "meter_start_wh": round(register),
                        "meter_stop_wh": round(register + energy),
                        "stop_reason": "EVDisconnected",
                    }
                )
                for at, value in ((begin, register), (end, register + energy)):
                    readings.append(
                        {
                            "charger_id": port.charger_id,
                            "connector_id": port.pk,
                            "sampled_at": at,
                            "received_at": at,
                            "measurand": MeterReading.ENERGY_REGISTER,
                            "value": round(value),
                            "unit": "Wh",
                            "context": "Sample.Periodic",
                        }
                    )
                register += energy
        for _ in range(self._poisson(self.options["faults_per_month"] * self.options["days"] / 30)):
            opened = self._moment(self.rng.randrange(self.options["days"]))
            minutes = min(FAULT_MINUTES[1], self.rng.expovariate(1 / 90) + FAULT_MINUTES[0])
            closed = opened + timedelta(minutes=minutes)
            signature = self.rng.choice(self.signatures[make.key])
            raised = self._report(port, opened, "Faulted", **signature)
            reports.append(raised)
            still_open = closed >= self.now
            if not still_open:
                reports.append(self._report(port, closed, "Available"))
            faults.append((port, make, opened, None if still_open else closed, signature))

    def _poisson(self, mean: float) -> int:
        count, threshold, product = 0, pow(2.718281828459045, -mean), self.rng.random()
        while product > threshold:
            count += 1
            product *= self.rng.random()
        return count

    def _episodes(self, faults) -> int:
        # Synthetic history, written directly like a fixture: replaying it through faults.actions
        # would take hours and publish live events nobody asked for. Translations are the real ones.
        from faults.models import FaultEpisode
        from knowledgebase.translate import Report, translate

        translations = {}
        rows = []
        for port, make, opened, closed, signature in faults:
            key = (make.key, *signature.values())
            if key not in translations:
                translations[key] = translate(
                    Report(
                        ocpp_version=make.ocpp_version,
                        vendor=make.vendor,
                        model=make.model,
                        firmware=make.firmware,
                        evse_id=port.evse_id,
                        connector_id=port.connector_id,
                        status="Faulted",
                        **signature,
                    )
                )
            meaning = translations[key]
            rows.append(
                {
                    "charger_id": port.charger_id,
                    "connector_id": port.pk,
                    "opened_at": opened,
                    "closed_at": closed,
                    "status": "Faulted",
                    **signature,
                    "category": meaning.category,
                    "severity": meaning.severity,
                    "responsible": meaning.responsible,
                    "escalation_responsible": meaning.escalation_responsible,
                    "meaning": meaning.meaning,
                    "next_action": meaning.next_action,
                    "match_reason": meaning.reason[:300],
                    "matched_by": meaning.matched_by,
                    "knowledge_entry_id": meaning.entry_id,
                    "playbook_id": meaning.playbook_id,
                    "playbook_name": meaning.playbook_name,
                    "charging_possible": meaning.charging_possible,
                    "is_safety": meaning.is_safety,
                    "classified_at": opened,
                }
            )
        return copy_rows(FaultEpisode, rows)

    def _offline_spells(self, chargers: list[Charger]) -> list[dict]:
        rows = []
        for charger in chargers:
            rows.append(
                {"charger_id": charger.pk, "at": self.start, "online": True, "reason": "socket opened"}
            )
            if self.rng.random() < 0.3:
                went = self._moment(self.rng.randrange(self.options["days"]))
                back = went + timedelta(minutes=self.rng.uniform(5, 240))
                rows.append(
                    {"charger_id": charger.pk, "at": went, "online": False, "reason": "heartbeat missed"}
                )
                rows.append({"charger_id": charger.pk, "at": back, "online": True, "reason": "socket opened"})
        return rows

    def _message_log(self, chargers: list[Charger], reports: list[dict]) -> list[dict]:
        """The last days of the raw log: each status report's frame, and a heartbeat per charger hourly."""
        since = self.now - timedelta(days=self.options["log_days"])
        versions = {charger.pk: charger.ocpp_version for charger in chargers}
        rows = []
        for number, report in enumerate(reports):
            payload = {"connectorId": 0, "errorCode": report["error_code"], "status": report["status"]}
            rows.append(self._message(report["charger_id"], versions, report["received_at"], number, payload))
        hours = int(self.options["log_days"] * 24)
        for charger in chargers:
            for hour in range(hours):
                at = since + timedelta(hours=hour, seconds=charger.pk % 3600)
                rows.append(self._message(charger.pk, versions, at, hour, {}, action="Heartbeat"))
        return rows

    @staticmethod
    def _message(charger_id, versions, at, number, payload, action="StatusNotification") -> dict:
        return {
            "charger_id": charger_id,
            "received_at": at,
            "direction": Direction.IN,
            "message_type": MessageType.CALL,
            "unique_id": f"h{number}",
            "action": action,
            "payload": payload,
            "raw": "",
            "ocpp_version": versions[charger_id],
            "error": "",
        }

    @staticmethod
    def _latest_reports(reports: list[dict]) -> list[dict]:
        latest = {}
        for report in reports:
            current = latest.get(report["connector_id"])
            if current is None or report["event_at"] >= current["event_at"]:
                latest[report["connector_id"]] = report
        return list(latest.values())

    def _latest_statuses(self, ports: list[Connector], reports: list[dict]) -> None:
        latest = {report["connector_id"]: report for report in reports}
        changed = []
        for port in ports:
            report = latest.get(port.pk)
            if report is None:
                continue
            port.status = report["status"]
            port.error_code = report["error_code"]
            port.vendor_id = report["vendor_id"]
            port.vendor_error_code = report["vendor_error_code"]
            port.info = report["info"]
            port.status_since = report["event_at"]
            changed.append(port)
        Connector.objects.bulk_update(
            changed,
            ["status", "error_code", "vendor_id", "vendor_error_code", "info", "status_since"],
            batch_size=5000,
        )
