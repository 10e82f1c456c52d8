"""CSV downloads of progress and reflections: streamed, Excel-friendly, safe against formula injection."""
import csv
import io
from datetime import timedelta

import pytest

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import ReadingProgress
from lms.reflections import exports
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.factories import aware, enrol, make_academy, make_reading, make_user

TRICKY = 'She said "yes, of course",\nthen: Tromsø, 王小明; 100% — done.\r\nLast line.'


@pytest.fixture
def readings(academy):
    return [make_reading(academy, "Reading A"), make_reading(academy, "Reading B", prompt="")]


def download(browser, url):
    response = browser.get(url)
    assert response.status_code == 200, response.status_code
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def add_reflection(user, reading, body, status="submitted", submitted_at=None, updated_at=None):
    """A reflection as the learner's pages leave it: each submission is kept as a version."""
    item = Reflection(user_id=user.id, reading_id=reading.id, body=body, status=status,
                      version_count=0 if status == "draft" else 1,
                      submitted_at=None if status == "draft" else (submitted_at or utcnow()),
                      updated_at=updated_at or utcnow())
    if status != "draft":
        item.versions = [ReflectionVersion(number=1, body=body, submitted_at=updated_at or utcnow())]
    db.session.add(item)
    db.session.commit()
    return item


# --- progress.csv ----------------------------------------------------------------------------

def test_progress_csv_has_a_row_per_learner_with_plain_statuses_and_totals(browser, academy, facilitator,
                                                                          readings):
    first, second = readings
    ada, bo = make_user("Ada Achebe"), make_user("Bo Berg")
    enrol(bo, academy, group="Oslo")
    enrol(ada, academy, group="London")
    db.session.add(ReadingProgress(user_id=ada.id, reading_id=first.id, opened_at=utcnow(), finished_at=utcnow()))
    db.session.add(ReadingProgress(user_id=ada.id, reading_id=second.id, opened_at=utcnow()))
    db.session.commit()
    add_reflection(ada, first, "Thoughts.")
    browser.login(facilitator)

    response = browser.get(f"/facilitate/academies/{academy.id}/progress.csv")
    assert 'filename="peer-mentoring-progress-' in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    response.close()
    rows = download(browser, f"/facilitate/academies/{academy.id}/progress.csv")
    assert rows == [
        ["Name", "Email", "Group", "Reading A", "Reading B", "Readings finished", "Reflections submitted", "Behind"],
        ["Ada Achebe", "ada.achebe@example.org", "London", "finished, reflection submitted", "opened", "1", "1", "1"],
        ["Bo Berg", "bo.berg@example.org", "Oslo", "not opened, reflection not started", "not opened", "0", "0",
         "3"],
    ]


def test_progress_csv_honours_the_group_filter_and_its_default(browser, academy, readings):
    oslo = make_user("Fran Oslo")
    enrol(oslo, academy, role="facilitator", group="Oslo")
    for name, group in [("Ola Nordmann", "Oslo"), ("Jane Smith", "London")]:
        enrol(make_user(name), academy, group=group)
    browser.login(oslo)
    base = f"/facilitate/academies/{academy.id}/progress.csv"
    assert [row[0] for row in download(browser, base)[1:]] == ["Ola Nordmann"]
    assert [row[0] for row in download(browser, base + "?group=London")[1:]] == ["Jane Smith"]
    assert [row[0] for row in download(browser, base + "?group=")[1:]] == ["Jane Smith", "Ola Nordmann"]
    response = browser.get(base + "?group=London")
    assert 'filename="peer-mentoring-progress-london-' in response.headers["Content-Disposition"]
    response.close()


def test_progress_csv_is_fetched_in_batches(browser, academy, facilitator, readings, monkeypatch):
    # Batches of two rows: every learner's rows cross a batch boundary, and all still arrive whole.
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    for number in range(7):
        user = make_user(f"Learner {number}")
        enrol(user, academy)
        db.session.add(ReadingProgress(user_id=user.id, reading_id=readings[1].id, opened_at=utcnow(),
                                       finished_at=utcnow()))
    db.session.commit()
    browser.login(facilitator)
    rows = download(browser, f"/facilitate/academies/{academy.id}/progress.csv")
    assert [row[0] for row in rows[1:]] == [f"Learner {number}" for number in range(7)]
    assert {row[4] for row in rows[1:]} == {"finished"}


# --- reflections.csv -------------------------------------------------------------------------

def test_reflections_csv_has_every_submitted_reflection_with_released_feedback(browser, academy, facilitator,
                                                                              readings):
    first = readings[0]
    later = make_reading(academy, "Reading C", position=9)
    ada, bo, cy = make_user("Ada Achebe"), make_user("Bo Berg"), make_user("Cy Chen")
    for user in (ada, bo, cy):
        enrol(user, academy, group="Oslo")
    reviewed = add_reflection(ada, first, TRICKY, status="reviewed", submitted_at=aware(2025, 4, 18, 9, 30),
                              updated_at=aware(2025, 4, 19, 10, 0))
    db.session.add(Feedback(reflection_id=reviewed.id, reflection_version=1, author_id=facilitator.id,
                            body="Thank you, Ada — well put.", decision="reviewed",
                            released_at=aware(2025, 4, 20, 8, 15)))
    waiting = add_reflection(bo, first, "Short one.")
    # Feedback still in draft is the facilitators' own: it is not exported.
    db.session.add(Feedback(reflection_id=waiting.id, reflection_version=1, author_id=facilitator.id,
                            body="Not yet sent", decision=None, released_at=None))
    add_reflection(cy, first, "Private draft", status="draft")
    add_reflection(cy, later, "On the later one.", status="revision_requested")
    db.session.commit()
    browser.login(facilitator)

    response = browser.get(f"/facilitate/academies/{academy.id}/reflections.csv")
    assert 'filename="peer-mentoring-reflections-' in response.headers["Content-Disposition"]
    response.close()
    rows = download(browser, f"/facilitate/academies/{academy.id}/reflections.csv")
    assert rows[0] == [
        "Name", "Email", "Group", "Reading", "Status", "First submitted at (UTC)", "Last updated at (UTC)",
        "Words", "Reflection", "Feedback", "Feedback decision", "Feedback released at (UTC)", "Feedback by",
        "Transcribed from paper",
    ]
    assert rows[1] == [
        "Ada Achebe", "ada.achebe@example.org", "Oslo", "Reading A", "reviewed", "2025-04-18T09:30:00Z",
        "2025-04-19T10:00:00Z", "13", TRICKY, "Thank you, Ada — well put.", "reviewed",
        "2025-04-20T08:15:00Z", "Fran Facilitator", "",
    ]
    assert rows[2][:5] == ["Bo Berg", "bo.berg@example.org", "Oslo", "Reading A", "submitted"]
    assert rows[2][9:] == ["", "", "", "", ""]
    assert rows[3][:5] == ["Cy Chen", "cy.chen@example.org", "Oslo", "Reading C", "revision requested"]
    assert len(rows) == 4
    assert "Private draft" not in str(rows) and "Not yet sent" not in str(rows)


def test_reflections_csv_shows_the_submitted_version_not_an_unsubmitted_rewrite(browser, academy, facilitator,
                                                                               readings):
    ada = make_user("Ada Achebe")
    enrol(ada, academy)
    returned = add_reflection(ada, readings[0], "What I submitted.", status="revision_requested",
                              updated_at=aware(2025, 4, 19, 10, 0))
    # The learner has started rewriting but not submitted again: that text is still theirs alone.
    returned.body = "Half-written private second try"
    returned.updated_at = aware(2025, 4, 21, 7, 0)
    db.session.commit()
    browser.login(facilitator)
    row = download(browser, f"/facilitate/academies/{academy.id}/reflections.csv")[1]
    assert row[4:9] == ["revision requested", row[5], "2025-04-19T10:00:00Z", "3", "What I submitted."]
    assert "Half-written" not in str(row)


def test_reflections_csv_honours_the_group_filter_and_leaves_other_academies_out(browser, academy, facilitator,
                                                                                readings):
    ola, jane = make_user("Ola Nordmann"), make_user("Jane Smith")
    enrol(ola, academy, group="Oslo")
    enrol(jane, academy, group="London")
    add_reflection(ola, readings[0], "From Oslo.")
    add_reflection(jane, readings[0], "From London.")
    other = make_academy("Another academy")
    enrol(ola, other, group="Oslo")
    add_reflection(ola, make_reading(other, "Elsewhere"), "Not this academy.")
    browser.login(facilitator)
    base = f"/facilitate/academies/{academy.id}/reflections.csv"
    assert [row[8] for row in download(browser, base)[1:]] == ["From London.", "From Oslo."]
    assert [row[8] for row in download(browser, base + "?group=Oslo")[1:]] == ["From Oslo."]


# --- safe to open in a spreadsheet ---------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_could_run_as_formulas_are_neutralised(browser, academy, facilitator, readings, start):
    name = f"{start}HYPERLINK(\"http://evil.example\",\"Mallory\")"
    body = f"{start}1+1|cmd /C calc"
    mallory = make_user(name, email="mallory@example.org")
    enrol(mallory, academy, group=f"{start}group")
    add_reflection(mallory, readings[0], body)
    browser.login(facilitator)

    progress_rows = download(browser, f"/facilitate/academies/{academy.id}/progress.csv")
    assert progress_rows[1][:3] == ["'" + name, "mallory@example.org", f"'{start}group"]

    reflection_rows = download(browser, f"/facilitate/academies/{academy.id}/reflections.csv")
    assert reflection_rows[1][0] == "'" + name
    assert reflection_rows[1][8] == "'" + body


def test_titles_in_the_header_are_neutralised_too(browser, academy, facilitator):
    make_reading(academy, "=cmd|' /C calc'!A0")
    browser.login(facilitator)
    header = download(browser, f"/facilitate/academies/{academy.id}/progress.csv")[0]
    assert header[3] == "'=cmd|' /C calc'!A0"


def test_an_academy_without_readings_or_learners_still_exports_its_header(browser, academy, facilitator):
    browser.login(facilitator)
    assert len(download(browser, f"/facilitate/academies/{academy.id}/progress.csv")) == 1
    assert len(download(browser, f"/facilitate/academies/{academy.id}/reflections.csv")) == 1


def test_readings_not_open_yet_say_so(browser, academy, facilitator):
    make_reading(academy, "Later", opens_at=utcnow() + timedelta(days=3))
    enrol(make_user("Ada Achebe"), academy)
    browser.login(facilitator)
    rows = download(browser, f"/facilitate/academies/{academy.id}/progress.csv")
    assert rows[1][3:] == ["not open yet", "0", "0", "0"]
