"""A large report against a large academy: the preview page stays small (matched learners paged, short choices,
long lists collapsed) and can still be saved. How fast it is, is measured in bench/bench_attendance.py."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from lms.accounts.models import User
from lms.core.extensions import db
from tests.attendance.pages import confirm, decision_keys, flashed, grid_url, matched, saved, upload
from tests.factories import aware, enrol, make_academy, make_user
from tests.helpers import html, text_of

LEARNERS = 180
START = aware(2025, 3, 4, 9)  # 09:00-10:30 UTC


@pytest.fixture
def big_academy():
    academy = make_academy("Open Cohort", first_start=START, home_timezone="UTC")
    session = academy.live_sessions[0]
    people = [User(full_name=f"Learner {number:03}", email=f"learner{number}@cohort.example", timezone="UTC")
              for number in range(LEARNERS)]
    db.session.add_all(people)
    db.session.commit()
    for person in people:
        enrol(person, academy)
    admin = make_user("Ida Admin", email="ida.admin@cohort.example", is_admin=True)
    return session, people, admin


def big_report(people) -> bytes:
    """Three joins for each of 120 learners by email, and 230 guests on phones nobody knows."""
    def at(minutes: int) -> str:
        return (START + timedelta(minutes=minutes)).strftime("%m/%d/%Y %I:%M:%S %p")

    rows = ["Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"]
    for person in people[:120]:
        rows += [f"{person.full_name},{person.email},{at(start)},{at(start + 29)},29,No" for start in (0, 30, 60)]
    rows += [f"Phone {number},,{at(5)},{at(40)},35,Yes" for number in range(230)]
    return ("\r\n".join(rows) + "\r\n").encode()


def test_a_large_preview_stays_small_and_can_be_saved(browser, big_academy):
    session, people, admin = big_academy
    browser.login(admin)

    preview = upload(browser, session, big_report(people), file_timezone="UTC", filename="big.csv")

    assert preview.status_code == 200
    page = html(preview)
    assert len(page) < 250_000
    assert "Matched learners (120: 120 present, 0 absent), page 1 of 2" in text_of(preview)
    assert len(matched(preview)) == 100
    # Each row's choice offers no one in particular (no candidate here), not all 180 learners; anyone can be typed.
    select = re.search(r'<select id="decision-[0-9a-f]+"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r"<option [^>]*>([^<]*)</option>", select) == ["Choose…", "Ignore: not one of our learners"]
    assert "Someone else? Type each learner’s email or name." in text_of(preview)
    # 230 rows to decide: the first 200 one by one, the rest listed, decided by the choices for all of them.
    assert len(decision_keys(preview)) == 200
    assert "30 more rows to decide, too many to decide one by one here" in text_of(preview)
    assert "No row is theirs, so recorded absent: 60 learners unless you choose them" in text_of(preview)  # collapsed
    assert re.search(r"<details>\s*<summary><strong>No row is theirs", page)
    second = browser.get(unescape(re.search(r'<a href="([^"]*page=2[^"]*)"', page).group(1)))
    assert len(matched(second)) == 20

    refused = confirm(browser, session, preview)
    assert refused.status_code == 400
    response = confirm(browser, session, preview, {"ignore_undecided": "yes"})

    assert response.status_code == 302, flashed(response)
    state = saved(session)
    assert sum(1 for status, _, _ in state.values() if status == "present") == 120
    assert state["Learner 179"] == ("absent", 0, "zoom")
    assert "Attendance imported: 180 changes." in flashed(browser.get(grid_url(session)))
