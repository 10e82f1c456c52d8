"""Recording attendance: the grid an admin edits by hand, and the one way every change is written
(importing.py imports reports through it)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.academies.access import members_of
from lms.academies.models import Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance.models import ATTENDANCE_STATES, Attendance, AttendanceChange
from lms.audit import services as audit
from lms.core.exceptions import DomainError
from lms.core.extensions import db

log = logging.getLogger(__name__)


# --- the grid --------------------------------------------------------------------------------

@dataclass
class GridRow:
    user: User
    group: str
    attendance: Attendance | None


def learners_of(academy_id: int) -> list[tuple[User, str]]:
    rows = db.session.execute(
        select(User, Enrolment.group_name)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy_id, Enrolment.role == "learner")
        .order_by(User.full_name, User.id)
    ).all()
    return [(user, group) for user, group in rows]


def grid(live_session: LiveSession) -> list[GridRow]:
    """Every learner of the academy with their attendance at this session (two queries)."""
    now_recorded = recorded(live_session)
    return [GridRow(user, group, now_recorded.get(user.id)) for user, group in learners_of(live_session.academy_id)]


def recent_changes(live_session: LiveSession, limit: int = 50) -> list[AttendanceChange]:
    return db.session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.live_session_id == live_session.id)
        .options(selectinload(AttendanceChange.changed_by), selectinload(AttendanceChange.user))
        .order_by(AttendanceChange.changed_at.desc(), AttendanceChange.id.desc())
        .limit(limit)
    ).all()


def require_started(live_session: LiveSession, now: datetime) -> None:
    # Attendance of a session still to come would make certificates for attendance that never happened.
    if live_session.starts_at > now:
        raise DomainError("This session has not started yet: attendance can be recorded once it begins.")


def _check_entry(live_session: LiveSession, status: str, minutes: int | None) -> None:
    if status not in ATTENDANCE_STATES:
        raise DomainError(f"Attendance is present, absent or excused, not {status or 'empty'}.")
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        raise DomainError("Minutes attended is a number between 0 and 1440.")


def recorded(live_session: LiveSession) -> dict[int, Attendance]:
    """What is recorded for the session now: learner id -> their attendance."""
    return {
        row.user_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.live_session_id == live_session.id))
    }


def change_attendance(
    live_session: LiveSession,
    existing: dict[int, Attendance],
    user_id: int,
    status: str,
    minutes: int | None,
    source: str,
    by: User,
    now: datetime,
    import_id: int | None = None,
    note: str = "",
) -> bool:
    """Set one person's attendance and record the change, with all it replaced; False when nothing changed."""
    current = existing.get(user_id)
    if current is not None and current.status == status and current.minutes == minutes:
        return False
    db.session.add(
        AttendanceChange(
            live_session_id=live_session.id, user_id=user_id,
            old_status=current.status if current else "", new_status=status,
            old_minutes=current.minutes if current else None, new_minutes=minutes,
            old_source=current.source if current else None,
            old_updated_at=current.updated_at if current else None,
            old_updated_by_id=current.updated_by_id if current else None,
            source=source, import_id=import_id, note=note[:255], changed_by_id=by.id, changed_at=now,
        )
    )
    if current is None:
        current = Attendance(live_session_id=live_session.id, user_id=user_id)
        db.session.add(current)
        existing[user_id] = current
    current.status = status
    current.minutes = minutes
    current.source = source
    current.updated_at = now
    current.updated_by_id = by.id
    return True


def record(
    live_session: LiveSession, entries: dict[int, tuple[str, int | None]], by: User, now: datetime
) -> int:
    """Save hand-made attendance for several learners at once; all or nothing. Returns how many changed."""
    require_started(live_session, now)
    learner_ids = {user.id for user, _ in learners_of(live_session.academy_id)}
    for user_id, (status, minutes) in entries.items():
        if user_id not in learner_ids:
            raise DomainError("That person is not a learner of this academy.")
        _check_entry(live_session, status, minutes)
    existing = recorded(live_session)
    changed = sum(
        change_attendance(live_session, existing, user_id, status, minutes, "manual", by, now)
        for user_id, (status, minutes) in entries.items()
    )
    audit.record(by, "attendance.record", f"live session {live_session.id}", f"{changed} changes")
    log.info("attendance of %d learners at session %s changed by %s", changed, live_session.id, by.email)
    return changed


def mark_everyone(live_session: LiveSession, status: str, only_unrecorded: bool, by: User, now: datetime) -> int:
    """Bulk marking: everyone (or everyone not yet recorded) present, absent or excused."""
    if status not in ATTENDANCE_STATES:
        raise DomainError(f"Attendance is present, absent or excused, not {status or 'empty'}.")
    rows = grid(live_session)
    entries = {
        row.user.id: (status, row.attendance.minutes if row.attendance else None)
        for row in rows
        if not (only_unrecorded and row.attendance is not None)
    }
    return record(live_session, entries, by, now)


# --- a group in one room ---------------------------------------------------------------------

def mark_group_present(live_session: LiveSession, group: str, minutes: int | None, by: User, now: datetime,
                       room: str = "") -> int:
    """Everyone of a group who joined together (a room, one screen) present, with the room's minutes;
    the change log says "present via <group>". All or nothing; returns how many changed."""
    require_started(live_session, now)
    group = " ".join((group or "").split())
    members = members_of(live_session.academy_id, group) if group else []
    if not members:
        raise DomainError("Choose a group that has learners in this academy.", field="group")
    _check_entry(live_session, "present", minutes)
    note = f"present via {group}" + (f", the report’s row “{room}”" if room else "")
    existing = recorded(live_session)
    changed = sum(
        change_attendance(live_session, existing, user.id, "present", minutes, "manual", by, now, note=note)
        for user in members
    )
    audit.record(by, "attendance.group", f"live session {live_session.id}", f"{changed} changes via {group}"[:500])
    log.info("group %r marked present at session %s by %s: %d changes", group, live_session.id, by.email, changed)
    return changed

