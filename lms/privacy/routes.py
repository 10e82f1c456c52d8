"""The privacy pages: the notice, a person's own data as a ZIP, and the administrators' erasure with its preview."""
from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for

from lms.accounts.identity import admin_required, current_person, login_required
from lms.accounts.models import User
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.privacy import services
from lms.privacy.registry import declarations
from lms.reflections.privacy import WHO_SEES as WHO_SEES_REFLECTIONS

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.route("/privacy")
def notice():
    kept = [table for table in declarations() if table.personal]
    return render_template("lms/privacy/notice.html", tables=kept, who_sees_reflections=WHO_SEES_REFLECTIONS,
                           contact=current_app.config["LMS_PRIVACY_CONTACT"])


@bp.route("/auth/account/my-data.zip")
@login_required
def export_mine():
    """Only ever the signed-in person's own data: the address names no one."""
    person = db.session.get(User, current_person.id)
    response = send_file(BytesIO(services.export_zip(person)), mimetype="application/zip", as_attachment=True,
                         download_name=services.export_filename(person))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/privacy")
@admin_required
def find_person():
    typed = request.args.get("email")
    if typed is None:
        return render_template("lms/privacy/find.html", email="", error=None)
    try:
        person = services.find_person(typed)
    except DomainError as error:
        return render_template("lms/privacy/find.html", email=typed, error=error.message), 404
    return redirect(url_for("lms.privacy.erase", user_id=person.id))


@bp.route("/admin/privacy/people/<lms_id:user_id>/erase", methods=["GET", "POST"])
@admin_required
def erase(user_id):
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    if person.erased_at is not None:
        return render_template("lms/privacy/erased.html", person=person, counts=None)
    if request.method == "POST":
        if request.form.get("confirm") != "erase":
            flash("Tick the box to confirm that this person's data is to be erased.", "error")
        else:
            try:
                counts = services.erase(person, current_person)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                db.session.commit()
                return render_template("lms/privacy/erased.html", person=person, counts=counts)
    name, email = person.full_name, person.email
    preview = services.preview_erasure(person)
    return render_template("lms/privacy/erase.html", person=person, name=name, email=email, preview=preview,
                           is_self=person.id == current_person.id)
