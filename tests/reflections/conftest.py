"""Fixtures the reflection tests share: an academy, and its facilitator (test_reviews has its own)."""
import pytest

from tests.factories import enrol, make_academy, make_user


@pytest.fixture
def academy():
    """Two sessions; the first ended yesterday, so readings that follow it are open."""
    return make_academy()


@pytest.fixture
def facilitator(academy):
    user = make_user("Fran Facilitator")
    enrol(user, academy, role="facilitator")
    return user
