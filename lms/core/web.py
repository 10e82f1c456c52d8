"""Small helpers shared by every domain's routes: ids in addresses and forms, safe redirects, refusals, form keys,
the clock."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from lms.core import submissions
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow


def now():
    """The current instant; one place, so a request sees one consistent time."""
    return utcnow()


# The largest id a row can have: PostgreSQL's INTEGER (SQLite's are wider, but the schema is the same on
# both). A larger number names nothing, and handing it to the database would fail (a 500), not find nothing.
MAX_ID = 2**31 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))


def parse_whole_number(text: str | None, maximum: int = MAX_ID) -> int | None:
    """"17" -> 17; None for anything else: a sign, a fraction, digits other than 0-9, a number past `maximum`."""
    text = (text or "").strip()
    # The length first: Python refuses to read a number of more than 4,300 digits (a ValueError).
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_id(text: str | None) -> int | None:
    """A row's id sent in a form or a query ("17"), or None when the text cannot be one."""
    return parse_whole_number(text) or None  # 0 is no row's id


def _numbers_up_to(maximum: int) -> str:
    """A regular expression for the whole numbers 1 to `maximum`, without leading zeros.

    E.g. 1 to 2147483647: shorter numbers, then those as long that begin 1, 20, 21[0-3], 214[0-6], and so on.
    """
    top = str(maximum)
    choices = [rf"[1-9]\d{{0,{len(top) - 2}}}"] if len(top) > 1 else []
    for position, digit in enumerate(top):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(top) - position - 1
            choices.append(f"{top[:position]}[{lowest}-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    choices.append(top)
    return "|".join(f"(?:{choice})" for choice in choices)


class IdConverter(IntegerConverter):
    """`<lms_id:reading_id>` in a route: a number that can be a row's id; any other address is not found (404).

    The range is in the pattern itself, not only checked after matching: a number refused after matching
    makes Werkzeug answer 405 when another rule has the same path with other methods.
    Registered by LMS.init_app under a name of its own, so a host's converters are left as they are.
    """

    regex = _numbers_up_to(MAX_ID)

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc



def _password_field_names() -> set[str]:
    """The name of every password field of every form class there is (the LMS's and a host's), however named.

    Looked up each time: a host may define forms after the LMS is set up. A form's prefix is added when it
    is made, so a posted name counts when it ends with one of these after a "-".
    """
    names, classes = set(), [FlaskForm]
    while classes:
        form_class = classes.pop()
        classes.extend(form_class.__subclasses__())
        for attribute in dir(form_class):
            value = getattr(form_class, attribute, None)
            if isinstance(value, UnboundField) and issubclass(value.field_class, PasswordField):
                names.add(value.name or attribute)
    return names


def is_secret_field(name: str, password_fields: set[str]) -> bool:
    bare = name.rsplit("-", 1)[-1]
    return name == "csrf_token" or "password" in name.lower() or name in password_fields or bare in password_fields


def form_field_values() -> dict[str, str]:
    """What the person typed into the form just posted, without secrets, to put back on a page."""
    password_fields = _password_field_names()
    return {name: value for name, value in request.form.items() if not is_secret_field(name, password_fields)}


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
    except Exception:
        # Nothing was saved (a bug, the database gone mid-way): free the key too, so that sending the form again
        # does the work instead of answering "already saved". With the database away this fails as well; the
        # original error is the one to show.
        try:
            submissions.release(key)
        except Exception:  # noqa: BLE001
            db.session.rollback()
        raise
    submissions.complete(key, target)
    db.session.commit()
    return redirect(target)
