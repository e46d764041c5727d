from django.core.management.base import BaseCommand

from knowledgebase.seed.loader import load_knowledge


class Command(BaseCommand):
    help = (
        "Load Faultline's starter knowledge base: OCPP 1.6/2.0.1 codes, ChargeX and EVgo-style MRECs, "
        "playbooks, e-stop and other text patterns, and sample manufacturers. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--update", action="store_true", help="Also overwrite shipped rows that admins may have edited."
        )

    def handle(self, *args, update=False, **options):
        counts = load_knowledge(update=update)
        summary = ", ".join(f"{count} {what}" for what, count in sorted(counts.items()) if count)
        if options["verbosity"] > 0:
            self.stdout.write(f"Knowledge base loaded: {summary or 'nothing new'}.")
