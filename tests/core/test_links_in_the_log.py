"""One-time links never reach a production log: production refuses to start without mail unless self-service
reset is turned off, logs no message text, and development says loudly that links go to its log."""
import logging
import os
import re
import subprocess

import pytest
from sqlalchemy import select

from lms import create_app
from lms.accounts.models import AccountToken
from lms.config import ProductionConfig, TestingConfig, settings_from_environment
from lms.core.extensions import db, limiter
from tests.conftest import Browser
from tests.factories import PASSWORD, enrol, make_academy, make_user
from tests.helpers import ROOT, text_of


class Production(ProductionConfig):
    SECRET_KEY = "set"
    LMS_DATA_KEY = TestingConfig.LMS_DATA_KEY
    LMS_BASE_URL = "https://academy.example.org"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    MAIL_SERVER = ""


def test_production_refuses_to_start_without_mail():
    with pytest.raises(RuntimeError, match="MAIL_SERVER must be set in production.*LMS_SELF_SERVICE_RESET=0"):
        create_app(Production)


def test_the_setting_is_read_from_the_environment(tmp_path):
    assert settings_from_environment({"LMS_SELF_SERVICE_RESET": "0"}, tmp_path)["LMS_SELF_SERVICE_RESET"] is False


@pytest.fixture
def production_without_mail(app):
    """The standalone app in production with self-service reset off, on the test database."""

    class Config(Production):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        LMS_SELF_SERVICE_RESET = False
        SESSION_COOKIE_SECURE = False  # the test client speaks plain http
        LMS_PASSWORD_HASH_METHOD = app.config["LMS_PASSWORD_HASH_METHOD"]

    production = create_app(Config)
    limiter.reset()
    yield production
    with production.app_context():
        db.engine.dispose()


def test_without_mail_people_are_sent_to_the_organiser_and_no_link_is_made(production_without_mail):
    person = make_user("Ingrid Solberg")
    browser = Browser(production_without_mail.test_client())
    page = browser.get("/auth/reset")
    assert "Ask the academy's organiser for a new link" in text_of(page)
    assert 'name="email"' not in page.get_data(as_text=True)
    browser.post("/auth/reset", {"email": person.email})
    assert db.session.scalars(select(AccountToken)).all() == []


def test_without_mail_a_link_the_organiser_makes_is_on_the_page_and_not_in_the_log(production_without_mail, caplog):
    caplog.set_level(logging.INFO, logger="lms.core.mail")
    academy = make_academy()
    person = make_user("Ingrid Solberg", password=False)
    enrol(person, academy)
    admin = make_user("Ada Admin", is_admin=True)
    browser = Browser(production_without_mail.test_client())
    browser.get("/auth/login")  # its form token (the reset page has no form here)
    assert browser.post("/auth/login", {"email": admin.email, "password": PASSWORD}).status_code == 302
    browser.get(f"/admin/academies/{academy.id}/people")

    response = browser.post(f"/admin/academies/{academy.id}/people/{person.id}/link")

    link = re.search(r"https://academy\.example\.org/auth/invitation/[\w-]+", response.get_data(as_text=True))
    assert link, "the organiser sees the link to pass on"
    assert "/auth/invitation/" not in caplog.text
    assert "was not sent (its text is not logged)" in caplog.text


def test_development_without_mail_says_loudly_at_start_up_that_links_go_to_the_log(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LMS_", "MAIL_", "FLASK_"))}
    env.update(LMS_ENV="development", LMS_INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/d.db")
    started = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "lms", "db", "current"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert "MAIL_SERVER is not set" in started.stderr
    assert "password-reset LINKS, is written to this log" in started.stderr
    assert "!" * 78 in started.stderr

    env["MAIL_SERVER"] = "smtp.example.org"
    quiet = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "lms", "db", "current"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert "MAIL_SERVER is not set" not in quiet.stderr
