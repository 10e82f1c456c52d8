"""Error pages in the site's style, and the page shown while the database is not answering."""
import logging

from flask import current_app, render_template
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from lms.core.extensions import db

MESSAGES = {
    400: ("Something in that request was not right", "Go back, check the form and try again."),
    403: ("You cannot open this page", "Your account does not give access to it."),
    404: ("Page not found", "The address may be mistyped, or the page was removed."),
    405: ("That cannot be done here", "Go back and use the page's own buttons."),
    410: ("This link has expired", "Ask for a new one."),
    413: ("That file is too large", "Files can be at most {limit}. Nothing was saved."),
    429: ("Too many tries", "Wait a minute and try again."),
    500: ("Something went wrong on our side", "It has been logged. Try again in a moment."),
}


def register_error_pages(app) -> None:
    register_database_errors(app)

    @app.errorhandler(HTTPException)
    def http_error(error):
        # Unhandled exceptions arrive here as a 500 (tests see them raised instead).
        if error.code >= 500:
            db.session.rollback()
        title, advice = MESSAGES.get(error.code, (error.name, ""))
        if error.code == 413:
            advice = advice.format(limit=_size(current_app.config.get("MAX_CONTENT_LENGTH")))
        return render_template("lms/errors/error.html", code=error.code, title=title, advice=advice), error.code


def _size(limit: int | None) -> str:
    """The upload limit in words ("5 MB", "512 KB"), as the site is set up."""
    if not limit:
        return "the size the site allows"
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:.3g} MB"
    return f"{max(1, limit // 1024)} KB"


log = logging.getLogger(__name__)
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)


def database_unavailable(error):
    """503 while the database is away; the pool's pre-ping reconnects once it is back."""
    log.error("database unavailable: %s", error.__class__.__name__)
    try:
        db.session.rollback()
    except DATABASE_ERRORS:
        pass
    db.session.remove()
    # Pooled connections may point at a database that is gone (a stale socket, a replaced file):
    # drop them all, so the first request after the database returns gets a fresh connection.
    db.engine.dispose()
    # Rendered without context processors: Flask-Login's would ask the database who is signed in.
    page = current_app.jinja_env.get_template("lms/errors/unavailable.html").render()
    return page, 503, {"Retry-After": "30"}


def register_database_errors(target) -> None:
    """On the app (standalone) or on the LMS blueprint (mounted in a host app)."""
    for error_class in DATABASE_ERRORS:
        target.register_error_handler(error_class, database_unavailable)
