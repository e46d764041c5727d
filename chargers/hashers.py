"""How charger passwords are stored.

A charger's HTTP Basic password (OCPP AuthorizationKey / BasicAuthPassword) is a machine secret of at
least 16 characters, checked on every connection. Django's default for people's passwords (a million
PBKDF2 rounds, ~0.25 s of CPU) would make a reconnect storm of thousands of chargers spend minutes
hashing. Charger secrets are still salted and stretched, with fewer rounds (~5 ms).
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ChargerKeyHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_charger"
    iterations = 20_000
