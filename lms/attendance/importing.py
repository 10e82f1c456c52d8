"""Importing Zoom and Teams reports: the preview, saving it as one batch of changes, and undoing a batch.

"Already imported" means that saving would change nothing in the records as they are now; it is never
decided by the file's hash, so a file imported again after something else changed the session applies
again. Every saved import is a batch whose changes remember what they replaced: undoing it puts that
back, unless later changes touched the same learners.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from lms.academies.models import Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance import checks
from lms.attendance.models import Attendance, AttendanceChange, AttendanceImport
from lms.attendance.reports import (
    EVENT_LIST,
    AttendanceFileError,
    MatchedAttendee,
    Person,
    email_key,
    match_rows,
    merge_minutes,
    name_key,
    outcome,
    parse_report,
)
from lms.attendance.services import change_attendance, recorded, require_started
from lms.audit import services as audit
from lms.core.dates import format_local
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.pagination import clamp_page, page_count, page_numbers
from lms.core.timezones import city_name, is_valid_zone

log = logging.getLogger(__name__)

# A preview not saved within a day is forgotten, file and all.
PREVIEW_KEPT_FOR = timedelta(days=1)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def report_size_limit() -> int:
    """The largest report read, on the web and on the command line alike: the app's MAX_CONTENT_LENGTH
    (the limit of the upload itself), or 5 MB when the app sets none."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BYTES)


# --- the preview ------------------------------------------------------------------------------

@dataclass
class PreviewLine:
    """One person (or one unknown participant) from the report, with what the import would record."""

    key: str
    kind: str  # "email" (sure), "likely" or "none" (a person decides), "facilitator" (not recorded)
    reason: str  # why it matched, or why a person must decide (reports.REASONS)
    person: Someone | None  # who it is (email), probably is (likely), or the suggestion (none)
    candidates: list[Someone]  # offered first to whoever decides
    display_name: str
    email: str
    minutes: float
    outcome: str
    lines: list[int]
    intervals: list[tuple[datetime, datetime]] = field(repr=False, default_factory=list)

    @property
    def needs_decision(self) -> bool:
        return self.kind in ("likely", "none")

    @property
    def why(self) -> str:
        """Why the row needs a decision, in words (the rules are reports.py's)."""
        names = [person.full_name for person in self.candidates]
        probably = f"Probably {self.person.full_name}" if self.person else ""
        return {
            "guest": f"Joined as a guest under this name. {probably}",
            "same_name": f"The same name, but the report has no email. {probably}",
            "written_differently": f"The same name, written differently. {probably}",
            "similar_name": f"A similar name. {probably}",
            "unknown_email": "No one in this academy has this email"
                             + (f"; the name is {self.person.full_name}’s" if self.person else ""),
            "email_of_other": f"The email is {names[0]}’s, but the name is {' or '.join(names[1:])}’s"
                              if len(names) > 1 else "The email and the name are different people’s",
            "several": f"The name fits more than one person: {', '.join(names)}",
        }.get(self.reason, "No match")


@dataclass
class PlannedChange:
    """What saving would change for one learner: from what is recorded now to what the report says."""

    user_id: int
    old_status: str  # "": nothing recorded yet
    old_minutes: int | None
    new_status: str
    new_minutes: int
    note: str = ""


@dataclass
class ImportPreview:
    platform: str
    meeting_title: str
    file_sha256: str
    file_timezone: str
    lines: list[PreviewLine]
    not_in_report: list[Someone]
    learners: list[Someone]
    blocks: list[checks.Block]  # reasons to think the file is not this session's: saving needs "import anyway"
    planned: list[PlannedChange]  # what saving would change before any decision (rows to decide ignored)
    notes: list[str] = field(default_factory=list)  # what to know about the file itself

    @property
    def sure(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "email"]

    @property
    def to_decide(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.needs_decision]

    @property
    def facilitators(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "facilitator"]

    @property
    def nothing_to_save(self) -> bool:
        """Saving would change nothing now: what the file records is already recorded (and nothing is left to decide)."""
        return not self.planned and not self.to_decide


# The preview stays small however large the report: matched learners are paged, each row to decide
# offers its likely people (every learner only in a small academy; anyone can be typed), and the rows
# to decide beyond the first few hundred are listed by name, decided by the page's "all at once" choices.
MATCHED_PER_PAGE = 100
DECIDE_ONE_BY_ONE = 200
EVERY_LEARNER_IN_EACH_CHOICE = 60


@dataclass
class PreviewPage:
    """What one page of a preview shows."""

    preview: ImportPreview
    page: int
    pages: int
    matched: list[PreviewLine]  # this page's learners matched for sure
    decide_one_by_one: list[PreviewLine]
    decide_all_at_once: list[PreviewLine]  # beyond DECIDE_ONE_BY_ONE: only the page's "all at once" choices
    every_learner_in_each_choice: bool
    learner_ids: set[int]  # who a row can be given to (a candidate may be a facilitator)

    @property
    def page_numbers(self) -> list[int | None]:
        return page_numbers(self.page, self.pages)


def preview_page(preview: ImportPreview, page: int = 1) -> PreviewPage:
    sure = preview.sure
    pages = page_count(len(sure), MATCHED_PER_PAGE)
    page = clamp_page(page, pages)
    first = (page - 1) * MATCHED_PER_PAGE
    to_decide = preview.to_decide
    return PreviewPage(
        preview=preview, page=page, pages=pages, matched=sure[first:first + MATCHED_PER_PAGE],
        decide_one_by_one=to_decide[:DECIDE_ONE_BY_ONE], decide_all_at_once=to_decide[DECIDE_ONE_BY_ONE:],
        every_learner_in_each_choice=len(preview.learners) <= EVERY_LEARNER_IN_EACH_CHOICE,
        learner_ids={user.id for user in preview.learners},
    )


def _line_key(attendee: MatchedAttendee) -> str:
    """A stable name for one group of rows, so a decision made on the preview finds it again."""
    first = attendee.rows[0]
    raw = f"{attendee.kind}|{attendee.person_id}|{attendee.display_name}|{attendee.email}|{first.line}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Someone:
    """A learner or facilitator as a preview needs them: plain values, not a loaded account (a preview of a
    large academy would otherwise spend much of its time building 2,000 User objects)."""

    id: int
    full_name: str
    email: str
    timezone: str


def _people(academy_id: int) -> list[tuple[Someone, str]]:
    """Everyone a report row may be: the academy's learners and facilitators, with their role."""
    rows = db.session.execute(
        select(User.id, User.full_name, User.email, User.timezone, Enrolment.role)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy_id, Enrolment.role.in_(("learner", "facilitator")))
        .order_by(User.full_name, User.id)
    )
    # A learner on paper has no email: matched by name only, like any report row without one.
    return [(Someone(user_id, name, email or "", timezone or ""), role)
            for user_id, name, email, timezone, role in rows]


def _preview_lines(
    live_session: LiveSession, attendees: list[MatchedAttendee], people_by_id: dict[int, Someone]
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
    limit = report_size_limit()
    if len(data) > limit:
        raise AttendanceFileError(
            f"This file is {len(data) / 1024 / 1024:.1f} MB; a report can be at most {limit / 1024 / 1024:.1f} MB."
        )
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
    preview = ImportPreview(
        platform=report.platform, meeting_title=report.meeting_title,
        file_sha256=hashlib.sha256(data).hexdigest(), file_timezone=file_timezone, lines=lines,
        not_in_report=[user for user in learners if user.id not in seen], learners=learners,
        blocks=_blocks(live_session, report, lines, learners, file_timezone), planned=[],
    )
    stays, notes, _ = _stays_by_learner(preview, {}, ignore_undecided=True)
    preview.planned, _ = _plan(live_session, stays, notes, recorded(live_session))
    if report.event_list:
        preview.notes.append(
            f"This is {EVENT_LIST}. It has no emails, so everyone in it is only a likely match by name, for you to "
            "confirm (one by one, or all at once below)."
        )
    if report.still_in:
        preview.notes.append(
            f"{report.still_in} {'person' if report.still_in == 1 else 'people'} had not left when the list was "
            f"downloaded: their time is counted until the last time in it, "
            f"{format_local(report.last_event, academy.home_timezone, 'time')} ({city_name(academy.home_timezone)} time)."
        )
    return preview


def _blocks(live_session: LiveSession, report, lines: list[PreviewLine], learners: list[Someone],
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


# --- what saving records --------------------------------------------------------------------------

def _as_ids(decision) -> tuple[int, ...] | None:
    """A decision as the learners it gives the row to: None to ignore it, one id, or several (a shared device)."""
    if decision is None:
        return None
    if isinstance(decision, int):
        return (decision,)
    return tuple(decision)


def _stays_by_learner(
    preview: ImportPreview,
    decisions: dict[str, object],
    accept_likely: bool = False,
    ignore_undecided: bool = False,
) -> tuple[dict[int, list[tuple[datetime, datetime]]], dict[int, str], list[PreviewLine]]:
    """Each learner's stays in the meeting (none for those not in the report) with every decision applied,
    the note for learners given a shared device's minutes, and the rows ignored."""
    learner_ids = {user.id for user in preview.learners}
    undecided = [
        line for line in preview.to_decide
        if line.key not in decisions and not (accept_likely and line.kind == "likely")
    ]
    if undecided and not ignore_undecided:
        names = ", ".join(line.display_name for line in undecided)
        raise DomainError(f"Decide who these participants are, or ignore them: {names}.")
    stays: dict[int, list[tuple[datetime, datetime]]] = {user_id: [] for user_id in learner_ids}
    notes: dict[int, str] = {}
    ignored = []
    for line in preview.lines:
        if line.kind == "facilitator":
            continue
        if not line.needs_decision:
            people = (line.person.id,)
        elif line.key in decisions:
            people = _as_ids(decisions[line.key])
        elif accept_likely and line.kind == "likely":
            people = (line.person.id,)
        else:
            people = None
        if not people:
            ignored.append(line)
            continue
        if any(person_id not in learner_ids for person_id in people):
            raise DomainError("A participant was matched to someone who is not a learner of this academy.")
        for person_id in people:
            stays[person_id].extend(line.intervals)
            if len(people) > 1:
                notes[person_id] = f"shared device “{line.display_name}”, given to {len(people)} learners"
    return stays, notes, ignored


def _plan(
    live_session: LiveSession,
    stays: dict[int, list[tuple[datetime, datetime]]],
    notes: dict[int, str],
    existing: dict,
) -> tuple[list[PlannedChange], int]:
    """What saving would change, compared with what is recorded now; and how many learners it records."""
    share = live_session.academy.attendance_share / 100
    planned, recorded_count = [], 0
    for user_id, spans in stays.items():
        minutes = round(merge_minutes(spans, live_session.starts_at, live_session.ends_at) if spans else 0.0)
        status = outcome(minutes, live_session.duration_minutes, share)
        current = existing.get(user_id)
        if status == "absent" and current is not None and (
            current.status == "excused" or (current.source == "manual" and current.status == "present")
        ):
            # An excuse, or a "present" set by hand (a phone dial-in, a shared screen), is not undone
            # by someone's absence from the report.
            continue
        recorded_count += 1
        if current is not None and current.status == status and current.minutes == minutes:
            continue
        planned.append(PlannedChange(
            user_id=user_id, old_status=current.status if current else "",
            old_minutes=current.minutes if current else None, new_status=status, new_minutes=minutes,
            note=notes.get(user_id, ""),
        ))
    return planned, recorded_count


@dataclass
class ImportResult:
    # "saved"; "unchanged": saving would change nothing now (the file's attendance is already recorded);
    # "already_saved": this preview was saved a moment ago (a second click).
    state: str
    changed: int = 0
    batch: AttendanceImport | None = None
    ignored: list[PreviewLine] = field(default_factory=list)
    shared: list[tuple[str, int]] = field(default_factory=list)  # rows given to several learners, and to how many


def _lock(live_session: LiveSession) -> None:
    """One save or undo of a session at a time: each compares with the records as they are, so two at once
    would both write from the same starting point. PostgreSQL waits on the session's row here. SQLite has
    no FOR UPDATE: there the claim of a staged save or an undo, their first write, already holds the
    database's only write lock, so their reads that follow see every earlier save."""
    db.session.execute(select(LiveSession.id).where(LiveSession.id == live_session.id).with_for_update())


def _save(
    batch: AttendanceImport | None,
    live_session: LiveSession,
    preview: ImportPreview,
    decisions: dict[str, object],
    by: User,
    now: datetime,
    filename: str,
    import_anyway: bool,
    accept_likely: bool,
    ignore_undecided: bool,
) -> ImportResult:
    if preview.blocks and not import_anyway:
        raise DomainError(
            f"This file may not be the report of “{live_session.title}”: {preview.blocks[0].text} If you have "
            "checked that it is, tick “I have checked: import anyway” and save again."
        )
    stays, notes, ignored = _stays_by_learner(preview, decisions, accept_likely, ignore_undecided)
    existing = recorded(live_session)
    planned, recorded_count = _plan(live_session, stays, notes, existing)
    if not planned:
        return ImportResult("unchanged", ignored=ignored)
    if batch is None:
        batch = AttendanceImport(live_session_id=live_session.id, filename=filename[:255])
        db.session.add(batch)
    batch.state = "saved"
    batch.file_data = None  # personal data: not kept once saved
    batch.file_sha256, batch.file_timezone, batch.platform = preview.file_sha256, preview.file_timezone, preview.platform
    batch.people_recorded = recorded_count
    batch.imported_anyway = ", ".join(block.code for block in preview.blocks)
    batch.imported_by_id, batch.imported_at = by.id, now
    db.session.flush()  # the batch's id, for its changes
    for change in planned:
        change_attendance(live_session, existing, change.user_id, change.new_status, change.new_minutes,
                          preview.platform, by, now, import_id=batch.id, note=change.note)
    audit.record(
        by, "attendance.import", f"live session {live_session.id}",
        f"import {batch.id}: {preview.platform} report {preview.file_sha256[:12]}, {len(planned)} changes"
        + (f"; imported anyway ({batch.imported_anyway})" if batch.imported_anyway else ""),
    )
    db.session.flush()
    log.info("%s report imported for session %s by %s: %d changes", preview.platform, live_session.id, by.email,
             len(planned))
    shared = [(line.display_name, len(_as_ids(decisions[line.key]))) for line in preview.to_decide
              if len(_as_ids(decisions.get(line.key)) or ()) > 1]
    return ImportResult("saved", len(planned), batch, ignored, shared)


def apply_import(
    live_session: LiveSession,
    data: bytes,
    file_timezone: str,
    decisions: dict[str, object],
    by: User,
    now: datetime,
    filename: str = "",
    import_anyway: bool = False,
    accept_likely: bool = False,
    ignore_undecided: bool = False,
) -> ImportResult:
    """Read a report and save it at once, all or nothing (the command line; the pages save a staged preview).

    `decisions` maps each line needing a decision (likely or unmatched) to a learner's id, to several
    (a shared device), or to None to ignore it; every such line must have one, unless `accept_likely`
    takes the likely ones as they are or `ignore_undecided` ignores the rest. Learners not in the report
    are recorded absent, except that an excuse, or a "present" recorded by hand, is kept. A file that may
    not be this session's (preview.blocks) is saved only with `import_anyway`. The caller commits.
    """
    require_started(live_session, now)
    _lock(live_session)
    preview = preview_import(live_session, data, file_timezone)
    return _save(None, live_session, preview, decisions, by, now, filename, import_anyway, accept_likely,
                 ignore_undecided)


def rows_named(preview: ImportPreview, name: str) -> list[PreviewLine]:
    """The rows for a person to decide that a script names: by the report's name for them, or their email."""
    wanted_name, wanted_email = name_key(name), email_key(name)
    return [line for line in preview.to_decide
            if name_key(line.display_name) == wanted_name or (line.email and line.email == wanted_email)]


def learners_named(preview: ImportPreview, typed: str) -> tuple[int, ...]:
    """The learners a person typed for a row, by email or full name, separated by commas, semicolons or
    new lines (several: a shared device). Refused, naming it, when one fits no learner or several."""
    by_email = {email_key(user.email): user for user in preview.learners if user.email}
    by_name: dict[str, list[Someone]] = {}
    for user in preview.learners:
        by_name.setdefault(name_key(user.full_name), []).append(user)
    found: dict[int, Someone] = {}
    for entry in (part.strip() for part in typed.replace(";", ",").replace("\n", ",").split(",")):
        if not entry:
            continue
        user = by_email.get(email_key(entry))
        if user is None:
            named = by_name.get(name_key(entry), [])
            if len(named) > 1:
                raise DomainError(f"More than one learner is called {entry}: type their email instead.")
            user = named[0] if named else None
        if user is None:
            raise DomainError(f"No learner of this academy has the email or name “{entry}”.")
        found[user.id] = user
    return tuple(found)


# --- previews waiting to be saved (the pages) -----------------------------------------------------

def stage(live_session: LiveSession, data: bytes, file_timezone: str, filename: str, by: User,
          now: datetime) -> AttendanceImport:
    """Keep a readable report until the admin saves its preview (at most a day). Raises AttendanceFileError."""
    preview = preview_import(live_session, data, file_timezone)
    forget_old_previews(now)
    batch = AttendanceImport(
        live_session_id=live_session.id, state="previewed", file_sha256=preview.file_sha256,
        file_timezone=file_timezone, file_data=data, platform=preview.platform, filename=filename[:255],
        imported_by_id=by.id, imported_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def forget_old_previews(now: datetime) -> int:
    """Delete the reports whose preview was not saved within PREVIEW_KEPT_FOR, file and all; how many.

    Done at each new upload, and every hour by the worker (attendance/tasks.py), so that a report nobody
    comes back to is not kept longer than a day either.
    """
    return db.session.execute(
        delete(AttendanceImport).where(
            AttendanceImport.state == "previewed", AttendanceImport.imported_at < now - PREVIEW_KEPT_FOR
        )
    ).rowcount


def staged_preview(batch: AttendanceImport, file_timezone: str | None = None) -> ImportPreview:
    """The preview of a staged report, its times read in `file_timezone` (default: the zone chosen on upload)."""
    return preview_import(batch.live_session, batch.file_data or b"", file_timezone or batch.file_timezone)


def with_typed(preview: ImportPreview, decisions: dict[str, object], typed: dict[str, str]) -> dict[str, object]:
    """The decisions with the learners typed for each row added (emails or names: several for a shared
    device or room, each of them given the row's minutes)."""
    merged = dict(decisions)
    rows = {line.key: line for line in preview.to_decide}
    for key, text in typed.items():
        line = rows.get(key)
        if line is None or not text.strip():
            continue
        if key in merged and merged[key] is None:
            raise DomainError(f"“{line.display_name}”: choose “Ignore” or name learners, not both.")
        try:
            people = learners_named(preview, text)
        except DomainError as error:
            raise DomainError(f"“{line.display_name}”: {error.message}") from None
        merged[key] = tuple(dict.fromkeys((*(_as_ids(merged.get(key)) or ()), *people)))
    return merged


def save_staged(
    batch: AttendanceImport,
    decisions: dict[str, object],
    by: User,
    now: datetime,
    file_timezone: str | None = None,
    import_anyway: bool = False,
    accept_likely: bool = False,
    ignore_undecided: bool = False,
    typed: dict[str, str] | None = None,
) -> ImportResult:
    """Save a staged preview as one batch; a second click on the same preview saves nothing. The caller commits.

    `typed` holds, per row, the learners' emails or names an admin typed (see with_typed)."""
    live_session = batch.live_session
    require_started(live_session, now)
    # The claim is the first write: of two clicks, the second waits here until the first has committed,
    # and then finds the preview saved.
    claimed = db.session.execute(
        update(AttendanceImport)
        .where(AttendanceImport.id == batch.id, AttendanceImport.state == "previewed")
        .values(state="saved")
    ).rowcount
    if not claimed:
        return ImportResult("already_saved", batch=batch)
    _lock(live_session)
    preview = preview_import(live_session, batch.file_data or b"", file_timezone or batch.file_timezone)
    decisions = with_typed(preview, decisions, typed or {})
    result = _save(batch, live_session, preview, decisions, by, now, batch.filename, import_anyway, accept_likely,
                   ignore_undecided)
    if result.state == "unchanged":
        batch.state = "previewed"  # nothing was saved: the preview stays open, as it was
        db.session.flush()
    return result


# --- past imports and undoing one -------------------------------------------------------------

@dataclass
class ImportSummary:
    batch: AttendanceImport
    changes: int
    by_status: dict[str, int]  # what the import set: status -> how many learners

    @property
    def undoable(self) -> bool:
        return self.batch.state == "saved" and self.changes > 0


def past_imports(live_session: LiveSession, limit: int = 50) -> list[ImportSummary]:
    """The session's saved and undone imports, newest first, with what each changed (two queries)."""
    batches = db.session.scalars(
        select(AttendanceImport)
        .where(AttendanceImport.live_session_id == live_session.id, AttendanceImport.state != "previewed")
        .options(selectinload(AttendanceImport.imported_by), selectinload(AttendanceImport.undone_by))
        .order_by(AttendanceImport.imported_at.desc(), AttendanceImport.id.desc())
        .limit(limit)
    ).all()
    counts: dict[int, Counter] = {batch.id: Counter() for batch in batches}
    if batches:
        rows = db.session.execute(
            select(AttendanceChange.import_id, AttendanceChange.new_status, func.count())
            .where(AttendanceChange.import_id.in_(counts), AttendanceChange.source != "undo")
            .group_by(AttendanceChange.import_id, AttendanceChange.new_status)
        )
        for import_id, status, number in rows:
            counts[import_id][status] = number
    return [ImportSummary(batch, sum(counts[batch.id].values()), dict(counts[batch.id])) for batch in batches]


@dataclass
class Restore:
    """One learner's attendance as it is, and as undoing the import would put it back."""

    user: User
    now_status: str  # "": not recorded
    now_minutes: int | None
    back_status: str
    back_minutes: int | None


@dataclass
class UndoPlan:
    batch: AttendanceImport
    restores: list[Restore]
    changed_since: list[User]  # learners whose attendance changed after the import: then it is not undone

    @property
    def can_undo(self) -> bool:
        return self.batch.state == "saved" and bool(self.restores) and not self.changed_since


def _batch_changes(batch: AttendanceImport) -> list[AttendanceChange]:
    return db.session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.import_id == batch.id, AttendanceChange.source != "undo")
        .options(selectinload(AttendanceChange.user))
        .order_by(AttendanceChange.id)
    ).all()


def undo_plan(batch: AttendanceImport) -> UndoPlan:
    """What undoing the import would restore, and who was changed since (which rules the undo out)."""
    made = _batch_changes(batch)
    if not made:
        return UndoPlan(batch, [], [])
    undone = select(AttendanceImport.id).where(AttendanceImport.state == "undone")
    # A later change counts unless it belongs to an import since undone: that one's effect is gone.
    later = db.session.scalars(
        select(User)
        .where(User.id.in_(
            select(AttendanceChange.user_id).where(
                AttendanceChange.live_session_id == batch.live_session_id,
                AttendanceChange.user_id.in_({change.user_id for change in made}),
                AttendanceChange.id > max(change.id for change in made),
                or_(AttendanceChange.import_id.is_(None), AttendanceChange.import_id.not_in(undone)),
            )
        ))
        .order_by(User.full_name, User.id)
    ).all()
    now_recorded = recorded(batch.live_session)
    restores = []
    for change in made:
        current = now_recorded.get(change.user_id)
        restores.append(Restore(
            user=change.user, now_status=current.status if current else "",
            now_minutes=current.minutes if current else None,
            back_status=change.old_status, back_minutes=change.old_minutes,
        ))
    restores.sort(key=lambda restore: (restore.user.full_name, restore.user.id))
    return UndoPlan(batch, restores, list(later))


@dataclass
class UndoResult:
    state: str  # "undone", or "already_undone" (a second click, or an import that was never saved)
    restored: int = 0


def undo_import(batch: AttendanceImport, by: User, now: datetime) -> UndoResult:
    """Put back exactly what the import replaced, all or nothing; refused, naming them, when later changes
    touched the same learners. A second click undoes nothing. Audited. The caller commits."""
    claimed = db.session.execute(
        update(AttendanceImport)
        .where(AttendanceImport.id == batch.id, AttendanceImport.state == "saved")
        .values(state="undone", undone_at=now, undone_by_id=by.id)
    ).rowcount
    if not claimed:
        return UndoResult("already_undone")
    live_session = batch.live_session
    _lock(live_session)
    plan = undo_plan(batch)
    if plan.changed_since:
        names = ", ".join(user.full_name for user in plan.changed_since)
        raise DomainError(
            f"Nothing was undone: the attendance of {names} was changed after this import, by hand or by another "
            "import. Undo that import first, or correct the attendance by hand."
        )
    if not plan.restores:
        raise DomainError("Nothing was undone: this import was saved before imports could be undone.")
    existing = recorded(live_session)
    for change in reversed(_batch_changes(batch)):
        current = existing.get(change.user_id)
        db.session.add(AttendanceChange(
            live_session_id=live_session.id, user_id=change.user_id,
            old_status=current.status if current else "", new_status=change.old_status,
            old_minutes=current.minutes if current else None, new_minutes=change.old_minutes,
            old_source=current.source if current else None,
            old_updated_at=current.updated_at if current else None,
            old_updated_by_id=current.updated_by_id if current else None,
            source="undo", import_id=batch.id, changed_by_id=by.id, changed_at=now,
        ))
        if not change.old_status:
            if current is not None:
                db.session.delete(current)  # nothing was recorded before the import
            continue
        if current is None:
            current = Attendance(live_session_id=live_session.id, user_id=change.user_id)
            db.session.add(current)
        current.status, current.minutes = change.old_status, change.old_minutes
        current.source = change.old_source or "manual"
        current.updated_at, current.updated_by_id = change.old_updated_at or now, change.old_updated_by_id
    audit.record(by, "attendance.import.undo", f"live session {live_session.id}",
                 f"import {batch.id}: {len(plan.restores)} learners restored")
    db.session.flush()
    log.info("import %s for session %s undone by %s: %d restored", batch.id, live_session.id, by.email,
             len(plan.restores))
    return UndoResult("undone", len(plan.restores))


def room_rows(live_session: LiveSession) -> list[PreviewLine]:
    """The rows of the report waiting to be saved for this session that no one matched for sure, such as a
    room where a group watched together, for the grid's "mark a group present" (their minutes)."""
    batch = db.session.scalar(
        select(AttendanceImport)
        .where(AttendanceImport.live_session_id == live_session.id, AttendanceImport.state == "previewed")
        .order_by(AttendanceImport.id.desc())
        .limit(1)
    )
    if batch is None or not batch.file_data:
        return []
    try:
        preview = staged_preview(batch)
    except DomainError:
        return []
    return [line for line in preview.lines if line.kind in ("none", "likely")]

