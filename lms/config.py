"""Configuration in one place: the plugin's defaults, the standalone app's profiles, and the environment.

A host app sets what it wants in `app.config`; `LMS.init_app` fills in the rest from DEFAULTS with
`setdefault`. The standalone app (`create_app()`) starts from a profile (LMS_ENV) and reads the
environment when it is created, never when this module is imported.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

# Every setting the plugin reads, with its default. A host's own value always wins.
DEFAULTS = {
    "MAIL_SERVER": "",  # SMTP host; empty: messages are written to the log
    "MAIL_PORT": 25,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": "Learning Academy <academy@localhost>",
    # The address people see in links sent by mail and printed on certificates.
    "LMS_BASE_URL": "",
    "LMS_INVITATION_DAYS": 14,
    "LMS_RESET_HOURS": 2,
    # People ask for a reset link themselves at /auth/reset. Off: that page says to ask the organiser, who
    # makes a new link on the People page (the only way production may run without MAIL_SERVER).
    "LMS_SELF_SERVICE_RESET": True,
    "LMS_PASSWORD_HASH_METHOD": "scrypt",
    # A signed-in session ends after this long without a request, and this long after signing in whatever
    # happens: many learners share a computer (a library, a programme's room), and walk away from it.
    "LMS_SESSION_IDLE_MINUTES": 30,
    "LMS_SESSION_LIFETIME_HOURS": 8,
    # Strict-Transport-Security's max-age; 0 sends none (the production profile sends a year's).
    "LMS_HSTS_SECONDS": 0,
    # A CSRF token lives as long as the login session, so a long reflection is not refused for age.
    "WTF_CSRF_TIME_LIMIT": None,
    # The public certificate check: guessing codes is pointless at 160 bits, but this keeps scrapers slow.
    "LMS_VERIFY_RATE_LIMIT": "30 per minute",
    # "memory://" counts per worker process; point several workers at one store, e.g. redis://host:6379.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    # Failed sign-ins: per address and email, and per address alone (a reentry programme's whole
    # room may share one address, so that second limit is generous).
    "LMS_LOGIN_RATE_LIMIT": "10 per minute",
    "LMS_LOGIN_IP_RATE_LIMIT": "60 per minute",
    # Failed sign-ins to one account from every address together; past it, only a browser that signed in to
    # it before, or an address that has not failed on it meanwhile, is still checked (accounts/throttle.py).
    "LMS_LOGIN_ACCOUNT_RATE_LIMIT": "20 per hour",
    # Requests for a password-reset link: per address and email, and per address.
    "LMS_RESET_RATE_LIMIT": "5 per hour",
    "LMS_RESET_IP_RATE_LIMIT": "30 per hour",
    # Where background work waits for the worker (lms/jobs/queue.py): empty for a SQLite file in the instance
    # folder; redis://host:6379/0 for several machines; "immediate" runs each task where it is queued.
    "LMS_QUEUE_URL": "",
    # The admin a daily LTI roster sync is recorded as (lms/lti/tasks.py); empty: no periodic sync.
    "LMS_LTI_SYNC_AS": "",
    "LMS_QUEUE_NAME": "lms",
    # Certificates rendered by one wkhtmltopdf run, and how many such batches of one job run at once.
    "LMS_CERTIFICATE_BATCH": 50,
    "LMS_CERTIFICATE_PARALLEL": os.cpu_count() or 1,
    # A certificate render (one batch) that takes longer is stopped (and its process killed).
    "LMS_PDF_TIMEOUT": 30.0,
    # The largest scan of a paper reflection kept (PDF, PNG or JPEG); larger ones are refused.
    "LMS_SCAN_MAX_BYTES": 4 * 1024 * 1024,
    # The most learners' copies one reading pack made on the web may hold: each takes about a third of a second
    # (bench/bench_reading_pack.py), and a page must answer before the server gives up on it. The command line
    # (`flask lms reading-pack`) has no such limit.
    "LMS_PACK_MAX_COPIES": 40,
    # How many reverse proxies in front set X-Forwarded-For; limits then count the real client.
    "LMS_TRUSTED_PROXIES": 0,
    # Who people write to about their data, shown on the privacy notice (/privacy): a name and an address.
    "LMS_PRIVACY_CONTACT": "",
    # Test each pooled connection before use, so the app recovers by itself when the database returns.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# What the standalone app reads from the environment, and how each value is read.
ENVIRONMENT = {
    "SECRET_KEY": str,
    "LMS_DATA_KEY": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": _flag,
    "MAIL_USE_SSL": _flag,
    "MAIL_DEFAULT_SENDER": str,
    "LMS_BASE_URL": str,
    "LMS_INVITATION_DAYS": int,
    "LMS_RESET_HOURS": int,
    "LMS_SELF_SERVICE_RESET": _flag,
    "LMS_SESSION_IDLE_MINUTES": int,
    "LMS_SESSION_LIFETIME_HOURS": int,
    "LMS_HSTS_SECONDS": int,
    "LMS_VERIFY_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "LMS_LOGIN_RATE_LIMIT": str,
    "LMS_LOGIN_IP_RATE_LIMIT": str,
    "LMS_LOGIN_ACCOUNT_RATE_LIMIT": str,
    "LMS_RESET_RATE_LIMIT": str,
    "LMS_RESET_IP_RATE_LIMIT": str,
    "LMS_PDF_TIMEOUT": float,
    "LMS_SCAN_MAX_BYTES": int,
    "LMS_PACK_MAX_COPIES": int,
    "LMS_QUEUE_URL": str,
    "LMS_LTI_SYNC_AS": str,
    "LMS_QUEUE_NAME": str,
    "LMS_CERTIFICATE_BATCH": int,
    "LMS_CERTIFICATE_PARALLEL": int,
    "LMS_TRUSTED_PROXIES": int,
    "LMS_PRIVACY_CONTACT": str,
    "SESSION_COOKIE_SECURE": _flag,
}


def database_url(raw: str | None, instance_path: str | Path | None = None) -> str:
    """Turn DATABASE_URL into a SQLAlchemy URL, choosing psycopg 3 for PostgreSQL.

    Without one: a SQLite file in the app's instance folder.
    """
    if not raw:
        if instance_path is None:
            raise ValueError("no DATABASE_URL and no instance folder to keep a SQLite file in")
        folder = Path(instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'lms.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def development_secret_key(instance_path: str | Path) -> str:
    """A random key kept in the instance folder, so that logins survive a restart in development."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def settings_from_environment(environ: Mapping[str, str], instance_path: str | Path) -> dict:
    """The settings the environment gives, read when the standalone app is made."""
    settings = {name: read(environ[name]) for name, read in ENVIRONMENT.items() if name in environ}
    settings["SQLALCHEMY_DATABASE_URI"] = database_url(environ.get("DATABASE_URL"), instance_path)
    if "SESSION_COOKIE_SECURE" in settings:
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    return settings


# The standalone app's profiles, chosen by LMS_ENV. They hold only what differs from DEFAULTS.

class Config:
    ENV_NAME = "development"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024


class DevelopmentConfig(Config):
    pass  # SECRET_KEY and LMS_DATA_KEY: when the environment has none, kept in the instance folder


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Browsers then refuse plain http to the site for a year (behind TLS, as README: Deploying says).
    LMS_HSTS_SECONDS = 365 * 24 * 3600


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    # A fixed Fernet key, so that apps made by the tests (hosts, workers) read each other's rows.
    LMS_DATA_KEY = "dGVzdGluZy1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzISE="
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Hashing is deliberately slow in real use; tests hash hundreds of passwords.
    LMS_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The whole suite signs in from one address; the test of the limit itself sets a low one.
    LMS_LOGIN_RATE_LIMIT = "100000 per minute"
    LMS_LOGIN_IP_RATE_LIMIT = "100000 per minute"
    LMS_LOGIN_ACCOUNT_RATE_LIMIT = "100000 per minute"
    LMS_RESET_RATE_LIMIT = "100000 per minute"
    LMS_RESET_IP_RATE_LIMIT = "100000 per minute"
    # Tasks run where they are queued (Huey's immediate mode); the tests of the worker itself start a real one.
    LMS_QUEUE_URL = "immediate"


PROFILES = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def profile_from_environment(environ: Mapping[str, str]) -> type[Config]:
    name = environ.get("LMS_ENV", "development")
    if name not in PROFILES:
        raise RuntimeError(f"LMS_ENV must be one of {', '.join(PROFILES)}, not {name!r}")
    return PROFILES[name]
