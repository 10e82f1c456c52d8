"""Who may have a certificate: each learner's checklist against the academy's rule, and exceptions."""
from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.audit import services as audit
from lms.certificates.models import Certificate, EligibilityException
from lms.core.dates import format_local
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection

log = logging.getLogger(__name__)

# Whose rows a query reads: one learner (an id), some (a batch of ids), or everyone (None).
Selection = int | Collection[int] | None

MAX_REASON_CHARACTERS = 2000

# How a live session stands for one learner. Said neutrally: a session still to come, or attendance the
# organisers have not recorded yet, is nobody's failing; only a recorded absence is "missed".
SESSION_STATES = {
    "attended": "Attended",
    "upcoming": "Upcoming",
    "not-recorded": "Not recorded yet",
    "missed": "Missed",
    "excused": "Excused absence",
}
# The attendance record's status -> the checklist's state, once the session has ended.
_RECORDED = {"present": "attended", "absent": "missed", "excused": "excused", None: "not-recorded"}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One line of the checklist: what is asked, where the learner stands, and whether it is met."""

    kind: str  # "sessions", "session", "reading" or "reflection"
    label: str  # the thing asked for: "Session One (17 April 2025)", "Reading “…”"
    met: bool
    state: str = ""  # sessions: a key of SESSION_STATES; readings and reflections: "done", "draft", "to-do"
    status: str = ""  # the state in words: "Attended", "Not recorded yet", "Finished", "Not started"...
    day: str = ""  # sessions: the day it took place in the academy's home zone, as a certificate prints it

    @property
    def summary(self) -> str:
        """'Session Two (2 May 2025): not recorded yet', for a message about what is missing."""
        return f"{self.label}: {self.status[:1].lower()}{self.status[1:]}" if self.status else self.label


@dataclass
class Eligibility:
    """One learner measured against one academy's rule."""

    user_id: int
    name: str
    email: str
    requirements: list[Requirement]
    # Every live session has ended: a certificate of attendance can say only what has happened.
    sessions_over: bool = False
    exception: EligibilityException | None = None
    # Every certificate issued to this learner in this academy, newest first (without the PDF bytes).
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def rules_met(self) -> bool:
        return all(requirement.met for requirement in self.requirements)

    @property
    def eligible(self) -> bool:
        return self.rules_met or self.exception is not None

    @property
    def missing(self) -> list[Requirement]:
        return [requirement for requirement in self.requirements if not requirement.met]

    @property
    def met_count(self) -> int:
        return sum(1 for requirement in self.requirements if requirement.met)

    @property
    def valid_certificate(self) -> Certificate | None:
        return next((c for c in self.certificates if c.status == "valid"), None)

    @property
    def latest_certificate(self) -> Certificate | None:
        return self.certificates[0] if self.certificates else None

    @property
    def was_revoked(self) -> bool:
        """The newest certificate was revoked: issuing to everyone must not quietly undo that."""
        latest = self.latest_certificate
        return latest is not None and latest.status == "revoked"

    @property
    def can_be_issued(self) -> bool:
        """Eligible, and every session the certificate would name has ended."""
        return self.eligible and self.sessions_over

    @property
    def awaits_certificate(self) -> bool:
        """Can be issued, has no valid certificate, and was not deliberately revoked."""
        return self.can_be_issued and self.valid_certificate is None and not self.was_revoked

    @property
    def sessions(self) -> list[Requirement]:
        return [requirement for requirement in self.requirements if requirement.kind == "session"]


def session_date(live_session: LiveSession, home_timezone: str) -> str:
    """'17 April 2025': the day the session took place in the academy's home zone."""
    return format_local(live_session.starts_at, home_timezone, "day")


def session_state(live_session: LiveSession, status: str | None, now: datetime) -> str:
    """A key of SESSION_STATES. A session not yet over is upcoming, whatever has been recorded so far."""
    if now < live_session.ends_at and status != "present":
        return "upcoming"
    return _RECORDED.get(status, "not-recorded")


def _checklist(
    academy: Academy,
    sessions: list[LiveSession],
    readings: list[Reading],
    attendance: dict[tuple[int, int], str],
    finished: set[tuple[int, int]],
    reflections: dict[tuple[int, int], str],
    user_id: int,
    now: datetime,
) -> list[Requirement]:
    requirements = []
    if not sessions:
        requirements.append(Requirement("sessions", "Every live session", False, "to-do",
                                        "The academy has no live sessions yet"))
    for live_session in sessions:
        state = session_state(live_session, attendance.get((live_session.id, user_id)), now)
        day = session_date(live_session, academy.home_timezone)
        requirements.append(Requirement("session", f"{live_session.title} ({day})", state == "attended", state,
                                        SESSION_STATES[state], day))
    if academy.require_readings:
        for reading in readings:
            done = (user_id, reading.id) in finished
            requirements.append(Requirement("reading", f"Reading “{reading.title}”", done,
                                            "done" if done else "to-do", "Finished" if done else "Not finished yet"))
    if academy.require_reflections:
        for reading in readings:
            if not reading.has_reflection:
                continue
            status = reflections.get((user_id, reading.id))
            if status is not None and status != "draft":
                state, words = "done", "Submitted"
            elif status == "draft":
                state, words = "draft", "Draft saved, not submitted yet"
            else:
                state, words = "to-do", "Not started"
            requirements.append(Requirement("reflection", f"Reflection on “{reading.title}”", state == "done",
                                            state, words))
    return requirements


def _learners(academy: Academy, user_id: Selection) -> list[tuple[int, str, str]]:
    query = (
        # "" for a learner on paper, who has no email.
        select(User.id, User.full_name, func.coalesce(User.email, ""))
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy.id, Enrolment.role == "learner")
    )
    return db.session.execute(query.where(*_only(User.id, user_id))).all()


def _only(column, user_id: Selection) -> list:
    """The condition that narrows a query to one learner's (or some learners') rows, or none for everyone's."""
    if user_id is None:
        return []
    return [column == user_id] if isinstance(user_id, int) else [column.in_(list(user_id))]


def _attendance(academy: Academy, user_id: Selection) -> dict[tuple[int, int], str]:
    """(live session id, learner id) -> attendance status."""
    return {
        (session_id, learner_id): status
        for session_id, learner_id, status in db.session.execute(
            select(Attendance.live_session_id, Attendance.user_id, Attendance.status)
            .join(LiveSession, LiveSession.id == Attendance.live_session_id)
            .where(LiveSession.academy_id == academy.id, *_only(Attendance.user_id, user_id))
        )
    }


def _finished(academy: Academy, user_id: Selection) -> set[tuple[int, int]]:
    """(learner id, reading id) of every reading finished."""
    return {
        (learner_id, reading_id)
        for learner_id, reading_id in db.session.execute(
            select(ReadingProgress.user_id, ReadingProgress.reading_id)
            .join(Reading, Reading.id == ReadingProgress.reading_id)
            .where(
                Reading.academy_id == academy.id,
                ReadingProgress.finished_at.is_not(None),
                *_only(ReadingProgress.user_id, user_id),
            )
        )
    }


def _reflections(academy: Academy, user_id: Selection) -> dict[tuple[int, int], str]:
    """(learner id, reading id) -> reflection status."""
    return {
        (learner_id, reading_id): status
        for learner_id, reading_id, status in db.session.execute(
            select(Reflection.user_id, Reflection.reading_id, Reflection.status)
            .join(Reading, Reading.id == Reflection.reading_id)
            .where(Reading.academy_id == academy.id, *_only(Reflection.user_id, user_id))
        )
    }


def _exceptions(academy: Academy, user_id: Selection) -> dict[int, EligibilityException]:
    return {
        exception.user_id: exception
        for exception in db.session.scalars(
            select(EligibilityException)
            .where(EligibilityException.academy_id == academy.id, *_only(EligibilityException.user_id, user_id))
            .options(joinedload(EligibilityException.granted_by))
        )
    }


def _certificates(academy: Academy, user_id: Selection) -> dict[int, list[Certificate]]:
    """Learner id -> their certificates in this academy, newest first."""
    certificates: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(
        select(Certificate)
        .where(Certificate.academy_id == academy.id, *_only(Certificate.user_id, user_id))
        # The PDF bytes stay in the database: a table of hundreds of learners needs none of them.
        .options(defer(Certificate.pdf))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ):
        certificates.setdefault(certificate.user_id, []).append(certificate)
    return certificates


def _load(academy: Academy, user_id: Selection) -> list[Eligibility]:
    """Everyone's (or one learner's) checklist, in the same eight queries whatever the numbers."""
    learners = _learners(academy, user_id)
    sessions = list(
        db.session.scalars(
            select(LiveSession).where(LiveSession.academy_id == academy.id).order_by(LiveSession.starts_at)
        )
    )
    readings = list(
        db.session.scalars(
            select(Reading).where(Reading.academy_id == academy.id).order_by(Reading.position, Reading.id)
        )
    )
    attendance = _attendance(academy, user_id)
    finished = _finished(academy, user_id)
    reflections = _reflections(academy, user_id)
    exceptions = _exceptions(academy, user_id)
    certificates = _certificates(academy, user_id)
    now = utcnow()
    sessions_over = bool(sessions) and all(live_session.ends_at <= now for live_session in sessions)
    found = [
        Eligibility(
            user_id=learner_id,
            name=name,
            email=email,
            requirements=_checklist(academy, sessions, readings, attendance, finished, reflections, learner_id, now),
            sessions_over=sessions_over,
            exception=exceptions.get(learner_id),
            certificates=certificates.get(learner_id, []),
        )
        for learner_id, name, email in learners
    ]
    # Names compared in Python, so the order is the same on every database.
    found.sort(key=lambda item: (item.name.casefold(), item.email))
    return found


def academy_eligibility(academy: Academy) -> list[Eligibility]:
    """Every learner of the academy with their checklist, exception and certificates, by name."""
    return _load(academy, None)


def learners_eligibility(academy: Academy, user_ids: Collection[int]) -> dict[int, Eligibility]:
    """Some learners' checklists by user id (a batch of a certificate job), in the same eight queries."""
    return {item.user_id: item for item in _load(academy, user_ids)}


def learner_eligibility(academy: Academy, user_id: int) -> Eligibility | None:
    """One learner's checklist; None if they are not a learner in this academy."""
    found = _load(academy, user_id)
    return found[0] if found else None


def learner_overview(user: User) -> list[tuple[Academy, Eligibility]]:
    """The academies `user` is a learner in, each with their checklist and certificates."""
    academies = db.session.scalars(
        select(Academy)
        .join(Enrolment, Enrolment.academy_id == Academy.id)
        .where(Enrolment.user_id == user.id, Enrolment.role == "learner")
        .order_by(Enrolment.created_at)
    ).all()
    overview = []
    for academy in academies:
        eligibility = learner_eligibility(academy, user.id)
        if eligibility is not None:
            overview.append((academy, eligibility))
    return overview


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Write the reason for the exception; it is kept with the decision.", field="reason")
    if len(reason) > MAX_REASON_CHARACTERS:
        raise DomainError(f"A reason can be at most {MAX_REASON_CHARACTERS:,} characters.", field="reason")
    return reason


def grant_exception(academy: Academy, user: User, reason: str, by: User) -> EligibilityException:
    """Let a learner have a certificate although a rule is not met. Granting again replaces the reason."""
    reason = _check_reason(reason)
    if not user.is_learner_in(academy.id):
        raise DomainError(f"{user.full_name} is not a learner in {academy.title}.")
    exception = db.session.scalar(
        select(EligibilityException).where(
            EligibilityException.academy_id == academy.id, EligibilityException.user_id == user.id
        )
    )
    if exception is None:
        exception = EligibilityException(academy_id=academy.id, user_id=user.id)
        db.session.add(exception)
    exception.reason = reason
    exception.granted_by_id = by.id
    exception.granted_at = utcnow()
    audit.record(by, "certificate.exception_grant", f"user {user.id}", f"academy {academy.id}")
    db.session.flush()
    log.info("eligibility exception for user %s in academy %s granted by %s", user.id, academy.id, by.email)
    return exception


def withdraw_exception(academy: Academy, user: User, by: User) -> bool:
    """Take an exception back (a certificate already issued stays valid). False if there was none."""
    exception = db.session.scalar(
        select(EligibilityException).where(
            EligibilityException.academy_id == academy.id, EligibilityException.user_id == user.id
        )
    )
    if exception is None:
        return False
    db.session.delete(exception)
    audit.record(by, "certificate.exception_withdraw", f"user {user.id}", f"academy {academy.id}")
    db.session.flush()
    log.info("eligibility exception for user %s in academy %s withdrawn by %s", user.id, academy.id, by.email)
    return True
