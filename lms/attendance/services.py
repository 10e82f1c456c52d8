"""Recording attendance: the grid an admin edits by hand, and importing Zoom or Teams reports."""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.academies.models import Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance import checks
from lms.attendance.models import ATTENDANCE_STATES, Attendance, AttendanceChange, AttendanceImport
from lms.attendance.reports import (
    AttendanceFileError,
    MatchedAttendee,
    Person,
    match_rows,
    merge_minutes,
    outcome,
    parse_report,
)
from lms.audit import services as audit
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.timezones import is_valid_zone

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
    recorded = {
        row.user_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.live_session_id == live_session.id))
    }
    return [GridRow(user, group, recorded.get(user.id)) for user, group in learners_of(live_session.academy_id)]


def recent_changes(live_session: LiveSession, limit: int = 50) -> list[AttendanceChange]:
    return db.session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.live_session_id == live_session.id)
        .options(selectinload(AttendanceChange.changed_by), selectinload(AttendanceChange.user))
        .order_by(AttendanceChange.changed_at.desc(), AttendanceChange.id.desc())
        .limit(limit)
    ).all()


def _require_started(live_session: LiveSession, now: datetime) -> None:
    # Attendance of a session still to come would make certificates for attendance that never happened.
    if live_session.starts_at > now:
        raise DomainError("This session has not started yet: attendance can be recorded once it begins.")


def _check_entry(live_session: LiveSession, status: str, minutes: int | None) -> None:
    if status not in ATTENDANCE_STATES:
        raise DomainError(f"Attendance is present, absent or excused, not {status or 'empty'}.")
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        raise DomainError("Minutes attended is a number between 0 and 1440.")


def _apply(
    live_session: LiveSession,
    existing: dict[int, Attendance],
    user_id: int,
    status: str,
    minutes: int | None,
    source: str,
    by: User,
    now: datetime,
) -> bool:
    """Set one person's attendance and record the change; False when nothing changed."""
    current = existing.get(user_id)
    if current is not None and current.status == status and current.minutes == minutes:
        return False
    db.session.add(
        AttendanceChange(
            live_session_id=live_session.id, user_id=user_id,
            old_status=current.status if current else "", new_status=status,
            old_minutes=current.minutes if current else None, new_minutes=minutes,
            source=source, changed_by_id=by.id, changed_at=now,
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
    _require_started(live_session, now)
    learner_ids = {user.id for user, _ in learners_of(live_session.academy_id)}
    for user_id, (status, minutes) in entries.items():
        if user_id not in learner_ids:
            raise DomainError("That person is not a learner of this academy.")
        _check_entry(live_session, status, minutes)
    existing = {
        row.user_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.live_session_id == live_session.id))
    }
    changed = sum(
        _apply(live_session, existing, user_id, status, minutes, "manual", by, now)
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


# --- importing a report ----------------------------------------------------------------------

@dataclass
class PreviewLine:
    """One person (or one unknown participant) from the report, with what the import would record."""

    key: str
    kind: str  # "email" (sure), "likely" or "none" (a person decides), "facilitator" (not recorded)
    reason: str  # why it matched, or why a person must decide (reports.REASONS)
    person: User | None  # who it is (email), probably is (likely), or the suggestion (none)
    candidates: list[User]  # offered first to whoever decides
    display_name: str
    email: str
    minutes: float
    outcome: str
    lines: list[int]
    intervals: list[tuple[datetime, datetime]] = field(repr=False, default_factory=list)

    @property
    def needs_decision(self) -> bool:
        return self.kind in ("likely", "none")


@dataclass
class ImportPreview:
    platform: str
    meeting_title: str
    file_sha256: str
    file_timezone: str
    lines: list[PreviewLine]
    not_in_report: list[User]
    learners: list[User]
    blocks: list[checks.Block]  # reasons to think the file is not this session's: saving needs "import anyway"
    earlier_import: AttendanceImport | None

    @property
    def sure(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "email"]

    @property
    def to_decide(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.needs_decision]

    @property
    def facilitators(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "facilitator"]


def _line_key(attendee) -> str:
    """A stable name for one group of rows, so a decision made on the preview finds it again."""
    first = attendee.rows[0]
    raw = f"{attendee.kind}|{attendee.person_id}|{attendee.display_name}|{attendee.email}|{first.line}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _people(academy_id: int) -> list[tuple[User, str]]:
    """Everyone a report row may be: the academy's learners and facilitators, with their role."""
    return db.session.execute(
        select(User, Enrolment.role)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy_id, Enrolment.role.in_(("learner", "facilitator")))
        .order_by(User.full_name, User.id)
    ).all()


def _preview_lines(
    live_session: LiveSession, attendees: list[MatchedAttendee], people_by_id: dict[int, User]
) -> list[PreviewLine]:
    """One line per person in the report: who they seem to be, their minutes in the session, the outcome."""
    share = live_session.academy.attendance_share / 100
    lines = []
    for attendee in attendees:
        intervals = [(row.joined_at, row.left_at) for row in attendee.rows]
        minutes = merge_minutes(intervals, live_session.starts_at, live_session.ends_at)
        lines.append(
            PreviewLine(
                key=_line_key(attendee), kind=attendee.kind, reason=attendee.reason,
                person=people_by_id.get(attendee.person_id),
                candidates=[people_by_id[person_id] for person_id in attendee.candidates],
                display_name=attendee.display_name, email=attendee.email, minutes=round(minutes, 1),
                outcome=outcome(minutes, live_session.duration_minutes, share),
                lines=[row.line for row in attendee.rows], intervals=intervals,
            )
        )
    return lines


def preview_import(live_session: LiveSession, data: bytes, file_timezone: str) -> ImportPreview:
    """Read a report and show what it would record, saving nothing. Raises AttendanceFileError."""
    if not is_valid_zone(file_timezone):
        raise DomainError("Choose the time zone the report's times are in.", field="file_timezone")
    report = parse_report(data, file_timezone)
    if all(row.is_host for row in report.rows):
        raise AttendanceFileError(
            "This report lists only the meeting's host, no participants. Saving it would mark every learner "
            "absent, so it was not read. Check that it is the report of the right meeting."
        )
    academy = live_session.academy
    people = _people(academy.id)
    learners = [user for user, role in people if role == "learner"]
    attendees = match_rows(report.rows, [Person(user.id, user.full_name, user.email, role) for user, role in people])
    lines = _preview_lines(live_session, attendees, {user.id: user for user, _ in people})
    seen = {line.person.id for line in lines if line.person is not None and line.kind in ("email", "likely")}
    file_sha256 = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(
        select(AttendanceImport).where(
            AttendanceImport.live_session_id == live_session.id,
            AttendanceImport.file_sha256 == file_sha256,
            AttendanceImport.file_timezone == file_timezone,
        )
    )
    return ImportPreview(
        platform=report.platform, meeting_title=report.meeting_title, file_sha256=file_sha256,
        file_timezone=file_timezone, lines=lines,
        not_in_report=[user for user in learners if user.id not in seen],
        learners=learners, blocks=_blocks(live_session, report, lines, learners, file_timezone),
        earlier_import=earlier,
    )


def _blocks(live_session: LiveSession, report, lines: list[PreviewLine], learners: list[User],
            file_timezone: str) -> list[checks.Block]:
    """Reasons to think the file is not this session's report (checks.py)."""
    academy = live_session.academy
    zones_by_use = Counter(user.timezone for user in learners if user.timezone)
    return checks.check_report(
        title=report.meeting_title,
        meeting_start=report.meeting_start,
        people=[line.intervals for line in lines if line.kind != "facilitator"],
        everyone=[(row.joined_at, row.left_at) for row in report.rows if not row.is_host],
        live_session=live_session,
        usual_present=checks.usual_present(_present_counts(live_session)),
        file_timezone=file_timezone,
        likely_zones=[academy.home_timezone, *academy.reference_zone_list,
                      *(zone for zone, _ in zones_by_use.most_common())],
        display_zone=academy.home_timezone,
    )


def _present_counts(live_session: LiveSession) -> list[int]:
    """How many learners are recorded present at each of the academy's other sessions."""
    return list(
        db.session.scalars(
            select(func.count())
            .select_from(Attendance)
            .join(LiveSession, LiveSession.id == Attendance.live_session_id)
            .where(
                LiveSession.academy_id == live_session.academy_id,
                LiveSession.id != live_session.id,
                Attendance.status == "present",
            )
            .group_by(Attendance.live_session_id)
        )
    )


@dataclass
class ImportResult:
    changed: int
    already_imported: bool
    outcomes: dict[int, tuple[str, int]]  # user id -> (status, minutes)


def _stays_by_learner(
    preview: ImportPreview, decisions: dict[str, int | None]
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each learner's stays in the meeting (none for those not in the report), with every decision applied."""
    learner_ids = {user.id for user in preview.learners}
    undecided = [line for line in preview.to_decide if line.key not in decisions]
    if undecided:
        names = ", ".join(line.display_name for line in undecided)
        raise DomainError(f"Decide who these participants are, or ignore them: {names}.")
    intervals: dict[int, list[tuple[datetime, datetime]]] = {user_id: [] for user_id in learner_ids}
    for line in preview.lines:
        if line.kind == "facilitator":
            continue
        person_id = line.person.id if not line.needs_decision else decisions[line.key]
        if person_id is None:
            continue
        if person_id not in learner_ids:
            raise DomainError("A participant was matched to someone who is not a learner of this academy.")
        intervals[person_id].extend(line.intervals)
    return intervals


def _record_outcomes(
    live_session: LiveSession,
    intervals: dict[int, list[tuple[datetime, datetime]]],
    platform: str,
    by: User,
    now: datetime,
) -> tuple[dict[int, tuple[str, int]], int]:
    """Each learner's status from their minutes; (user id -> (status, minutes), how many rows changed)."""
    share = live_session.academy.attendance_share / 100
    existing = {
        row.user_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.live_session_id == live_session.id))
    }
    outcomes = {}
    changed = 0
    for user_id, spans in intervals.items():
        minutes = merge_minutes(spans, live_session.starts_at, live_session.ends_at) if spans else 0.0
        status = outcome(minutes, live_session.duration_minutes, share)
        current = existing.get(user_id)
        if status == "absent" and current is not None and (
            current.status == "excused" or (current.source == "manual" and current.status == "present")
        ):
            # An excuse, or a "present" set by hand (a phone dial-in, a shared screen), is not undone
            # by someone's absence from the report.
            continue
        outcomes[user_id] = (status, round(minutes))
        changed += _apply(live_session, existing, user_id, status, round(minutes), platform, by, now)
    return outcomes, changed


def apply_import(
    live_session: LiveSession,
    data: bytes,
    file_timezone: str,
    decisions: dict[str, int | None],
    by: User,
    now: datetime,
    filename: str = "",
    import_anyway: bool = False,
) -> ImportResult:
    """Save a previewed report, all or nothing.

    `decisions` maps each line needing a decision (likely or unmatched) to a learner's id, or None
    to ignore it; every such line must have one. Learners not in the report are recorded absent,
    except that an excuse already recorded is kept. The same file twice changes nothing. A file that
    may not be this session's (preview.blocks) is saved only with `import_anyway`, the admin's
    explicit "I have checked".
    The caller commits; when another request saved the same file first, the session is rolled back.
    """
    _require_started(live_session, now)
    preview = preview_import(live_session, data, file_timezone)
    if preview.earlier_import is not None:
        return ImportResult(0, True, {})
    if preview.blocks and not import_anyway:
        raise DomainError(
            f"This file may not be the report of “{live_session.title}”: {preview.blocks[0].text} If you have "
            "checked that it is, tick “I have checked: import anyway” and save again."
        )
    intervals = _stays_by_learner(preview, decisions)
    outcomes, changed = _record_outcomes(live_session, intervals, preview.platform, by, now)
    db.session.add(
        AttendanceImport(
            live_session_id=live_session.id, file_sha256=preview.file_sha256, file_timezone=file_timezone,
            platform=preview.platform,
            filename=filename[:255], people_recorded=len(outcomes), imported_by_id=by.id, imported_at=now,
        )
    )
    audit.record(
        by, "attendance.import", f"live session {live_session.id}",
        f"{preview.platform} report {preview.file_sha256[:12]}, {changed} changes"
        + (f"; imported anyway ({', '.join(block.code for block in preview.blocks)})" if preview.blocks else ""),
    )
    try:
        db.session.flush()
    except IntegrityError:
        # The same file saved by another request a moment ago (a double click): that one counts.
        db.session.rollback()
        return ImportResult(0, True, {})
    log.info(
        "%s report imported for session %s by %s: %d changes", preview.platform, live_session.id, by.email, changed
    )
    return ImportResult(changed, False, outcomes)
