"""Benchmark: knowledge-base translations per second for a realistic mix of fault reports.

It loads the starter knowledge base plus a few thousand synthetic manufacturer entries into a
*dedicated* database, then translates a shuffled mix of reports (standard codes, manufacturer codes
with models and firmware, ChargeX and EVgo codes, e-stops in several languages, unrelated text,
unknown codes, 2.0.1 events) twice: re-checking the knowledge-base version on every translation (the
default) and once a second (KB_RULES_RECHECK_MS=1000).

    createdb -h 127.0.0.1 -U postgres fl_kb_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_kb_bench DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_kb_bench .venv/bin/python bench/translate_speed.py

The script refuses to run on a database whose name lacks "bench".
"""

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from knowledgebase.models import ChargerModel, CodeEntry, KnowledgeVersion, Manufacturer  # noqa: E402
from knowledgebase.seed.loader import load_knowledge  # noqa: E402
from knowledgebase.translate import Report, translate  # noqa: E402
from knowledgebase.vocabulary import Category, EntryStatus, Severity  # noqa: E402

SYNTHETIC_MAKERS = 40
CODES_PER_MAKER = 100


def prepare() -> None:
    load_knowledge()
    if Manufacturer.objects.filter(name="Bench maker 0").exists():
        return
    entries = []
    for number in range(SYNTHETIC_MAKERS):
        maker = Manufacturer.objects.create(
            name=f"Bench maker {number}", aliases=f"BM{number}, com.bench{number}"
        )
        model = ChargerModel.objects.create(
            manufacturer=maker, name=f"M{number}", name_patterns=f"M{number}*"
        )
        for code in range(CODES_PER_MAKER):
            entry = CodeEntry(
                manufacturer=maker,
                charger_model=model if code % 5 == 0 else None,
                firmware_min="2.0" if code % 10 == 0 else "",
                firmware_max="2.9" if code % 10 == 0 else "",
                code=f"E{code:03d}",
                meaning=f"Bench fault {code}",
                category=random.choice([Category.POWER_MODULE, Category.TEMPERATURE, Category.INTERNAL]),
                severity=Severity.FAULT,
                status=EntryStatus.LIVE,
            )
            entry.match_key = entry.compute_match_key()
            entries.append(entry)
    CodeEntry.objects.bulk_create(entries)
    KnowledgeVersion.mark_changed()


def report_mix(count: int, seed: int = 7) -> list[Report]:
    rng = random.Random(seed)
    standard = [
        "GroundFailure",
        "InternalError",
        "HighTemperature",
        "OverVoltage",
        "ReaderFailure",
        "WeakSignal",
    ]
    phrases = [
        "[42300]Emergency stop button pressed",
        "F400: EMERGENCY_STOP_BUTTON_1",
        "Not-Aus betätigt",
        "Arrêt d'urgence activé",
        "Noodstop ingedrukt",
        "StopReason:Local",
        "Emergency lighting test ok",
        "DC output module Vol abnormal during idle time",
        "See logging for more information",
        "DYING GASP",
    ]
    makers = [
        lambda: Report(
            vendor="Voltaro",
            model="VX-150",
            firmware=rng.choice(["2.9", "3.2", "3.10"]),
            error_code="OtherError",
            vendor_error_code="0x6012",
        ),
        lambda: Report(
            vendor="Brightwatt", error_code="OtherError", vendor_error_code=rng.choice(["0x6012", "10"])
        ),
        lambda: Report(
            vendor=f"BM{rng.randrange(SYNTHETIC_MAKERS)}",
            model=f"M{rng.randrange(SYNTHETIC_MAKERS)}-X",
            firmware="2.4",
            error_code="OtherError",
            vendor_error_code=f"E{rng.randrange(CODES_PER_MAKER):03d}",
        ),
    ]
    kinds = [
        (30, lambda: Report(status="Faulted", error_code=rng.choice(standard))),
        (25, lambda: rng.choice(makers)()),
        (
            10,
            lambda: Report(
                vendor_id="https://chargex.inl.gov",
                error_code="OtherError",
                vendor_error_code=f"CX{rng.randint(1, 26):03d}",
            ),
        ),
        (
            5,
            lambda: Report(
                vendor_id="com.evgo.mrec", vendor_error_code=rng.choice(["A004", "A000,F008", "F0AB"])
            ),
        ),
        (
            15,
            lambda: Report(
                connector_id=rng.choice([0, 1, 2]),
                status="Faulted",
                error_code="OtherError",
                vendor_error_code=rng.choice(phrases)[:50],
                info=rng.choice(phrases),
            ),
        ),
        (
            10,
            lambda: Report(
                vendor="Unknown GmbH", error_code="OtherError", vendor_error_code=f"X{rng.randrange(999)}"
            ),
        ),
        (
            5,
            lambda: Report(
                ocpp_version="2.0.1",
                component=rng.choice(["EVSE", "ConnectorPlugRetentionLock"]),
                variable="Problem",
                tech_code=rng.choice(["", "CX019", "VND-7"]),
            ),
        ),
    ]
    weights = [weight for weight, _ in kinds]
    makers_of = [make for _, make in kinds]
    return [rng.choices(makers_of, weights)[0]() for _ in range(count)]


def measure(reports: list[Report], recheck_ms: int) -> tuple[float, Counter]:
    settings.KB_RULES_RECHECK_MS = recheck_ms
    translate(reports[0])  # build the rule set outside the timing
    matched: Counter = Counter()
    started = time.perf_counter()
    for report in reports:
        matched[translate(report).matched_by] += 1
    elapsed = time.perf_counter() - started
    return len(reports) / elapsed, matched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50_000)
    options = parser.parse_args()
    if "bench" not in connection.settings_dict["NAME"]:
        print("Refusing: point DATABASE_URL at a database whose name contains 'bench'.", file=sys.stderr)
        return 2
    prepare()
    reports = report_mix(options.reports)
    live = CodeEntry.objects.filter(status=EntryStatus.LIVE).count()
    print(f"{live} live entries, {len(reports)} reports ({connection.vendor})")
    for recheck in (0, 1000):
        rate, matched = measure(reports, recheck)
        print(f"KB_RULES_RECHECK_MS={recheck:<5} {rate:>10,.0f} translations/s")
    print(f"matched by: {dict(sorted(matched.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
