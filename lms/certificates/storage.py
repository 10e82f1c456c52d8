"""The PDFs stored at issue: their fingerprint check, their file names, the ZIP of an academy's (streamed), and a group's batch."""
from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator

from pypdf import PdfWriter
from sqlalchemy import select

from lms.academies.access import members_of
from lms.academies.models import Academy
from lms.certificates.models import Certificate
from lms.core.exceptions import DomainError
from lms.core.extensions import db

log = logging.getLogger(__name__)

# Stored PDFs read from the database at once while a ZIP is made (about 70 KB each).
ROWS_AT_A_TIME = 20


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


def _valid_rows(academy: Academy):
    """The academy's valid certificates' (number, name, PDF, SHA-256), a few rows at a time."""
    return db.session.execute(
        select(Certificate.number, Certificate.name_as_printed, Certificate.pdf, Certificate.pdf_sha256)
        .where(Certificate.academy_id == academy.id, Certificate.status == "valid")
        .order_by(Certificate.number)
        .execution_options(yield_per=ROWS_AT_A_TIME)
    )


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


class _Sink(io.RawIOBase):
    """Where the ZIP is written: it keeps only what was written since the last take()."""

    def __init__(self):
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def valid_certificates_zip(academy: Academy) -> Iterator[bytes]:
    """A ZIP of the academy's valid certificates, one PDF each, made as it is sent.

    Every stored PDF is checked against its SHA-256 first (read a few at a time), so a file that fails its
    check refuses the whole download instead of breaking it half way; then the archive is streamed from
    the database, one PDF at a time, so no more than a few PDFs are ever in memory however many there are.
    """
    count = 0
    for number, _name, document, sha256 in _valid_rows(academy):
        _check_stored(number, document, sha256)
        count += 1
    if count == 0:
        raise DomainError("There are no valid certificates to download yet.")
    return _stream(academy)


def _stream(academy: Academy) -> Iterator[bytes]:
    sink = _Sink()
    # PDFs are compressed already; storing them keeps the ZIP quick to build. The sink cannot seek, so
    # zipfile writes each entry's sizes after its data.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, name, document, sha256 in _valid_rows(academy):
            archive.writestr(pdf_filename(number, name), _check_stored(number, document, sha256))
            yield sink.take()
    yield sink.take()
