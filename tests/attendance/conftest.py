"""The Peer Support Circle: an academy unlike the samples' (another home zone, names in several scripts),
for the report files in tests/attendance/reports/."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.academies.models import LiveSession
from lms.accounts.models import User
from lms.core.extensions import db
from tests.factories import aware, enrol, make_academy, make_user

OSLO = "Europe/Oslo"
SOREN = "Søren Ødegård"
ZOE = "Zoë Ní Bhriain"
JOSE = "José Núñez"
SIOBHAN = "Siobhán O'Neill"
AN = "Nguyễn Văn An"
KARI = "Kari Nordmann"  # in no report under her own name
LIV = "Liv Berg"  # the facilitator
CIRCLE_LEARNERS = {
    SOREN: ("soren.odegard@example.net", OSLO),
    ZOE: ("zoe.nibhriain@example.net", "Europe/Dublin"),
    JOSE: ("jose.nunez@example.net", "America/Mexico_City"),
    SIOBHAN: ("siobhan.oneill@example.net", "Europe/London"),
    AN: ("an.nguyen@example.net", "Asia/Ho_Chi_Minh"),
    KARI: ("kari.nordmann@example.net", OSLO),
}


@dataclass
class Circle:
    admin: User
    one: LiveSession
    two: LiveSession
    people: dict[str, User]

    def id(self, name: str) -> int:
        return self.people[name].id


@pytest.fixture
def circle() -> Circle:
    """Circle One on Tuesday 17 June 2025 and Circle Two on Tuesday 1 July 2025, both 18:00-19:30 in Oslo
    (16:00 UTC); six learners, the facilitator Liv Berg, and the admin Oda."""
    admin = make_user("Oda Admin", email="oda.admin@example.net", is_admin=True, timezone=OSLO)
    academy = make_academy("Peer Support Circle", first_start=aware(2025, 6, 17, 16), gap_days=14,
                           home_timezone=OSLO, reference_timezones="Europe/Oslo Europe/London America/New_York")
    one, two = sorted(academy.live_sessions, key=lambda s: s.starts_at)
    one.title, two.title = "Circle One", "Circle Two"
    db.session.commit()
    people = {}
    for name, (email, timezone) in CIRCLE_LEARNERS.items():
        people[name] = make_user(name, email=email, timezone=timezone)
        enrol(people[name], academy, group="Oslo" if timezone == OSLO else "Elsewhere")
    people[LIV] = make_user(LIV, email="liv.berg@example.net", timezone=OSLO)
    enrol(people[LIV], academy, role="facilitator")
    return Circle(admin=admin, one=one, two=two, people=people)


@pytest.fixture
def oda(browser, circle) -> User:
    """Oda Admin, signed in in `browser`."""
    assert browser.login(circle.admin).status_code == 302
    return circle.admin
