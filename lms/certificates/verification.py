"""Checking a certificate is genuine: its code, looking it up by code, and the address printed to check it."""
from __future__ import annotations

import base64
import secrets

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import defer

from lms.certificates.models import Certificate
from lms.core.exceptions import DomainError
from lms.core.extensions import db

# 20 random bytes are 160 bits: base32 without padding makes exactly 32 characters, printed as 8 groups of 4.
CODE_BYTES = 20
VERIFY_ENDPOINT = "lms.certificates.verify"


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
