from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and roles"

    def ready(self):
        import config.checks  # noqa: F401  (registers the SECRET_KEY system check)
        from accounts.roles import sync_roles_after_migrate

        # Django creates permissions for new models in post_migrate; the roles are topped up right
        # after, so a model added by a later migration reaches the groups that should have it.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
