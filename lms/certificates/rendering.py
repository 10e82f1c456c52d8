"""Making a certificate's PDF: the text it prints (name, dates), its QR code, its HTML, the checked render."""
from __future__ import annotations

import segno
from flask import current_app, render_template

from lms.academies.models import Academy
from lms.certificates.eligibility import Eligibility, session_date
from lms.certificates.models import Certificate
from lms.certificates.verification import verification_url
from lms.core import pdf as pdf_renderer
from lms.core.dates import format_local
from lms.core.exceptions import DomainError

MAX_NAME_CHARACTERS = 200


class RendererUnavailable(DomainError):
    """The PDF renderer failed: nothing can be issued until it works again."""


class NotPrintable(DomainError):
    """Some text would be missing from the PDF (no font has its characters); nothing was issued for it."""


def check_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise DomainError("Enter the name as it should be printed.", field="name_as_printed")
    if len(name) > MAX_NAME_CHARACTERS:
        raise DomainError(f"A name can be at most {MAX_NAME_CHARACTERS} characters.", field="name_as_printed")
    return name


def join_dates(dates: list[str]) -> str:
    """['17 April 2025', '2 May 2025'] -> '17 April 2025 and 2 May 2025'."""
    if len(dates) <= 1:
        return "".join(dates)
    return ", ".join(dates[:-1]) + " and " + dates[-1]


def session_dates_text(academy: Academy) -> str:
    """The days of the academy's live sessions in its home zone, each day once."""
    days = [session_date(live_session, academy.home_timezone) for live_session in academy.live_sessions]
    return join_dates(list(dict.fromkeys(days)))


def printed_dates(eligibility: Eligibility) -> tuple[str, str]:
    """(days attended, days excused) as the certificate prints them, each day once.

    A certificate of attendance names only the sessions the person attended. A session they missed under an
    exception is named as excused, so the certificate never says they were somewhere they were not.
    """
    attended = [requirement.day for requirement in eligibility.sessions if requirement.met]
    excused = [requirement.day for requirement in eligibility.sessions if not requirement.met]
    return join_dates(list(dict.fromkeys(attended))), join_dates(list(dict.fromkeys(excused)))


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").png_data_uri(scale=6, border=0, dark="#1d2b4a")


def certificate_html(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str) -> str:
    url = verification_url(certificate.verification_code)
    return render_template(
        "lms/certificates/certificate.html",
        certificate=certificate,
        signatories=signatories,
        issued_on=format_local(certificate.issued_at, home_timezone, "day"),
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
            "The certificate PDF could not be made on this server just now, so nothing was issued. Please tell "
            f"whoever runs the server (for them: {error}; the README's doctor command checks it)."
        ) from error
    if missing:
        raise _not_printable(certificate, missing)
    return document


def _not_printable(certificate: Certificate, missing: list[str]) -> NotPrintable:
    """The refusal for text the fonts cannot show: the name on its own field, anything else as a whole."""
    if certificate.name_as_printed in missing:
        return NotPrintable(
            f"The name “{certificate.name_as_printed}” cannot be printed: the fonts on this server lack some of "
            "its characters, so they would be left out. No certificate was issued for this person; correct "
            "the name as printed, or install a font that has these characters.",
            field="name_as_printed",
        )
    return NotPrintable(
        f"Some of the certificate's text cannot be printed with the fonts on this server: "
        f"{', '.join('“' + text + '”' for text in missing)}. No certificate was issued; correct the "
        "academy's details or install a font that has these characters."
    )
