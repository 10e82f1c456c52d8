"""Certificate pages: the admin's (eligibility, exceptions, issuing, revoking, downloads), the learner's, and
public verification."""
from dataclasses import dataclass
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from lms.academies.access import units_and_groups
from lms.academies.models import Academy
from lms.accounts.identity import admin_required, current_person, login_required
from lms.accounts.models import User
from lms.certificates import bulk, eligibility, issuing, storage, tasks, verification
from lms.certificates.models import Certificate, CertificateJob
from lms.core.dates import format_local
from lms.core.exceptions import DomainError
from lms.core.extensions import db, limiter
from lms.core.forms import EmptyForm

bp = Blueprint("certificates", __name__, template_folder="templates")

class ReasonForm(FlaskForm):
    # Emptiness is checked by the service, which words the message; the form carries the CSRF token.
    reason = TextAreaField("Reason")


class NameForm(FlaskForm):
    name_as_printed = StringField("Name as printed")


@dataclass
class RowProblem:
    """A refused form on one learner's row: shown next to its field, with what was typed."""

    user_id: int
    form: str  # "exception", "revoke" or "reissue"
    message: str
    value: str


def _learner(academy: Academy, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_learner_in(academy.id):
        abort(404)
    return user


def _back(academy_id: int, user_id: int | None = None):
    anchor = f"#learner-{user_id}" if user_id else ""
    return redirect(url_for("lms.certificates.academy", academy_id=academy_id) + anchor)


def _page(academy: Academy, problem: RowProblem | None = None, status: int = 200):
    rows = eligibility.academy_eligibility(academy)
    ready = [row for row in rows if row.awaits_certificate]
    return (
        render_template(
            "lms/certificates/academy.html",
            academy=academy,
            rows=rows,
            ready=ready,
            valid_count=sum(1 for row in rows if row.valid_certificate is not None),
            groups=units_and_groups(academy.id),
            job=bulk.running_job(academy.id),
            problem=problem,
        ),
        status,
    )


@bp.route("/admin/academies/<lms_id:academy_id>/certificates", endpoint="academy")
@admin_required
def certificates_page(academy_id):
    return _page(db.get_or_404(Academy, academy_id))


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/issue", methods=["POST"])
@admin_required
def issue_all(academy_id):
    academy = db.get_or_404(Academy, academy_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        job, created = bulk.start(academy, current_person, request.url_root)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info" if error.message == bulk.NOBODY_WAITS else "error")
        return _back(academy.id)
    db.session.commit()
    if created:
        tasks.queue_job(job.id)
    else:
        flash("Certificates are being issued already: this is how far that has got.", "info")
    return redirect(url_for("lms.certificates.job", academy_id=academy.id, job_id=job.id))


def _job(academy_id: int, job_id: int) -> CertificateJob:
    job = db.get_or_404(CertificateJob, job_id)
    if job.academy_id != academy_id:
        abort(404)
    return job


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/jobs/<lms_id:job_id>", endpoint="job")
@admin_required
def job_page(academy_id, job_id):
    job = _job(academy_id, job_id)
    return render_template("lms/certificates/job.html", academy=job.academy, progress=bulk.progress(job))


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/jobs/<lms_id:job_id>.json", endpoint="job_progress")
@admin_required
def job_progress(academy_id, job_id):
    response = jsonify(bulk.progress(_job(academy_id, job_id), with_refusals=False).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/issue/<lms_id:user_id>", methods=["POST"])
@admin_required
def issue(academy_id, user_id):
    academy = db.get_or_404(Academy, academy_id)
    user = _learner(academy, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        certificate, created = issuing.issue(academy, user, current_person)
    except DomainError as error:
        db.session.rollback()
        flash(f"{user.full_name}: {error.message}", "error")
    else:
        db.session.commit()
        if created:
            flash(f"Certificate {certificate.number} issued to {user.full_name}.", "success")
        else:
            flash(f"{user.full_name} already has certificate {certificate.number}; nothing new was made.", "info")
    return _back(academy.id, user.id)


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/exception/<lms_id:user_id>", methods=["POST"])
@admin_required
def grant_exception(academy_id, user_id):
    academy = db.get_or_404(Academy, academy_id)
    user = _learner(academy, user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        eligibility.grant_exception(academy, user, form.reason.data or "", current_person)
    except DomainError as error:
        db.session.rollback()
        return _page(academy, RowProblem(user.id, "exception", error.message, form.reason.data or ""), 400)
    db.session.commit()
    flash(f"Exception granted to {user.full_name}.", "success")
    return _back(academy.id, user.id)


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/exception/<lms_id:user_id>/withdraw", methods=["POST"])
@admin_required
def withdraw_exception(academy_id, user_id):
    academy = db.get_or_404(Academy, academy_id)
    user = _learner(academy, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if eligibility.withdraw_exception(academy, user, current_person):
        db.session.commit()
        flash(f"The exception for {user.full_name} is withdrawn. A certificate already issued stays valid.", "success")
    else:
        flash(f"{user.full_name} had no exception.", "info")
    return _back(academy.id, user.id)


@bp.route("/admin/certificates/<lms_id:certificate_id>/revoke", methods=["POST"])
@admin_required
def revoke(certificate_id):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        issuing.revoke(certificate, form.reason.data or "", current_person)
    except DomainError as error:
        db.session.rollback()
        if error.field == "reason":
            problem = RowProblem(certificate.user_id, "revoke", error.message, form.reason.data or "")
            return _page(certificate.academy, problem, 400)
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Certificate {certificate.number} is revoked.", "success")
    return _back(certificate.academy_id, certificate.user_id)


@bp.route("/admin/certificates/<lms_id:certificate_id>/reissue", methods=["POST"])
@admin_required
def reissue(certificate_id):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = NameForm()
    if not form.validate_on_submit():
        abort(400)
    academy_id, user_id, old_number = certificate.academy_id, certificate.user_id, certificate.number
    try:
        replacement = issuing.reissue(certificate, form.name_as_printed.data or "", current_person)
    except DomainError as error:
        db.session.rollback()
        if error.field == "name_as_printed":
            problem = RowProblem(user_id, "reissue", error.message, form.name_as_printed.data or "")
            return _page(db.get_or_404(Academy, academy_id), problem, 400)
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Certificate {old_number} is superseded by {replacement.number}.", "success")
    return _back(academy_id, user_id)


@bp.route("/admin/certificates/<lms_id:certificate_id>.pdf", endpoint="pdf")
@admin_required
def certificate_pdf(certificate_id):
    certificate = db.get_or_404(Certificate, certificate_id)
    try:
        document = storage.stored_pdf(certificate)
    except storage.StoredFileError as error:
        return render_template(
            "lms/errors/error.html", code=500, title="This certificate could not be sent", advice=error.message
        ), 500
    return _pdf_response(document, storage.pdf_filename(certificate.number, certificate.name_as_printed))


def _pdf_response(document: bytes, filename: str):
    response = send_file(BytesIO(document), mimetype="application/pdf", as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/academies/<lms_id:academy_id>/certificates.zip", endpoint="zip")
@admin_required
def certificates_zip(academy_id):
    academy = db.get_or_404(Academy, academy_id)
    try:
        chunks = storage.valid_certificates_zip(academy)
    except DomainError as error:
        flash(error.message, "error")
        return _back(academy.id)
    name = storage.pdf_filename(f"certificates-{academy.id}", academy.title).removesuffix(".pdf") + ".zip"
    # Streamed as it is made, from the database, in the request's context (its session reads the rows).
    response = Response(stream_with_context(chunks), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/academies/<lms_id:academy_id>/certificates/batch.pdf", endpoint="batch")
@admin_required
def group_batch(academy_id):
    """One PDF of a group's valid certificates, to print and hand over (learners on paper)."""
    academy = db.get_or_404(Academy, academy_id)
    group = request.args.get("group", "")
    try:
        document = storage.group_batch_pdf(academy, group)
    except DomainError as error:
        flash(error.message, "error")
        return _back(academy.id)
    name = storage.pdf_filename(f"certificates-{academy.id}", group)
    return _pdf_response(document, name)


# --- the learner's certificates ---------------------------------------------------------------

@bp.route("/learn/certificates")
@login_required
def mine():
    overview = eligibility.learner_overview(current_person)
    return render_template("lms/certificates/mine.html", overview=overview)


@bp.route("/learn/certificates/<lms_id:certificate_id>.pdf")
@login_required
def my_pdf(certificate_id):
    certificate = db.session.get(Certificate, certificate_id)
    # Someone else's, or one that was revoked or replaced, is simply not there for a learner.
    if certificate is None or certificate.user_id != current_person.id or certificate.status != "valid":
        abort(404)
    try:
        document = storage.stored_pdf(certificate)
    except storage.StoredFileError as error:
        return render_template(
            "lms/errors/error.html", code=500, title="Your certificate could not be sent", advice=error.message
        ), 500
    return _pdf_response(document, storage.pdf_filename(certificate.number, certificate.name_as_printed))


# --- anyone: is this certificate genuine? -----------------------------------------------------

def _verify_limit() -> str:
    # Read on every request, so the limit can be changed in the config without a restart of the code.
    return current_app.config["LMS_VERIFY_RATE_LIMIT"]


@bp.route("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    """A form to type a certificate's code; it only looks things up, so it is a GET form."""
    typed = request.args.get("code")
    if typed is None:
        return render_template("lms/certificates/verify_form.html", code="", error=None)
    code = verification.normalise_code(typed)
    if not code:
        return render_template(
            "lms/certificates/verify_form.html", code=typed, error="Type the code printed on the certificate."
        ), 400
    return redirect(url_for("lms.certificates.verify", code=code))


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code):
    certificate = verification.find_by_code(code)
    if certificate is None:
        return render_template("lms/certificates/verify_not_found.html", code=code), 404
    # The issue date as printed: in the academy's home zone, like the session dates.
    issued_on = format_local(certificate.issued_at, certificate.academy.home_timezone, "day")
    return render_template("lms/certificates/verify.html", certificate=certificate, issued_on=issued_on)
