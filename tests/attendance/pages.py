"""Reading the attendance pages as a person would, and sending their forms: shared by the attendance tests."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

from sqlalchemy import select

from lms.academies.models import LiveSession
from lms.attendance.models import Attendance, AttendanceChange, AttendanceImport
from lms.core.extensions import db
from tests.helpers import count, html

ZONE = "America/New_York"
REPORTS = Path(__file__).resolve().parent / "reports"  # report files written for these tests


def grid_url(live_session: LiveSession) -> str:
    return f"/admin/sessions/{live_session.id}/attendance"


def saved(live_session: LiveSession) -> dict[str, tuple[str, int | None, str]]:
    """Each recorded learner's (status, minutes, source) at the session, read fresh from the database."""
    db.session.expire_all()
    rows = db.session.scalars(select(Attendance).where(Attendance.live_session_id == live_session.id))
    return {row.user.full_name: (row.status, row.minutes, row.source) for row in rows}


def changes(live_session: LiveSession) -> list[AttendanceChange]:
    db.session.expire_all()
    return db.session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.live_session_id == live_session.id)
        .order_by(AttendanceChange.id)
    ).all()


def nothing_saved() -> bool:
    """No attendance and no change recorded, and no import saved (a preview may be waiting)."""
    db.session.expire_all()
    return count(Attendance) == 0 and count(AttendanceChange) == 0 and not saved_imports()


def selected_status(page: str, user_id: int) -> str:
    select_tag = re.search(rf'<select id="status-{user_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select_tag, f"no attendance select for user {user_id}"
    chosen = re.search(r'<option value="([^"]*)"\s*selected', select_tag.group(1))
    return chosen.group(1) if chosen else ""


def minutes_value(page: str, user_id: int) -> str:
    tag = re.search(rf'<input id="minutes-{user_id}"[^>]*>', page)
    assert tag, f"no minutes input for user {user_id}"
    return unescape(re.search(r'value="([^"]*)"', tag.group(0)).group(1))


def grid_names(page: str) -> list[str]:
    return [unescape(name) for name in re.findall(r'<th scope="row">([^<]*?)\s*(?:<span|</th>)', page)]


class Controls(HTMLParser):
    """Every form control of a page that a person fills in, and every label's `for`."""

    def __init__(self):
        super().__init__()
        self.controls: list[tuple[str, str | None, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])
        elif tag in ("select", "textarea") or (
            tag == "input" and attributes.get("type", "text") not in ("hidden", "submit", "button")
        ):
            self.controls.append((tag, attributes.get("id"), attributes.get("name")))


def upload(browser, live_session, data: bytes | Path, file_timezone: str = ZONE, filename: str | None = None):
    """Send a report as the form on the attendance page does, and follow on to its preview."""
    if isinstance(data, Path):
        filename = filename or data.name
        data = data.read_bytes()
    browser.get(grid_url(live_session))  # the page, for its form token
    return browser.post(
        f"{grid_url(live_session)}/import",
        {"report": (BytesIO(data), filename or "report.csv"), "file_timezone": file_timezone},
        content_type="multipart/form-data", follow_redirects=True,
    )


def hidden_fields(response) -> dict[str, str]:
    page = html(response)
    fields = {}
    for name in ("file_timezone", "file_sha256"):
        found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
        assert found, f"the preview has no {name} field"
        fields[name] = unescape(found.group(1))
    return fields


def save_url(response) -> str:
    """Where the preview's "Save this attendance" form goes: the staged import's own address."""
    found = re.search(r'<form method="post" action="([^"]*/attendance/imports/\d+)" class="form">', html(response))
    assert found, "the page has no preview form"
    return unescape(found.group(1))


def decision_keys(response) -> dict[str, str]:
    """The label of each "for you to decide" select -> the select's name (decision-<key>)."""
    found = re.findall(r'<label for="(decision-[0-9a-f]+)">(.*?)</label>', html(response), re.S)
    return {unescape(label): name for name, label in found}


def decision_for(response, display_name: str) -> str:
    names = [name for label, name in decision_keys(response).items() if label.startswith(f"“{display_name}”")]
    assert len(names) == 1, f"{display_name!r} is not listed once for a decision: {decision_keys(response)}"
    return names[0]


def matched(response) -> dict[str, tuple[str, str, str, str]]:
    """The "Matched learners" table: learner -> (in the report as, matched by, minutes, outcome)."""
    rows = re.findall(
        r'<tr><th scope="row">(.*?)</th><td>(.*?)</td>\s*<td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>',
        html(response), re.S,
    )
    return {unescape(name): tuple(unescape(cell) for cell in cells) for name, *cells in rows}


def confirm(browser, live_session, preview, decisions: dict[str, str] | None = None, **overrides):
    form = {**hidden_fields(preview), **(decisions or {}), **overrides}
    return browser.post(save_url(preview), form)


def saved_imports() -> list[AttendanceImport]:
    """The imports saved (or undone), not the previews waiting."""
    db.session.expire_all()
    return db.session.scalars(
        select(AttendanceImport).where(AttendanceImport.state != "previewed").order_by(AttendanceImport.id)
    ).all()


def flashed(response) -> list[str]:
    return [unescape(message) for message in re.findall(r'<p class="message [^"]*"[^>]*>(.*?)</p>', html(response), re.S)]


def report_error(response) -> str | None:
    found = re.search(r'<p class="error" id="report-error">(.*?)</p>', html(response), re.S)
    return unescape(found.group(1)) if found else None


