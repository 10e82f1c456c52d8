"""Learners' written reflections on a reading."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Words as a person counts them: runs of non-space characters (the same rule as the page's script)."""
    return len(_WORD.findall(text or ""))


class Reflection(db.Model):
    __tablename__ = "lms_reflections"
    __table_args__ = (
        UniqueConstraint("user_id", "reading_id", name="uq_lms_reflections_user_reading"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(
        ForeignKey("lms_readings.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()  # noqa: F821
    reading: Mapped[Reading] = relationship()  # noqa: F821

    @property
    def word_count(self) -> int:
        return count_words(self.body)

    @property
    def is_submitted(self) -> bool:
        return self.status == "submitted"
