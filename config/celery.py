"""The Celery app (`celery -A config worker`, `celery -A config beat`)."""

import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("faultline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RequireSecretKey(bootsteps.Step):
    """The worker refuses to start without a SECRET_KEY in production, as the server does (a signal
    handler could not stop it: Celery logs a receiver's error and goes on)."""

    def __init__(self, worker, **kwargs):
        from config.checks import require_secret_key

        require_secret_key()
        super().__init__(worker, **kwargs)


app.steps["worker"].add(RequireSecretKey)
