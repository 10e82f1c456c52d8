"""Fixtures the admin and roster tests share."""
import pytest

from tests.factories import make_academy


@pytest.fixture
def academy():
    """Two 90-minute sessions; the first ended yesterday, so readings that follow it are open."""
    return make_academy(home_timezone="America/New_York")
