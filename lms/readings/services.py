"""A learner's path through an academy: the dashboard, opening and finishing readings, reflections."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db
from lms.readings import outline
from lms.readings.models import Reading, ReadingProgress
from lms.readings.next_steps import Step, next_steps
from lms.reflections.models import Feedback, Reflection, ReflectionVersion, count_words

log = logging.getLogger(__name__)

# Far more than any reflection needs; stops a pasted book from filling the database.
MAX_REFLECTION_CHARACTERS = 50_000


@dataclass
class ReadingState:
    """One reading as one learner sees it."""

    reading: Reading
    progress: ReadingProgress | None
    reflection: Reflection | None
    now: datetime
    feedback: list[Feedback] = field(default_factory=list)  # released feedback (loaded for the reading page only)
    released_feedback_count: int = 0

    # Asked several times per reading on a page, and each answer walks the academy's sessions: answered once.
    @cached_property
    def is_open(self) -> bool:
        return self.reading.is_open(self.now)

    @cached_property
    def is_closed(self) -> bool:
        return self.reading.is_closed(self.now)

    @property
    def is_opened(self) -> bool:
        return self.progress is not None

    @property
    def is_finished(self) -> bool:
        return self.progress is not None and self.progress.finished_at is not None

    @property
    def status(self) -> str:
        """'not-open', 'finished', 'in-progress' or 'open'."""
        if not self.is_open:
            return "not-open"
        if self.is_finished:
            return "finished"
        if self.is_opened:
            return "in-progress"
        return "open"

    @property
    def reflection_status(self) -> str:
        """'none', 'not-started', or the reflection's own status (draft, submitted, ...)."""
        if not self.reading.has_reflection:
            return "none"
        if self.reflection is None or (not self.reflection.body and not self.reflection.is_submitted):
            return "not-started"
        return self.reflection.status

    @property
    def reflection_editable(self) -> bool:
        if self.reflection is not None:
            return self.reflection.can_edit(self.is_open, self.is_closed)
        return self.is_open and not self.is_closed


@dataclass
class AcademyPlan:
    """Everything a learner's dashboard shows for one academy."""

    academy: Academy
    enrolment: Enrolment
    next_session: LiveSession | None
    now: datetime
    readings: list[ReadingState] = field(default_factory=list)
    has_certificate: bool = False  # a valid certificate of attendance is waiting for the learner
    zone_confirmed: bool = True  # the learner said the zone their times are shown in is theirs

    @property
    def finished_count(self) -> int:
        return sum(1 for state in self.readings if state.is_finished)

    @property
    def is_learner(self) -> bool:
        return self.enrolment.role == "learner"

    @property
    def has_started(self) -> bool:
        """The learner has opened a reading or written something: the dashboard's "how it works" can fold away."""
        return any(state.is_opened or state.reflection is not None for state in self.readings)

    @cached_property
    def steps(self) -> list[Step]:
        """What to do next (learners only)."""
        if not self.is_learner:
            return []
        return next_steps(self, has_certificate=self.has_certificate, zone_confirmed=self.zone_confirmed)


# The statements below run on every learner page. Each is built once and reused with its parameters,
# which spares SQLAlchemy re-deriving its cache key on every request (measured: about half the cost of
# a short query here).


def _released_feedback_count():
    return (
        select(func.count(Feedback.id))
        .where(Feedback.reflection_id == Reflection.id, Feedback.released_at.is_not(None))
        .scalar_subquery()
    )


def _with_mine(statement):
    """The statement with the user's progress and reflection beside each reading (None where there are none)."""
    return statement.outerjoin(
        ReadingProgress,
        and_(ReadingProgress.reading_id == Reading.id, ReadingProgress.user_id == bindparam("user_id")),
    ).outerjoin(
        Reflection,
        and_(Reflection.reading_id == Reading.id, Reflection.user_id == bindparam("user_id")),
    )


@cache
def _dashboard_statement():
    statement = (
        select(Academy.id, Academy.content_version, Academy.created_at, Reading.id, ReadingProgress, Reflection,
               _released_feedback_count())
        .select_from(Academy)
        .outerjoin(Reading, Reading.academy_id == Academy.id)
    )
    return _with_mine(statement).where(Academy.id.in_(bindparam("academy_ids", expanding=True)))


@cache
def _certificates_statement():
    return select(Certificate.academy_id).where(
        Certificate.user_id == bindparam("user_id"), Certificate.status == "valid"
    )


@cache
def _reading_stamp_statement():
    return (
        select(Reading.academy_id, Academy.content_version, Academy.created_at)
        .join(Academy, Academy.id == Reading.academy_id)
        .where(Reading.id == bindparam("reading_id"))
    )


@cache
def _reading_state_statement():
    statement = select(ReadingProgress, Reflection, _released_feedback_count()).select_from(Reading)
    return _with_mine(statement).where(Reading.id == bindparam("reading_id"))


@cache
def _reflection_statement():
    return select(Reflection).where(
        Reflection.user_id == bindparam("user_id"), Reflection.reading_id == bindparam("reading_id")
    )


def dashboard(user: User, now: datetime) -> list[AcademyPlan]:
    """The user's academies with their sessions and readings: one query, plus the academy's content
    when this process has not read its latest version yet (see services/outline.py)."""
    enrolments = sorted(user.enrolments, key=lambda enrolment: (enrolment.created_at, enrolment.id))
    if not enrolments:
        return []
    rows = db.session.execute(
        _dashboard_statement(),
        {"user_id": user.id, "academy_ids": [enrolment.academy_id for enrolment in enrolments]},
    ).all()
    stamps = {row[0]: (row[1], row[2]) for row in rows}
    certified = set(db.session.scalars(_certificates_statement(), {"user_id": user.id}))
    mine = {row[3]: (row[4], row[5], row[6]) for row in rows if row[3] is not None}
    plans = []
    for enrolment in enrolments:
        if enrolment.academy_id not in stamps:
            continue
        academy = outline.academy_outline(enrolment.academy_id, *stamps[enrolment.academy_id])
        if academy is None:
            continue
        plan = AcademyPlan(academy, enrolment, academy.next_session(now), now,
                           has_certificate=enrolment.academy_id in certified,
                           zone_confirmed=user.timezone_confirmed)
        for reading in academy.readings:
            progress, reflection, feedback_count = mine.get(reading.id, (None, None, 0))
            plan.readings.append(
                ReadingState(reading, progress, reflection, now, released_feedback_count=feedback_count)
            )
        plans.append(plan)
    return plans


def _released_feedback(user: User, reading_id: int) -> list[Feedback]:
    """Released feedback on the user's reflection on one reading, oldest first."""
    return list(
        db.session.scalars(
            select(Feedback)
            .join(Reflection, Reflection.id == Feedback.reflection_id)
            .where(
                Reflection.user_id == user.id,
                Reflection.reading_id == reading_id,
                Feedback.released_at.is_not(None),
            )
            .options(selectinload(Feedback.author))
            .order_by(Feedback.reflection_version)
        )
    )


def load_reading(user: User, reading_id: int) -> Reading:
    """The reading if `user` may see it; otherwise NotAllowed (the page answers 404 either way).

    The reading comes from the academy's shared copy (services/outline.py): read it, do not change it.
    """
    row = db.session.execute(_reading_stamp_statement(), {"reading_id": reading_id}).first()
    if row is None or not user.can_view_academy(row.academy_id):
        raise NotAllowed("No such reading.")
    academy = outline.academy_outline(*row)
    reading = next((item for item in academy.readings if item.id == reading_id), None) if academy else None
    if reading is None:  # deleted a moment ago
        raise NotAllowed("No such reading.")
    return reading


def reading_state(user: User, reading: Reading, now: datetime) -> ReadingState:
    row = db.session.execute(_reading_state_statement(), {"user_id": user.id, "reading_id": reading.id}).first()
    # No row: the reading was deleted since load_reading; the page shows it as it was, its forms then find nothing.
    progress, reflection, feedback_count = row if row is not None else (None, None, 0)
    feedback = _released_feedback(user, reading.id) if feedback_count else []
    return ReadingState(reading, progress, reflection, now, feedback, released_feedback_count=feedback_count)


def _insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING, so two requests at once cannot both create the row."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def record_opened(user: User, state: ReadingState) -> bool:
    """Remember the first time a learner opened an open reading (like a read receipt).

    True when there was something to record (the caller commits it).
    """
    if state.progress is not None or not state.is_open or not user.is_learner_in(state.reading.academy_id):
        return False
    _insert_ignoring_duplicates(
        ReadingProgress, user_id=user.id, reading_id=state.reading.id, opened_at=state.now
    )
    return True


def _require_learner(user: User, reading: Reading) -> None:
    if not user.is_learner_in(reading.academy_id):
        raise NotAllowed("Only learners enrolled in this academy can do that.")


def set_finished(user: User, reading: Reading, finished: bool, now: datetime) -> None:
    """Mark a reading finished, or take that back. Doing it twice is the same as once."""
    _require_learner(user, reading)
    if not reading.is_open(now):
        raise DomainError("This reading is not open yet.")
    _insert_ignoring_duplicates(ReadingProgress, user_id=user.id, reading_id=reading.id, opened_at=now)
    progress = db.session.scalar(
        select(ReadingProgress).where(
            ReadingProgress.user_id == user.id, ReadingProgress.reading_id == reading.id
        )
    )
    if finished and progress.finished_at is None:
        progress.finished_at = now
    elif not finished:
        progress.finished_at = None
    # Logged here, before the caller's commit expires these objects (reading them after costs queries).
    log.info("reading %s marked %s by %s", reading.id, "finished" if finished else "unfinished", user.email)


def _require_changeable(existing: Reflection | None, reading: Reading, now: datetime) -> None:
    if existing is not None and existing.status == "reviewed":
        raise DomainError("Your reflection has been reviewed, so it can no longer be changed.")
    if existing is None or existing.status != "revision_requested":
        if not reading.is_open(now):
            raise DomainError("This reading is not open yet.")
        if reading.is_closed(now):
            raise DomainError("This reading has closed, so its reflection can no longer be changed.")


def _checked_body(reading: Reading, body: str, submit: bool) -> str:
    """The text to save, tidied; refused when too long, or too short (or empty) to submit."""
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_REFLECTION_CHARACTERS:
        raise DomainError(f"A reflection can be at most {MAX_REFLECTION_CHARACTERS:,} characters.", "body")
    words = count_words(body)
    if submit:
        if not body:
            raise DomainError("Write your reflection before submitting it.", field="body")
        if reading.min_words and words < reading.min_words:
            raise DomainError(
                f"Your reflection has {words} words; write at least {reading.min_words} to submit it "
                "(you can save it as a draft meanwhile).",
                field="body",
            )
    if reading.max_words and words > reading.max_words:
        raise DomainError(
            f"Your reflection has {words} words; the most is {reading.max_words}.", field="body"
        )
    return body


def save_reflection(user: User, reading: Reading, body: str, submit: bool, now: datetime,
                    from_paper: bool = False) -> Reflection:
    """Save a draft or submit. A refused save raises DomainError and changes nothing.

    Each submission after a request for revision is kept as a new version; edits made to a
    submitted reflection before anyone reviewed it update that same version. `from_paper`: a facilitator
    submits what the learner wrote on paper (paper/transcribing.py), often after the reading has closed,
    since the pages come back at the second session; a reviewed reflection stays as it is all the same.
    """
    _require_learner(user, reading)
    if not reading.has_reflection:
        raise DomainError("This reading does not ask for a reflection.")
    existing = db.session.scalar(_reflection_statement(), {"user_id": user.id, "reading_id": reading.id})
    if from_paper:
        if existing is not None and existing.status == "reviewed":
            raise DomainError("This reflection has been reviewed, so it can no longer be changed.")
    else:
        _require_changeable(existing, reading, now)
    # A submitted reflection stays submitted: later edits update it rather than withdraw it.
    submit = submit or (existing is not None and existing.status == "submitted")
    body = _checked_body(reading, body, submit)
    if existing is None:
        _insert_ignoring_duplicates(
            Reflection, user_id=user.id, reading_id=reading.id, body="", status="draft",
            version_count=0, created_at=now, updated_at=now,
        )
    reflection = existing or db.session.scalar(
        select(Reflection).where(Reflection.user_id == user.id, Reflection.reading_id == reading.id)
    )
    reflection.body = body
    reflection.updated_at = now
    if submit:
        _record_version(reflection, now)
        reflection.status = "submitted"
        reflection.submitted_at = reflection.submitted_at or now
    log.info("reflection on reading %s %s by %s", reading.id, "submitted" if submit else "saved", user.email)
    return reflection


def _record_version(reflection: Reflection, now: datetime) -> None:
    if reflection.status == "submitted" and reflection.version_count:
        latest = db.session.scalar(
            select(ReflectionVersion).where(
                ReflectionVersion.reflection_id == reflection.id,
                ReflectionVersion.number == reflection.version_count,
            )
        )
        latest.body = reflection.body
        latest.submitted_at = now
        return
    reflection.version_count += 1
    db.session.add(
        ReflectionVersion(
            reflection_id=reflection.id, number=reflection.version_count, body=reflection.body, submitted_at=now
        )
    )
