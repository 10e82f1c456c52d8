"""Academies, who is enrolled in them, and their live sessions."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.core.dates import add_months
from lms.core.extensions import db
from lms.core.types import UTCDateTime, one_of, utcnow

ROLES = ("learner", "facilitator")


class Academy(db.Model):
    __tablename__ = "lms_academies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    organiser: Mapped[str] = mapped_column(String(200), default="")
    # Where learners write when something looks wrong (their attendance, their certificate); "" for none.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    home_timezone: Mapped[str] = mapped_column(String(64))
    # Zones shown beside every session time, e.g. "America/New_York Europe/London".
    reference_timezones: Mapped[str] = mapped_column(String(500), default="")
    # The "readings are waiting for you" reminder goes this many days before the second session.
    reminder_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Certificate rules: attending every live session is always required, as the programme promises.
    attendance_share: Mapped[int] = mapped_column(Integer, default=75, server_default="75")
    require_readings: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    require_reflections: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One signatory a line, "Name, Role", printed at the foot of the certificate.
    signatories: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Reflections, feedback, reading progress and raw reports are deleted this many months after the last session.
    retention_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    # When they were deleted (lms/privacy/retention.py); None until then.
    data_expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Goes up with every change to the academy, its live sessions or its readings (see
    # _count_content_changes below): learner pages keep a copy of that content per process
    # (services/outline.py) and compare this number to know when to read it again.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    live_sessions: Mapped[list[LiveSession]] = relationship(
        back_populates="academy",
        order_by="LiveSession.starts_at",
        cascade="all, delete-orphan",
    )
    readings: Mapped[list[Reading]] = relationship(  # noqa: F821
        back_populates="academy",
        order_by="(Reading.position, Reading.id)",
        cascade="all, delete-orphan",
    )
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="academy", cascade="all, delete-orphan"
    )

    @property
    def signatory_list(self) -> list[tuple[str, str]]:
        """[(name, role)] from the signatories text, one a line."""
        found = []
        for line in self.signatories.splitlines():
            name, _, role = line.partition(",")
            if name.strip():
                found.append((name.strip(), role.strip()))
        return found

    @property
    def reference_zone_list(self) -> list[str]:
        return self.reference_timezones.split()

    def data_kept_until(self) -> datetime | None:
        """When reflections, feedback, reading progress and raw reports are deleted: retention_months after the
        end of the last session (None without sessions)."""
        if not self.live_sessions:
            return None
        last = max(session.ends_at for session in self.live_sessions)
        return add_months(last, self.retention_months)

    def default_reading_window(self) -> tuple[datetime | None, datetime | None]:
        """Readings open when the first session ends and close when the second begins."""
        sessions = self.live_sessions
        opens = sessions[0].ends_at if sessions else None
        closes = sessions[1].starts_at if len(sessions) > 1 else None
        return opens, closes

    def next_session(self, now: datetime) -> LiveSession | None:
        """The session happening now, or else the next one to start."""
        for live_session in self.live_sessions:
            if live_session.ends_at > now:
                return live_session
        return None

    def __repr__(self) -> str:
        return f"<Academy {self.id} {self.title!r}>"


class Enrolment(db.Model):
    __tablename__ = "lms_enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "academy_id", name="uq_lms_enrolments_user_academy"),
        CheckConstraint(one_of("role", ROLES), name="role"),
        # Facilitators' pages filter by group within an academy (review queue, progress view, group lists).
        Index("ix_lms_enrolments_academy_group", "academy_id", "group_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    academy_id: Mapped[int] = mapped_column(
        ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="enrolments")  # noqa: F821
    academy: Mapped[Academy] = relationship(back_populates="enrolments")


class LiveSession(db.Model):
    __tablename__ = "lms_live_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: a session moved to another academy must bump the one it left (see _changed_academy_ids).
    academy_id: Mapped[int] = mapped_column(
        ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True, active_history=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    join_url: Mapped[str] = mapped_column(String(500), default="")

    academy: Mapped[Academy] = relationship(back_populates="live_sessions", active_history=True)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def is_happening(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def _changed_academy_ids(session: Session) -> set[int]:
    """Academies whose content this flush changes (in after_flush, the session still shows the changes)."""
    from lms.readings.models import Reading

    found = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(item, Academy):
            if item.id is not None and (item in session.deleted or session.is_modified(item)):
                found.add(item.id)
        elif isinstance(item, (LiveSession, Reading)):
            if item in session.dirty and not session.is_modified(item):
                continue
            # The academy it belongs to, and the one it left if it moved (by id or by relationship).
            state = inspect(item)
            id_history = state.attrs.academy_id.history
            found.update(value for value in (*id_history.added, *id_history.unchanged, *id_history.deleted)
                         if value is not None)
            academy_history = state.attrs.academy.history
            found.update(academy.id for academy in (*academy_history.added, *academy_history.deleted)
                         if academy is not None and academy.id is not None)
    return found


@event.listens_for(Session, "after_flush")
def _count_content_changes(session: Session, _flush_context) -> None:
    """Bump content_version of every academy whose content this flush changed, in the same transaction.

    Runs for every ORM flush, wherever the change comes from (admin pages, CLI, demo data), so the
    learner pages' copies cannot go stale. A bulk UPDATE written in Core would bypass it: bump there too.
    """
    academy_ids = _changed_academy_ids(session)
    if academy_ids:
        session.connection().execute(
            update(Academy.__table__)
            .where(Academy.__table__.c.id.in_(sorted(academy_ids)))
            .values(content_version=Academy.__table__.c.content_version + 1)
        )
