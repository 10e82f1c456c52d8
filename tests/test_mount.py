"""The LMS mounted under /academy inside a host Flask app that keeps its own routes."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms import LMS, HostPerson
from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import ReadingProgress
from lms.reflections.models import Reflection
from tests.conftest import CSRF_INPUT
from tests.factories import PASSWORD, enrol, make_academy, make_reading, make_user


@pytest.fixture
def host(app):
    host = Flask("host_site")
    host.config.update(
        SECRET_KEY="host-secret", LMS_DATA_KEY=app.config["LMS_DATA_KEY"],
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        TESTING=True,
        LMS_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )

    @host.route("/")
    def home():
        return "host home"

    lms = LMS()
    lms.init_app(host, url_prefix="/academy")
    host.lms_instance = lms  # for the test that checks the registration
    yield host
    with host.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def course(host):
    """A learner enrolled in an academy whose first session ended yesterday, with one open reading."""
    with host.app_context():
        learner = make_user("Wei Ling Tan", timezone="Asia/Singapore")
        academy = make_academy()
        reading = make_reading(academy, min_words=3, max_words=100)
        enrol(learner, academy)
        ids = {"user": learner.id, "academy": academy.id, "reading": reading.id, "email": learner.email}
        db.session.remove()
    return ids


def token_from(response) -> str:
    found = CSRF_INPUT.search(response.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, email):
    page = client.get("/academy/auth/login")
    return client.post(
        "/academy/auth/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token_from(page)},
    )


def test_host_keeps_its_own_home_page(host):
    response = host.test_client().get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "host home"


def test_the_extension_registers_itself(host, app):
    assert host.extensions["lms"] is host.lms_instance
    assert isinstance(host.extensions["lms"], LMS)
    assert isinstance(app.extensions["lms"], LMS)
    assert host.extensions["lms"] is not app.extensions["lms"]


def test_sign_in_page_lives_under_the_prefix(host):
    response = host.test_client().get("/academy/auth/login")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sign in" in page
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    assert action == "/academy/auth/login"
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert stylesheet.startswith("/academy/")
    css = host.test_client().get(stylesheet)
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    css.close()


def test_the_lms_front_door_and_unmounted_paths(host):
    client = host.test_client()
    front = client.get("/academy/")
    assert front.status_code == 302
    assert front.location.startswith("/academy/auth/login")
    assert client.get("/auth/login").status_code == 404
    assert client.get("/learn/").status_code == 404


def test_anonymous_visitor_is_sent_to_the_mounted_sign_in(host):
    response = host.test_client().get("/academy/learn/")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/academy/auth/login"
    assert parse_qs(target.query) == {"next": ["/academy/learn/"]}


def test_a_learner_works_through_a_reading_under_the_prefix(host, course):
    client = host.test_client()

    response = sign_in(client, course["email"])
    assert response.status_code == 302
    assert response.location.startswith("/academy/learn/")

    dashboard = client.get(response.location)
    assert dashboard.status_code == 200
    page = dashboard.get_data(as_text=True)
    assert "Hello, Wei Ling Tan" in page
    assert "Peer Mentoring" in page
    # The reading is linked twice: from "What to do next" and from the list of readings.
    links = re.findall(r'href="(/academy/learn/readings/\d+)"', page)
    assert set(links) == {f"/academy/learn/readings/{course['reading']}"}
    assert 'href="/learn/' not in page

    reading_page = client.get(links[0])
    assert reading_page.status_code == 200
    text = reading_page.get_data(as_text=True)
    assert "On lived experience" in text
    assert f'action="/academy/learn/readings/{course["reading"]}/finished"' in text
    assert f'action="/academy/learn/readings/{course["reading"]}/reflection"' in text
    token = token_from(reading_page)

    finished = client.post(
        f"/academy/learn/readings/{course['reading']}/finished",
        data={"finished": "yes", "csrf_token": token},
    )
    assert finished.status_code == 302
    assert finished.location == f"/academy/learn/readings/{course['reading']}"

    saved = client.post(
        f"/academy/learn/readings/{course['reading']}/reflection",
        data={"body": "Trust grows from shared experience.", "action": "draft", "csrf_token": token},
    )
    assert saved.status_code == 302
    assert saved.location == f"/academy/learn/readings/{course['reading']}#reflection"
    assert "Your draft is saved." in client.get(saved.location.split("#")[0]).get_data(as_text=True)

    with host.app_context():
        progress = db.session.query(ReadingProgress).filter_by(user_id=course["user"]).one()
        assert progress.finished_at is not None
        assert utcnow() - progress.finished_at < timedelta(minutes=5)
        reflection = db.session.query(Reflection).filter_by(user_id=course["user"]).one()
        assert reflection.status == "draft"
        assert reflection.body == "Trust grows from shared experience."

    assert "Finished" in client.get("/academy/learn/").get_data(as_text=True)


def test_a_post_without_the_token_is_refused_under_the_prefix(host, course):
    client = host.test_client()
    sign_in(client, course["email"])
    response = client.post(f"/academy/learn/readings/{course['reading']}/finished", data={"finished": "yes"})
    assert response.status_code == 400
    with host.app_context():
        assert db.session.query(ReadingProgress).count() == 0


# --- a host with its own database object, users and sign-in -----------------------------------------

def _host_with_own_database(app, identity=None, lms_first=False):
    """A host site with its own SQLAlchemy() and table, beside the LMS on the same database."""
    from flask_sqlalchemy import SQLAlchemy

    host_db = SQLAlchemy()

    class Note(host_db.Model):
        __tablename__ = "host_notes"
        id = host_db.Column(host_db.Integer, primary_key=True)
        text = host_db.Column(host_db.String(100))

    host = Flask("host_site")
    host.config.update(
        SECRET_KEY="host-secret", LMS_DATA_KEY=app.config["LMS_DATA_KEY"],
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], TESTING=True,
        LMS_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    if lms_first:
        LMS(host, url_prefix="/academy", identity=identity)
        host_db.init_app(host)
    else:
        host_db.init_app(host)
        LMS(host, url_prefix="/academy", identity=identity)

    @host.route("/notes")
    def notes():
        return str(host_db.session.scalar(select(func.count()).select_from(Note)))

    with host.app_context():
        Note.__table__.create(host_db.engine, checkfirst=True)
    return host, host_db, Note


@pytest.mark.parametrize("lms_first", [False, True], ids=["host-db-first", "lms-first"])
def test_a_host_with_its_own_sqlalchemy_serves_its_pages_and_the_lms(app, course, lms_first):
    host, host_db, note = _host_with_own_database(app, lms_first=lms_first)
    try:
        assert host.extensions["sqlalchemy"] is host_db
        client = host.test_client()
        assert client.get("/notes").get_data(as_text=True) == "0"
        assert sign_in(client, course["email"]).status_code == 302
        dashboard = client.get("/academy/learn/")
        assert dashboard.status_code == 200
        assert "Hello, Wei Ling Tan" in dashboard.get_data(as_text=True)
    finally:
        with host.app_context():
            note.__table__.drop(host_db.engine)
            host_db.engine.dispose()
            db.engine.dispose()


def test_setting_the_lms_up_twice_is_refused(host):
    with pytest.raises(RuntimeError, match="already set up"):
        LMS(host)


def test_a_host_without_a_secret_key_is_refused_at_start_up():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        LMS(Flask("no_key"))


def test_a_host_without_a_data_key_is_refused_at_start_up():
    host = Flask("no_data_key")
    host.config["SECRET_KEY"] = "host-secret"
    with pytest.raises(RuntimeError, match="LMS_DATA_KEY must be set"):
        LMS(host)
    host.config["LMS_DATA_KEY"] = "not-a-key"
    with pytest.raises(RuntimeError, match="not a Fernet key"):
        LMS(host)


def test_a_host_with_its_own_login_manager_must_say_who_is_signed_in():
    from flask_login import LoginManager

    host = Flask("host_site")
    host.config["SECRET_KEY"] = "host-secret"
    LoginManager(host)
    with pytest.raises(RuntimeError, match="identity="):
        LMS(host)


class HostSignIn:
    """The host's notion of who is signed in, which a test changes at will."""

    def __init__(self):
        self.person = None

    def __call__(self):
        return self.person


@pytest.fixture
def hosted(app):
    signed_in = HostSignIn()
    host, host_db, note = _host_with_own_database(app, identity=signed_in)
    host.signed_in = signed_in
    yield host
    with host.app_context():
        note.__table__.drop(host_db.engine)
        host_db.engine.dispose()
        db.engine.dispose()


def test_the_host_says_who_is_signed_in_and_an_enrolled_address_is_linked(hosted, course):
    client = hosted.test_client()
    assert client.get("/academy/learn/").status_code == 401  # the host has no sign-in page of its own

    hosted.signed_in.person = HostPerson(id="host-7", email=course["email"].upper(), full_name="W. L. Tan")
    page = client.get("/academy/learn/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hello, Wei Ling Tan" in text  # the organisers' account, with its name and enrolment
    assert "Sign out" not in text
    assert client.get("/academy/auth/login").location == "/academy/"
    with hosted.app_context():
        person = db.session.get(User, course["user"])
        assert person.host_id == "host-7"
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_new_host_person_gets_an_account_on_first_visit(hosted):
    hosted.signed_in.person = {"id": 42, "email": "new.person@example.org", "full_name": " New   Person ",
                               "timezone": "Europe/Oslo"}
    client = hosted.test_client()
    assert client.get("/academy/learn/").status_code == 200
    assert client.get("/academy/auth/account").status_code == 200
    with hosted.app_context():
        person = db.session.scalar(select(User).where(User.host_id == "42"))
        assert (person.email, person.full_name, person.timezone) == ("new.person@example.org", "New Person",
                                                                      "Europe/Oslo")
        assert not person.has_password and not person.is_admin


def test_an_address_already_linked_to_another_host_person_is_not_handed_over(hosted, course):
    client = hosted.test_client()
    hosted.signed_in.person = HostPerson(id="first", email=course["email"], full_name="Wei Ling Tan")
    assert client.get("/academy/learn/").status_code == 200
    hosted.signed_in.person = HostPerson(id="second", email=course["email"], full_name="Someone Else")
    refused = hosted.test_client().get("/academy/learn/")
    assert refused.status_code == 403
    with hosted.app_context():
        assert db.session.get(User, course["user"]).host_id == "first"
