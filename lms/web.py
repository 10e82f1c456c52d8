"""Small helpers shared by the blueprints: access checks, safe redirects, form keys, the clock."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required

from .models import utcnow


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


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def form_field_values() -> dict[str, str]:
    """What the person typed into the form just posted, without secrets, to put back on a page."""
    return {
        name: value
        for name, value in request.form.items()
        if name != "csrf_token" and "password" not in name
    }
