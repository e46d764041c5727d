import pytest

from chargers.models import Charger, Site

CHARGER_PASSWORD = "a-long-charger-secret-42"


@pytest.fixture
def site(transactional_db):
    return Site.objects.create(name="Depot North", timezone="Europe/Berlin")


@pytest.fixture
def make_charger(site):
    def make(charge_point_id: str, password: str | None = CHARGER_PASSWORD, **fields) -> Charger:
        charger = Charger(charge_point_id=charge_point_id, site=site, **fields)
        charger.set_password(password)
        charger.save()
        return charger

    return make
