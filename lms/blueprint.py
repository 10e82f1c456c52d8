"""The one parent blueprint that carries every domain's pages under a single url_prefix."""
from flask import Blueprint, abort, current_app, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError

from lms.academies.routes import bp as academies_bp
from lms.accounts.identity import current_person, uses_own_sign_in
from lms.accounts.routes import bp as accounts_bp
from lms.attendance.routes import bp as attendance_bp
from lms.audit.routes import bp as audit_bp
from lms.certificates.routes import bp as certificates_bp
from lms.core.errors import register_database_errors
from lms.core.extensions import csrf
from lms.core.security import add_security_headers
from lms.core.text import has_control_characters, without_control_characters
from lms.core.web import form_field_values
from lms.lti.routes import bp as lti_bp
from lms.notifications.routes import bp as notifications_bp
from lms.paper.routes import bp as paper_bp
from lms.privacy.routes import bp as privacy_bp
from lms.readings.routes import bp as readings_bp
from lms.reflections.routes import bp as reflections_bp

# The shared layout, error pages and static files live in core/; each domain's blueprint brings its own
# templates (lms/<domain>/templates/lms/<domain>/...). Every route spells out its whole path.
lms_blueprint = Blueprint(
    "lms",
    __name__,
    template_folder="core/templates",
    static_folder="core/static",
    static_url_path="/static",
)
lms_blueprint.after_request(add_security_headers)
register_database_errors(lms_blueprint)
for domain_blueprint in (
    accounts_bp, academies_bp, readings_bp, reflections_bp, attendance_bp, certificates_bp, notifications_bp,
    audit_bp, privacy_bp, paper_bp, lti_bp,
):
    lms_blueprint.register_blueprint(domain_blueprint)


def template_person() -> dict:
    """The LMS's person for templates, not the host's Flask-Login user (Flask-Login's current_user);
    looked up before the page renders, so that every time on it is in their zone."""
    if not has_request_context():
        return {}  # a certificate or a mail rendered by a command or a job
    return {"current_person": current_person._get_current_object(), "lms_own_sign_in": uses_own_sign_in()}


lms_blueprint.context_processor(template_person)


# An LTI platform posts these from its own site: the launch is checked by the platform's signature, the
# single-use nonce and the state cookie (lms/lti/protocol.py), not by our form token.
FORM_TOKEN_EXEMPT = {"lms.lti.login", "lms.lti.launch"}


@lms_blueprint.before_request
def _check_form_token():
    """Every form sent to an LMS page carries its CSRF token (unless the app's CSRFProtect checks every page)."""
    config = current_app.config
    if request.endpoint in FORM_TOKEN_EXEMPT:
        return
    if config["WTF_CSRF_ENABLED"] and not config["WTF_CSRF_CHECK_DEFAULT"] and request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect()


@lms_blueprint.before_request
def _refuse_control_characters():
    """No NUL or other control character gets in, whatever the page: not in its address, query or form.

    A form comes back with what was typed, the characters taken out, so nothing is lost.
    """
    path_values = [value for value in (request.view_args or {}).values() if isinstance(value, str)]
    query = [text for pair in request.args.items(multi=True) for text in pair]
    if any(has_control_characters(text) for text in path_values + query):
        abort(400)
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    refused = [
        name for name, value in request.form.items(multi=True)
        if has_control_characters(name) or has_control_characters(value)
    ]
    if not refused:
        return None
    fields = {without_control_characters(name): without_control_characters(value)
              for name, value in form_field_values().items()}
    return (
        render_template(
            "lms/errors/form_expired.html",
            action=request.path,
            fields=fields,
            refused=[without_control_characters(name) for name in refused],
            offer_resend=current_person.is_authenticated and _from_this_site(),
        ),
        400,
    )


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
            offer_resend=current_person.is_authenticated and _from_this_site(),
        ),
        400,
    )
