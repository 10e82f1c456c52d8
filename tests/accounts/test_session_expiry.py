"""Signed-in sessions end after a while without activity and some hours after signing in (shared computers),
and production tells browsers to use HTTPS only (Strict-Transport-Security).

No test waits: the times a session keeps in its signed cookie are moved back, as if that long had passed."""
import re
import time

import pytest

from lms import create_app
from lms.accounts.identity import SEEN_AT_KEY, SIGNED_IN_AT_KEY
from lms.config import ProductionConfig, TestingConfig
from lms.core.extensions import db
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import html


def go_back_in_time(browser, signed_in=0, seen=0):
    """As if the session began `signed_in` seconds earlier and was last used `seen` seconds earlier."""
    with browser.client.session_transaction() as session:
        session[SIGNED_IN_AT_KEY] -= signed_in
        session[SEEN_AT_KEY] -= seen


def sign_in_message(browser, response) -> str:
    assert response.status_code == 302 and "/auth/login" in response.location
    return " ".join(re.findall(r'<p class="message[^"]*"[^>]*>(.*?)</p>', html(browser.get(response.location))))


@pytest.fixture
def learner(browser):
    user = make_user("Ingrid Solberg")
    assert browser.login(user).status_code == 302
    return user


def test_a_session_unused_for_30_minutes_ends(browser, learner):
    go_back_in_time(browser, signed_in=31 * 60, seen=31 * 60)
    message = sign_in_message(browser, browser.get("/learn/"))
    assert "signed out after 30 minutes without activity" in message
    assert browser.get("/learn/").status_code == 302  # ended, not merely refused once


def test_activity_keeps_a_session_going(browser, learner):
    go_back_in_time(browser, signed_in=29 * 60, seen=29 * 60)
    assert browser.get("/learn/").status_code == 200
    with browser.client.session_transaction() as session:
        assert time.time() - session[SEEN_AT_KEY] < 60  # the last use was brought up to date
    go_back_in_time(browser, signed_in=29 * 60, seen=29 * 60)  # another 29 minutes: an hour in all, in use
    assert browser.get("/learn/").status_code == 200


def test_a_session_ends_8_hours_after_signing_in_even_in_use(browser, learner):
    go_back_in_time(browser, signed_in=8 * 3600 + 60)
    message = sign_in_message(browser, browser.get("/learn/"))
    assert "signed out 8 hours after signing in" in message


def test_a_copied_cookie_stops_working_with_its_session(browser, make_browser, learner):
    stolen = browser.client.get_cookie("session").value
    attacker = make_browser()
    attacker.client.set_cookie("session", stolen)
    go_back_in_time(attacker, seen=31 * 60)
    assert attacker.get("/learn/").status_code == 302


def test_the_times_are_settings(app, browser, learner, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_SESSION_IDLE_MINUTES", 5)
    go_back_in_time(browser, seen=6 * 60)
    assert "after 5 minutes without activity" in sign_in_message(browser, browser.get("/learn/"))


def test_a_reflection_sent_after_the_session_ended_is_carried_through_sign_in(browser):
    academy = make_academy()
    reading = make_reading(academy)
    user = make_user("Wei Ling Tan")
    enrol(user, academy)
    browser.login(user)
    browser.get(f"/learn/readings/{reading.id}")
    go_back_in_time(browser, signed_in=45 * 60, seen=45 * 60)  # a long think before pressing Save

    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "My long thought.", "action": "draft"})

    assert response.status_code == 401
    assert "My long thought." in html(response)  # nothing lost: it is saved once they sign in again


class Production(ProductionConfig):
    SECRET_KEY = "set"
    LMS_DATA_KEY = TestingConfig.LMS_DATA_KEY
    LMS_BASE_URL = "https://academy.example.org"
    MAIL_SERVER = "smtp.example.org"
    SQLALCHEMY_DATABASE_URI = "sqlite://"


def test_production_sends_strict_transport_security_everywhere():
    production = create_app(Production)
    client = production.test_client()
    for url in ("/auth/login", "/no-such-page", "/static/lms/style.css"):
        assert client.get(url).headers["Strict-Transport-Security"] == "max-age=31536000", url
    with production.app_context():
        db.engine.dispose()


def test_development_and_tests_send_none(browser):
    assert "Strict-Transport-Security" not in browser.get("/auth/login").headers
