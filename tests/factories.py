"""factory_boy factories for the fleet; tests build rows with these, not with fixtures files."""

from datetime import timedelta

import factory
from django.utils import timezone

from chargers.models import Charger, Connector, Site


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    timezone = "UTC"


class ChargerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Charger
        skip_postgeneration_save = True  # the password hook saves what it changes itself

    charge_point_id = factory.Sequence(lambda n: f"CP-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    vendor = "Acme Charging"
    model = "AC22"
    firmware_version = "1.0.0"
    ocpp_version = "1.6"
    commissioned_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=400))

    @factory.post_generation
    def password(charger, create, extracted, **kwargs):
        if extracted:
            charger.set_password(extracted)
            if create:
                charger.save(update_fields=["password_hash"])


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector
        django_get_or_create = ("charger", "evse_id", "connector_id")

    charger = factory.SubFactory(ChargerFactory)
    evse_id = 1
    connector_id = factory.SelfAttribute("evse_id")
    status = "Available"
