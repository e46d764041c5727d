from django.core.management.base import BaseCommand

from accounts.roles import sync_roles


class Command(BaseCommand):
    help = "Create the role groups and align their permissions with accounts/roles.py."

    def handle(self, *args, **options):
        sync_roles()
        self.stdout.write("Roles synchronised.")
