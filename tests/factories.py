"""Builders of what tests start from: people, academies, readings, enrolments, attendance, and times in UTC."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from werkzeug.security import generate_password_hash

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.config import TestingConfig
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import Reading

# Every test person's password.
PASSWORD = "correct horse battery"

_HASH = None


def _password_hash():
    global _HASH
    if _HASH is None:
        _HASH = generate_password_hash(PASSWORD, method=TestingConfig.LMS_PASSWORD_HASH_METHOD)
    return _HASH


def make_user(name="Test Person", email=None, timezone="Europe/London", is_admin=False, password=True):
    email = email or f"{name.lower().replace(' ', '.')}@example.org"
    user = User(
        full_name=name,
        email=email,
        timezone=timezone,
        is_admin=is_admin,
        password_hash=_password_hash() if password else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_paper_learner(name="Paper Learner", through="Oslo prison — unit B", timezone="Europe/Oslo"):
    """A person without email who takes part on paper, through an organisation or unit."""
    user = User(full_name=name, email=None, takes_part_through=through, timezone=timezone)
    db.session.add(user)
    db.session.commit()
    return user


def make_academy(title="Peer Mentoring", first_start=None, gap_days=14, home_timezone="America/New_York",
                 reference_timezones="America/New_York Europe/London Asia/Singapore"):
    """An academy with two 90-minute sessions; by default the first ended yesterday."""
    first_start = first_start or (utcnow() - timedelta(days=1, hours=2))
    academy = Academy(title=title, home_timezone=home_timezone, reference_timezones=reference_timezones,
                      organiser="ICPA", description="About peer support.")
    academy.live_sessions = [
        LiveSession(title="Session One", starts_at=first_start, duration_minutes=90,
                    join_url="https://meet.example.org/one"),
        LiveSession(title="Session Two", starts_at=first_start + timedelta(days=gap_days),
                    duration_minutes=90, join_url="https://meet.example.org/two"),
    ]
    db.session.add(academy)
    db.session.commit()
    return academy


def make_reading(academy, title="On lived experience", prompt="What did this make you think of?",
                 min_words=None, max_words=None, opens_at=None, closes_at=None, position=None):
    reading = Reading(
        academy=academy, title=title, body_markdown="Some *text* about peer support.",
        reflection_prompt=prompt, min_words=min_words, max_words=max_words,
        opens_at=opens_at, closes_at=closes_at, position=position or len(academy.readings) + 1,
        estimated_minutes=10,
    )
    db.session.add(reading)
    db.session.commit()
    return reading


def enrol(user, academy, role="learner", group=""):
    db.session.add(Enrolment(user=user, academy=academy, role=role, group_name=group))
    db.session.commit()



__all__ = ["attend", "aware", "eligible_learner", "enrol", "learners_of", "make_academy", "make_paper_learner", "make_reading",
           "make_user",
           "published_academy"]


def aware(year, month, day, hour=0, minute=0):
    """A time in UTC (timezone-aware)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def published_academy(title="Peer Mentoring in Corrections", **values):
    """The programme as published: 17 April and 2 May 2025, 10:00 in New York."""
    academy = make_academy(title, first_start=aware(2025, 4, 17, 14, 0), gap_days=15, **values)
    academy.organiser = "International Corrections and Prisons Association"
    academy.signatories = "Jane Doe, Executive Director\nKari Nordmann, Programme Lead"
    db.session.commit()
    return academy


def attend(user, academy, *statuses):
    """Record attendance at the academy's sessions in order; by default present at every one."""
    statuses = statuses or ("present",) * len(academy.live_sessions)
    for live_session, status in zip(academy.live_sessions, statuses, strict=False):
        db.session.add(Attendance(live_session_id=live_session.id, user_id=user.id, status=status,
                                  minutes=90 if status == "present" else 0))
    db.session.commit()


def eligible_learner(academy, name, **values):
    """A learner of the academy who was present at every session."""
    user = make_user(name, **values)
    enrol(user, academy)
    attend(user, academy)
    return user


def learners_of(academy, *names):
    """A learner of the academy for each name, in order."""
    people = []
    for name in names:
        people.append(make_user(name))
        enrol(people[-1], academy)
    return people
