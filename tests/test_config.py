"""Configuration: database URLs, SQLite pragmas, refused settings, migrations and session cookies."""
from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import inspect, text

from lms import config, create_app
from lms.config import ProductionConfig, database_url, profile_from_environment, settings_from_environment
from lms.core.extensions import db
from tests.factories import make_user


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
def test_no_database_url_means_sqlite_in_the_instance_folder(raw, tmp_path):
    url = database_url(raw, tmp_path / "instance")
    assert url == f"sqlite:///{tmp_path / 'instance' / 'lms.db'}"
    assert (tmp_path / "instance").is_dir()


def test_the_environment_is_read_when_the_app_is_made_not_on_import(monkeypatch, tmp_path):
    environ = {"DATABASE_URL": "postgres://u@h/d", "MAIL_PORT": "587", "MAIL_USE_TLS": "yes",
               "LMS_PDF_TIMEOUT": "12.5", "SESSION_COOKIE_SECURE": "0"}
    settings = settings_from_environment(environ, tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/d"
    assert settings["MAIL_PORT"] == 587
    assert settings["MAIL_USE_TLS"] is True
    assert settings["LMS_PDF_TIMEOUT"] == 12.5
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["REMEMBER_COOKIE_SECURE"] is False
    assert "MAIL_SERVER" not in settings  # unset: the plugin's default applies

    monkeypatch.setenv("LMS_ENV", "development")
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LMS_VERIFY_RATE_LIMIT", "7 per minute")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("LMS_DATA_KEY", raising=False)
    app = create_app()
    assert app.config["LMS_VERIFY_RATE_LIMIT"] == "7 per minute"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'lms.db'}"
    # Development keeps a random key in the instance folder, so sign-ins survive a restart.
    assert app.config["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text().strip()
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]
    # And the data key the same way (it encrypts reflections and feedback).
    assert app.config["LMS_DATA_KEY"] == (tmp_path / "instance" / "data_key").read_text().strip()
    assert create_app().config["LMS_DATA_KEY"] == app.config["LMS_DATA_KEY"]


def test_production_without_secret_key_is_refused():
    class NoKey(ProductionConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoKey)


def test_production_without_a_data_key_is_refused():
    class NoDataKey(ProductionConfig):
        SECRET_KEY = "production-secret"
        LMS_BASE_URL = "https://lms.example.org"

    with pytest.raises(RuntimeError, match="LMS_DATA_KEY must be set in production"):
        create_app(NoDataKey)


def test_production_with_empty_secret_key_is_refused():
    class EmptyKey(ProductionConfig):
        SECRET_KEY = ""

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(EmptyKey)


def test_unknown_lms_env_is_refused():
    with pytest.raises(RuntimeError, match="bogus"):
        profile_from_environment({"LMS_ENV": "bogus"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [("production", config.ProductionConfig), ("testing", config.TestingConfig)],
)
def test_lms_env_chooses_the_config(name, expected):
    assert profile_from_environment({"LMS_ENV": name}) is expected


def test_migrations_match_the_models(runner):
    result = runner.invoke(args=["lms", "db", "check"])
    assert result.exit_code == 0, result.output
    assert "The LMS's tables match its models." in result.output


def test_the_plugin_records_its_revision_in_its_own_table(runner):
    tables = inspect(db.engine).get_table_names()
    assert "lms_alembic_version" in tables and "alembic_version" not in tables
    result = runner.invoke(args=["lms", "db", "current"])
    assert result.exit_code == 0, result.output


def test_session_cookie_is_http_only_and_same_site_lax(browser):
    user = make_user("Cookie Person")
    response = browser.login(user)
    assert response.status_code == 302

    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    attributes = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
