"""Configuration classes, read from the environment."""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def database_url(raw: str | None) -> str:
    """Turn DATABASE_URL into a SQLAlchemy URL, choosing psycopg 3 for PostgreSQL."""
    if not raw:
        INSTANCE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'lms.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _development_secret_key() -> str:
    """A random key kept under instance/ so that logins survive a restart in development."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "development"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Test each pooled connection before use, so the app recovers by itself when the database returns.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Mail: SMTP when MAIL_SERVER is set, otherwise messages are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Learning Academy <academy@localhost>")

    # The address people see in links sent by mail, e.g. https://academy.example.org
    LMS_BASE_URL = os.environ.get("LMS_BASE_URL", "")
    LMS_INVITATION_DAYS = int(os.environ.get("LMS_INVITATION_DAYS", "14"))
    LMS_RESET_HOURS = int(os.environ.get("LMS_RESET_HOURS", "2"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A CSRF token lives as long as the login session, so a long reflection is not refused for age.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or _development_secret_key()


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", default=True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    # Hashing is deliberately slow in real use; tests hash hundreds of passwords.
    LMS_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The whole suite signs in from one address; the test of the limit itself sets a low one.
    LMS_LOGIN_RATE_LIMIT = "100000 per minute"
    LMS_LOGIN_IP_RATE_LIMIT = "100000 per minute"
    LMS_RESET_RATE_LIMIT = "100000 per minute"
    LMS_RESET_IP_RATE_LIMIT = "100000 per minute"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_environment():
    name = os.environ.get("LMS_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"LMS_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
