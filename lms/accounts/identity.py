"""Who is signed in: the LMS's own sign-in (Flask-Login), or the person a host app says is signed in.

Every page asks `current_person`. Standalone, or in a host without users of its own, that is the
Flask-Login user of the LMS's own sign-in. In a host that has its own users, `LMS(app, identity=...)`
gives a callable that returns the host's signed-in person as a `HostPerson` (or None); the LMS person
is then found by the host's id, linked by email to an account an admin already made, or created.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, wraps

from flask import abort, current_app, g, session
from flask_login import AnonymousUserMixin
from flask_login import current_user as own_sign_in_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.local import LocalProxy

from lms.accounts.host import person_for_host
from lms.accounts.models import User
from lms.core.exceptions import DomainError
from lms.core.extensions import db, login_manager

login_manager.login_view = "lms.accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


SESSION_VERSION_KEY = "lms_session_version"
# When the session began and when it was last used (seconds since the epoch): in the signed cookie, so the
# browser cannot change them, and a cookie copied from a shared computer stops working like the session.
SIGNED_IN_AT_KEY = "lms_signed_in_at"
SEEN_AT_KEY = "lms_seen_at"
# How often the last-use time is written back: not a new cookie on every request.
SEEN_AT_RESOLUTION = 60


@dataclass(frozen=True)
class HostPerson:
    """What a host app tells the LMS about its signed-in person."""

    id: str  # stable for this person in the host: their primary key, say
    email: str
    full_name: str
    timezone: str | None = None  # an IANA zone name, when the host knows it


@cache
def _user_with_enrolments():
    # Built once and reused: SQLAlchemy then skips re-deriving its cache key, about half the cost of
    # this query, which every signed-in request runs. Enrolments come along: every page's menu and
    # most access checks need them.
    return select(User).where(User.id == bindparam("user_id")).options(joinedload(User.enrolments))


def mark_session_started() -> None:
    """At sign-in: the session's lifetime and its idle time count from now."""
    session[SIGNED_IN_AT_KEY] = session[SEEN_AT_KEY] = int(time.time())


def _session_expiry(now: float) -> str | None:
    """"idle" or "lifetime" when the session has run out, else None (and its last use is brought up to date)."""
    config = current_app.config
    signed_in_at, seen_at = session.get(SIGNED_IN_AT_KEY), session.get(SEEN_AT_KEY)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return "lifetime"  # a session from before these were kept
    if now - signed_in_at > config["LMS_SESSION_LIFETIME_HOURS"] * 3600:
        return "lifetime"
    if now - seen_at > config["LMS_SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if now - seen_at >= SEEN_AT_RESOLUTION:
        session[SEEN_AT_KEY] = int(now)
    return None


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in user, unless their sessions were ended since this one began (logout, new password), or
    this one has run out (too long unused, or too long since signing in)."""
    expiry = _session_expiry(time.time())
    if expiry is not None:
        session.clear()
        g.lms_session_expired = expiry  # for the sign-in page's message
        return None
    if not user_id.isdigit():
        return None
    user = db.session.execute(_user_with_enrolments(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
    if user is None or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def host_identity():
    """The host's identity callable, or None when the LMS runs its own sign-in."""
    return current_app.extensions["lms_identity"]


def uses_own_sign_in() -> bool:
    return host_identity() is None


def _as_host_person(value) -> HostPerson:
    if isinstance(value, HostPerson):
        return value
    if isinstance(value, Mapping):
        return HostPerson(str(value["id"]), value["email"], value["full_name"], value.get("timezone"))
    return HostPerson(str(value.id), value.email, value.full_name, getattr(value, "timezone", None))


def _person_from_host():
    given = host_identity()()
    if given is None:
        return AnonymousUserMixin()
    person = _as_host_person(given)
    try:
        user = person_for_host(person.id, person.email, person.full_name, person.timezone)
        if db.session.new or db.session.dirty:
            # The person must exist before the page uses their id: a first visit commits that alone.
            db.session.commit()
    except IntegrityError:
        # Two first requests at once: the other one made the person; use theirs.
        db.session.rollback()
        user = person_for_host(person.id, person.email, person.full_name, person.timezone)
    except DomainError as error:
        db.session.rollback()
        abort(403, description=error.message)
    return user


def _current_person():
    person = g.get("lms_person")
    if person is None:
        person = own_sign_in_user._get_current_object() if uses_own_sign_in() else _person_from_host()
        g.lms_person = person
        # Read by every time on the page (core/templating.viewer_zone and viewer_clock).
        g.lms_viewer_zone = person.timezone if person.is_authenticated else "UTC"
        g.lms_viewer_clock = person.clock_format if person.is_authenticated else "24"
    return person


current_person = LocalProxy(_current_person)


def forget_current_person() -> None:
    """After signing in or out inside a request: the next look-up sees the new person."""
    g.pop("lms_person", None)
    g.pop("lms_viewer_zone", None)
    g.pop("lms_viewer_clock", None)


def sign_in_first():
    """Send an anonymous visitor to sign in: the LMS's page, or the host's (its LoginManager), else 401."""
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        abort(401)
    return manager.unauthorized()


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_person.is_authenticated:
            return sign_in_first()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_person.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
