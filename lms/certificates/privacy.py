"""Personal data held by certificates: who was awarded what, the PDFs, and exceptions to the rules."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_certificates",
        about="Certificates you were awarded",
        personal=(
            P("user_id", "whose certificate it is", "to let you download it"),
            P("name_as_printed", "your name as printed on it", "so that anyone you show it to can check it is yours"),
            P("excused_dates", "the sessions you were excused from, if any",
              "printed on it, so that it says only what happened"),
            P("pdf", "the certificate itself (with your name)", "to let you download it again"),
            P("issued_at", "when it was issued", "printed on it, and shown when it is checked"),
            P("issued_by_id", "who issued it", "to know who did what"),
            P("status_reason", "why it was withdrawn or replaced, if it was", "shown when it is checked"),
            P("status_changed_at", "when it was withdrawn or replaced", "shown when it is checked"),
        ),
        not_personal=("id", "academy_id", "number", "verification_code", "academy_title", "organiser",
                      "session_dates", "status", "superseded_by_id", "pdf_sha256"),
        who_sees="You and administrators; anyone with its code can check it, which shows the name on it.",
    ),
    TableDeclaration(
        table="lms_eligibility_exceptions",
        about="Exceptions granted to the rules for a certificate",
        personal=(
            P("user_id", "who was granted the exception", "to issue a certificate despite a missed requirement"),
            P("reason", "why (it can mention your circumstances)", "to record why the rule was set aside"),
            P("granted_by_id", "who granted it", "to know who did what"),
            P("granted_at", "when", "to know who did what"),
        ),
        not_personal=("id", "academy_id"),
        who_sees="Administrators.",
    ),
    TableDeclaration(
        table="lms_certificate_jobs",
        about="Runs of issuing certificates to everyone eligible at once",
        personal=(
            P("started_by_id", "who started it", "to know who did what"),
            P("started_at", "when it started", "to know who did what"),
        ),
        not_personal=("id", "academy_id", "state", "finished_at", "base_url", "next_number", "total",
                      "stopped_reason"),
        who_sees="Administrators.",
    ),
    TableDeclaration(
        table="lms_certificate_job_items",
        about="What such a run did for each learner",
        personal=(
            P("user_id", "whom it was for", "to issue each learner's certificate once, and say what was done"),
            P("message", "why no certificate was issued, if none was (it can quote your name)",
              "so that the organisers can put it right"),
            P("number", "the number of the certificate issued", "to say what was done"),
            P("certificate_id", "the certificate issued", "to say what was done"),
            P("finished_at", "when it was done", "to say what was done"),
        ),
        not_personal=("id", "job_id", "state", "claimed_by", "claimed_at"),
        who_sees="Administrators.",
    ),
)


def export_person(person) -> dict:
    from lms.certificates.models import Certificate, EligibilityException
    from lms.core.extensions import db
    from lms.core.personal_data import record

    certificates = db.session.scalars(db.select(Certificate).where(Certificate.user_id == person.id)).all()
    exceptions = db.session.scalars(db.select(EligibilityException).where(
        EligibilityException.user_id == person.id)).all()
    return {
        "Your certificates": [record(c, "number", "verification_code", "name_as_printed", "academy_title",
                                     "session_dates", "excused_dates", "issued_at", "status", "status_reason")
                              for c in certificates],
        "Exceptions to the certificate rules made for you": [record(e, "reason", "granted_at") for e in exceptions],
    }


def export_files(person) -> dict:
    from lms.certificates.models import Certificate
    from lms.core.extensions import db

    rows = db.session.execute(db.select(Certificate.number, Certificate.pdf).where(
        Certificate.user_id == person.id, Certificate.pdf.is_not(None))).all()
    return {f"certificates/{number}.pdf": pdf for number, pdf in rows}


def erase_person(person) -> dict:
    """Certificates stay, so that they can still be checked: the name printed and the stored PDF go, the PDF's
    fingerprint stays (the copy the person holds still matches its code)."""
    from lms.certificates.models import Certificate, CertificateJobItem, EligibilityException
    from lms.core.extensions import db

    certificates = db.session.execute(db.update(Certificate).where(Certificate.user_id == person.id).values(
        name_as_printed="", pdf=None, status_reason="")).rowcount
    return {
        "names printed on certificates (each stays checkable, the name withheld)": certificates,
        "exceptions to the certificate rules": db.session.execute(
            db.delete(EligibilityException).where(EligibilityException.user_id == person.id)).rowcount,
        "notes from certificate jobs": db.session.execute(
            db.delete(CertificateJobItem).where(CertificateJobItem.user_id == person.id)).rowcount,
    }
