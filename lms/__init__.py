"""The LMS Flask extension (`LMS(app)` / `init_app`) for mounting into a site, and the standalone `create_app()`."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable

from flask import Flask

from lms.accounts.identity import HostPerson
from lms.config import DEFAULTS, DevelopmentConfig, development_secret_key, profile_from_environment
from lms.config import settings_from_environment as _settings_from_environment
from lms.core.encryption import check_keys, development_data_key
from lms.core.extensions import csrf, db, limiter, login_manager, migrate

__all__ = ["LMS", "HostPerson", "create_app"]


class LMS:
    """The Flask extension: `LMS(app, url_prefix="/academy")` or `lms.init_app(app, url_prefix=...)`.

    `identity`: for a host app with its own users, a callable that returns its signed-in person as
    `lms.HostPerson(id, email, full_name, timezone=None)` (or a dict with those keys), or None when
    nobody is signed in. Without it the LMS runs its own sign-in.
    """

    def __init__(self, app: Flask | None = None, url_prefix: str = "", identity: Callable | None = None):
        if app is not None:
            self.init_app(app, url_prefix=url_prefix, identity=identity)

    def init_app(self, app: Flask, url_prefix: str = "", identity: Callable | None = None) -> None:
        _refuse_misconfiguration(app, identity)
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///lms.db")  # in the app's instance folder

        from lms import models  # noqa: F401  (every table, before the first query)
        from lms.blueprint import lms_blueprint
        from lms.cli import lms_cli
        from lms.core.templating import register_template_helpers
        from lms.core.web import IdConverter
        from lms.jobs.queue import init_queue
        from lms.readings.outline import AcademyOutlines
        from lms.schema import skip_plugin_tables

        db.init_app(app)
        if "csrf" not in app.extensions:
            # The LMS checks the form token on its own pages (lms/blueprint.py); a host's other pages stay
            # as the host made them.
            app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
            csrf.init_app(app)
        if identity is None:
            login_manager.init_app(app)
        limiter.init_app(app)
        if "migrate" in app.extensions:
            skip_plugin_tables(app.extensions["migrate"])

        # Before the blueprint: its rules are compiled with the converters the app has when it is registered.
        app.url_map.converters["lms_id"] = IdConverter
        app.register_blueprint(lms_blueprint, url_prefix=url_prefix or None)
        app.cli.add_command(lms_cli)
        register_template_helpers(app)
        app.extensions["lms"] = self
        app.extensions["lms_identity"] = identity
        app.extensions["lms_outlines"] = AcademyOutlines()
        init_queue(app)


def _refuse_misconfiguration(app: Flask, identity: Callable | None) -> None:
    """Mistakes that would otherwise surface later, as a 500 on some page, fail here with what to do."""
    if "lms" in app.extensions:
        raise RuntimeError("The LMS is already set up on this app: call LMS(app) or init_app(app) once.")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("The LMS needs app.config['SECRET_KEY'] (it signs sessions and form tokens).")
    if identity is None and getattr(app, "login_manager", None) is not None:
        raise RuntimeError(
            "This app has its own Flask-Login LoginManager, so the LMS cannot run its own sign-in: pass "
            "identity=<a callable returning lms.HostPerson or None> to LMS() (README: Use it in your Flask app)."
        )
    if identity is not None and not callable(identity):
        raise RuntimeError("identity must be a callable that returns the signed-in lms.HostPerson or None.")
    check_keys(app.config.get("LMS_DATA_KEY"))


def _refuse_links_without_mail(app: Flask) -> None:
    """Production never hands out sign-in links through its log: a link read there took over an account."""
    config = app.config
    if config.get("ENV_NAME") != "production" or config.get("MAIL_SERVER"):
        return
    if config.get("LMS_SELF_SERVICE_RESET", DEFAULTS["LMS_SELF_SERVICE_RESET"]):
        raise RuntimeError(
            "MAIL_SERVER must be set in production: invitation and password-reset links are sent by mail, "
            "never written to the log. To run without mail, set LMS_SELF_SERVICE_RESET=0: people then ask "
            "the organiser, who copies a new link from the academy's People page (README: Configuration)."
        )


def _warn_links_go_to_the_log(app: Flask) -> None:
    if app.config.get("ENV_NAME") != DevelopmentConfig.ENV_NAME or app.config.get("MAIL_SERVER"):
        return
    logging.getLogger("lms").warning(
        "\n%s\nMAIL_SERVER is not set: every message, with its invitation and password-reset LINKS, is written to "
        "this log.\nAnyone who can read the log can take over those accounts. Fine for trying the LMS out; never "
        "with real people.\nSet MAIL_SERVER, or run with LMS_ENV=production (README: Configuration).\n%s",
        "!" * 78, "!" * 78,
    )


def create_app(config_object=None) -> Flask:
    """The standalone application: the LMS mounted at the site root, with its own error pages.

    Without `config_object`, the profile comes from LMS_ENV and the settings from the environment; with
    one (tests), that object alone is used.
    """
    app = Flask(__name__, static_folder=None, instance_path=os.environ.get("LMS_INSTANCE_PATH"))
    if config_object is None:
        app.config.from_object(profile_from_environment(os.environ))
        app.config.update(_settings_from_environment(os.environ, app.instance_path))
        if not app.config.get("SECRET_KEY") and app.config["ENV_NAME"] == DevelopmentConfig.ENV_NAME:
            app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
        if not app.config.get("LMS_DATA_KEY") and app.config["ENV_NAME"] == DevelopmentConfig.ENV_NAME:
            app.config["LMS_DATA_KEY"] = development_data_key(app.instance_path)
    else:
        app.config.from_object(config_object)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (see README: Configuration).")
    if not app.config.get("LMS_DATA_KEY"):
        raise RuntimeError("LMS_DATA_KEY must be set in production: reflections and feedback are stored encrypted "
                           "with it (see README: Configuration).")
    if app.config.get("ENV_NAME") == "production" and not app.config.get("LMS_BASE_URL"):
        raise RuntimeError("LMS_BASE_URL must be set in production: links in mail are built from it.")
    _refuse_links_without_mail(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _warn_links_go_to_the_log(app)

    LMS(app)
    from lms.schema import MIGRATIONS

    # `flask db ...` for developers of the LMS itself (new revisions); `flask lms db ...` does the same.
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    if app.config["LMS_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["LMS_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from lms.blueprint import template_person
    from lms.core.errors import register_error_pages
    from lms.core.security import add_security_headers

    register_error_pages(app)
    app.context_processor(template_person)  # for error pages of addresses no route matched
    # The blueprint covers its own pages; this covers the rest of the standalone site (404s and such).
    app.after_request(add_security_headers)
    return app

