"""Who attended each live session, how that was recorded, and every change to it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
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
    """One change to one person's attendance: who made it, when, from what to what, and in which import.

    The "old_" columns keep everything the change replaced, so undoing an import restores it exactly.
    """

    __tablename__ = "lms_attendance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str] = mapped_column(String(20), default="")  # "": nothing was recorded
    new_status: Mapped[str] = mapped_column(String(20))  # "": the record was removed (an import undone)
    old_minutes: Mapped[int | None] = mapped_column(Integer)
    new_minutes: Mapped[int | None] = mapped_column(Integer)
    old_source: Mapped[str | None] = mapped_column(String(20))
    old_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    # "manual", "zoom", "teams", or "undo" (an import undone: import_id says which).
    source: Mapped[str] = mapped_column(String(20), default="manual")
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_attendance_imports.id", ondelete="SET NULL"), index=True
    )
    # Said beside the change in the log, e.g. the shared device whose minutes several learners were given.
    note: Mapped[str] = mapped_column(String(255), default="", server_default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])  # noqa: F821
    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821


# previewed: read and shown, waiting to be saved (the file is kept until then, for a day at most);
# saved: its changes are recorded; undone: what it changed was put back as it was.
IMPORT_STATES = ("previewed", "saved", "undone")


class AttendanceImport(db.Model):
    """A report read for a session, and the batch of changes saving it made, which can be undone.

    Whether a file was "already imported" is never decided here, by its hash: it is whether saving it
    would change anything in the records as they are now (lms/attendance/importing.py).
    """

    __tablename__ = "lms_attendance_imports"
    __table_args__ = (CheckConstraint(one_of("state", IMPORT_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_sessions.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="saved", server_default="saved")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_timezone: Mapped[str] = mapped_column(String(64))
    # The report itself, only while it waits to be saved: attendance is personal, so it is not kept after.
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    platform: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255), default="")
    people_recorded: Mapped[int] = mapped_column(Integer, default=0)
    # The checks an admin overrode with "I have checked: import anyway" (checks.Block codes), or "".
    imported_anyway: Mapped[str] = mapped_column(String(200), default="", server_default="")
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when read, then when saved
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    live_session: Mapped[LiveSession] = relationship()  # noqa: F821
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])  # noqa: F821
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])  # noqa: F821
