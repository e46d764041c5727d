"""ASGI entry point: HTTP through Django, WebSockets routed per app (`config.asgi:application`)."""

import gc
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from config.checks import require_secret_key  # noqa: E402

require_secret_key()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from config.routing import browser_websocket_routes, charger_websocket_routes  # noqa: E402


def _websocket_app():
    # Chargers are not browsers: they send no Origin and authenticate with HTTP Basic, so only the
    # browser routes get the session and the Origin check.
    browser = AllowedHostsOriginValidator(
        CookieMiddleware(SessionMiddleware(AuthMiddleware(URLRouter(browser_websocket_routes()))))
    )
    chargers = URLRouter(charger_websocket_routes())

    async def route(scope, receive, send):
        if scope["path"].startswith("/ocpp/"):
            return await chargers(scope, receive, send)
        return await browser(scope, receive, send)

    return route


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": _websocket_app()})


def _tune_garbage_collector() -> None:
    """A server process holds hundreds of thousands of long-lived objects (thousands of charger
    sessions, Django's and the schemas' own), and Python's default thresholds (700, 10, 10) kept the
    cyclic collector walking them: at 5,000 chargers, 0.075 % of a core per acknowledged frame with
    them, 0.05 % with these (BENCHMARKS.md). What exists once the app is loaded is moved out of the
    collector's sight; young collections come every SERVER_GC_THRESHOLD allocations, older ones
    every 20 and 100 of those. Reference counting still frees everything that is not a cycle at once.
    """
    if settings.SERVER_GC_THRESHOLD:
        gc.freeze()
        gc.set_threshold(settings.SERVER_GC_THRESHOLD, 20, 100)


_tune_garbage_collector()
