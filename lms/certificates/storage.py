"""The PDFs stored at issue: their fingerprint check, their file names, the ZIP of an academy's, and a group's batch."""
from __future__ import annotations

import hashlib
import io
import logging
import re
import tempfile
import unicodedata
import zipfile

from pypdf import PdfWriter
from sqlalchemy import select

from lms.academies.access import members_of
from lms.academies.models import Academy
from lms.certificates.models import Certificate
from lms.core.exceptions import DomainError
from lms.core.extensions import db

log = logging.getLogger(__name__)

# Keep the ZIP in memory up to this size, on disk beyond it.
ZIP_MEMORY_BYTES = 32 * 1024 * 1024


class StoredFileError(DomainError):
    """A stored PDF is missing or no longer matches its SHA-256."""


def fingerprint(document: bytes) -> str:
    """The SHA-256 kept beside a stored PDF, checked again every time it is sent."""
    return hashlib.sha256(document).hexdigest()


def _check_stored(number: str, document: bytes | None, sha256: str) -> bytes:
    if not document:
        raise StoredFileError(f"Certificate {number} has no stored PDF.")
    if fingerprint(document) != sha256:
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


def _write_valid_pdfs(archive: zipfile.ZipFile, academy: Academy) -> int:
    """Add each valid certificate's checked PDF to `archive`, a few rows at a time; how many were added."""
    rows = db.session.execute(
        select(Certificate.number, Certificate.name_as_printed, Certificate.pdf, Certificate.pdf_sha256)
        .where(Certificate.academy_id == academy.id, Certificate.status == "valid")
        .order_by(Certificate.number)
        .execution_options(yield_per=20)
    )
    count = 0
    for number, name, document, sha256 in rows:
        archive.writestr(pdf_filename(number, name), _check_stored(number, document, sha256))
        count += 1
    return count


def group_batch_pdf(academy: Academy, group: str) -> bytes:
    """The valid certificates of a group (an organisation or unit learners on paper take part through, or an
    academy group) as one PDF, by name, for the organisation to print and hand over. Each page is the stored
    PDF, checked against its fingerprint, so each still verifies like any other."""
    members = members_of(academy.id, group) if group else []
    if not members:
        raise DomainError("Choose a group that has learners in this academy.")
    rows = db.session.execute(
        select(Certificate.number, Certificate.name_as_printed, Certificate.pdf, Certificate.pdf_sha256)
        .where(Certificate.academy_id == academy.id, Certificate.status == "valid",
               Certificate.user_id.in_([user.id for user in members]))
        .order_by(Certificate.name_as_printed, Certificate.number)
        .execution_options(yield_per=20)
    )
    writer = PdfWriter()
    count = 0
    for number, _, document, sha256 in rows:
        writer.append(io.BytesIO(_check_stored(number, document, sha256)))
        count += 1
    if count == 0:
        raise DomainError(f"Nobody in {group} has a valid certificate yet.")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def valid_certificates_zip(academy: Academy):
    """A ZIP of the academy's valid certificates, one PDF each, in a file rewound to its start.

    Built before anything is sent, so a stored file that fails its check refuses the whole download
    instead of breaking it half way. Rows are fetched a few at a time, not all PDFs at once.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_MEMORY_BYTES)
    try:
        # PDFs are compressed already; storing them keeps the ZIP quick to build.
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            count = _write_valid_pdfs(archive, academy)
    except BaseException:
        spool.close()
        raise
    if count == 0:
        spool.close()
        raise DomainError("There are no valid certificates to download yet.")
    spool.seek(0)
    return spool
