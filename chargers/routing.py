"""WebSocket routes of the chargers app: the OCPP endpoint and the browsers' live feed."""

charger_routes: list = []
browser_routes: list = []
