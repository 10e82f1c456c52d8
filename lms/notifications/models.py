"""The mail outbox: every message the LMS sends, so none goes twice and failures are retried."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import db
from lms.core.types import UTCDateTime, one_of, utcnow

MAIL_STATES = ("pending", "sending", "sent", "logged", "failed")


class OutgoingMail(db.Model):
    __tablename__ = "lms_outgoing_mail"
    __table_args__ = (
        CheckConstraint(one_of("status", MAIL_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is about, e.g. "reminder:3:17"; unique, so the same message is never queued twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # Emptied once sent when it held a one-time link: the outbox must not keep usable secrets.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
