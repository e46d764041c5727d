"""WebSocket routes of the chargers app: the OCPP endpoint and the browsers' live feed."""

from django.urls import re_path

from chargers.consumers import ChargerConsumer, LiveConsumer
from chargers.protocol.frames import warm_validators

charger_routes: list = [
    re_path(r"^ocpp/(?P<charge_point_id>[^/]+)/?$", ChargerConsumer.as_asgi()),
]
browser_routes: list = [
    re_path(r"^ws/live/$", LiveConsumer.as_asgi()),
]

# Read every OCPP schema now, not on the first charger's first message.
warm_validators()
