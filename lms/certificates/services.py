"""The certificates domain's services under one name, for callers outside it (the CLI, other domains, tests).

Each lives in the module named for its job; read those, and import from them inside this package:
  eligibility.py   who may have a certificate: checklists and exceptions
  issuing.py       issue, issue to all, revoke, reissue, numbering
  rendering.py     the certificate's text, HTML, QR code and checked PDF
  storage.py       the stored PDFs: fingerprint check, file names, the ZIP
  verification.py  codes, finding a certificate by its code, the address printed to check it
"""
from lms.certificates.eligibility import (
    Eligibility,
    academy_eligibility,
    grant_exception,
    learner_eligibility,
    learner_overview,
    withdraw_exception,
)
from lms.certificates.issuing import IssueResult, issue, issue_all, reissue, revoke, to_issue
from lms.certificates.rendering import (
    NotPrintable,
    RendererUnavailable,
    certificate_html,
    check_name,
    render_certificate,
    session_dates_text,
)
from lms.certificates.storage import StoredFileError, pdf_filename, stored_pdf, valid_certificates_zip
from lms.certificates.verification import find_by_code, new_code, normalise_code, verification_url

__all__ = [
    "Eligibility", "IssueResult", "NotPrintable", "RendererUnavailable", "StoredFileError",
    "academy_eligibility", "certificate_html", "check_name", "find_by_code", "grant_exception", "issue",
    "issue_all", "learner_eligibility", "learner_overview", "new_code", "normalise_code", "pdf_filename",
    "reissue", "render_certificate", "revoke", "session_dates_text", "stored_pdf", "to_issue",
    "valid_certificates_zip", "verification_url", "withdraw_exception",
]
