"""A shared device or room: one report row given to several learners, each of them getting its minutes,
and the preview, the confirmation and the change log saying so."""
from __future__ import annotations

import pytest

from tests.attendance.conftest import KARI, OSLO, SIOBHAN, SOREN, ZOE
from tests.attendance.pages import (
    REPORTS,
    changes,
    confirm,
    decision_for,
    flashed,
    grid_url,
    nothing_saved,
    saved,
    upload,
)
from tests.helpers import html, text_of

ROOM = "Room 3 — Oslo prison"
PRISON_ROOM = REPORTS / "circle-two-zoom-prison-room.csv"


def who_field(preview, display_name: str) -> str:
    """The text field beside a row's choice, where learners are typed."""
    return decision_for(preview, display_name).replace("decision-", "who-")


def test_the_preview_says_a_row_can_be_given_to_several_learners(browser, oda, circle):
    preview = upload(browser, circle.two, PRISON_ROOM, file_timezone=OSLO)

    assert preview.status_code == 200
    page = text_of(preview)
    # The room joined twice (its connection dropped): one row to decide, 85 minutes.
    assert "“Room 3 — Oslo prison”: 85 minutes (present), rows 7, 8 of the file. No match" in page
    assert ("A shared device or room: name everyone who followed on it, separated by commas; each of them gets this "
            "row’s 85.0 minutes.") in page
    assert f'<label for="{who_field(preview, ROOM)}"' in html(preview)


def test_a_room_given_to_three_learners_gives_each_its_minutes(browser, oda, circle):
    preview = upload(browser, circle.two, PRISON_ROOM, file_timezone=OSLO)

    response = confirm(browser, circle.two, preview, {
        decision_for(preview, ROOM): str(circle.id(KARI)),
        who_field(preview, ROOM): f"siobhan.oneill@example.net, {ZOE}",
    })

    assert response.status_code == 302, flashed(response)
    state = saved(circle.two)
    assert state[KARI] == ("present", 85, "zoom")
    assert state[SIOBHAN] == ("present", 85, "zoom")
    # Zoë was on her laptop first, then in the room: her own 30 minutes and the room's, overlaps counted once.
    assert state[ZOE] == ("present", 87, "zoom")
    assert state[SOREN] == ("present", 90, "zoom")
    grid = browser.get(grid_url(circle.two))
    assert ("Attendance imported: 6 changes. “Room 3 — Oslo prison” was given to 3 learners (a shared device or room)."
            in flashed(grid))
    page = text_of(grid)
    for name in (KARI, SIOBHAN, ZOE):
        assert (f"{name} not recorded → present ({state[name][1]} min), by Oda Admin from a Zoom report (shared device "
                f"“Room 3 — Oslo prison”, given to 3 learners)") in page
    assert f"{SOREN} not recorded → present (90 min), by Oda Admin from a Zoom report" in page
    noted = {change.user.full_name: change.note for change in changes(circle.two)}
    assert noted[SOREN] == ""


@pytest.mark.parametrize("choice, typed, message", [
    ("ignore", "kari.nordmann@example.net", "“Room 3 — Oslo prison”: choose “Ignore” or name learners, not both."),
    ("", "kari.nordmann@example.net, nobody@else.example",
     "“Room 3 — Oslo prison”: No learner of this academy has the email or name “nobody@else.example”."),
    ("", "liv.berg@example.net", "“Room 3 — Oslo prison”: No learner of this academy has the email or name"),
], ids=["ignored and named", "an unknown email", "the facilitator"])
def test_a_wrong_list_of_learners_is_refused_keeping_what_was_typed(browser, oda, circle, choice, typed, message):
    preview = upload(browser, circle.two, PRISON_ROOM, file_timezone=OSLO)

    response = confirm(browser, circle.two, preview, {decision_for(preview, ROOM): choice,
                                                      who_field(preview, ROOM): typed})

    assert response.status_code == 400
    assert any(text.startswith(f"Nothing was saved: {message}") for text in flashed(response)), flashed(response)
    assert f'value="{typed}"' in html(response)
    assert nothing_saved()


def test_the_command_gives_a_room_to_several_learners(runner, circle):
    result = runner.invoke(args=["lms", "import-attendance", "--session", str(circle.two.id), "--file",
                                 str(PRISON_ROOM), "--timezone", OSLO, "--yes",
                                 "--assign", f"{ROOM}=kari.nordmann@example.net, Siobhán O'Neill"])

    assert result.exit_code == 0, result.output
    assert (f"{ROOM}             -> Kari Nordmann, Siobhán O'Neill   85.0 min  present as you assigned (a shared "
            "device: each of the 2 gets these minutes)") in result.output
    assert '"Room 3 — Oslo prison" was given to 2 learners (a shared device or room): each got its minutes.' in (
        result.output)
    state = saved(circle.two)
    assert state[KARI] == state[SIOBHAN] == ("present", 85, "zoom")
    assert {change.note for change in changes(circle.two) if change.user.full_name in (KARI, SIOBHAN)} == {
        "shared device “Room 3 — Oslo prison”, given to 2 learners"}
