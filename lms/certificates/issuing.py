"""Issuing certificates one at a time (all at once is a job: bulk.py), numbering them, revoking and reissuing."""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from lms.academies.models import Academy
from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates.eligibility import Eligibility, academy_eligibility, learner_eligibility, session_date
from lms.certificates.models import Certificate, CertificateJob
from lms.certificates.rendering import check_name, printed_dates, render_certificate
from lms.certificates.storage import fingerprint
from lms.certificates.verification import new_code
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow

log = logging.getLogger(__name__)

NUMBER_PREFIX = "LA"
MAX_REASON_CHARACTERS = 2000
# A few tries when two issues at once take the same number; each try renders the PDF again.
NUMBER_ATTEMPTS = 3


def _who(by: User | None) -> str:
    return by.email if by is not None else "the command line"


def number_prefix(academy_id: int) -> str:
    return f"{NUMBER_PREFIX}-{academy_id}-"


def format_number(academy_id: int, value: int) -> str:
    return f"{number_prefix(academy_id)}{value:04d}"


def highest_number(academy_id: int) -> int:
    """The highest certificate number issued in the academy (0 for none)."""
    prefix = number_prefix(academy_id)
    numbers = db.session.scalars(select(Certificate.number).where(Certificate.number.startswith(prefix)))
    return max((int(number[len(prefix):]) for number in numbers if number[len(prefix):].isdigit()), default=0)


def next_number_value(academy_id: int) -> int:
    """The next free certificate number of the academy, past any a running certificate job has handed out."""
    highest = highest_number(academy_id)
    reserved = db.session.scalar(
        select(CertificateJob.next_number).where(CertificateJob.academy_id == academy_id, CertificateJob.state == "running")
    )
    return max(highest + 1, reserved or 0)


def _next_number(academy_id: int) -> str:
    return format_number(academy_id, next_number_value(academy_id))


def _check_reason(raw: str) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise DomainError("Write the reason; it is kept with the certificate.", field="reason")
    if len(reason) > MAX_REASON_CHARACTERS:
        raise DomainError(f"A reason can be at most {MAX_REASON_CHARACTERS:,} characters.", field="reason")
    return reason


def _valid_certificate(academy_id: int, user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.academy_id == academy_id, Certificate.user_id == user_id, Certificate.status == "valid")
        .options(defer(Certificate.pdf))
    )


# --- saving one new certificate --------------------------------------------------------------

def _save_new(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str,
              by: User | None, replaces: Certificate | None = None) -> Certificate | None:
    """Render and store a new certificate with the next free number; None if there is nothing to do any more.

    The row is flushed together with its PDF (and the audit entry), for the caller to commit. With `replaces`
    (reissuing), the old certificate is marked superseded in the same transaction, if it is still valid.
    A taken number or a second valid certificate rolls the session back: call this with nothing unsaved.
    """
    replaces_id, replaces_number = (replaces.id, replaces.number) if replaces is not None else (None, "")
    for _attempt in range(NUMBER_ATTEMPTS):
        certificate.number = _next_number(certificate.academy_id)
        document = render_certificate(certificate, signatories, home_timezone)
        certificate.pdf = document
        certificate.pdf_sha256 = fingerprint(document)
        try:
            if replaces_id is not None and not _retire(replaces_id, certificate):
                return None
            _insert(certificate, by, replaces_id, replaces_number)
            return certificate
        except IntegrityError:
            # The race's way out: after a failed INSERT, PostgreSQL accepts nothing until a rollback.
            db.session.rollback()
            # The one-valid-certificate index: a double click or a second admin got there first.
            if replaces_id is None and _valid_certificate(certificate.academy_id, certificate.user_id) is not None:
                return None
            # Otherwise someone took the same number at the same moment: try the next one.
    raise DomainError("No free certificate number could be taken; try again.")


def _insert(certificate: Certificate, by: User | None, replaces_id: int | None, replaces_number: str) -> None:
    """Add the row (IntegrityError when its number or the one-valid index is taken), link it, audit it."""
    db.session.add(certificate)
    db.session.flush()
    if replaces_id is not None:
        db.session.execute(
            update(Certificate).where(Certificate.id == replaces_id).values(superseded_by_id=certificate.id)
        )
    if by is not None:  # the command line has no account to name; the log says who ran it
        action = "certificate.issue" if replaces_id is None else "certificate.reissue"
        detail = certificate.number if replaces_id is None else f"{replaces_number} -> {certificate.number}"
        audit.record(by, action, f"user {certificate.user_id}", detail)


def _retire(old_id: int, replacement: Certificate) -> bool:
    """Mark the old certificate superseded; conditional, so of two reissues (or a reissue and a revoke)
    at the same moment only one goes through."""
    changed = db.session.execute(
        update(Certificate)
        .where(Certificate.id == old_id, Certificate.status == "valid")
        .values(
            status="superseded",
            status_reason=f"Reissued as {replacement.number}, printing “{replacement.name_as_printed}”.",
            status_changed_at=replacement.issued_at,
        )
    )
    return changed.rowcount == 1


# --- issuing ---------------------------------------------------------------------------------

def require_eligible(academy: Academy, user: User, eligibility: Eligibility | None) -> Eligibility:
    """The learner's eligibility, or DomainError saying why no certificate can be issued to them now."""
    if not academy.live_sessions:
        raise DomainError("The academy has no live sessions yet, so there is nothing to certify.")
    eligibility = eligibility or learner_eligibility(academy, user.id)
    if eligibility is None:
        raise DomainError(f"{user.full_name} is not a learner in {academy.title}.")
    still_to_come = [live_session for live_session in academy.live_sessions if live_session.ends_at > utcnow()]
    if still_to_come:
        last = still_to_come[-1]
        raise DomainError(
            f"{last.title} has not ended yet. A certificate of attendance can only be issued once every "
            f"session it names has taken place: after {session_date(last, academy.home_timezone)}."
        )
    if not eligibility.eligible:
        missing = "; ".join(requirement.summary for requirement in eligibility.missing)
        raise DomainError(
            f"{user.full_name} does not meet the rule yet (missing: {missing}). Grant an exception to issue anyway."
        )
    if not any(requirement.met for requirement in eligibility.sessions):
        raise DomainError(
            f"{user.full_name} attended none of the live sessions, so a certificate of attendance would not be "
            "true, even with an exception."
        )
    return eligibility


def issue(academy: Academy, user: User, by: User | None, *, eligibility: Eligibility | None = None) -> tuple[Certificate, bool]:
    """Issue `user`'s certificate; (certificate, True) if made now, (the existing one, False) if they had one.

    Refuses (DomainError) when the learner is not eligible; RendererUnavailable or NotPrintable when the PDF
    cannot be made properly. Either way nothing is saved.
    """
    eligibility = require_eligible(academy, user, eligibility)
    existing = _valid_certificate(academy.id, user.id)
    if existing is not None:
        return existing, False
    certificate = new_certificate(academy, user, eligibility, by)
    saved = _save_new(certificate, academy.signatory_list, academy.home_timezone, by)
    if saved is None:
        return _valid_certificate(academy.id, user.id), False
    log.info("certificate %s issued to user %s in academy %s by %s", saved.number, user.id, academy.id, _who(by))
    return saved, True


def new_certificate(academy: Academy, user: User, eligibility: Eligibility, by: User | None) -> Certificate:
    """A certificate freezing what it says now (not yet numbered, rendered or saved)."""
    attended, excused = printed_dates(eligibility)
    return Certificate(
        academy_id=academy.id,
        user_id=user.id,
        verification_code=new_code(),
        name_as_printed=check_name(user.full_name),
        academy_title=academy.title,
        organiser=academy.organiser or "",
        session_dates=attended,
        excused_dates=excused,
        issued_at=utcnow(),
        issued_by_id=by.id if by is not None else None,
        status="valid",
        status_reason="",
    )


def to_issue(academy: Academy) -> list[Eligibility]:
    """The learners who would get a certificate from "issue to all": eligible, none yet, none revoked."""
    return [item for item in academy_eligibility(academy) if item.awaits_certificate]


# --- revoking and reissuing ------------------------------------------------------------------

def revoke(certificate: Certificate, reason: str, by: User) -> None:
    """Withdraw a valid certificate; the reason is kept for the organisers and never shown publicly."""
    reason = _check_reason(reason)
    changed = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == "valid")
        .values(status="revoked", status_reason=reason, status_changed_at=utcnow())
    )
    if changed.rowcount != 1:
        raise DomainError(f"Certificate {certificate.number} is not valid any more, so it cannot be revoked.")
    audit.record(by, "certificate.revoke", f"user {certificate.user_id}", certificate.number)
    db.session.flush()
    log.info("certificate %s revoked by %s", certificate.number, by.email)


def reissue(certificate: Certificate, name_as_printed: str, by: User) -> Certificate:
    """Replace a valid certificate with one printing a corrected name, with a new number and code.

    The facts certified (programme, organiser, session dates) stay as frozen at the first issue; the
    signatories are the academy's current ones. The old certificate becomes 'superseded'.
    """
    name = check_name(name_as_printed)
    if certificate.status != "valid":
        raise DomainError(f"Certificate {certificate.number} is {certificate.status}; only a valid one can be reissued.")
    academy = db.session.get(Academy, certificate.academy_id)
    replacement = Certificate(
        academy_id=certificate.academy_id,
        user_id=certificate.user_id,
        verification_code=new_code(),
        name_as_printed=name,
        academy_title=certificate.academy_title,
        organiser=certificate.organiser,
        session_dates=certificate.session_dates,
        excused_dates=certificate.excused_dates,
        issued_at=utcnow(),
        issued_by_id=by.id,
        status="valid",
        status_reason="",
    )
    old_number = certificate.number
    saved = _save_new(replacement, academy.signatory_list, academy.home_timezone, by, replaces=certificate)
    if saved is None:
        raise DomainError(f"Certificate {old_number} was already reissued or revoked; nothing changed.")
    log.info("certificate %s reissued as %s by %s", old_number, saved.number, by.email)
    return saved
