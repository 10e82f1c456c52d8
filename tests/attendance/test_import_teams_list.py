"""The older Teams attendance list (Full Name, User Action, Timestamp): joins and leaves paired per person,
reconnections merged, time outside the session not counted, and every name only a likely match."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.attendance.reports import AttendanceFileError, merge_minutes, parse_report
from tests.attendance.conftest import AN, JOSE, KARI, OSLO, SIOBHAN, SOREN, ZOE
from tests.attendance.pages import REPORTS, confirm, decision_for, decision_keys, flashed, nothing_saved, saved, upload
from tests.helpers import text_of

OLD_LIST = REPORTS / "circle-one-teams-old-list.csv"
ORGANISER = "Peer Support Circle"
EXPECTED = {
    ZOE: ("present", 90, "teams"),  # "Joined before", never left: until the list's last time, 19:31
    SOREN: ("present", 90, "teams"),
    JOSE: ("present", 83, "teams"),  # 27 + 56 minutes: the gap of his reconnection is not counted
    SIOBHAN: ("present", 80, "teams"),  # a "Left" with no join: there since the list began, 17:50
    AN: ("absent", 15, "teams"),
    KARI: ("absent", 0, "teams"),  # not in the list
}


def test_the_older_list_is_read_and_says_what_it_cannot_know(browser, oda, circle):
    preview = upload(browser, circle.one, OLD_LIST, file_timezone=OSLO)

    assert preview.status_code == 200
    page = text_of(preview)
    assert "Teams report (circle-one-teams-old-list.csv), times read as Oslo, Norway time." in page
    assert ("This is an older Teams attendance list (Full Name, User Action, Timestamp). It has no emails, so everyone "
            "in it is only a likely match by name, for you to confirm") in page
    assert ("2 people had not left when the list was downloaded: their time is counted until the last time in it, "
            "19:31 (Oslo time).") in page
    labels = {label.split("”")[0].lstrip("“"): label for label in decision_keys(preview)}
    assert set(labels) == {ORGANISER, ZOE, SOREN, JOSE, "Nguyen Van An", SIOBHAN}
    assert labels[JOSE].startswith(f"“{JOSE}”: 83 minutes (present), rows 5, 7 of the file.")
    assert labels[ORGANISER].endswith("No match")
    assert "This file may not be the report" not in page
    assert nothing_saved()


def test_the_older_list_is_saved_once_a_person_has_accepted_the_likely_matches(browser, oda, circle):
    preview = upload(browser, circle.one, OLD_LIST, file_timezone=OSLO)

    refused = confirm(browser, circle.one, preview, {decision_for(preview, ORGANISER): "ignore"})
    assert refused.status_code == 400
    assert "Nothing was saved: Decide who these participants are, or ignore them:" in flashed(refused)[0]
    assert nothing_saved()

    response = confirm(browser, circle.one, preview, {decision_for(preview, ORGANISER): "ignore",
                                                      "accept_likely": "yes"})

    assert response.status_code == 302, flashed(response)
    assert saved(circle.one) == EXPECTED


def test_the_command_reads_the_older_list(runner, circle):
    result = runner.invoke(args=["lms", "import-attendance", "--session", str(circle.one.id), "--file", str(OLD_LIST),
                                 "--timezone", OSLO, "--yes", "--accept-likely", "--assign", f"{ORGANISER}=ignore"])

    assert result.exit_code == 0, result.output
    assert "NOTE: This is an older Teams attendance list (Full Name, User Action, Timestamp)." in result.output
    assert saved(circle.one) == EXPECTED


# --- pairing joins and leaves ----------------------------------------------------------------

def event_list(*rows: str) -> bytes:
    return ("Full Name\tUser Action\tTimestamp\n" + "\n".join(rows) + "\n").encode("utf-16")


def stays(data: bytes) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for row in parse_report(data, "UTC").rows:
        found.setdefault(row.display_name, []).append((f"{row.joined_at:%H:%M}", f"{row.left_at:%H:%M}"))
    return found


def test_two_devices_at_once_are_one_stay_and_a_guest_is_marked():
    data = event_list(
        "Ana Lima\tJoined\t5/2/2025, 10:00:00 AM",
        "Ana Lima\tJoined\t5/2/2025, 10:05:00 AM",  # her phone as well
        "Ana Lima\tLeft\t5/2/2025, 10:30:00 AM",  # the laptop goes
        "Ana Lima\tLeft\t5/2/2025, 11:00:00 AM",
        "Ben Okafor (Guest)\tJoined\t5/2/2025, 10:10:00 AM",
        "Ben Okafor (Guest)\tLeft\t5/2/2025, 10:20:00 AM",
    )
    assert stays(data) == {"Ana Lima": [("10:00", "11:00")], "Ben Okafor": [("10:10", "10:20")]}
    assert [row.is_guest for row in parse_report(data, "UTC").rows] == [False, True]


def test_a_stay_is_counted_only_inside_the_session():
    data = event_list("Ana Lima\tJoined\t5/2/2025, 9:30:00 AM", "Ana Lima\tLeft\t5/2/2025, 12:00:00 PM")
    (row,) = parse_report(data, "UTC").rows
    window = (datetime(2025, 5, 2, 10, tzinfo=UTC), datetime(2025, 5, 2, 11, 30, tzinfo=UTC))
    assert merge_minutes([(row.joined_at, row.left_at)], *window) == 90


def test_the_older_list_re_saved_with_commas_reads_the_same():
    text = OLD_LIST.read_bytes().decode("utf-16")
    with_commas = text.replace(", ", " ").replace("\t", ",").encode("utf-8")
    assert stays(with_commas) == stays(OLD_LIST.read_bytes())


def test_an_unknown_action_names_its_line():
    with pytest.raises(AttendanceFileError) as refused:
        parse_report(event_list("Ana Lima\tJoined\t5/2/2025, 10:00:00 AM", "Ana Lima\tMuted\t5/2/2025, 10:05:00 AM"),
                     "UTC")
    assert refused.value.message == "Line 3: 'Muted' in the 'User Action' column is neither 'Joined' nor 'Left'."
