"""One-time form keys: a create form submitted twice (a double click, a resend) acts once."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import db
from lms.core.types import UTCDateTime, utcnow


class FormSubmission(db.Model):
    """Remembers each create-form's one-time key, so a double click does not create twice."""

    __tablename__ = "lms_form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"))
    result_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def is_well_formed(key: str) -> bool:
    """A key as new_key() makes them; anything else (a tampered form) is replaced, not stored."""
    return 16 <= len(key) <= 64 and all(char.isalnum() or char in "-_" for char in key)


def claim(key: str, user_id: int) -> str | None:
    """Reserve `key` before doing the work.

    Returns None when this request is the first with the key and should go ahead; otherwise
    the address the first submission led to ("" while it is still being processed).
    """
    db.session.add(FormSubmission(key=key, user_id=user_id, result_url=""))
    try:
        # Committed before the work starts: a second request with the key must see it taken.
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(FormSubmission.result_url).where(FormSubmission.key == key)) or ""
    return None


def complete(key: str, result_url: str) -> None:
    """Record where the work led; saved by the caller's commit, together with the work itself."""
    db.session.execute(update(FormSubmission).where(FormSubmission.key == key).values(result_url=result_url))


def release(key: str) -> None:
    """The work was refused (bad input): free the key so the corrected form can be sent again."""
    db.session.rollback()
    db.session.execute(delete(FormSubmission).where(FormSubmission.key == key))
    # claim() committed the key on its own, so freeing it needs a commit of its own too.
    db.session.commit()
