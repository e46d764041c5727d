"""The three roles Faultline ships with and the permissions each holds.

Permissions are given by pattern ("app_label.codename", shell-style wildcards) so that a model added
later joins the right groups without editing this file. `sync_roles()` makes the groups match.
"""

from fnmatch import fnmatchcase

from django.db.models import TextChoices

READ_EVERYTHING = ("chargers.view_*", "faults.view_*", "knowledgebase.view_*")


class Role(TextChoices):
    OPERATOR = "Operators", "Operator"
    TECHNICIAN = "Technicians", "Technician"
    KB_ADMIN = "Knowledge-base admins", "Knowledge-base admin"


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Operators watch the fleet, act remotely and record excluded downtime.
    Role.OPERATOR: READ_EVERYTHING
    + (
        "chargers.send_command",
        "chargers.add_site",
        "chargers.change_site",
        "chargers.add_charger",
        "chargers.change_charger",
        "faults.*_exclusion",
        "faults.change_faultepisode",
        "faults.*_alertcontact",
    ),
    # Technicians follow playbooks on site and record what they did.
    Role.TECHNICIAN: READ_EVERYTHING
    + (
        "faults.add_playbookrun",
        "faults.change_playbookrun",
        "faults.*_playbookrunstep",
        "faults.*_sitephoto",
    ),
    # Knowledge-base admins keep manuals, codes, playbooks and per-model phantom rules.
    Role.KB_ADMIN: READ_EVERYTHING + ("knowledgebase.*", "faults.*_phantomrule"),
}


def permissions_for(role: str, all_permissions):
    patterns = ROLE_PERMISSIONS[role]
    return [
        perm
        for perm in all_permissions
        if any(fnmatchcase(f"{perm.content_type.app_label}.{perm.codename}", p) for p in patterns)
    ]


def sync_roles(group_model=None, permission_model=None):
    """Create the role groups and give each exactly the permissions its patterns match."""
    if group_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    all_permissions = list(permission_model.objects.select_related("content_type"))
    for role in Role:
        group, _ = group_model.objects.get_or_create(name=role.value)
        group.permissions.set(permissions_for(role, all_permissions))


def sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs):
    # Run once per migrate, after the last app's permissions exist.
    from django.apps import apps

    if app_config is None or app_config.label != list(apps.get_app_configs())[-1].label:
        return
    sync_roles()
