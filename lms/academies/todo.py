"""What an academy's organiser still has to do, for the top of its admin page: setting it up, attendance not
recorded after a session, reflections waiting for review, certificates to issue, people who have not signed
in yet, mail that failed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.certificates.issuing import to_issue
from lms.core import mail
from lms.core.extensions import db
from lms.notifications.models import OutgoingMail
from lms.readings.models import Reading
from lms.reflections.models import Reflection


@dataclass(frozen=True)
class ToDo:
    # "sessions", "readings", "people": still to set up; "attendance": a session that took place with
    # learners not recorded; "reviews": reflections waiting; "certificates": ready to issue; "not-signed-in":
    # people who have not set a password; "mail-failed": messages that could not be sent; "no-mail": email
    # is not set up on this server.
    kind: str
    count: int = 0
    of: int = 0  # "attendance": out of how many learners
    session: LiveSession | None = None


def _learner_count(academy: Academy) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Enrolment)
        .where(Enrolment.academy_id == academy.id, Enrolment.role == "learner")
    )


def _recorded(academy: Academy) -> dict[int, int]:
    """Live session id -> how many of the academy's learners have an attendance record there."""
    return dict(
        db.session.execute(
            select(Attendance.live_session_id, func.count())
            .join(LiveSession, LiveSession.id == Attendance.live_session_id)
            .join(Enrolment, (Enrolment.user_id == Attendance.user_id) & (Enrolment.academy_id == academy.id))
            .where(LiveSession.academy_id == academy.id, Enrolment.role == "learner")
            .group_by(Attendance.live_session_id)
        ).all()
    )


def _awaiting_review(academy: Academy) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Reflection).join(Reading, Reading.id == Reflection.reading_id)
        .where(Reading.academy_id == academy.id, Reflection.status == "submitted")
    )


def _not_signed_in(academy: Academy) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Enrolment).join(User, User.id == Enrolment.user_id)
        # A learner on paper (no email) never signs in: nothing to chase.
        .where(Enrolment.academy_id == academy.id, User.password_hash.is_(None), User.host_id.is_(None),
               User.email.is_not(None))
    )


def _failed_mail() -> int:
    return db.session.scalar(select(func.count()).select_from(OutgoingMail).where(OutgoingMail.status == "failed"))


def to_do(academy: Academy, now: datetime, *, own_sign_in: bool = True) -> list[ToDo]:
    """What needs doing in `academy` now, the most pressing first."""
    found: list[ToDo] = []
    if not academy.live_sessions:
        found.append(ToDo("sessions"))
    if not academy.readings:
        found.append(ToDo("readings"))
    learners = _learner_count(academy)
    if not academy.enrolments:
        found.append(ToDo("people"))
    recorded = _recorded(academy)
    for live_session in academy.live_sessions:
        missing = learners - recorded.get(live_session.id, 0)
        if live_session.ends_at <= now and missing > 0:
            found.append(ToDo("attendance", missing, learners, live_session))
    waiting = _awaiting_review(academy)
    if waiting:
        found.append(ToDo("reviews", waiting))
    if academy.live_sessions and all(s.ends_at <= now for s in academy.live_sessions):
        ready = len(to_issue(academy))
        if ready:
            found.append(ToDo("certificates", ready))
    if own_sign_in:
        strangers = _not_signed_in(academy)
        if strangers:
            found.append(ToDo("not-signed-in", strangers))
    failed = _failed_mail()
    if failed:
        found.append(ToDo("mail-failed", failed))
    if not mail.mail_is_configured():
        found.append(ToDo("no-mail"))
    return found
