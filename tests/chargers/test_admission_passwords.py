"""A charger's password is checked against its stored PBKDF2 hash once per server process; later
reconnects with the same password are recognised by a keyed digest, until the password changes."""

import pytest

from chargers import access
from chargers.models import Charger

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow_checks(monkeypatch):
    """Counts the real PBKDF2 checks (the method still runs)."""
    calls = []
    real = Charger.check_password

    def counted(self, raw_password):
        calls.append(raw_password)
        return real(self, raw_password)

    monkeypatch.setattr(Charger, "check_password", counted)
    return calls


def test_a_password_is_hashed_once_then_recognised(make_charger, slow_checks):
    charger = make_charger("CP-PW-1", password="first-secret-0123")

    assert access._password_matches(charger, "first-secret-0123")
    assert access._password_matches(charger, "first-secret-0123")
    assert slow_checks == ["first-secret-0123"]


def test_a_wrong_password_is_refused_before_and_after_a_right_one(make_charger, slow_checks):
    charger = make_charger("CP-PW-2", password="right-secret-0123")

    assert not access._password_matches(charger, "guess")
    assert access._password_matches(charger, "right-secret-0123")
    assert not access._password_matches(charger, "guess")  # the digest differs: no hash needed
    assert slow_checks == ["guess", "right-secret-0123"]


def test_a_changed_password_is_checked_against_the_new_hash(make_charger, slow_checks):
    charger = make_charger("CP-PW-3", password="old-secret-0123")
    assert access._password_matches(charger, "old-secret-0123")

    charger.set_password("new-secret-0123")
    charger.save()
    fresh = Charger.objects.get(pk=charger.pk)

    assert not access._password_matches(fresh, "old-secret-0123")
    assert access._password_matches(fresh, "new-secret-0123")
    assert slow_checks == ["old-secret-0123", "old-secret-0123", "new-secret-0123"]
