"""Certificates of attendance: issuing (PDF made once and stored), revoking, reissuing, verifying, ZIP."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import segno
from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from lms.academies.models import Academy
from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates.eligibility import Eligibility, academy_eligibility, learner_eligibility, session_date
from lms.certificates.models import Certificate
from lms.core import pdf as pdf_renderer
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.timezones import zone
from lms.core.types import utcnow

log = logging.getLogger(__name__)

# 20 random bytes are 160 bits: base32 without padding makes exactly 32 characters, printed as 8 groups of 4.
CODE_BYTES = 20
NUMBER_PREFIX = "LA"
MAX_NAME_CHARACTERS = 200
MAX_REASON_CHARACTERS = 2000
# A few tries when two issues at once take the same number; each try renders the PDF again.
NUMBER_ATTEMPTS = 3
VERIFY_ENDPOINT = "lms.certificates.verify"
# Keep the ZIP in memory up to this size, on disk beyond it.
ZIP_MEMORY_BYTES = 32 * 1024 * 1024


class RendererUnavailable(DomainError):
    """The PDF renderer failed: nothing can be issued until it works again."""


class NotPrintable(DomainError):
    """Some text would be missing from the PDF (no font has its characters); nothing was issued for it."""


class StoredFileError(DomainError):
    """A stored PDF is missing or no longer matches its SHA-256."""


@dataclass
class IssueResult:
    issued: list[Certificate] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # names of people who already had a valid certificate
    problems: list[tuple[str, str]] = field(default_factory=list)  # (name, why nothing was issued)
    stopped: str = ""  # set when the renderer failed and the rest were not tried
    left: int = 0  # not tried because the time allowed ran out


def _who(by: User | None) -> str:
    return by.email if by is not None else "the command line"


# --- codes, numbers, dates, addresses ---------------------------------------------------------

def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").rstrip("=")


def normalise_code(raw: str) -> str:
    """What a person typed or scanned -> the stored form: dashes, spaces and case do not matter."""
    return "".join(char for char in (raw or "").upper() if char.isascii() and char.isalnum())


def find_by_code(raw: str) -> Certificate | None:
    code = normalise_code(raw)
    if not code or len(code) > 64:
        return None
    return db.session.scalar(
        select(Certificate).where(Certificate.verification_code == code).options(defer(Certificate.pdf))
    )


def join_dates(dates: list[str]) -> str:
    """['17 April 2025', '2 May 2025'] -> '17 April 2025 and 2 May 2025'."""
    if len(dates) <= 1:
        return "".join(dates)
    return ", ".join(dates[:-1]) + " and " + dates[-1]


def session_dates_text(academy: Academy) -> str:
    """The days of the academy's live sessions in its home zone, each day once."""
    days = [session_date(live_session, academy.home_timezone) for live_session in academy.live_sessions]
    return join_dates(list(dict.fromkeys(days)))


def format_date(moment: datetime, zone_name: str) -> str:
    local = moment.astimezone(zone(zone_name))
    return f"{local.day} {local:%B %Y}"


def verification_url(code: str) -> str:
    """The address printed on the certificate: LMS_BASE_URL + the verify path, else this request's address."""
    base = current_app.config.get("LMS_BASE_URL", "").rstrip("/")
    if has_request_context():
        path = url_for(VERIFY_ENDPOINT, code=code)
        return base + path if base else url_for(VERIFY_ENDPOINT, code=code, _external=True)
    if not base:
        # The command line has no request to take the site's address from.
        raise DomainError(
            "Set LMS_BASE_URL (for example https://academy.example.org) so that certificates print "
            "the address where they can be checked."
        )
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return base + adapter.build(VERIFY_ENDPOINT, {"code": code})


def _next_number(academy_id: int) -> str:
    prefix = f"{NUMBER_PREFIX}-{academy_id}-"
    numbers = db.session.scalars(select(Certificate.number).where(Certificate.number.startswith(prefix)))
    highest = max((int(number[len(prefix):]) for number in numbers if number[len(prefix):].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def check_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise DomainError("Enter the name as it should be printed.", field="name_as_printed")
    if len(name) > MAX_NAME_CHARACTERS:
        raise DomainError(f"A name can be at most {MAX_NAME_CHARACTERS} characters.", field="name_as_printed")
    return name


def _check_reason(raw: str) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise DomainError("Write the reason; it is kept with the certificate.", field="reason")
    if len(reason) > MAX_REASON_CHARACTERS:
        raise DomainError(f"A reason can be at most {MAX_REASON_CHARACTERS:,} characters.", field="reason")
    return reason


# --- the PDF ---------------------------------------------------------------------------------

def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").png_data_uri(scale=6, border=0, dark="#1d2b4a")


def certificate_html(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str) -> str:
    url = verification_url(certificate.verification_code)
    return render_template(
        "lms/certificates/certificate.html",
        certificate=certificate,
        signatories=signatories,
        issued_on=format_date(certificate.issued_at, home_timezone),
        verify_url=url,
        qr=qr_data_uri(url),
    )


def render_certificate(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str) -> bytes:
    """The certificate's PDF, checked: every value typed by a person must be readable in it."""
    html = certificate_html(certificate, signatories, home_timezone)
    try:
        document = pdf_renderer.render_pdf(html, timeout=current_app.config["LMS_PDF_TIMEOUT"])
        missing = pdf_renderer.verify_text_present(
            document,
            certificate.name_as_printed,
            certificate.academy_title,
            certificate.organiser,
            certificate.number,
            certificate.grouped_code,
        )
    except pdf_renderer.RendererError as error:
        raise RendererUnavailable(
            f"The certificate PDF could not be made: {error}. Nothing was issued; "
            "`flask lms doctor` checks the renderer."
        ) from error
    if certificate.name_as_printed in missing:
        raise NotPrintable(
            f"The name “{certificate.name_as_printed}” cannot be printed: the fonts on this server lack some of "
            "its characters, so they would be left out. No certificate was issued for this person; correct "
            "the name as printed, or install a font that has these characters.",
            field="name_as_printed",
        )
    if missing:
        raise NotPrintable(
            f"Some of the certificate's text cannot be printed with the fonts on this server: "
            f"{', '.join('“' + text + '”' for text in missing)}. No certificate was issued; correct the "
            "academy's details or install a font that has these characters."
        )
    return document


# --- issuing ---------------------------------------------------------------------------------

def _valid_certificate(academy_id: int, user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.academy_id == academy_id, Certificate.user_id == user_id, Certificate.status == "valid")
        .options(defer(Certificate.pdf))
    )


def _save_new(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str,
              by: User | None, replaces: Certificate | None = None) -> Certificate | None:
    """Render and store a new certificate with the next free number; None if there is nothing to do any more.

    The row is committed together with its PDF (and the audit entry), or not at all. With `replaces`
    (reissuing), the old certificate is marked superseded in the same transaction, if it is still valid.
    """
    replaces_id, replaces_number = (replaces.id, replaces.number) if replaces is not None else (None, "")
    for _attempt in range(NUMBER_ATTEMPTS):
        certificate.number = _next_number(certificate.academy_id)
        document = render_certificate(certificate, signatories, home_timezone)
        certificate.pdf = document
        certificate.pdf_sha256 = hashlib.sha256(document).hexdigest()
        try:
            if replaces_id is not None and not _retire(replaces_id, certificate):
                db.session.rollback()
                return None
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
            db.session.commit()
            return certificate
        except IntegrityError:
            db.session.rollback()
            # The one-valid-certificate index: a double click or a second admin got there first.
            if replaces_id is None and _valid_certificate(certificate.academy_id, certificate.user_id) is not None:
                return None
            # Otherwise someone took the same number at the same moment: try the next one.
    raise DomainError("No free certificate number could be taken; try again.")


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


def issue(academy: Academy, user: User, by: User | None, *, eligibility: Eligibility | None = None) -> tuple[Certificate, bool]:
    """Issue `user`'s certificate; (certificate, True) if made now, (the existing one, False) if they had one.

    Refuses (DomainError) when the learner is not eligible; RendererUnavailable or NotPrintable when the PDF
    cannot be made properly. Either way nothing is saved.
    """
    if not academy.live_sessions:
        raise DomainError("The academy has no live sessions yet, so there is nothing to certify.")
    eligibility = eligibility or learner_eligibility(academy, user.id)
    if eligibility is None:
        raise DomainError(f"{user.full_name} is not a learner in {academy.title}.")
    if not eligibility.eligible:
        missing = "; ".join(requirement.label for requirement in eligibility.missing)
        raise DomainError(
            f"{user.full_name} does not meet the rule yet (missing: {missing}). Grant an exception to issue anyway."
        )
    existing = _valid_certificate(academy.id, user.id)
    if existing is not None:
        return existing, False
    certificate = Certificate(
        academy_id=academy.id,
        user_id=user.id,
        verification_code=new_code(),
        name_as_printed=check_name(user.full_name),
        academy_title=academy.title,
        organiser=academy.organiser or "",
        session_dates=session_dates_text(academy),
        issued_at=utcnow(),
        issued_by_id=by.id if by is not None else None,
        status="valid",
        status_reason="",
    )
    saved = _save_new(certificate, academy.signatory_list, academy.home_timezone, by)
    if saved is None:
        return _valid_certificate(academy.id, user.id), False
    log.info("certificate %s issued to user %s in academy %s by %s", saved.number, user.id, academy.id, _who(by))
    return saved, True


def to_issue(academy: Academy) -> list[Eligibility]:
    """The learners who would get a certificate from "issue to all": eligible, none yet, none revoked."""
    return [item for item in academy_eligibility(academy) if item.awaits_certificate]


def issue_all(
    academy: Academy,
    by: User | None,
    people: Iterable[Eligibility] | None = None,
    *,
    seconds: float | None = None,
) -> IssueResult:
    """Issue to everyone in `people` (default: to_issue(academy)).

    One person's unprintable name does not stop the rest; a renderer failure does, since every further
    try would fail the same way. With `seconds`, stop starting new certificates after that long (a web
    request must answer before the server gives up on it) and count those left for the next press.
    """
    verification_url(new_code())  # refuses at once, not once per person, when no address can be printed
    result = IssueResult()
    deadline = time.monotonic() + seconds if seconds is not None else None
    remaining = iter(to_issue(academy) if people is None else people)
    for item in remaining:
        if deadline is not None and time.monotonic() > deadline:
            result.left = 1 + sum(1 for _ in remaining)
            break
        user = db.session.get(User, item.user_id)
        try:
            certificate, created = issue(academy, user, by, eligibility=item)
        except RendererUnavailable as error:
            db.session.rollback()
            result.stopped = error.message
            break
        except DomainError as error:
            db.session.rollback()
            result.problems.append((item.name, error.message))
            continue
        if created:
            result.issued.append(certificate)
        else:
            result.already.append(item.name)
    log.info("%d certificates issued in academy %s by %s", len(result.issued), academy.id, _who(by))
    return result


def revoke(certificate: Certificate, reason: str, by: User) -> None:
    """Withdraw a valid certificate; the reason is kept for the organisers and never shown publicly."""
    reason = _check_reason(reason)
    changed = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == "valid")
        .values(status="revoked", status_reason=reason, status_changed_at=utcnow())
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise DomainError(f"Certificate {certificate.number} is not valid any more, so it cannot be revoked.")
    audit.record(by, "certificate.revoke", f"user {certificate.user_id}", certificate.number)
    db.session.commit()
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
    now = utcnow()
    replacement = Certificate(
        academy_id=certificate.academy_id,
        user_id=certificate.user_id,
        verification_code=new_code(),
        name_as_printed=name,
        academy_title=certificate.academy_title,
        organiser=certificate.organiser,
        session_dates=certificate.session_dates,
        issued_at=now,
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


# --- stored files ----------------------------------------------------------------------------

def _check_stored(number: str, document: bytes | None, sha256: str) -> bytes:
    if not document:
        raise StoredFileError(f"Certificate {number} has no stored PDF.")
    if hashlib.sha256(document).hexdigest() != sha256:
        log.error("stored PDF of certificate %s does not match its SHA-256", number)
        raise StoredFileError(
            f"The stored PDF of certificate {number} does not match its fingerprint, so it was not sent. "
            "The organisers have been told."
        )
    return document


def stored_pdf(certificate: Certificate) -> bytes:
    """The PDF made at issue, after checking it is byte for byte what was stored then."""
    return _check_stored(certificate.number, certificate.pdf, certificate.pdf_sha256)


def pdf_filename(number: str, name: str) -> str:
    """'LA-3-0001-Jean-Francois-Cote.pdf': plain ASCII, safe in any header, archive or file system."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:60].strip("-")
    safe_number = re.sub(r"[^A-Za-z0-9-]+", "-", number)
    return f"{safe_number}-{slug}.pdf" if slug else f"{safe_number}.pdf"


def valid_certificates_zip(academy: Academy):
    """A ZIP of the academy's valid certificates, one PDF each, in a file rewound to its start.

    Built before anything is sent, so a stored file that fails its check refuses the whole download
    instead of breaking it half way. Rows are fetched a few at a time, not all PDFs at once.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_MEMORY_BYTES)
    count = 0
    try:
        # PDFs are compressed already; storing them keeps the ZIP quick to build.
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            rows = db.session.execute(
                select(Certificate.number, Certificate.name_as_printed, Certificate.pdf, Certificate.pdf_sha256)
                .where(Certificate.academy_id == academy.id, Certificate.status == "valid")
                .order_by(Certificate.number)
                .execution_options(yield_per=20)
            )
            for number, name, document, sha256 in rows:
                archive.writestr(pdf_filename(number, name), _check_stored(number, document, sha256))
                count += 1
    except BaseException:
        spool.close()
        raise
    if count == 0:
        spool.close()
        raise DomainError("There are no valid certificates to download yet.")
    spool.seek(0)
    return spool
