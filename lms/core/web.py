"""Small helpers shared by every domain's routes: safe redirects, refusals, form keys, the clock."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, request

from lms.core import submissions
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow


def now():
    """The current instant; one place, so a request sees one consistent time."""
    return utcnow()


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc



def form_field_values() -> dict[str, str]:
    """What the person typed into the form just posted, without secrets, to put back on a page."""
    return {
        name: value
        for name, value in request.form.items()
        if name != "csrf_token" and "password" not in name
    }


def show_field_error(form, error: DomainError) -> None:
    """Show a service's refusal next to the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def create_once(form, user_id: int, work):
    """Run `work` (which returns the address to go to) once per form key, even if sent twice.

    The work and the key's result are committed together here, as the route's one commit.
    """
    key = form.form_key.data or ""
    if not submissions.is_well_formed(key):
        key = submissions.new_key()
    earlier = submissions.claim(key, user_id)
    if earlier is not None:
        flash("That form was already sent; it was saved once.", "info")
        return redirect(earlier or request.path)
    try:
        target = work()
    except DomainError:
        submissions.release(key)
        raise
    submissions.complete(key, target)
    db.session.commit()
    return redirect(target)
