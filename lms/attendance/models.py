"""Who attended each live session, how that was recorded, and every change to it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime, one_of, utcnow

ATTENDANCE_STATES = ("present", "absent", "excused")


class Attendance(db.Model):
    __tablename__ = "lms_attendance"
    __table_args__ = (
        UniqueConstraint("live_session_id", "user_id", name="uq_lms_attendance_session_user"),
        CheckConstraint(one_of("status", ATTENDANCE_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int | None] = mapped_column(Integer)
    # "manual", "zoom" or "teams": where the current value came from.
    source: Mapped[str] = mapped_column(String(20), default="manual")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
    live_session: Mapped[LiveSession] = relationship()  # noqa: F821


class AttendanceChange(db.Model):
    """One change to one person's attendance: who made it, when, and from what to what."""

    __tablename__ = "lms_attendance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str] = mapped_column(String(20), default="")
    new_status: Mapped[str] = mapped_column(String(20))
    old_minutes: Mapped[int | None] = mapped_column(Integer)
    new_minutes: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])  # noqa: F821
    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821


class AttendanceImport(db.Model):
    """A report applied to a session. The same file read in the same time zone again is a no-op;
    read in another zone (the first choice was wrong) it is a different import."""

    __tablename__ = "lms_attendance_imports"
    __table_args__ = (
        UniqueConstraint(
            "live_session_id", "file_sha256", "file_timezone", name="uq_lms_attendance_imports_session_file"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_sessions.id", ondelete="CASCADE"), index=True
    )
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_timezone: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255), default="")
    people_recorded: Mapped[int] = mapped_column(Integer, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
