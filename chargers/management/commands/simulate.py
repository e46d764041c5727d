"""`python manage.py simulate`: a fleet of simulated chargers talking OCPP to a Faultline server."""

import asyncio
import logging

import ocpp.messages
from django.core.management.base import BaseCommand, CommandError

from chargers.simulator.fleet import FleetOptions, build_fleet, make_stations, register_fleet, run_fleet


def positive(kind):
    def parse(raw: str):
        value = kind(raw)
        if value <= 0:
            raise ValueError(raw)
        return value

    parse.__name__ = kind.__name__
    return parse


class Command(BaseCommand):
    help = (
        "Run N simulated chargers (several makes, OCPP 1.6 and 2.0.1) against an OCPP endpoint: boots, "
        "heartbeats, sessions with meter values, faults in each make's own dialect, answers to commands."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--chargers", type=positive(int), default=10, help="How many chargers (default 10)."
        )
        parser.add_argument(
            "--url",
            default="ws://127.0.0.1:8000/ocpp",
            help="The OCPP endpoint; each charger appends /<its id>.",
        )
        parser.add_argument(
            "--register",
            action="store_true",
            help="First create the chargers (and demo sites) in this database, with passwords they will use.",
        )
        parser.add_argument(
            "--duration",
            type=positive(float),
            default=3600.0,
            help="Real seconds to run, then stop (default 3600).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Same seed, same fleet and same traffic plan."
        )
        parser.add_argument(
            "--speed",
            type=positive(float),
            default=1.0,
            help="Time compression: 60 plays a simulated minute per real second (default 1, real time).",
        )
        parser.add_argument(
            "--mean-idle",
            type=positive(float),
            default=1800.0,
            help="Simulated seconds between a charger's sessions or faults, on average (default 1800).",
        )
        parser.add_argument("--prefix", default="SIM", help="Charge point ids look like <prefix>-VLT-00001.")

    def handle(self, *args, **options):
        if not options["url"].startswith(("ws://", "wss://")):
            raise CommandError(f"--url {options['url']!r} is not a WebSocket URL (ws://… or wss://…).")
        fleet = build_fleet(options["chargers"], seed=options["seed"], prefix=options["prefix"])
        if options["register"]:
            created = register_fleet(fleet, seed=options["seed"])
            self.stdout.write(f"Registered {created} new chargers ({len(fleet) - created} already there).")
        fleet_options = FleetOptions(
            url=options["url"],
            duration=options["duration"],
            speed=options["speed"],
            seed=options["seed"],
            mean_idle=options["mean_idle"],
        )
        # The thread hop of the library's default validation buys nothing for a single-process client.
        ocpp.messages.ASYNC_VALIDATION = False
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        self.stdout.write(
            f"Simulating {len(fleet)} chargers against {options['url']} for {options['duration']:g} s "
            f"at {options['speed']:g}x."
        )
        stations = make_stations(fleet, fleet_options)
        totals = asyncio.run(run_fleet(stations, fleet_options))
        self.stdout.write(
            f"Done: {totals.boots} boots, {totals.sent} messages acknowledged, "
            f"{totals.refused} refused or unanswered, {totals.answered} server commands answered, "
            f"{totals.connect_failures} connection failures."
        )
