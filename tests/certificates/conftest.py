"""Fixtures the certificate tests share: the published programme, and a browser an admin is signed in to."""
import pytest

from tests.factories import published_academy
from tests.helpers import admin_signed_in


@pytest.fixture
def academy():
    return published_academy()


@pytest.fixture
def admin(make_browser):
    return admin_signed_in(make_browser)
