"""The shared extension objects: db, migrate, login_manager, csrf, limiter."""
import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter them later, on SQLite as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PluginSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy for a plugin: its own models, engine and session, beside a host's own instance.

    Flask-SQLAlchemy keeps one instance in `app.extensions["sqlalchemy"]` and refuses a second. The
    plugin's engines and session are kept per instance, so it needs no entry there: it leaves that key
    as it found it, and a host's `db` works whether it is set up before or after the plugin.
    """

    def init_app(self, app) -> None:
        host = app.extensions.pop("sqlalchemy", None)
        try:
            super().init_app(app)
        finally:
            if host is None:
                app.extensions.pop("sqlalchemy", None)
            else:
                app.extensions["sqlalchemy"] = host


db = PluginSQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are counted per client address; the storage comes from RATELIMIT_STORAGE_URI, so several
# workers can share one count (e.g. redis://...) instead of each keeping its own in memory.
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """WAL, a busy timeout and enforced foreign keys on every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
