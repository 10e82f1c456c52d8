"""The short codes printed on reflection pages, and the record that a reflection was transcribed from paper."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime, utcnow


class PaperCode(db.Model):
    """The code printed on one learner's reflection page for one reading; typed back in to transcribe it.

    Stored, not derived from a secret: a printed page must keep working whatever key the server has later.
    It identifies the page; it is not a secret (whoever transcribes also chooses who and what it is).
    """

    __tablename__ = "lms_paper_codes"
    __table_args__ = (UniqueConstraint("user_id", "reading_id", name="uq_lms_paper_codes_user_reading"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("lms_readings.id", ondelete="CASCADE"), index=True)
    # 8 characters without 0/O or 1/I, stored without the dash it is printed with ("K7QX-M3PA").
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821
    reading: Mapped[Reading] = relationship()  # noqa: F821

    @property
    def printed(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class Transcription(db.Model):
    """One submitted version of a reflection was typed in from paper by a facilitator (with its scan, if any)."""

    __tablename__ = "lms_transcriptions"
    __table_args__ = (
        UniqueConstraint("reflection_id", "reflection_version", name="uq_lms_transcriptions_reflection_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("lms_reflections.id", ondelete="CASCADE"), index=True)
    reflection_version: Mapped[int] = mapped_column(Integer)
    transcribed_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    transcribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The page as scanned (PDF, PNG or JPEG), checked by its content; deferred so lists never load it.
    scan: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    scan_type: Mapped[str] = mapped_column(String(40), default="", server_default="")
    scan_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")

    transcribed_by: Mapped[User | None] = relationship()  # noqa: F821
    reflection: Mapped[Reflection] = relationship()  # noqa: F821

    @property
    def has_scan(self) -> bool:
        return bool(self.scan_sha256)
