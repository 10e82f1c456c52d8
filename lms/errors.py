"""Error pages in the site's style, for the standalone app."""
from flask import render_template
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES = {
    400: ("Something in that request was not right", "Go back, check the form and try again."),
    403: ("You cannot open this page", "Your account does not give access to it."),
    404: ("Page not found", "The address may be mistyped, or the page was removed."),
    405: ("That cannot be done here", "Go back and use the page's own buttons."),
    410: ("This link has expired", "Ask for a new one."),
    413: ("That file is too large", "Files can be at most 5 MB."),
    429: ("Too many tries", "Wait a minute and try again."),
    500: ("Something went wrong on our side", "It has been logged. Try again in a moment."),
}


def register_error_pages(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error):
        # Unhandled exceptions arrive here as a 500 (tests see them raised instead).
        if error.code >= 500:
            db.session.rollback()
        title, advice = MESSAGES.get(error.code, (error.name, ""))
        return render_template("lms/errors/error.html", code=error.code, title=title, advice=advice), error.code
