"""Learners' written reflections on a reading, their submitted versions, and facilitators' feedback."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.encryption import EncryptedText
from lms.core.extensions import db
from lms.core.types import UTCDateTime, one_of, utcnow

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Words as a person counts them: runs of non-space characters (the same rule as the page's script)."""
    return len(_WORD.findall(text or ""))


REFLECTION_STATES = ("draft", "submitted", "revision_requested", "reviewed")


class Reflection(db.Model):
    """One learner's reflection on one reading.

    draft -> submitted -> reviewed, or -> revision_requested -> submitted again (a new version).
    """

    __tablename__ = "lms_reflections"
    __table_args__ = (
        UniqueConstraint("user_id", "reading_id", name="uq_lms_reflections_user_reading"),
        CheckConstraint(one_of("status", REFLECTION_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(
        ForeignKey("lms_readings.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(EncryptedText, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # How many times it has been submitted; each submission is kept as a ReflectionVersion.
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()  # noqa: F821
    reading: Mapped[Reading] = relationship()  # noqa: F821
    versions: Mapped[list[ReflectionVersion]] = relationship(
        back_populates="reflection", order_by="ReflectionVersion.number", cascade="all, delete-orphan"
    )
    feedback: Mapped[list[Feedback]] = relationship(
        back_populates="reflection", order_by="Feedback.reflection_version", cascade="all, delete-orphan"
    )

    @property
    def word_count(self) -> int:
        return count_words(self.body)

    @property
    def is_submitted(self) -> bool:
        """Submitted at least once (whatever the review says since)."""
        return self.status != "draft"

    @property
    def awaits_review(self) -> bool:
        return self.status == "submitted"

    def can_edit(self, reading_is_open: bool, reading_is_closed: bool) -> bool:
        """The learner may change it while the reading is open, and after it closes when asked to revise."""
        if self.status == "revision_requested":
            return True
        if self.status == "reviewed":
            return False
        return reading_is_open and not reading_is_closed


class ReflectionVersion(db.Model):
    """The text of a reflection as it was at each submission, so revisions keep their history."""

    __tablename__ = "lms_reflection_versions"
    __table_args__ = (
        UniqueConstraint("reflection_id", "number", name="uq_lms_reflection_versions_reflection_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(
        ForeignKey("lms_reflections.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(EncryptedText)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reflection: Mapped[Reflection] = relationship(back_populates="versions")


FEEDBACK_DECISIONS = ("reviewed", "revision_requested")


class Feedback(db.Model):
    """A facilitator's answer to one submitted version of a reflection; a draft until released."""

    __tablename__ = "lms_feedback"
    __table_args__ = (
        UniqueConstraint("reflection_id", "reflection_version", name="uq_lms_feedback_reflection_version"),
        CheckConstraint("decision IS NULL OR " + one_of("decision", FEEDBACK_DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(
        ForeignKey("lms_reflections.id", ondelete="CASCADE"), index=True
    )
    reflection_version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(EncryptedText, default="")
    decision: Mapped[str | None] = mapped_column(String(20))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every save; a save based on an older value is refused, so no one overwrites unseen.
    edit_count: Mapped[int] = mapped_column(Integer, default=0)

    reflection: Mapped[Reflection] = relationship(back_populates="feedback")
    author: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def is_released(self) -> bool:
        return self.released_at is not None
