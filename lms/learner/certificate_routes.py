"""The learner's certificates page: their checklist in each academy, and their own certificates."""
from io import BytesIO

from flask import abort, render_template, send_file
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Certificate
from ..services import certificates, eligibility
from . import bp


@bp.route("/certificates", endpoint="certificates")
@login_required
def certificates_page():
    overview = eligibility.learner_overview(current_user)
    return render_template("lms/learner/certificates.html", overview=overview)


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id):
    certificate = db.session.get(Certificate, certificate_id)
    # Someone else's, or one that was revoked or replaced, is simply not there for a learner.
    if certificate is None or certificate.user_id != current_user.id or certificate.status != "valid":
        abort(404)
    try:
        document = certificates.stored_pdf(certificate)
    except certificates.StoredFileError as error:
        return render_template(
            "lms/errors/error.html", code=500, title="Your certificate could not be sent", advice=error.message
        ), 500
    response = send_file(
        BytesIO(document),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=certificates.pdf_filename(certificate.number, certificate.name_as_printed),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
