"""The public face: the front door that sends each visitor where they belong."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("lms.auth.login"))
    if current_user.is_admin:
        return redirect(url_for("lms.admin.index"))
    return redirect(url_for("lms.learner.dashboard"))
