"""Counts kept when an academy's data expires, so that its totals survive the deletion of the rows."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import db


class RetainedCount(db.Model):
    """How many of a kind of row there were (e.g. reflections submitted on a reading) when they were deleted."""

    __tablename__ = "lms_retained_counts"
    __table_args__ = (UniqueConstraint("academy_id", "reading_id", "kind", name="uq_lms_retained_counts_what"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True)
    # None: a count for the whole academy (e.g. lines of uploaded reports).
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("lms_readings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
