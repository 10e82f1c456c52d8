"""The demo: the real Peer Mentoring programme with people at every stage of it."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from lms.academies import services as academies
from lms.academies.models import Academy, Enrolment
from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.timezones import wall_clock_to_utc
from lms.readings import setup as reading_setup
from lms.readings.models import ReadingProgress
from lms.reflections.models import Feedback, Reflection, ReflectionVersion

log = logging.getLogger(__name__)

TITLE = "Learning Academy: Peer Mentoring and Peer Support"
HOME_ZONE = "America/New_York"
REFERENCE_ZONES = "America/New_York Europe/London Europe/Paris Asia/Singapore Europe/Oslo"
DEMO_PASSWORD = "peer-support-demo"
PUBLISHED_DATES = (date(2025, 4, 17), date(2025, 5, 2))
SESSION_START = time(10, 0)

ADMIN = ("Academy Admin", "admin@example.org", "America/New_York")
FACILITATORS = [
    ("Dana Whitfield", "dana.whitfield@example.org", "America/New_York", ""),
    ("Are Nilsen", "are.nilsen@example.org", "Europe/Oslo", ""),
]
# name, email, zone, group, readings finished, reflections submitted, drafts
LEARNERS = [
    ("Ingrid Solberg", "ingrid.solberg@example.org", "Europe/Oslo", "Oslo", 4, 4, 0),
    ("Marcus Boudreaux", "marcus.b@example.org", "America/Chicago", "Louisiana", 3, 2, 1),
    ("Aisha Rahman", "aisha.rahman@example.org", "Europe/London", "London", 2, 1, 0),
    ("Jean-François Côté", "jf.cote@example.org", "America/Toronto", "Montréal", 0, 0, 0),
    ("Wei Ling Tan", "weiling.tan@example.org", "Asia/Singapore", "Singapore", 1, 0, 1),
    ("Sophie Martin", "sophie.martin@example.org", "Europe/Paris", "Paris", 2, 0, 0),
    ("Darnell Jackson", "darnell.jackson@example.org", "America/New_York", "New York", 0, 0, 0),
    ("Siobhán O'Neill", "siobhan.oneill@example.org", "Europe/London", "London", 1, 0, 0),
]

REFLECTION_TEXT = (
    "What stayed with me is how much trust depends on someone having walked the same road. "
    "When I came home, the person who helped most was not the one with the most training but the one "
    "who had been where I was and still believed I could do it. In my own work I want to listen first, "
    "share my story only when it helps, and make room for the people I support to find their own way."
)


@dataclass
class DemoLogin:
    role: str
    name: str
    email: str


def _session_dates(as_published: bool, today: date) -> tuple[date, date]:
    if as_published:
        return PUBLISHED_DATES
    # Session One last week and Session Two next week, so every state is visible today.
    first = today - timedelta(days=7)
    return first, first + timedelta(days=14)


def _user(name: str, email: str, zone: str, is_admin: bool = False) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(full_name=name, email=email, timezone=zone, is_admin=is_admin)
        accounts.set_password(user, DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
    return user


def demo_logins() -> list[DemoLogin]:
    logins = [DemoLogin("admin", ADMIN[0], ADMIN[1])]
    logins += [DemoLogin("facilitator", name, email) for name, email, *_ in FACILITATORS]
    logins += [DemoLogin("learner", name, email) for name, email, *_ in LEARNERS]
    return logins


def load_demo(as_published: bool = False, today: date | None = None) -> bool:
    """Load the demo programme in one transaction. Returns False (and changes nothing) when it is already there.

    This is the demo's top-level function, so it commits; a failure part-way rolls everything back.
    """
    if db.session.scalar(select(Academy.id).where(Academy.title == TITLE)) is not None:
        return False
    try:
        admin = _user(*ADMIN, is_admin=True)
        _load_programme(admin, as_published, today or date.today())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def _load_programme(admin: User, as_published: bool, today: date) -> None:
    from lms.demo import content as demo_content

    academy = academies.create_academy(
        academies.AcademyDetails(
            title=TITLE,
            description=demo_content.DESCRIPTION,
            organiser=demo_content.ORGANISER,
            home_timezone=HOME_ZONE,
            reference_timezones=REFERENCE_ZONES,
            signatories="Academy Director, ICPA\nChair, Practice Transfer Advisory Committee",
        ),
        by=admin,
    )
    first_day, second_day = _session_dates(as_published, today)
    for title, day in (
        ("Session One: Speaker Presentations", first_day),
        ("Session Two: Question and Answer / Discussion", second_day),
    ):
        academies.add_live_session(
            academy,
            academies.SessionDetails(
                title=title,
                starts_local=datetime.combine(day, SESSION_START),
                duration_minutes=90,
                join_url="https://meet.example.org/learning-academy",
            ),
            by=admin,
        )
    readings = [
        reading_setup.create_reading(academy, reading_setup.ReadingDetails(**reading), by=admin)
        for reading in demo_content.READINGS
    ]
    facilitators = []
    for name, email, zone, group in FACILITATORS:
        facilitators.append(_user(name, email, zone))
        db.session.add(Enrolment(user=facilitators[-1], academy=academy, role="facilitator", group_name=group))
    reflections: dict[tuple[str, int], Reflection] = {}
    opened = wall_clock_to_utc(datetime.combine(first_day, time(12, 0)), HOME_ZONE)
    for name, email, zone, group, finished, submitted, drafts in LEARNERS:
        learner = _user(name, email, zone)
        db.session.add(Enrolment(user=learner, academy=academy, role="learner", group_name=group))
        touched = max(finished, submitted + drafts, 1 if name.startswith("Jean") else 0)
        for index, reading in enumerate(readings[:touched]):
            moment = opened + timedelta(days=index + 1, hours=len(name) % 5)
            db.session.add(
                ReadingProgress(
                    user_id=learner.id,
                    reading_id=reading.id,
                    opened_at=moment,
                    finished_at=moment + timedelta(minutes=20) if index < finished else None,
                )
            )
            if index < submitted + drafts:
                is_submitted = index < submitted
                submitted_at = moment + timedelta(minutes=40)
                reflection = Reflection(
                    user=learner,
                    reading_id=reading.id,
                    body=REFLECTION_TEXT,
                    status="submitted" if is_submitted else "draft",
                    version_count=1 if is_submitted else 0,
                    created_at=moment,
                    updated_at=submitted_at,
                    submitted_at=submitted_at if is_submitted else None,
                )
                if is_submitted:
                    reflection.versions = [ReflectionVersion(number=1, body=REFLECTION_TEXT, submitted_at=submitted_at)]
                db.session.add(reflection)
                reflections[(email, index)] = reflection
    _add_feedback(reflections, facilitators, opened)
    log.info("demo academy %s loaded", academy.id)


# (learner email, reading index, facilitator index, decision or None for a draft, text)
FEEDBACK = [
    ("ingrid.solberg@example.org", 0, 0, "reviewed",
     "Thank you, Ingrid. Listening first and sharing your story only when it helps is exactly the balance "
     "the research describes. Bring this to Session Two: it is a good question for the whole group."),
    ("marcus.b@example.org", 0, 1, "revision_requested",
     "You write about trust in general. Could you add one moment from your own work or life where trust "
     "made the difference? A few sentences are enough."),
    ("ingrid.solberg@example.org", 1, 1, None,
     "Lovely connection to the WayBack sponsors. (Draft: finish before releasing.)"),
]


def _add_feedback(reflections: dict, facilitators: list[User], base: datetime) -> None:
    """A reviewed reflection, a revision asked for, and a draft answer, so every review state shows."""
    db.session.flush()
    for email, index, facilitator, decision, text in FEEDBACK:
        reflection = reflections.get((email, index))
        if reflection is None or reflection.status != "submitted":
            continue
        moment = base + timedelta(days=3, hours=index)
        db.session.add(
            Feedback(
                reflection_id=reflection.id, reflection_version=1, author_id=facilitators[facilitator].id,
                body=text, decision=decision, released_at=moment if decision else None,
                created_at=moment, updated_at=moment, edit_count=1,
            )
        )
        if decision:
            reflection.status = decision
