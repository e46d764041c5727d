"""WebSocket routes, composed from each app's routing module."""


def charger_websocket_routes():
    from chargers.routing import charger_routes

    return charger_routes


def browser_websocket_routes():
    from chargers.routing import browser_routes

    return browser_routes
