"""Attendance through the admin pages and the CLI: the grid, bulk marking, and Zoom and Teams report imports."""
from __future__ import annotations

import csv
import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lms.academies.models import LiveSession
from lms.accounts.models import User
from lms.attendance import importing
from lms.attendance.models import Attendance, AttendanceImport
from lms.core.extensions import db
from lms.core.types import utcnow
from tests.attendance.pages import (
    ZONE,
    Controls,
    changes,
    confirm,
    decision_for,
    decision_keys,
    flashed,
    grid_names,
    grid_url,
    hidden_fields,
    matched,
    minutes_value,
    nothing_saved,
    report_error,
    save_url,
    saved,
    saved_imports,
    selected_status,
    upload,
)
from tests.factories import aware, enrol, make_academy, make_user
from tests.helpers import SAMPLES, count, html, text_of

ROSTER = SAMPLES / "roster.csv"
ZOOM = SAMPLES / "zoom-participants-session-one.csv"
TEAMS = SAMPLES / "teams-attendance-session-two.csv"

INGRID = "Ingrid Solberg"
MARCUS = "Marcus Boudreaux"
AISHA = "Aisha Rahman"
JF = "Jean-François Côté"
WEI = "Wei Ling Tan"
EXTRA = "Tomas Lindqvist"  # a learner who is in neither report
DANA = "Dana Whitfield"
ARE = "Are Nilsen"
LEARNERS = [INGRID, MARCUS, AISHA, JF, WEI, EXTRA]
EXPECTED_TEXT = "a Zoom participants export or a Microsoft Teams attendance report"


# --- the academy of roster.csv -----------------------------------------------------------------

@dataclass
class Cohort:
    admin: User
    one: LiveSession
    two: LiveSession
    people: dict[str, User]

    def id(self, name: str) -> int:
        return self.people[name].id


@pytest.fixture
def cohort() -> Cohort:
    """Session One 17 April 2025 and Session Two 2 May 2025, both 10:00-11:30 in New York (14:00 UTC);
    the learners and facilitators of roster.csv plus one learner who is in no report; and an admin."""
    admin = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    academy = make_academy(first_start=aware(2025, 4, 17, 14), gap_days=15, home_timezone=ZONE)
    one, two = sorted(academy.live_sessions, key=lambda s: s.starts_at)
    assert (one.title, two.title) == ("Session One", "Session Two")
    assert two.starts_at == aware(2025, 5, 2, 14)
    people = {}
    with ROSTER.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            user = make_user(row["full_name"], email=row["email"], timezone=row["timezone"])
            enrol(user, academy, role=row["role"], group=row["group"])
            people[user.full_name] = user
    extra = make_user(EXTRA, email="tomas.lindqvist@example.org", timezone="Europe/Stockholm")
    enrol(extra, academy, role="learner", group="Stockholm")
    people[EXTRA] = extra
    assert {name for name in people if name not in (DANA, ARE)} == set(LEARNERS)
    return Cohort(admin=admin, one=one, two=two, people=people)


@pytest.fixture
def admin(browser, cohort) -> User:
    assert browser.login(cohort.admin).status_code == 302
    return cohort.admin


# --- helpers ---------------------------------------------------------------------------------

def grid_form(cohort: Cohort, entries: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The grid as a browser sends it: every learner's select and input, blank where nothing was chosen."""
    form = {}
    for name in LEARNERS:
        status, minutes = entries.get(name, ("", ""))
        form[f"status-{cohort.id(name)}"] = status
        form[f"minutes-{cohort.id(name)}"] = minutes
    return form


# --- the grid --------------------------------------------------------------------------------

def test_the_grid_lists_every_learner_with_a_label_for_every_control(browser, admin, cohort):
    response = browser.get(grid_url(cohort.one))

    assert response.status_code == 200
    page = html(response)
    assert "Attendance: Session One" in page
    assert sorted(grid_names(page)) == sorted(LEARNERS)
    assert DANA not in page and ARE not in page  # facilitators are not learners
    for name in LEARNERS:
        assert selected_status(page, cohort.id(name)) == ""  # nothing recorded yet
        assert minutes_value(page, cohort.id(name)) == ""
    parser = Controls()
    parser.feed(page)
    ids = {control_id for _, control_id, _ in parser.controls}
    for name in LEARNERS:
        assert {f"status-{cohort.id(name)}", f"minutes-{cohort.id(name)}"} <= ids
    assert {"report", "file_timezone"} <= ids
    unlabelled = [control for control in parser.controls if control[1] not in parser.labelled]
    assert unlabelled == []
    labels = text_of(response)
    for name in LEARNERS:
        assert f"Attendance of {name}" in labels
        assert f"Minutes attended by {name}" in labels


def test_saving_the_grid_records_each_change_with_who_and_when(browser, admin, cohort):
    browser.get(grid_url(cohort.one))
    before = utcnow()
    response = browser.post(grid_url(cohort.one), grid_form(cohort, {
        INGRID: ("present", "90"), AISHA: ("absent", ""), WEI: ("excused", ""), MARCUS: ("present", "84"),
    }))
    after = utcnow()

    assert response.status_code == 302
    assert urlsplit(response.location).path == grid_url(cohort.one)
    assert saved(cohort.one) == {
        INGRID: ("present", 90, "manual"), AISHA: ("absent", None, "manual"),
        WEI: ("excused", None, "manual"), MARCUS: ("present", 84, "manual"),
    }
    recorded = changes(cohort.one)
    assert len(recorded) == 4
    for change in recorded:
        assert change.changed_by_id == admin.id
        assert before - timedelta(seconds=1) <= change.changed_at <= after + timedelta(seconds=1)
        assert change.old_status == "" and change.old_minutes is None
        assert change.source == "manual"
    assert {(c.user.full_name, c.new_status, c.new_minutes) for c in recorded} == {
        (INGRID, "present", 90), (AISHA, "absent", None), (WEI, "excused", None), (MARCUS, "present", 84),
    }

    page = browser.get(grid_url(cohort.one))
    assert "Attendance saved (4 changes)." in flashed(page)
    assert selected_status(html(page), cohort.id(INGRID)) == "present"
    assert minutes_value(html(page), cohort.id(INGRID)) == "90"
    assert selected_status(html(page), cohort.id(WEI)) == "excused"
    assert f"{INGRID} not recorded → present (90 min), by Ada Admin" in text_of(page)

    # The same values again: nothing changes, so nothing new is recorded.
    same = browser.post(grid_url(cohort.one), grid_form(cohort, {
        INGRID: ("present", "90"), AISHA: ("absent", ""), WEI: ("excused", ""), MARCUS: ("present", "84"),
    }))
    assert same.status_code == 302
    assert len(changes(cohort.one)) == 4
    assert "Attendance saved (0 changes)." in flashed(browser.get(grid_url(cohort.one)))

    # One real change: only that one is recorded, from what it was to what it is.
    browser.post(grid_url(cohort.one), grid_form(cohort, {
        INGRID: ("present", "85"), AISHA: ("absent", ""), WEI: ("excused", ""), MARCUS: ("present", "84"),
    }))
    recorded = changes(cohort.one)
    assert len(recorded) == 5
    last = recorded[-1]
    assert (last.user_id, last.old_status, last.old_minutes, last.new_status, last.new_minutes) == (
        cohort.id(INGRID), "present", 90, "present", 85,
    )
    assert last.changed_by_id == admin.id
    assert saved(cohort.one)[INGRID] == ("present", 85, "manual")


@pytest.mark.parametrize("status, minutes, message", [
    ("maybe", "", "Attendance is present, absent or excused, not maybe."),
    ("present", "ninety", "Minutes must be a whole number, not 'ninety'."),
    ("present", "-5", "Minutes must be a whole number, not '-5'."),
    ("present", "2000", "Minutes attended is a number between 0 and 1440."),
])
def test_a_bad_value_is_refused_keeping_what_was_typed_and_saving_nothing(
    browser, admin, cohort, status, minutes, message
):
    browser.get(grid_url(cohort.one))
    browser.post(grid_url(cohort.one), grid_form(cohort, {INGRID: ("present", "90")}))
    assert len(changes(cohort.one)) == 1

    response = browser.post(grid_url(cohort.one), grid_form(cohort, {
        INGRID: ("absent", "10"), MARCUS: ("present", "80"), AISHA: (status, minutes),
    }))

    assert response.status_code == 400
    assert f"Nothing was saved: {message}" in flashed(response)
    page = html(response)
    assert "Attendance: Session One" in page
    # What was typed is still on the page, to be corrected rather than typed again.
    assert selected_status(page, cohort.id(INGRID)) == "absent"
    assert minutes_value(page, cohort.id(INGRID)) == "10"
    assert selected_status(page, cohort.id(MARCUS)) == "present"
    assert minutes_value(page, cohort.id(MARCUS)) == "80"
    assert minutes_value(page, cohort.id(AISHA)) == minutes
    if status in ("present", "absent", "excused"):
        assert selected_status(page, cohort.id(AISHA)) == status
    # All or nothing: not even the valid rows were saved.
    assert saved(cohort.one) == {INGRID: ("present", 90, "manual")}
    assert len(changes(cohort.one)) == 1


def test_attendance_of_someone_who_is_not_a_learner_is_refused(browser, admin, cohort):
    browser.get(grid_url(cohort.one))
    form = grid_form(cohort, {INGRID: ("present", "90")})
    form[f"status-{cohort.id(DANA)}"] = "present"

    response = browser.post(grid_url(cohort.one), form)

    assert response.status_code == 400
    assert "Nothing was saved: That person is not a learner of this academy." in flashed(response)
    assert nothing_saved()


@pytest.mark.parametrize("where", ["grid minutes", "import decision"])
def test_a_number_with_a_superscript_digit_is_refused_not_a_crash(browser, admin, cohort, where):
    if where == "grid minutes":
        browser.get(grid_url(cohort.one))
        response = browser.post(grid_url(cohort.one), grid_form(cohort, {INGRID: ("present", "9²")}))
    else:
        preview = upload(browser, cohort.one, ZOOM)
        response = confirm(browser, cohort.one, preview, {decision_for(preview, "Aisha's iPhone"): "²"})

    assert response.status_code == 400
    assert nothing_saved()


def test_mark_everyone_not_yet_recorded_absent_then_everyone_present(browser, admin, cohort):
    browser.get(grid_url(cohort.one))
    browser.post(grid_url(cohort.one), grid_form(cohort, {WEI: ("excused", ""), INGRID: ("present", "88")}))
    bulk = f"{grid_url(cohort.one)}/bulk"

    response = browser.post(bulk, {"status": "absent", "scope": "unrecorded"})

    assert response.status_code == 302
    assert saved(cohort.one) == {
        WEI: ("excused", None, "manual"), INGRID: ("present", 88, "manual"),
        MARCUS: ("absent", None, "manual"), AISHA: ("absent", None, "manual"),
        JF: ("absent", None, "manual"), EXTRA: ("absent", None, "manual"),
    }
    assert len(changes(cohort.one)) == 2 + 4
    assert "4 learners marked absent." in flashed(browser.get(grid_url(cohort.one)))

    response = browser.post(bulk, {"status": "present", "scope": "all"})

    assert response.status_code == 302
    after = saved(cohort.one)
    assert {name: status for name, (status, _, _) in after.items()} == {name: "present" for name in LEARNERS}
    assert after[INGRID] == ("present", 88, "manual")  # minutes already recorded are kept
    recorded = changes(cohort.one)
    assert len(recorded) == 6 + 5  # Ingrid was already present
    assert all(change.changed_by_id == admin.id for change in recorded)
    assert "5 learners marked present." in flashed(browser.get(grid_url(cohort.one)))

    # Again: everyone is already present, so nothing is recorded.
    browser.post(bulk, {"status": "present", "scope": "all"})
    assert len(changes(cohort.one)) == 11
    assert "0 learners marked present." in flashed(browser.get(grid_url(cohort.one)))


def test_the_grid_offers_both_bulk_buttons(browser, admin, cohort):
    response = browser.get(grid_url(cohort.one))

    assert "Mark everyone present" in text_of(response)
    assert "Mark everyone not yet recorded absent" in text_of(response)
    assert html(response).count(f'action="{grid_url(cohort.one)}/bulk"') == 2


def test_bulk_marking_with_a_bad_status_saves_nothing(browser, admin, cohort):
    browser.get(grid_url(cohort.one))

    response = browser.post(f"{grid_url(cohort.one)}/bulk", {"status": "maybe", "scope": "all"})

    assert response.status_code == 302
    assert "Attendance is present, absent or excused, not maybe." in flashed(browser.get(grid_url(cohort.one)))
    assert nothing_saved()


def test_attendance_cannot_be_recorded_for_a_session_still_to_come(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=2))
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    browser.login(make_user("Ada Admin", is_admin=True))
    session_id = academy.live_sessions[0].id
    response = browser.post(f"/admin/sessions/{session_id}/attendance/bulk", {"status": "present", "scope": "all"},
                            follow_redirects=True)
    assert "has not started yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(Attendance.id)) is None


# --- importing the Zoom report of Session One -------------------------------------------------

def test_the_zoom_preview_shows_each_persons_minutes_and_outcome_and_saves_nothing(browser, admin, cohort):
    response = upload(browser, cohort.one, ZOOM)

    assert response.status_code == 200
    page = text_of(response)
    assert "Zoom report “Learning Academy: Peer Mentoring and Peer Support - Session One”" in page
    assert "(zoom-participants-session-one.csv), times read as New York, United States time" in page
    rows = matched(response)
    assert set(rows) == {INGRID, MARCUS, JF, WEI}
    assert rows[INGRID] == ("Ingrid Solberg <ingrid.solberg@example.org>", "Email address", "90", "Present")
    assert rows[MARCUS][0] == 'Marcus B <marcus.b@example.org> <span class="hint">(2 joins)</span>'
    assert rows[MARCUS][1:] == ("Email address", "84", "Present")  # 84.3: whole minutes are enough here
    assert rows[JF][1:] == ("Email address", "90", "Present")
    # The report writes WeiLing.Tan@Example.org: matched by email all the same.
    assert rows[WEI] == ("Wei Ling Tan <weiling.tan@example.org>", "Email address", "89", "Present")
    # The guest on a phone matches no one and is left for a person to decide.
    keys = decision_keys(response)
    assert len(keys) == 1
    (label,) = keys
    assert label.startswith("“Aisha's iPhone”: 15 minutes (absent), row ")
    assert label.endswith("No match")
    # The facilitator is listed but not recorded; learners missing from the report are named.
    assert "Facilitators in the report, not recorded: Dana Whitfield." in page
    assert ("No row is theirs, so recorded absent unless you choose them for a row above (an excuse already "
            f"recorded is kept): {AISHA}, {EXTRA}.") in page
    assert "ICPA Academy" not in page  # the host's own account is no participant
    assert "No one in this file was connected" not in page
    assert nothing_saved()


def test_confirming_without_deciding_is_refused_and_saves_nothing(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)

    response = confirm(browser, cohort.one, preview)

    assert response.status_code == 400
    assert "Nothing was saved: Decide who these participants are, or ignore them: Aisha's iPhone." in flashed(response)
    assert decision_keys(response) == decision_keys(preview)  # the preview again, to decide this time
    assert hidden_fields(response) == hidden_fields(preview)
    assert nothing_saved()


def test_confirming_with_the_iphone_ignored_saves_everyone_at_once(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)
    before = utcnow()

    response = confirm(browser, cohort.one, preview, {decision_for(preview, "Aisha's iPhone"): "ignore"})

    after = utcnow()
    assert response.status_code == 302
    assert urlsplit(response.location).path == grid_url(cohort.one)
    assert saved(cohort.one) == {
        INGRID: ("present", 90, "zoom"),
        MARCUS: ("present", 84, "zoom"),
        JF: ("present", 90, "zoom"),
        WEI: ("present", 89, "zoom"),
        AISHA: ("absent", 0, "zoom"),
        EXTRA: ("absent", 0, "zoom"),
    }
    recorded = changes(cohort.one)
    assert len(recorded) == 6
    assert all(change.source == "zoom" and change.changed_by_id == admin.id for change in recorded)
    assert all(before - timedelta(seconds=1) <= change.changed_at <= after + timedelta(seconds=1)
               for change in recorded)
    (imported,) = saved_imports()
    assert imported.state == "saved"
    assert imported.file_data is None  # the report itself is not kept once saved
    assert imported.live_session_id == cohort.one.id
    assert imported.platform == "zoom"
    assert imported.filename == "zoom-participants-session-one.csv"
    assert imported.file_sha256 == hashlib.sha256(ZOOM.read_bytes()).hexdigest()
    assert imported.people_recorded == 6
    assert imported.imported_by_id == admin.id
    assert count(Attendance) == 6  # no row for the facilitator, nor for the other session
    grid = browser.get(grid_url(cohort.one))
    assert "Attendance imported: 6 changes." in flashed(grid)
    assert selected_status(html(grid), cohort.id(MARCUS)) == "present"
    assert minutes_value(html(grid), cohort.id(MARCUS)) == "84"
    assert f"{MARCUS} not recorded → present (84 min), by Ada Admin from a Zoom report" in text_of(grid)

    # The same file again: compared with what is recorded now, it changes nothing.
    again = upload(browser, cohort.one, ZOOM)
    assert ("Saving changes what is recorded now for 0 learners (0 to present, 0 to absent), before the rows you "
            "decide below.") in text_of(again)
    response = confirm(browser, cohort.one, again, {decision_for(again, "Aisha's iPhone"): "ignore"})
    assert response.status_code == 302
    assert "Nothing to save: the attendance in this file is already recorded for this session." in flashed(
        browser.get(grid_url(cohort.one))
    )
    assert len(changes(cohort.one)) == 6
    assert len(saved_imports()) == 1


def test_resolving_the_iphone_as_aisha_records_her_fifteen_minutes_absent(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)
    select_name = decision_for(preview, "Aisha's iPhone")
    assert f'<option value="{cohort.id(AISHA)}" >{AISHA}</option>' in html(preview)

    response = confirm(browser, cohort.one, preview, {select_name: str(cohort.id(AISHA))})

    assert response.status_code == 302
    state = saved(cohort.one)
    assert state[AISHA] == ("absent", 15, "zoom")
    assert state[INGRID] == ("present", 90, "zoom")
    assert state[EXTRA] == ("absent", 0, "zoom")
    aisha_changes = [c for c in changes(cohort.one) if c.user_id == cohort.id(AISHA)]
    assert [(c.new_status, c.new_minutes) for c in aisha_changes] == [("absent", 15)]


def test_a_participant_matched_to_a_facilitator_is_refused(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)

    response = confirm(browser, cohort.one, preview, {decision_for(preview, "Aisha's iPhone"): str(cohort.id(DANA))})

    assert response.status_code == 400
    assert ("Nothing was saved: A participant was matched to someone who is not a learner of this academy."
            in flashed(response))
    assert nothing_saved()


def test_a_report_does_not_undo_a_present_recorded_by_hand():
    from lms.attendance import services as attendance

    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=1)
    academy = make_academy(first_start=start, home_timezone="UTC")
    dial_in = make_user("Ingrid Solberg")
    on_zoom = make_user("Marcus Boudreaux")
    for learner in (dial_in, on_zoom):
        enrol(learner, academy)
    admin = make_user("Ada Admin", is_admin=True)
    session = academy.live_sessions[0]
    attendance.record(session, {dial_in.id: ("present", 90)}, admin, utcnow())
    fmt = "%m/%d/%Y %I:%M:%S %p"
    report = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        f"Marcus Boudreaux,{on_zoom.email},{start:{fmt}},{start + timedelta(minutes=90):{fmt}},90,No\n"
    ).encode()

    importing.apply_import(session, report, "UTC", {}, admin, utcnow())

    saved = {row.user_id: (row.status, row.source) for row in db.session.scalars(select(Attendance))}
    assert saved == {dial_in.id: ("present", "manual"), on_zoom.id: ("present", "zoom")}


# --- importing the Teams report of Session Two ------------------------------------------------

def test_the_teams_report_needs_aisha_confirmed_and_keeps_an_excuse(browser, admin, cohort):
    # Wei Ling sent apologies, recorded by hand before the report came in.
    browser.get(grid_url(cohort.two))
    browser.post(grid_url(cohort.two), grid_form(cohort, {WEI: ("excused", "")}))
    assert saved(cohort.two) == {WEI: ("excused", None, "manual")}

    preview = upload(browser, cohort.two, TEAMS)

    assert preview.status_code == 200
    page = text_of(preview)
    assert "Teams report “Learning Academy: Peer Mentoring and Peer Support - Session Two”" in page
    rows = matched(preview)
    assert set(rows) == {INGRID, MARCUS, JF}
    assert rows[JF][1:] == ("Email address", "25", "Absent")
    assert rows[INGRID][2:] == ("90", "Present")
    # The guest gave Aisha's name but no email: likely her, for a person to confirm.
    (label,) = decision_keys(preview)
    assert label.startswith("“Aisha Rahman”: 79 minutes (present), rows ")
    assert label.endswith(f"Probably {AISHA}")
    assert f'<option value="{cohort.id(AISHA)}" >Yes, this is {AISHA}</option>' in html(preview)
    assert f"row above (an excuse already recorded is kept): {EXTRA}, {WEI}." in page
    assert "Facilitators in the report, not recorded: Dana Whitfield." in page
    assert saved(cohort.two) == {WEI: ("excused", None, "manual")}  # the preview saved nothing

    response = confirm(browser, cohort.two, preview, {decision_for(preview, AISHA): str(cohort.id(AISHA))})

    assert response.status_code == 302
    state = saved(cohort.two)
    assert {name: (status, minutes) for name, (status, minutes, _) in state.items()} == {
        INGRID: ("present", 90),
        MARCUS: ("present", 90),
        AISHA: ("present", 79),
        JF: ("absent", 25),
        WEI: ("excused", None),  # not in the report: the excuse recorded by hand is left as it was
        EXTRA: ("absent", 0),
    }
    assert state[AISHA][2] == "teams"
    (imported,) = saved_imports()
    # Six learners; Wei Ling's excuse is left as it was, so five are recorded from the report.
    assert (imported.platform, imported.live_session_id, imported.people_recorded) == ("teams", cohort.two.id, 5)
    assert saved(cohort.one) == {}  # the other session is untouched


def test_in_the_teams_report_a_learner_not_in_it_is_recorded_absent(browser, admin, cohort):
    preview = upload(browser, cohort.two, TEAMS)

    response = confirm(browser, cohort.two, preview, {decision_for(preview, AISHA): "ignore"})

    assert response.status_code == 302
    state = saved(cohort.two)
    assert state[WEI] == ("absent", 0, "teams")
    assert state[AISHA] == ("absent", 0, "teams")  # the guest was not confirmed as her
    assert state[JF] == ("absent", 25, "teams")


def test_the_samples_readme_table_holds_through_the_pages(browser, admin, cohort):
    """shared/samples/README.md: what a careful importer makes of the two sample reports."""
    one = upload(browser, cohort.one, ZOOM)
    two = upload(browser, cohort.two, TEAMS)
    assert "This file may not be the report" not in text_of(one) + text_of(two)
    # Session One: Aisha's iPhone is left for a person, who leaves it unresolved.
    assert confirm(browser, cohort.one, one, {decision_for(one, "Aisha's iPhone"): "ignore"}).status_code == 302
    # Session Two: "Aisha Rahman (Guest)" matches by name only, and a person confirms her.
    assert confirm(browser, cohort.two, two, {decision_for(two, AISHA): str(cohort.id(AISHA))}).status_code == 302

    first, second = saved(cohort.one), saved(cohort.two)
    assert {name: first[name][:2] for name in (INGRID, MARCUS, AISHA, JF, WEI)} == {
        INGRID: ("present", 90), MARCUS: ("present", 84), AISHA: ("absent", 0), JF: ("present", 90),
        WEI: ("present", 89),
    }
    assert {name: second[name][:2] for name in (INGRID, MARCUS, AISHA, JF, WEI)} == {
        INGRID: ("present", 90), MARCUS: ("present", 90), AISHA: ("present", 79), JF: ("absent", 25),
        WEI: ("absent", 0),
    }
    both = {name for name in LEARNERS if first[name][0] == second[name][0] == "present"}
    assert both == {INGRID, MARCUS}
    assert DANA not in first and DANA not in second  # a facilitator, not a learner


# --- files that are not reports, and the wrong time zone --------------------------------------

@pytest.mark.parametrize("data, filename, message", [
    (ROSTER.read_bytes(), "roster.csv",
     f"This does not look like {EXPECTED_TEXT}: no column named 'Join Time' (or 'First Join' and 'Last Leave', "
     "or 'User Action' and 'Timestamp') "
     "was found. The file starts with: 'full_name, email, role, timezone, group'"),
    (bytes(range(256)) * 4, "photo.jpg", f"This file is not a text (CSV) file. Expected {EXPECTED_TEXT}"),
    (b"", "empty.csv", f"The file is empty. Expected {EXPECTED_TEXT}."),
], ids=["roster", "random-bytes", "empty"])
def test_a_file_that_is_not_a_report_is_refused_on_the_attendance_page(browser, admin, cohort, data, filename,
                                                                       message):
    response = upload(browser, cohort.one, data, filename=filename)

    assert response.status_code == 400
    assert "Attendance: Session One" in html(response)
    error = report_error(response)
    assert error is not None and error.startswith(message)
    assert EXPECTED_TEXT in error  # it says what was expected
    assert 'aria-invalid="true"' in html(response)
    assert nothing_saved()


def test_previewing_without_a_file_asks_for_one(browser, admin, cohort):
    browser.get(grid_url(cohort.one))

    response = browser.post(f"{grid_url(cohort.one)}/import", {"file_timezone": ZONE},
                            content_type="multipart/form-data")

    assert response.status_code == 400
    assert report_error(response) == "Choose the report file exported from Zoom or Teams."
    assert nothing_saved()


def test_the_wrong_time_zone_blocks_the_preview_and_names_the_zone_that_fits(browser, admin, cohort):
    response = upload(browser, cohort.one, ZOOM, file_timezone="Asia/Tokyo")

    assert response.status_code == 200
    page = text_of(response)
    assert ("No one in this file was connected during the session's scheduled time (10:00–11:30 New York time, "
            "Thursday 17 April 2025). Check that the file is for this session and that its time zone is right.") in page
    assert ("With the file's times read as Tokyo time (Asia/Tokyo), most of the time people were connected falls "
            "13 hours before the session's scheduled time. They fit the session in New York time (America/New_York)"
            ) in page
    # Read in Tokyo, the meeting seems to start the day before; once the zone is right, the day is right.
    assert "The meeting in the report started on" not in page
    assert "times read as Tokyo, Japan time" in page
    assert {row[2:] for row in matched(response).values()} == {("0", "Absent")}
    assert nothing_saved()


def test_after_an_import_in_the_wrong_time_zone_the_right_one_can_still_be_imported(browser, admin, cohort):
    wrong = upload(browser, cohort.one, ZOOM, file_timezone="Asia/Tokyo")
    confirm(browser, cohort.one, wrong, {decision_for(wrong, "Aisha's iPhone"): "ignore", "import_anyway": "yes"})
    assert saved(cohort.one)[INGRID] == ("absent", 0, "zoom")

    right = upload(browser, cohort.one, ZOOM)
    response = confirm(browser, cohort.one, right, {decision_for(right, "Aisha's iPhone"): "ignore"})

    assert response.status_code == 302
    assert saved(cohort.one)[INGRID] == ("present", 90, "zoom")


def test_a_save_with_an_unreadable_zone_is_refused_not_a_crash(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)

    response = confirm(browser, cohort.one, preview, {decision_for(preview, "Aisha's iPhone"): "ignore"},
                       file_timezone="Mars/Olympus_Mons")

    assert response.status_code == 400
    assert nothing_saved()


def test_a_report_that_can_be_previewed_can_be_confirmed(browser, admin, cohort):
    header = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
    rows = [
        f"{name},{email},04/17/2025 10:{minute:02d}:00 AM,04/17/2025 10:{minute + 1:02d}:00 AM,1,No\r\n"
        for minute in range(0, 59)
        for name, email in [(INGRID, "ingrid.solberg@example.org"), (MARCUS, "marcus.b@example.org")]
    ] * 40  # a long webinar's worth of flaky reconnections
    data = (header + "".join(rows)).encode()
    preview = upload(browser, cohort.one, data, filename="long.csv")
    assert preview.status_code == 200
    assert matched(preview)[INGRID][2:] == ("59", "Absent")
    assert len(html(preview)) < len(data)  # the file waits on the server, not in the page

    response = confirm(browser, cohort.one, preview)

    assert response.status_code == 302
    assert saved(cohort.one)[INGRID] == ("absent", 59, "zoom")


def test_another_sessions_preview_is_not_found_under_this_session(browser, admin, cohort):
    preview = upload(browser, cohort.two, TEAMS)
    other_session_url = save_url(preview).replace(f"/sessions/{cohort.two.id}/", f"/sessions/{cohort.one.id}/")

    assert browser.get(other_session_url).status_code == 404
    assert browser.post(other_session_url, hidden_fields(preview)).status_code == 404
    assert nothing_saved()


# --- a double click ----------------------------------------------------------------------------

def test_confirming_the_same_file_twice_imports_it_once(browser, admin, cohort):
    preview = upload(browser, cohort.one, ZOOM)
    decisions = {decision_for(preview, "Aisha's iPhone"): "ignore"}

    first = confirm(browser, cohort.one, preview, decisions)
    second = confirm(browser, cohort.one, preview, decisions)

    assert first.status_code == second.status_code == 302
    assert len(saved_imports()) == 1
    recorded = changes(cohort.one)
    assert len(recorded) == 6
    assert len({change.user_id for change in recorded}) == 6
    assert "This import was saved already; nothing changed." in flashed(browser.get(grid_url(cohort.one)))


def test_two_confirms_at_the_same_moment_import_the_file_once(browser, admin, cohort, make_browser):
    """Two clicks sent at once: the database lets one save the preview; the other finds it saved."""
    preview = upload(browser, cohort.one, ZOOM)
    form = {**hidden_fields(preview), decision_for(preview, "Aisha's iPhone"): "ignore"}
    clients = [make_browser(), make_browser()]
    for client in clients:
        assert client.login(cohort.admin).status_code == 302
        client.get(grid_url(cohort.one))
    together = threading.Barrier(2, timeout=10)
    responses, failures = [], []

    def click(client):
        try:
            together.wait()
            responses.append(client.post(save_url(preview), form))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert [response.status_code for response in responses] == [302, 302]
    assert len(saved_imports()) == 1
    recorded = changes(cohort.one)
    assert len(recorded) == 6
    assert len({change.user_id for change in recorded}) == 6
    messages = flashed(clients[0].get(grid_url(cohort.one))) + flashed(clients[1].get(grid_url(cohort.one)))
    assert sorted(messages) == sorted(["Attendance imported: 6 changes.", "This import was saved already; nothing changed."])


# --- who may see it ---------------------------------------------------------------------------

def _attendance_posts(live_session_id: int, cohort: Cohort) -> list[tuple[str, dict]]:
    base = f"/admin/sessions/{live_session_id}/attendance"
    staged = importing.stage(cohort.one, ZOOM.read_bytes(), ZONE, "zoom.csv", cohort.admin, utcnow())
    db.session.commit()
    return [
        (base, {f"status-{cohort.id(INGRID)}": "present", f"minutes-{cohort.id(INGRID)}": "90"}),
        (f"{base}/bulk", {"status": "present", "scope": "all"}),
        (f"{base}/import", {"report": (BytesIO(ZOOM.read_bytes()), "zoom.csv"), "file_timezone": ZONE}),
        (f"{base}/imports/{staged.id}", {"file_timezone": ZONE}),
        (f"{base}/imports/{staged.id}/undo", {}),
    ]


@pytest.mark.parametrize("role", ["learner", "facilitator"])
def test_learners_and_facilitators_are_refused_every_attendance_route(browser, cohort, role):
    person = {"learner": INGRID, "facilitator": DANA}[role]
    browser.login(cohort.people[person])

    assert browser.get(grid_url(cohort.one)).status_code == 403
    browser.get("/learn/")  # a page of their own, for a form token
    for url, data in _attendance_posts(cohort.one.id, cohort):
        assert browser.post(url, data, content_type="multipart/form-data").status_code == 403, url
    assert nothing_saved()


def test_anonymous_visitors_are_sent_to_sign_in(browser, cohort):
    response = browser.get(grid_url(cohort.one))
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/auth/login"
    for url, data in _attendance_posts(cohort.one.id, cohort):
        response = browser.post(url, data, content_type="multipart/form-data")
        assert response.status_code == 302, url
        assert urlsplit(response.location).path == "/auth/login", url
    assert nothing_saved()


def test_an_unknown_session_is_not_found(browser, admin, cohort):
    assert browser.get("/admin/sessions/999999/attendance").status_code == 404
    browser.get(grid_url(cohort.one))
    for url, data in _attendance_posts(999999, cohort):
        assert browser.post(url, data, content_type="multipart/form-data").status_code == 404, url
    assert nothing_saved()


# --- the command line ------------------------------------------------------------------------

def import_command(live_session, path, *extra):
    return ["lms", "import-attendance", "--session", str(live_session.id), "--file", str(path), *extra]


def test_the_command_shows_the_preview_and_saves_with_yes(runner, cohort):
    result = runner.invoke(args=import_command(cohort.one, ZOOM, "--yes", "--assign", "Aisha's iPhone=ignore"))

    assert result.exit_code == 0, result.output
    output = result.output
    assert "zoom report for Session One, times read as America/New_York:" in output
    assert re.search(r"Ingrid Solberg\s+-> Ingrid Solberg\s+90\.0 min  present", output)
    assert re.search(r"Marcus B\s+-> Marcus Boudreaux\s+84\.3 min  present", output)
    assert re.search(r"Aisha's iPhone\s+-> \(ignored\)\s+15\.0 min  absent as you assigned", output)
    assert re.search(r"Dana Whitfield\s+-> Dana Whitfield\s+\d+\.\d min  \w+ facilitator, not recorded", output)
    assert re.search(rf"\(no row matched\)\s+-> {EXTRA}\s+0\.0 min  absent", output)
    assert "Saved: 6 change(s) recorded in the name of ada.admin@example.org." in output
    assert 'Ignored, recorded for no one (1 row):\n  "Aisha\'s iPhone", line 9, 15.0 min: No match' in output
    assert saved(cohort.one) == {
        INGRID: ("present", 90, "zoom"), MARCUS: ("present", 84, "zoom"), JF: ("present", 90, "zoom"),
        WEI: ("present", 89, "zoom"), AISHA: ("absent", 0, "zoom"), EXTRA: ("absent", 0, "zoom"),
    }
    assert all(change.changed_by_id == cohort.admin.id for change in changes(cohort.one))
    assert count(AttendanceImport) == 1

    again = runner.invoke(args=import_command(cohort.one, ZOOM, "--yes", "--assign", "Aisha's iPhone=ignore"))

    assert again.exit_code == 0, again.output
    assert "Nothing to save: the attendance in this file is already recorded for this session." in again.output
    assert "Saved:" not in again.output
    assert len(changes(cohort.one)) == 6
    assert count(AttendanceImport) == 1


def test_with_yes_the_command_refuses_while_rows_await_a_decision(runner, cohort):
    result = runner.invoke(args=import_command(cohort.two, TEAMS, "--yes"))

    assert result.exit_code == 3, result.output
    # What the preview showed is not what would be saved: the likely match is only that.
    assert re.search(r"Aisha Rahman\s+-> Aisha Rahman\s+79\.0 min  present likely, needs confirming", result.output)
    assert ('Not saved: 1 row awaits a decision:\n  "Aisha Rahman", lines 22, 23, 79.0 min: Joined as a guest under '
            'this name. Probably Aisha Rahman') in result.output
    assert ('Decide each with --assign "ROW NAME=learner@example.org" or --assign "ROW NAME=ignore", or take likely '
            "matches with --accept-likely; or ignore them all with --ignore-undecided.") in result.output
    assert nothing_saved()


@pytest.mark.parametrize("extra, aisha", [
    (["--accept-likely"], ("present", 79)),
    (["--assign", "Aisha Rahman=aisha.rahman@example.org"], ("present", 79)),
    (["--assign", "aisha rahman=Aisha Rahman"], ("present", 79)),
    (["--assign", "Aisha Rahman=ignore"], ("absent", 0)),
    (["--ignore-undecided"], ("absent", 0)),
], ids=["accept likely", "assigned by email", "assigned by name", "assigned to no one", "ignore undecided"])
def test_the_command_saves_once_every_row_is_decided(runner, cohort, extra, aisha):
    result = runner.invoke(args=import_command(cohort.two, TEAMS, "--yes", *extra))

    assert result.exit_code == 0, result.output
    assert "teams report for Session Two" in result.output
    state = saved(cohort.two)
    assert state[AISHA][:2] == aisha
    assert state[JF] == ("absent", 25, "teams")
    assert state[WEI] == ("absent", 0, "teams")
    if aisha[0] == "absent":
        assert 'Ignored, recorded for no one (1 row):\n  "Aisha Rahman", lines 22, 23' in result.output


@pytest.mark.parametrize("assignment, message", [
    ("Nobody Here=ignore", 'no row for you to decide is called "Nobody Here" (rows to decide: "Aisha Rahman").'),
    ("Aisha Rahman=someone@else.example", "No learner of this academy has the email or name “someone@else.example”."),
    ("Aisha Rahman=dana.whitfield@example.org", "No learner of this academy has the email or name"),
    ("Aisha Rahman", 'write it as "ROW NAME=learner@example.org" or "ROW NAME=ignore".'),
    ("Ingrid Solberg=ingrid.solberg@example.org", 'no row for you to decide is called "Ingrid Solberg"'),
], ids=["unknown row", "unknown learner", "a facilitator", "no equals sign", "a row matched by email"])
def test_a_wrong_assignment_is_refused_saving_nothing(runner, cohort, assignment, message):
    result = runner.invoke(args=import_command(cohort.two, TEAMS, "--yes", "--assign", assignment))

    assert result.exit_code == 1, result.output
    assert message in result.output
    assert nothing_saved()


def test_what_the_command_saves_is_committed(app, runner, cohort):
    result = runner.invoke(args=import_command(cohort.one, ZOOM, "--yes", "--ignore-undecided"))
    assert result.exit_code == 0, result.output

    with app.app_context():  # a session of its own sees only what was committed
        assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 1
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 6


def test_the_command_asks_and_lists_the_rows_it_would_ignore(runner, cohort):
    result = runner.invoke(args=import_command(cohort.one, ZOOM), input="n\n")

    assert result.exit_code == 0, result.output
    assert ('Not decided, so recorded for no one if you save (1 row):\n  "Aisha\'s iPhone", line 9, 15.0 min: No match'
            in result.output)
    assert "Save this attendance, ignoring them? [y/N]" in result.output
    assert "Nothing saved." in result.output
    assert nothing_saved()

    result = runner.invoke(args=import_command(cohort.one, ZOOM), input="y\n")
    assert result.exit_code == 0, result.output
    assert "Saved: 6 change(s)" in result.output
    assert count(AttendanceImport) == 1

    result = runner.invoke(args=import_command(cohort.two, TEAMS, "--accept-likely"), input="n\n")
    assert "Save this attendance? [y/N]" in result.output  # nothing left undecided


def test_the_command_refuses_a_file_larger_than_the_web_accepts(app, runner, cohort, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    assert ZOOM.stat().st_size > 1000

    result = runner.invoke(args=import_command(cohort.one, ZOOM, "--yes"))

    assert result.exit_code == 1, result.output
    assert ("a report can be at most 0.0 MB (MAX_CONTENT_LENGTH, the same limit as the web page's)."
            in result.output)
    assert nothing_saved()

    browser = make_browser()
    browser.login(cohort.admin)
    assert upload(browser, cohort.one, ZOOM).status_code == 413  # the same limit on the page
    assert nothing_saved()


def test_the_command_reads_the_file_in_the_time_zone_given(runner, cohort):
    result = runner.invoke(args=import_command(cohort.one, ZOOM, "--timezone", "Asia/Tokyo"), input="n\n")

    assert result.exit_code == 4, result.output
    assert "times read as Asia/Tokyo" in result.output
    assert "WARNING: No one in this file was connected during the session's scheduled time" in result.output
    assert "They fit the session in New York time (America/New_York)" in result.output
    assert "Not saved: this file may not be the report of Session One" in result.output
    assert nothing_saved()


def test_the_command_refuses_a_file_that_is_not_a_report(runner, cohort):
    result = runner.invoke(args=import_command(cohort.one, ROSTER, "--yes"))

    assert result.exit_code != 0
    assert f"Error: This does not look like {EXPECTED_TEXT}" in result.output
    assert nothing_saved()


def test_the_command_refuses_an_unknown_session_or_a_missing_file(runner, cohort, tmp_path):
    result = runner.invoke(args=["lms", "import-attendance", "--session", "999999", "--file", str(ZOOM), "--yes"])
    assert result.exit_code != 0
    assert "There is no live session 999999." in result.output

    result = runner.invoke(args=import_command(cohort.one, tmp_path / "missing.csv", "--yes"))
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert nothing_saved()
