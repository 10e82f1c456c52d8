"""create_app() for standalone use, and the LMS extension for mounting into another Flask app."""
import logging
import os

from flask import Flask

from lms.core.extensions import csrf, db, limiter, login_manager, migrate

DEFAULTS = {
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": "Learning Academy <academy@localhost>",
    "LMS_BASE_URL": "",
    "LMS_INVITATION_DAYS": 14,
    "LMS_RESET_HOURS": 2,
    "LMS_PASSWORD_HASH_METHOD": "scrypt",
    "WTF_CSRF_TIME_LIMIT": None,
    # The public certificate check: guessing codes is pointless at 160 bits, but this keeps scrapers slow.
    "LMS_VERIFY_RATE_LIMIT": os.environ.get("LMS_VERIFY_RATE_LIMIT", "30 per minute"),
    # "memory://" counts per worker process; point several workers at one store, e.g. redis://host:6379.
    "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
    "RATELIMIT_ENABLED": True,
    # Failed sign-ins: per address and email, and per address alone (a reentry programme's whole
    # room may share one address, so that second limit is generous).
    "LMS_LOGIN_RATE_LIMIT": os.environ.get("LMS_LOGIN_RATE_LIMIT", "10 per minute"),
    "LMS_LOGIN_IP_RATE_LIMIT": os.environ.get("LMS_LOGIN_IP_RATE_LIMIT", "60 per minute"),
    # Requests for a password-reset link: per address and email, and per address.
    "LMS_RESET_RATE_LIMIT": os.environ.get("LMS_RESET_RATE_LIMIT", "5 per hour"),
    "LMS_RESET_IP_RATE_LIMIT": os.environ.get("LMS_RESET_IP_RATE_LIMIT", "30 per hour"),
    # How many reverse proxies in front set X-Forwarded-For; limits then count the real client.
    # A certificate render that takes longer is stopped (and its process killed).
    "LMS_PDF_TIMEOUT": float(os.environ.get("LMS_PDF_TIMEOUT", "30")),
    "LMS_TRUSTED_PROXIES": int(os.environ.get("LMS_TRUSTED_PROXIES", "0")),
}


class LMS:
    """The Flask extension: `LMS(app, url_prefix="/academy")` or `lms.init_app(app, url_prefix=...)`."""

    def __init__(self, app: Flask | None = None, url_prefix: str = ""):
        if app is not None:
            self.init_app(app, url_prefix=url_prefix)

    def init_app(self, app: Flask, url_prefix: str = "") -> None:
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///lms.db")

        if "sqlalchemy" not in app.extensions:
            db.init_app(app)
        if "migrate" not in app.extensions:
            migrate.init_app(app, db, directory=_migrations_directory(), render_as_batch=True)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        if not hasattr(app, "login_manager"):
            login_manager.init_app(app)
        limiter.init_app(app)

        from lms import models  # noqa: F401  (every table, before the first query)
        from lms.accounts import identity  # noqa: F401  (registers the user loader)
        from lms.blueprint import lms_blueprint
        from lms.cli import lms_cli
        from lms.core.templating import register_template_helpers
        from lms.readings.outline import AcademyOutlines

        app.register_blueprint(lms_blueprint, url_prefix=url_prefix or None)
        app.cli.add_command(lms_cli)
        register_template_helpers(app)
        app.extensions["lms"] = self
        app.extensions["lms_outlines"] = AcademyOutlines()


def _migrations_directory() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config_object=None) -> Flask:
    """The standalone application: the LMS mounted at the site root, with its own error pages."""
    from config import config_from_environment

    config_object = config_object or config_from_environment()
    app = Flask(__name__, static_folder=None, instance_relative_config=True)
    app.config.from_object(config_object)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (see README: Configuration).")
    if app.config.get("ENV_NAME") == "production" and not app.config.get("LMS_BASE_URL"):
        raise RuntimeError("LMS_BASE_URL must be set in production: links in mail are built from it.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    LMS(app)
    if app.config["LMS_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["LMS_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from lms.core.errors import register_error_pages
    from lms.core.security import add_security_headers

    register_error_pages(app)
    # The blueprint covers its own pages; this covers the rest of the standalone site (404s and such).
    app.after_request(add_security_headers)
    return app
