"""A group that joined in one room marked present together from the grid, with the room's minutes;
the change log says "present via" the group."""
from __future__ import annotations

import re
from html import unescape

from tests.attendance.conftest import OSLO, SOREN
from tests.attendance.pages import REPORTS, changes, flashed, grid_url, nothing_saved, saved, upload
from tests.factories import enrol, make_paper_learner
from tests.helpers import html, text_of

UNIT = "Oslo prison — unit B"
PRISON_ROOM = REPORTS / "circle-two-zoom-prison-room.csv"


def unit_learners(circle):
    academy = circle.two.academy
    people = [make_paper_learner(name, through=UNIT, timezone=OSLO) for name in ("Ole Hansen", "Kari Berg")]
    for person in people:
        enrol(person, academy)
    return people


def room_option(page: str, display_name: str) -> str:
    options = dict((unescape(label), value) for value, label in
                   re.findall(r'<option value="([^"]*)"\s*>(“[^<]*)</option>', page))
    (value,) = [value for label, value in options.items() if label.startswith(f"“{display_name}”")]
    return value


def test_a_unit_is_marked_present_with_typed_minutes_and_the_log_says_via_the_unit(browser, oda, circle):
    ole, kari = unit_learners(circle)

    response = browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "minutes": "80"})

    assert response.status_code == 302
    assert f"2 learners of {UNIT} marked present." in flashed(browser.get(grid_url(circle.two)))
    state = saved(circle.two)
    assert state["Ole Hansen"] == ("present", 80, "manual") and state["Kari Berg"] == ("present", 80, "manual")
    assert SOREN not in state
    assert {change.note for change in changes(circle.two)} == {f"present via {UNIT}"}
    page = text_of(browser.get(grid_url(circle.two)))
    assert f"Ole Hansen not recorded → present (80 min), by Oda Admin (present via {UNIT})" in page


def test_the_rooms_row_of_a_report_waiting_to_be_saved_gives_its_minutes(browser, oda, circle):
    unit_learners(circle)
    upload(browser, circle.two, PRISON_ROOM, file_timezone=OSLO)  # staged, not saved
    page = html(browser.get(grid_url(circle.two)))
    room = room_option(page, "Room 3 — Oslo prison")

    response = browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "room": room, "minutes": ""})

    assert response.status_code == 302
    state = saved(circle.two)
    assert state["Ole Hansen"] == ("present", 85, "manual") and state["Kari Berg"] == ("present", 85, "manual")
    assert {change.note for change in changes(circle.two)} == {
        f"present via {UNIT}, the report’s row “Room 3 — Oslo prison”"}


def test_an_academy_group_can_be_marked_present_too(browser, oda, circle):
    response = browser.post(f"{grid_url(circle.two)}/group", {"group": "Oslo", "minutes": ""})

    assert response.status_code == 302
    state = saved(circle.two)
    assert state[SOREN] == ("present", None, "manual")
    assert all(name in ("Søren Ødegård", "Kari Nordmann") for name in state)


def test_marking_the_group_twice_changes_nothing_the_second_time(browser, oda, circle):
    unit_learners(circle)
    browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "minutes": "80"})

    browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "minutes": "80"})

    assert len(changes(circle.two)) == 2
    assert f"0 learners of {UNIT} marked present." in flashed(browser.get(grid_url(circle.two)))


def test_bad_minutes_or_an_unknown_group_save_nothing_and_say_why(browser, oda, circle):
    unit_learners(circle)

    bad = browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "minutes": "lots"})
    unknown = browser.post(f"{grid_url(circle.two)}/group", {"group": "Nobody's unit", "minutes": "10"})

    assert bad.status_code == 400 and "Minutes must be a whole number, not 'lots'." in text_of(bad)
    assert 'value="lots"' in html(bad)  # kept as typed
    assert unknown.status_code == 400 and "Choose a group that has learners in this academy." in text_of(unknown)
    assert nothing_saved()


def test_a_session_still_to_come_cannot_have_a_group_marked(browser, oda, circle):
    from datetime import timedelta

    from lms.core.extensions import db
    from lms.core.types import utcnow

    unit_learners(circle)
    circle.two.starts_at = utcnow() + timedelta(days=3)
    db.session.commit()

    response = browser.post(f"{grid_url(circle.two)}/group", {"group": UNIT, "minutes": "80"})

    assert response.status_code == 400
    assert nothing_saved()
