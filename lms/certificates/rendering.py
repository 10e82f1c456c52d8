"""Making certificates' PDFs: the text they print (name, dates), the QR code, the HTML, the checked render
(one certificate, or many in one wkhtmltopdf run split into one PDF each)."""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class Page:
    """One certificate's page of the document, with what the template prints beside its frozen facts."""

    certificate: Certificate
    issued_on: str
    verify_url: str
    qr: str


def certificates_html(certificates: list[Certificate], signatories: list[tuple[str, str]], home_timezone: str) -> str:
    """One HTML document with one A4 page per certificate."""
    pages = []
    for certificate in certificates:
        url = verification_url(certificate.verification_code)
        issued_on = format_local(certificate.issued_at, home_timezone, "day")
        pages.append(Page(certificate, issued_on, url, qr_data_uri(url)))
    return render_template("lms/certificates/certificate.html", pages=pages, signatories=signatories)


def _printed_texts(certificate: Certificate) -> tuple[str, ...]:
    # Every value typed by a person, and what identifies the certificate.
    return (certificate.name_as_printed, certificate.academy_title, certificate.organiser, certificate.number,
            certificate.grouped_code)


def _unavailable(error: pdf_renderer.RendererError) -> RendererUnavailable:
    return RendererUnavailable(
        "The certificate PDF could not be made on this server just now, so nothing was issued. Please tell "
        f"whoever runs the server (for them: {error}; the README's doctor command checks it)."
    )


def render_certificate(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str) -> bytes:
    """The certificate's PDF, checked: every value typed by a person must be readable in it."""
    html = certificates_html([certificate], signatories, home_timezone)
    try:
        document = pdf_renderer.render_pdf(html, timeout=current_app.config["LMS_PDF_TIMEOUT"])
        missing = pdf_renderer.verify_text_present(document, *_printed_texts(certificate))
    except pdf_renderer.RendererError as error:
        raise _unavailable(error) from error
    if missing:
        raise _not_printable(certificate, missing)
    return document


def render_certificates(
    certificates: list[Certificate], signatories: list[tuple[str, str]], home_timezone: str
) -> list[bytes | NotPrintable]:
    """Each certificate's checked PDF (or why it cannot be printed), from one wkhtmltopdf run for them all.

    Each page is checked with the text of that page alone, so one name the fonts cannot show refuses only
    its own certificate. A certificate that did not come out as exactly its own page (a page count that
    does not match, or a page without its number) is rendered again on its own. RendererUnavailable when
    the renderer fails: then none of them can be made.
    """
    html = certificates_html(certificates, signatories, home_timezone)
    try:
        document = pdf_renderer.render_pdf(html, timeout=current_app.config["LMS_PDF_TIMEOUT"])
        texts = pdf_renderer.page_texts(document)
        in_order = len(texts) == len(certificates) and all(
            not pdf_renderer.missing_texts(text, certificate.number)
            for text, certificate in zip(texts, certificates, strict=True)
        )
        files = pdf_renderer.split_pages(document) if in_order else []
    except pdf_renderer.RendererError as error:
        raise _unavailable(error) from error
    if not in_order or len(files) != len(certificates):
        return [_render_alone(certificate, signatories, home_timezone) for certificate in certificates]
    results: list[bytes | NotPrintable] = []
    for certificate, text, single in zip(certificates, texts, files, strict=True):
        missing = pdf_renderer.missing_texts(text, *_printed_texts(certificate))
        results.append(_not_printable(certificate, missing) if missing else single)
    return results


def _render_alone(certificate: Certificate, signatories: list[tuple[str, str]], home_timezone: str) -> bytes | NotPrintable:
    try:
        return render_certificate(certificate, signatories, home_timezone)
    except NotPrintable as refusal:
        return refusal


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
