"""Configuration: database URLs, SQLite pragmas, refused settings, migrations and session cookies."""
from __future__ import annotations

from contextlib import ExitStack

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import config
from config import ProductionConfig, config_from_environment, database_url
from lms import create_app
from lms.core.extensions import db
from tests.conftest import make_user


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    with ExitStack() as stack:
        # Several connections at once, so each is a separate DBAPI connection from the pool.
        connections = [stack.enter_context(db.engine.connect()) for _ in range(3)]
        for connection in connections:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_sqlite_refuses_a_row_that_breaks_a_foreign_key(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lms_enrolments (user_id, academy_id, role, group_name, created_at) "
                "VALUES (999999, 999999, 'learner', '', '2025-01-01 00:00:00')"
            )
        )


@pytest.mark.parametrize("raw", ["postgres://u@h/d", "postgresql://u@h/d"])
def test_postgres_urls_use_psycopg_3(raw):
    assert database_url(raw) == "postgresql+psycopg://u@h/d"


def test_other_urls_are_left_alone():
    assert database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert database_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize("raw", [None, ""])
def test_no_database_url_means_sqlite_under_instance(raw):
    url = database_url(raw)
    assert url.startswith("sqlite:///")
    assert url == f"sqlite:///{config.INSTANCE_DIR / 'lms.db'}"
    assert config.INSTANCE_DIR.name == "instance"


def test_production_without_secret_key_is_refused():
    class NoKey(ProductionConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoKey)


def test_production_with_empty_secret_key_is_refused():
    class EmptyKey(ProductionConfig):
        SECRET_KEY = ""

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(EmptyKey)


def test_unknown_lms_env_is_refused(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "bogus")
    with pytest.raises(RuntimeError, match="bogus"):
        config_from_environment()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("production", config.ProductionConfig), ("testing", config.TestingConfig)],
)
def test_lms_env_chooses_the_config(monkeypatch, name, expected):
    monkeypatch.setenv("LMS_ENV", name)
    assert config_from_environment() is expected


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_session_cookie_is_http_only_and_same_site_lax(browser):
    user = make_user("Cookie Person")
    response = browser.login(user)
    assert response.status_code == 302

    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    attributes = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
