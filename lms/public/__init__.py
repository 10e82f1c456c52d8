"""The public face: the front door that sends each visitor where they belong, and certificate checks."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import limiter
from ..services import certificates

bp = Blueprint("public", __name__)


def _verify_limit() -> str:
    # Read on every request, so the limit can be changed in the config without a restart of the code.
    return current_app.config["LMS_VERIFY_RATE_LIMIT"]


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("lms.auth.login"))
    if current_user.is_admin:
        return redirect(url_for("lms.admin.index"))
    return redirect(url_for("lms.learner.dashboard"))


@bp.route("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    """A form to type a certificate's code; it only looks things up, so it is a GET form."""
    typed = request.args.get("code")
    if typed is None:
        return render_template("lms/public/verify_form.html", code="", error=None)
    code = certificates.normalise_code(typed)
    if not code:
        return render_template(
            "lms/public/verify_form.html", code=typed, error="Type the code printed on the certificate."
        ), 400
    return redirect(url_for("lms.public.verify", code=code))


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code):
    certificate = certificates.find_by_code(code)
    if certificate is None:
        return render_template("lms/public/verify_not_found.html", code=code), 404
    # The issue date as printed: in the academy's home zone, like the session dates.
    issued_on = certificates.format_date(certificate.issued_at, certificate.academy.home_timezone)
    return render_template("lms/public/verify.html", certificate=certificate, issued_on=issued_on)
