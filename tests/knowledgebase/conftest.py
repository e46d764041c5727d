"""The knowledge base as the tests see it: the shipped starter data, loaded the way `make demo` does."""

import pytest
from django.core.management import call_command


@pytest.fixture
def knowledge(db):
    call_command("load_knowledge", verbosity=0)
