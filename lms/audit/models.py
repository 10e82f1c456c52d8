"""The audit log: which admin (or facilitator) did what, and when. Never passwords or reflection text."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "lms_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"), index=True)
    # Kept as text too, so the log still says who it was after an account is deleted.
    actor_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()  # noqa: F821
