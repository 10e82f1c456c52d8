"""Who is signed in: the Flask-Login user loader, and the session version that ends old sessions."""
from functools import cache

from flask import session
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.core.extensions import db, login_manager

login_manager.login_view = "lms.accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


SESSION_VERSION_KEY = "lms_session_version"


@cache
def _user_with_enrolments():
    # Built once and reused: SQLAlchemy then skips re-deriving its cache key, about half the cost of
    # this query, which every signed-in request runs. Enrolments come along: every page's menu and
    # most access checks need them.
    return select(User).where(User.id == bindparam("user_id")).options(joinedload(User.enrolments))


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in user, unless their sessions were ended since this one began (logout, new password)."""
    if not user_id.isdigit():
        return None
    user = db.session.execute(_user_with_enrolments(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
    if user is None or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user

