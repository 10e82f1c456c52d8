"""The one parent blueprint that carries every face of the LMS under a single url_prefix."""
from flask import Blueprint, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .admin import bp as admin_bp
from .auth import bp as auth_bp
from .errors import register_database_errors
from .facilitator import bp as facilitator_bp
from .learner import bp as learner_bp
from .public import bp as public_bp
from .security import add_security_headers
from .web import form_field_values

lms_blueprint = Blueprint(
    "lms",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
lms_blueprint.after_request(add_security_headers)
register_database_errors(lms_blueprint)
lms_blueprint.register_blueprint(public_bp)
lms_blueprint.register_blueprint(auth_bp, url_prefix="/auth")
lms_blueprint.register_blueprint(learner_bp, url_prefix="/learn")
lms_blueprint.register_blueprint(facilitator_bp, url_prefix="/facilitate")
lms_blueprint.register_blueprint(admin_bp, url_prefix="/admin")


def _from_this_site() -> bool:
    """Whether the refused form was sent from one of our own pages (not forged by another site)."""
    own = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin:
        return origin.rstrip("/") == own
    referrer = request.headers.get("Referer", "")
    return referrer == own or referrer.startswith(own + "/")


@lms_blueprint.errorhandler(CSRFError)
def form_expired(error):
    """An expired or missing form token: show what was typed, so nothing is lost.

    A fresh form to send it again is offered only to a signed-in person whose own page sent it,
    with every value visible: otherwise a forged request would be one click from going through.
    """
    return (
        render_template(
            "lms/errors/form_expired.html",
            action=request.path,
            fields=form_field_values(),
            offer_resend=current_user.is_authenticated and _from_this_site(),
        ),
        400,
    )
