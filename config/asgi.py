"""ASGI entry point: HTTP through Django, WebSockets routed per app (`config.asgi:application`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

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
