"""Readings released between live sessions, and each learner's progress through them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime


class Reading(db.Model):
    __tablename__ = "lms_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: a reading moved to another academy must bump the one it left (Academy.content_version).
    academy_id: Mapped[int] = mapped_column(
        ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True, active_history=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    external_url: Mapped[str] = mapped_column(String(500), default="")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    reflection_prompt: Mapped[str] = mapped_column(Text, default="")
    min_words: Mapped[int | None] = mapped_column(Integer)
    max_words: Mapped[int | None] = mapped_column(Integer)
    # None means "follow the live sessions" (see Academy.default_reading_window).
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    academy: Mapped[Academy] = relationship(back_populates="readings", active_history=True)  # noqa: F821

    @property
    def effective_opens_at(self) -> datetime | None:
        return self.opens_at or self.academy.default_reading_window()[0]

    @property
    def effective_closes_at(self) -> datetime | None:
        return self.closes_at or self.academy.default_reading_window()[1]

    def is_open(self, now: datetime) -> bool:
        # With no opening time and no live session to follow, it waits for the first session.
        opens = self.effective_opens_at
        return opens is not None and opens <= now

    def is_closed(self, now: datetime) -> bool:
        closes = self.effective_closes_at
        return closes is not None and closes <= now

    @property
    def has_reflection(self) -> bool:
        return bool(self.reflection_prompt.strip())


class ReadingProgress(db.Model):
    __tablename__ = "lms_reading_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "reading_id", name="uq_lms_reading_progress_user_reading"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(
        ForeignKey("lms_readings.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
