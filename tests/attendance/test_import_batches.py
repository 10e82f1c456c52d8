"""Every import is a batch: listed on the attendance page, compared with what is recorded now (not with the
file's hash), and undone exactly, unless later changes touched the same learners."""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from lms import create_app
from lms.attendance import importing
from lms.attendance.models import Attendance, AttendanceImport
from lms.audit.models import AuditEvent
from lms.config import TestingConfig
from lms.core.extensions import db
from lms.core.types import utcnow
from tests.attendance.conftest import AN, JOSE, KARI, OSLO, SIOBHAN, SOREN, ZOE
from tests.attendance.pages import (
    REPORTS,
    changes,
    confirm,
    decision_for,
    flashed,
    grid_url,
    save_url,
    saved,
    saved_imports,
    upload,
)
from tests.helpers import html, text_of

RIGHT = REPORTS / "circle-one-zoom-oslo.csv"
WRONG = REPORTS / "circle-two-teams.csv"
LONDON = REPORTS / "circle-one-zoom-london.csv"  # no rows to decide when read in London time
TO_DECIDE = (JOSE, SIOBHAN, "nguyen van an", "Room 3 — Oslo prison")


def import_right_file(browser, circle):
    """Circle One's Zoom report, the rows to decide given to their learners (the room is ignored)."""
    preview = upload(browser, circle.one, RIGHT, file_timezone=OSLO)
    response = confirm(browser, circle.one, preview, {
        decision_for(preview, JOSE): str(circle.id(JOSE)),
        decision_for(preview, SIOBHAN): str(circle.id(SIOBHAN)),
        decision_for(preview, "nguyen van an"): str(circle.id(AN)),
        decision_for(preview, "Room 3 — Oslo prison"): "ignore",
    })
    assert response.status_code == 302, flashed(response)
    return saved_imports()[-1]


def import_wrong_file(browser, circle):
    preview = upload(browser, circle.one, WRONG, file_timezone=OSLO)
    assert confirm(browser, circle.one, preview, {"import_anyway": "yes"}).status_code == 302
    return saved_imports()[-1]


def imports_listed(response) -> list[str]:
    """The rows of the attendance page's Imports table, as text."""
    table = re.search(r'<table class="table" id="imports">.*?<tbody>(.*?)</tbody>', html(response), re.S)
    if table is None:
        return []
    rows = re.findall(r"<tr id=\"import-\d+\">(.*?)</tr>", table.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def undo_url(live_session, batch) -> str:
    return f"{grid_url(live_session)}/imports/{batch.id}/undo"


EXPECTED_AFTER_RIGHT_FILE = {
    SOREN: ("present", 90, "zoom"), ZOE: ("present", 89, "zoom"), JOSE: ("present", 90, "zoom"),
    SIOBHAN: ("present", 80, "zoom"), AN: ("present", 90, "zoom"), KARI: ("absent", 0, "zoom"),
}


# --- re-importing, and "already imported" ------------------------------------------------------

def test_the_right_file_repairs_a_session_after_a_wrong_import(browser, oda, circle):
    import_right_file(browser, circle)
    assert saved(circle.one) == EXPECTED_AFTER_RIGHT_FILE
    import_wrong_file(browser, circle)
    assert {status for status, _, _ in saved(circle.one).values()} == {"absent"}

    # The same file as the first import: what it records is no longer what is recorded, so it applies.
    again = upload(browser, circle.one, RIGHT, file_timezone=OSLO)
    assert "Nothing to save" not in text_of(again)
    assert "Saving changes what is recorded now for 2 learners (2 to present, 0 to absent)" in text_of(again)
    import_right_file(browser, circle)

    assert saved(circle.one) == EXPECTED_AFTER_RIGHT_FILE
    assert "Attendance imported: 5 changes." in flashed(browser.get(grid_url(circle.one)))
    assert len(saved_imports()) == 3


def test_already_imported_means_saving_would_change_nothing_now(browser, oda, circle):
    first = upload(browser, circle.one, LONDON, file_timezone="Europe/London")
    assert confirm(browser, circle.one, first).status_code == 302

    again = upload(browser, circle.one, LONDON, file_timezone="Europe/London")
    assert ("Nothing to save: the attendance in this file is already recorded for this session, as it is now."
            in text_of(again))
    assert confirm(browser, circle.one, again).status_code == 302
    assert "Nothing to save: the attendance in this file is already recorded for this session." in flashed(
        browser.get(grid_url(circle.one)))
    assert len(saved_imports()) == 1

    # Someone changes Zoë's attendance by hand; the same file again puts back what it says.
    browser.post(grid_url(circle.one), {f"status-{circle.id(ZOE)}": "excused", f"minutes-{circle.id(ZOE)}": ""})
    assert saved(circle.one)[ZOE] == ("excused", None, "manual")
    third = upload(browser, circle.one, LONDON, file_timezone="Europe/London")
    assert "Saving changes what is recorded now for 1 learner (1 to present, 0 to absent)." in text_of(third)
    assert confirm(browser, circle.one, third).status_code == 302
    assert saved(circle.one)[ZOE] == ("present", 89, "zoom")
    assert len(saved_imports()) == 2


def test_a_preview_read_again_in_the_zone_that_fits_saves_in_that_zone(browser, oda, circle):
    wrong_zone = upload(browser, circle.one, LONDON, file_timezone=OSLO)
    link = re.search(r'<a href="([^"]+)">Read the file’s times as London time \(Europe/London\) instead</a>',
                     html(wrong_zone))
    assert link is not None

    right_zone = browser.get(unescape(link.group(1)))

    assert right_zone.status_code == 200
    assert "times read as London, United Kingdom time" in text_of(right_zone)
    assert "This file may not be the report" not in text_of(right_zone)
    assert confirm(browser, circle.one, right_zone).status_code == 302
    (batch,) = saved_imports()
    assert batch.file_timezone == "Europe/London"
    assert saved(circle.one)[SOREN] == ("present", 90, "zoom")


def test_a_preview_is_forgotten_after_a_day(browser, oda, circle):
    old = upload(browser, circle.one, RIGHT, file_timezone=OSLO)
    db.session.execute(text("UPDATE lms_attendance_imports SET imported_at = :then"),
                       {"then": (utcnow() - timedelta(days=2)).replace(tzinfo=None)})
    db.session.commit()

    new = upload(browser, circle.one, LONDON, file_timezone="Europe/London")

    db.session.expire_all()
    (waiting,) = db.session.scalars(select(AttendanceImport)).all()
    assert waiting.filename == "circle-one-zoom-london.csv"
    assert waiting.imported_at > utcnow() - timedelta(minutes=5)
    response = browser.post(save_url(old), {"file_timezone": OSLO, "file_sha256": hidden_sha(old)},
                            follow_redirects=True)
    if save_url(new) == save_url(old):
        # SQLite gives a freed id out again: a form left open on the old preview cannot save the new file.
        assert "This preview is not the one you were looking at: check it before saving." in flashed(response)
    else:
        assert response.status_code == 404
    assert saved(circle.one) == {}


def test_a_preview_nobody_comes_back_to_is_forgotten_by_the_worker(browser, oda, circle):
    upload(browser, circle.one, RIGHT, file_timezone=OSLO)
    upload(browser, circle.one, LONDON, file_timezone="Europe/London")
    db.session.execute(text("UPDATE lms_attendance_imports SET imported_at = :then WHERE filename != :fresh"),
                       {"then": (utcnow() - timedelta(days=2)).replace(tzinfo=None),
                        "fresh": "circle-one-zoom-london.csv"})
    db.session.commit()

    from lms.attendance.tasks import forget_old_previews

    forget_old_previews()  # queued; the suite's queue runs it at once, as the worker does every hour

    db.session.expire_all()
    assert [batch.filename for batch in db.session.scalars(select(AttendanceImport))] == ["circle-one-zoom-london.csv"]


def hidden_sha(response) -> str:
    return re.search(r'<input type="hidden" name="file_sha256" value="([0-9a-f]+)">', html(response)).group(1)


# --- the list of imports ---------------------------------------------------------------------

def test_the_attendance_page_lists_each_import_and_what_it_changed(browser, oda, circle):
    import_right_file(browser, circle)
    import_wrong_file(browser, circle)

    listed = imports_listed(browser.get(grid_url(circle.one)))

    assert len(listed) == 2
    newest, oldest = listed
    assert newest.startswith("circle-two-teams.csv (Teams, times read as Europe/Oslo) Circle One Oda Admin")
    assert newest.endswith("5 changes (5 absent); imported although the checks said it might not be this "
                           "session’s report Undo this import (circle-two-teams.csv, "
                           + newest.split("(circle-two-teams.csv, ")[1])
    assert oldest.startswith("circle-one-zoom-oslo.csv (Zoom, times read as Europe/Oslo) Circle One Oda Admin")
    assert "6 changes (1 absent, 5 present)" in oldest


# --- undoing an import ---------------------------------------------------------------------------

def test_undo_restores_exactly_what_was_recorded_before(browser, oda, circle):
    # Before the import: Kari excused by hand, Søren recorded absent by hand; nothing for the others.
    browser.get(grid_url(circle.one))
    browser.post(grid_url(circle.one), {f"status-{circle.id(KARI)}": "excused", f"minutes-{circle.id(KARI)}": "",
                                        f"status-{circle.id(SOREN)}": "absent", f"minutes-{circle.id(SOREN)}": "5"})
    before = saved(circle.one)
    before_rows = {row.user_id: (row.updated_at, row.updated_by_id) for row in db.session.scalars(select(Attendance))}
    batch = import_right_file(browser, circle)
    assert saved(circle.one)[SOREN] == ("present", 90, "zoom")
    assert saved(circle.one)[KARI] == ("excused", None, "manual")  # an excuse is kept

    page = browser.get(undo_url(circle.one, batch))
    assert page.status_code == 200
    assert "Undoing puts back exactly what was recorded before this import, for the 5 learners it changed." in text_of(
        page)
    assert f"{SOREN} Present (90 min) Absent (5 min)" in text_of(page)
    assert f"{ZOE} Present (89 min) Not recorded" in text_of(page)

    response = browser.post(undo_url(circle.one, batch))

    assert response.status_code == 302
    assert saved(circle.one) == before
    db.session.expire_all()
    assert {row.user_id: (row.updated_at, row.updated_by_id) for row in db.session.scalars(select(Attendance))} == (
        before_rows)
    grid = browser.get(grid_url(circle.one))
    assert "Import undone: the attendance of 5 learners is as it was before it." in flashed(grid)
    assert f"{ZOE} present → not recorded" in text_of(grid)
    assert "undoing an import" in text_of(grid)
    listed = imports_listed(grid)[0]
    assert ". Undone on " in listed and listed.endswith("by Oda Admin")
    assert "Undo this import" not in listed
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.import.undo")).all()
    assert event.actor_id == oda.id
    assert event.detail == f"import {batch.id}: 5 learners restored"
    assert SOREN not in event.detail  # the audit log holds ids and counts, never whose attendance


def test_undo_is_refused_naming_the_learners_changed_since(browser, oda, circle):
    batch = import_right_file(browser, circle)
    browser.get(grid_url(circle.one))
    browser.post(grid_url(circle.one), {f"status-{circle.id(ZOE)}": "excused", f"minutes-{circle.id(ZOE)}": ""})
    after_edit = saved(circle.one)

    page = browser.get(undo_url(circle.one, batch))
    assert (f"This import cannot be undone: the attendance of {ZOE} was changed after it, by hand or by another "
            "import.") in text_of(page)
    assert f'action="{undo_url(circle.one, batch)}"' not in html(page)  # no button

    response = browser.post(undo_url(circle.one, batch), follow_redirects=True)

    assert (f"Nothing was undone: the attendance of {ZOE} was changed after this import, by hand or by another "
            "import. Undo that import first, or correct the attendance by hand.") in flashed(response)
    assert saved(circle.one) == after_edit
    assert saved_imports()[0].state == "saved"
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.import.undo")).all()


def test_undoing_the_later_import_first_lets_the_earlier_one_be_undone(browser, oda, circle):
    first = import_right_file(browser, circle)
    second = import_wrong_file(browser, circle)
    # Kari was absent before the second import too: it did not change her.
    assert ("the attendance of José Núñez, Nguyễn Văn An, Siobhán O'Neill, Søren Ødegård, Zoë Ní Bhriain was changed "
            "after it") in text_of(browser.get(undo_url(circle.one, first)))

    assert browser.post(undo_url(circle.one, second)).status_code == 302
    assert saved(circle.one) == EXPECTED_AFTER_RIGHT_FILE
    assert browser.post(undo_url(circle.one, first)).status_code == 302

    assert saved(circle.one) == {}
    assert [batch.state for batch in saved_imports()] == ["undone", "undone"]


def test_a_double_click_on_undo_undoes_once(browser, oda, circle, make_browser):
    batch = import_right_file(browser, circle)
    clients = [make_browser(), make_browser()]
    for client in clients:
        assert client.login(circle.admin).status_code == 302
        client.get(undo_url(circle.one, batch))
    together = threading.Barrier(2, timeout=10)
    responses, failures = [], []

    def click(client):
        try:
            together.wait()
            responses.append(client.post(undo_url(circle.one, batch)))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert [response.status_code for response in responses] == [302, 302]
    assert saved(circle.one) == {}
    assert len([change for change in changes(circle.one) if change.source == "undo"]) == 6
    messages = flashed(clients[0].get(grid_url(circle.one))) + flashed(clients[1].get(grid_url(circle.one)))
    assert sorted(messages) == sorted(["Import undone: the attendance of 6 learners is as it was before it.",
                                       "This import was undone already; nothing changed."])


def test_undo_is_the_same_from_the_service_and_audited_once(oda, circle):
    batch = importing.apply_import(circle.one, LONDON.read_bytes(), "Europe/London", {}, oda, utcnow(),
                                   "london.csv").batch
    db.session.commit()

    assert importing.undo_import(batch, oda, utcnow()).state == "undone"
    db.session.commit()
    assert importing.undo_import(batch, oda, utcnow()).state == "already_undone"
    db.session.commit()

    assert saved(circle.one) == {}
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.import.undo")).all()) == 1


# --- the migration ---------------------------------------------------------------------------

def test_imports_saved_before_the_migration_are_listed_as_saved_and_kept_on_the_way_down(tmp_path):
    class Fresh(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'imports.db'}"

    app = create_app(Fresh)
    with app.app_context():
        upgrade(revision="0007_host_identity")
        # Written as the tables were then (later revisions add columns the models now have).
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO lms_academies (title, description, organiser, home_timezone, reference_timezones, "
                "reminder_days, attendance_share, require_readings, require_reflections, signatories, created_at, "
                "content_version) VALUES ('A', '', '', 'UTC', '', 2, 75, 0, 0, '', '2025-01-01 00:00:00', 0)")
            academy_id = connection.exec_driver_sql("SELECT id FROM lms_academies").scalar()
            starts = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
            connection.exec_driver_sql(
                "INSERT INTO lms_live_sessions (academy_id, title, starts_at, duration_minutes, join_url) "
                f"VALUES ({academy_id}, 'One', '{starts}', 90, '')")
            session_id = connection.exec_driver_sql("SELECT id FROM lms_live_sessions").scalar()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO lms_attendance_imports (live_session_id, file_sha256, file_timezone, platform, filename, "
                f"people_recorded, imported_at) VALUES ({session_id}, 'abc', 'UTC', 'zoom', 'old.csv', 3, "
                "'2025-01-02 12:00:00')")
        db.session.remove()

        upgrade()
        (batch,) = db.session.scalars(select(AttendanceImport)).all()
        assert (batch.state, batch.filename, batch.imported_anyway) == ("saved", "old.csv", "")
        # The same file imported twice, as the new rules allow, and a preview waiting.
        db.session.add_all([
            AttendanceImport(live_session_id=session_id, file_sha256="abc", file_timezone="UTC", platform="zoom",
                             filename="again.csv"),
            AttendanceImport(live_session_id=session_id, state="previewed", file_sha256="def", file_timezone="UTC",
                             platform="zoom", file_data=b"x"),
        ])
        db.session.commit()
        db.session.remove()

        downgrade(revision="0007_host_identity")
        with db.engine.connect() as connection:
            kept = connection.exec_driver_sql("SELECT filename FROM lms_attendance_imports").scalars().all()
        assert kept == ["again.csv"]  # one per (session, file, zone), the latest; previews forgotten
        db.session.remove()
        upgrade()
        db.engine.dispose()
