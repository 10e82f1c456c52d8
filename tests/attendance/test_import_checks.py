"""A file that cannot be right for the session is blocked with a plain reason; saving it anyway is the
admin's explicit choice ("I have checked: import anyway"), never the default."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.core.extensions import db
from tests.attendance.conftest import JOSE, KARI, OSLO, SIOBHAN, SOREN, ZOE
from tests.attendance.pages import REPORTS, confirm, flashed, grid_url, nothing_saved, saved, upload
from tests.helpers import html, text_of

WRONG_SESSION = REPORTS / "circle-two-teams.csv"
LONDON_TIMES = REPORTS / "circle-one-zoom-london.csv"
MAY_NOT_BE = "This file may not be the report of “Circle One”."


def blocks(response) -> list[str]:
    """The reasons listed under "This file may not be the report of …"."""
    box = re.search(r'<div class="message message-error" role="alert" id="blocks">(.*?)</div>', html(response), re.S)
    if box is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", box.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def import_anyway_box(response) -> str | None:
    found = re.search(r'<input type="checkbox" id="import_anyway"[^>]*>', html(response))
    return found.group(0) if found else None


def import_command(live_session, path, *extra):
    return ["lms", "import-attendance", "--session", str(live_session.id), "--file", str(path), *extra]


# --- the report of another session --------------------------------------------------------------

def test_another_sessions_report_is_blocked_with_plain_reasons(browser, oda, circle):
    preview = upload(browser, circle.one, WRONG_SESSION, file_timezone=OSLO)

    assert preview.status_code == 200
    assert MAY_NOT_BE in text_of(preview)
    assert blocks(preview) == [
        "The report's title, “Peer Support Circle - Circle Two”, names “Circle Two” (Tuesday 1 July 2025), "
        "not “Circle One”.",
        "The meeting in the report started on Tuesday 1 July 2025, 17:51 (Oslo time), the day of “Circle Two”, "
        "not of “Circle One” (Tuesday 17 June 2025).",
        "No one in this file was connected during the session's scheduled time (18:00–19:30 Oslo time, "
        "Tuesday 17 June 2025). Check that the file is for this session and that its time zone is right.",
    ]
    # The way on is there, but never chosen for the admin.
    box = import_anyway_box(preview)
    assert box is not None and "checked" not in box.replace('id="import_anyway"', "")
    assert "I have checked: import anyway." in text_of(preview)


def test_saving_another_sessions_report_is_refused_until_the_admin_has_checked(browser, oda, circle):
    preview = upload(browser, circle.one, WRONG_SESSION, file_timezone=OSLO)

    refused = confirm(browser, circle.one, preview)

    assert refused.status_code == 400
    message = flashed(refused)[0]
    assert message.startswith("Nothing was saved: This file may not be the report of “Circle One”: The report's title")
    assert message.endswith("If you have checked that it is, tick “I have checked: import anyway” and save again.")
    assert import_anyway_box(refused) is not None  # the preview again, to tick it this time
    assert nothing_saved()

    response = confirm(browser, circle.one, preview, {"import_anyway": "yes"})

    assert response.status_code == 302
    state = saved(circle.one)
    assert set(state) == {SOREN, ZOE, KARI, JOSE, SIOBHAN, "Nguyễn Văn An"}
    assert {status for status, _, _ in state.values()} == {"absent"}  # what the admin chose to import
    db.session.expire_all()
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.import")).all()
    assert event.detail.endswith("; imported anyway (title, date, nobody)")


def test_the_command_refuses_another_sessions_report_unless_told_to_import_anyway(runner, circle):
    result = runner.invoke(args=import_command(circle.one, WRONG_SESSION, "--timezone", OSLO, "--yes"))

    assert result.exit_code == 4, result.output
    assert "WARNING: The report's title, “Peer Support Circle - Circle Two”, names “Circle Two”" in result.output
    assert ("Not saved: this file may not be the report of Circle One (see the warnings above). If you have checked "
            "that it is, run the command again with --import-anyway.") in result.output
    assert nothing_saved()

    result = runner.invoke(args=import_command(circle.one, WRONG_SESSION, "--timezone", OSLO, "--yes",
                                               "--import-anyway"))
    assert result.exit_code == 0, result.output
    assert saved(circle.one)[SOREN] == ("absent", 0, "teams")


def test_the_right_sessions_report_is_not_blocked(browser, oda, circle):
    preview = upload(browser, circle.two, WRONG_SESSION, file_timezone=OSLO)

    assert blocks(preview) == []
    assert import_anyway_box(preview) is None
    assert "This file may not be the report" not in text_of(preview)


# --- a time zone off by whole hours --------------------------------------------------------------

def test_times_an_hour_off_name_the_zone_that_fits(browser, oda, circle):
    """Downloaded where Zoom shows London time, read as Oslo time: everyone seems to leave an hour early."""
    preview = upload(browser, circle.one, LONDON_TIMES, file_timezone=OSLO)

    assert blocks(preview) == [
        "With the file's times read as Oslo time (Europe/Oslo), most of the time people were connected falls 1 hour "
        "before the session's scheduled time. They fit the session in London time (Europe/London): the file may "
        "have been downloaded in that time zone.",
    ]
    assert nothing_saved()

    right = upload(browser, circle.one, LONDON_TIMES, file_timezone="Europe/London")

    assert blocks(right) == []
    assert confirm(browser, circle.one, right).status_code == 302
    assert saved(circle.one)[SOREN] == ("present", 90, "zoom")


def test_the_command_names_the_zone_that_fits(runner, circle):
    result = runner.invoke(args=import_command(circle.one, LONDON_TIMES, "--timezone", OSLO, "--yes"))

    assert result.exit_code == 4, result.output
    assert "They fit the session in London time (Europe/London)" in result.output
    assert nothing_saved()

    result = runner.invoke(args=import_command(circle.one, LONDON_TIMES, "--timezone", "Europe/London", "--yes"))
    assert result.exit_code == 0, result.output
    assert saved(circle.one)[ZOE] == ("present", 89, "zoom")


# --- far fewer people than usual -----------------------------------------------------------------

def test_far_fewer_people_than_at_the_other_sessions_is_blocked(browser, oda, circle):
    browser.get(grid_url(circle.one))
    browser.post(f"{grid_url(circle.one)}/bulk", {"status": "present", "scope": "all"})  # six present last time

    preview = upload(browser, circle.two, REPORTS / "circle-two-zoom-one-learner.csv", file_timezone=OSLO)

    assert blocks(preview) == [
        "Only 1 person in this file was connected during the session's scheduled time (18:00–19:30 Oslo time, "
        "Tuesday 1 July 2025); at this academy's other sessions, usually 6 learners were present.",
    ]


def test_far_fewer_of_the_people_in_the_file_inside_the_session_is_blocked(browser, oda, circle):
    preview = upload(browser, circle.two, REPORTS / "circle-two-zoom-next-meeting.csv", file_timezone=OSLO)

    # Five people came to another meeting in the same room later: a zone would not explain that.
    assert blocks(preview) == [
        "Only 2 of the 7 people in this file were connected during the session's scheduled time (18:00–19:30 Oslo "
        "time, Tuesday 1 July 2025).",
    ]


@pytest.mark.parametrize("path", [REPORTS / "circle-one-zoom-oslo.csv"], ids=["the right file"])
def test_the_right_file_in_the_right_zone_has_no_blocks(browser, oda, circle, path):
    assert blocks(upload(browser, circle.one, path, file_timezone=OSLO)) == []
