"""What production refuses to start without, checked where the processes that need it start.

The settings load without a SECRET_KEY, so that a command which signs nothing (makemigrations,
collectstatic) runs anywhere; the server (config.asgi), the Celery worker (config.celery) and
`manage.py check --deploy` (the system check below) stop with this message instead.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "SECRET_KEY is not set: production refuses to start without one "
    "(set DEBUG=1 for a local demo, which uses a throwaway key)."
)


def secret_key_is_set() -> bool:
    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django's own refusal to hand out an empty key
        return False


def require_secret_key() -> None:
    if not secret_key_is_set():
        raise ImproperlyConfigured(MISSING_SECRET_KEY)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    return [] if secret_key_is_set() else [checks.Error(MISSING_SECRET_KEY, id="faultline.E001")]
