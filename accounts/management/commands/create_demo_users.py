from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts.roles import Role, sync_roles

DEMO_USERS = (
    # username, password, role, is_staff (may open the Django admin)
    ("operator", "operator-demo-pass", Role.OPERATOR, False),
    ("technician", "technician-demo-pass", Role.TECHNICIAN, False),
    ("admin", "admin-demo-pass", Role.KB_ADMIN, True),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo's operator, technician and admin logins and print them."

    def handle(self, *args, **options):
        sync_roles()
        User = get_user_model()
        for username, password, role, is_staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = is_staff
            user.save(update_fields=["password", "is_staff"])
            user.groups.set([Group.objects.get(name=role.value)])
            self.stdout.write(f"  {role.label:<22} {username} / {password}")
