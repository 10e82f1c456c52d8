"""Shared fixtures: the app on a real database (SQLite, or PostgreSQL from TEST_DATABASE_URL),
web clients that carry CSRF tokens like a browser, and a SQL query counter (builders are in factories.py)."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, text

from lms import create_app
from lms.config import TestingConfig, database_url
from lms.core.extensions import db
from tests.factories import PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        return database_url(raw)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_uri):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_uri

    app = create_app(Config)
    with app.app_context():
        # Start from nothing, then build the schema the way production does: with the migrations.
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS lms_alembic_version"))
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Each test starts with empty tables and an app context; rows are deleted afterwards."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


class Browser:
    """A test client that, like a browser, sends the page's CSRF token with every form.

    Each request runs in an application context of its own, as in production: nothing cached
    in `g` or in the test's database session leaks into the request, or back out of it.
    """

    def __init__(self, client):
        self.client = client
        self._token = None

    def _request(self, method, url, **kwargs):
        with self.client.application.app_context():
            return getattr(self.client, method)(url, **kwargs)

    def get(self, url, **kwargs):
        response = self._request("get", url, **kwargs)
        found = CSRF_INPUT.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if found:
            self._token = found.group(1)
        return response

    def token(self):
        if self._token is None:
            self.get("/auth/reset")
        return self._token

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.token()
        return self._request("post", url, data=data, **kwargs)

    def login(self, user_or_email, password=PASSWORD):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        self._token = None
        response = self.post("/auth/login", {"email": email, "password": password})
        self._token = None  # a new session at sign-in means a new token
        return response

    def logout(self):
        response = self.post("/auth/logout")
        self._token = None
        return response


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def make_browser(app):
    return lambda: Browser(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------

@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` ... `len(queries)` is the number of SQL statements run."""

    @contextmanager
    def counting():
        statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
