"""Builders of what tests start from: people, academies, readings, enrolments, attendance, and times in UTC.

make_user, make_academy, make_reading and enrol are still defined in tests/conftest.py, because
tests/test_mount.py, test_config.py and test_smoke.py import them from there; the tests in the domain
folders import them from here, so that moving their definitions here later changes no other file."""
from __future__ import annotations

from datetime import UTC, datetime

from lms.attendance.models import Attendance
from lms.core.extensions import db
from tests.conftest import enrol, make_academy, make_reading, make_user

__all__ = ["attend", "aware", "eligible_learner", "enrol", "learners_of", "make_academy", "make_reading", "make_user",
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
