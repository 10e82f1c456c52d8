"""Typing in reflections written on paper: by code or by choosing, once however often sent, with a scan; shown
as transcribed wherever the reflection is seen; feedback printed to hand back."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lms.core.extensions import db
from lms.core.pdf import pdf_text
from lms.paper import codes
from lms.paper.models import Transcription
from lms.reflections.models import Reflection, ReflectionVersion
from tests.factories import enrol, make_user
from tests.helpers import html, signed_in, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WRITTEN = "I thought of my brother, who waited for me every visiting day without fail. " * 3


def code_for(user, reading) -> str:
    found = codes.codes_for([user.id], [reading.id])[(user.id, reading.id)]
    db.session.commit()
    return found.printed


def form_key(browser, academy) -> str:
    page = html(browser.get(f"/facilitate/academies/{academy.id}/paper"))
    return re.search(r'name="form_key"[^>]*value="([^"]+)"', page).group(1)


def transcribe(browser, academy, scan=None, **fields):
    data = {"form_key": form_key(browser, academy), "code": "", "learner": "", "reading": "", "body": WRITTEN,
            **fields}
    if scan is not None:
        data["scan"] = (io.BytesIO(scan), "page.png")
    return browser.post(f"/facilitate/academies/{academy.id}/transcriptions", data,
                        content_type="multipart/form-data")


def reflection_of(user, reading) -> Reflection | None:
    db.session.expire_all()
    return db.session.scalar(select(Reflection).where(Reflection.user_id == user.id,
                                                      Reflection.reading_id == reading.id))


def test_a_facilitator_types_the_code_and_the_text_is_submitted_as_the_learners_reflection(
        make_browser, academy, ole, facilitator):
    reading = academy.readings[0]
    code = code_for(ole, reading)
    browser = signed_in(make_browser, facilitator)

    response = transcribe(browser, academy, code=code.lower().replace("-", " "))

    assert response.status_code == 302, text_of(response)
    reflection = reflection_of(ole, reading)
    assert (reflection.status, reflection.version_count, reflection.body) == ("submitted", 1, WRITTEN.strip())
    record = db.session.scalar(select(Transcription))
    assert (record.reflection_id, record.reflection_version, record.transcribed_by_id) == (reflection.id, 1,
                                                                                         facilitator.id)
    page = text_of(browser.get(response.location))
    assert f"Saved as Ole Hansen’s reflection on “{reading.title}”, transcribed from paper." in page
    assert "Transcribed from paper by Dana Whitfield on" in page
    queue = text_of(browser.get(f"/facilitate/academies/{academy.id}/reviews"))
    assert "Ole Hansen On paper" in queue and "Awaiting review" in queue


def test_the_learner_and_reading_can_be_chosen_instead_of_the_code(make_browser, academy, ole, facilitator):
    reading = academy.readings[1]
    browser = signed_in(make_browser, facilitator)

    response = transcribe(browser, academy, learner=str(ole.id), reading=str(reading.id))

    assert response.status_code == 302
    assert reflection_of(ole, reading).status == "submitted"


def test_the_same_form_sent_twice_saves_one_reflection_and_one_transcription(make_browser, academy, ole,
                                                                             facilitator):
    reading = academy.readings[0]
    browser = signed_in(make_browser, facilitator)
    key = form_key(browser, academy)
    data = {"form_key": key, "code": code_for(ole, reading), "learner": "", "reading": "", "body": WRITTEN}

    for _ in range(2):
        response = browser.post(f"/facilitate/academies/{academy.id}/transcriptions", dict(data))
        assert response.status_code == 302

    assert db.session.scalar(select(func.count()).select_from(ReflectionVersion)) == 1
    assert db.session.scalar(select(func.count()).select_from(Transcription)) == 1


def test_typed_in_again_before_review_updates_the_same_version(make_browser, academy, ole, facilitator):
    reading = academy.readings[0]
    browser = signed_in(make_browser, facilitator)
    transcribe(browser, academy, code=code_for(ole, reading))

    transcribe(browser, academy, code=code_for(ole, reading), body=WRITTEN + " (the back of the page)")

    reflection = reflection_of(ole, reading)
    assert reflection.version_count == 1 and reflection.body.endswith("(the back of the page)")
    assert db.session.scalar(select(func.count()).select_from(Transcription)) == 1


def test_a_reflection_written_on_paper_is_accepted_after_the_reading_closed(make_browser, academy, ole, facilitator):
    from tests.factories import aware

    reading = academy.readings[0]
    reading.closes_at = aware(2020, 1, 1)
    db.session.commit()
    browser = signed_in(make_browser, facilitator)

    response = transcribe(browser, academy, code=code_for(ole, reading))

    assert response.status_code == 302
    assert reflection_of(ole, reading).status == "submitted"


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": "K7QX"}, "is not a page code"),
    ({"code": "K7QX-M3PA"}, "No page of this academy has the code K7QX-M3PA"),
    ({}, "Type the code from the page, or choose the learner."),
    ({"body": "Too short."}, "write at least 20 to submit it"),
])
def test_a_bad_transcription_is_refused_next_to_its_field_and_keeps_the_text(
        make_browser, academy, ole, facilitator, fields, message):
    browser = signed_in(make_browser, facilitator)
    if "body" in fields:
        fields = {**fields, "code": code_for(ole, academy.readings[0])}

    response = transcribe(browser, academy, **fields)

    assert response.status_code == 400
    assert message in text_of(response)
    assert (fields.get("body") or WRITTEN.strip()[:40]) in html(response)
    assert db.session.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_scan_is_kept_and_shown_only_to_that_academys_facilitators(make_browser, academy, ole, facilitator):
    from tests.factories import make_academy

    browser = signed_in(make_browser, facilitator)
    transcribe(browser, academy, scan=PNG, code=code_for(ole, academy.readings[0]))
    record = db.session.scalar(select(Transcription))
    assert record.scan_type == "image/png"

    response = browser.get(f"/facilitate/transcriptions/{record.id}/scan")
    assert (response.status_code, response.mimetype, response.data) == (200, "image/png", PNG)
    assert "Scan of the page" in text_of(browser.get(f"/facilitate/reflections/{record.reflection_id}"))

    other = make_user("Facilitator Elsewhere")
    enrol(other, make_academy("Elsewhere"), role="facilitator")
    assert signed_in(make_browser, other).get(f"/facilitate/transcriptions/{record.id}/scan").status_code == 404


@pytest.mark.parametrize(("scan", "message"), [
    (b"GIF89a not a scan we take", "The scan must be a PDF, PNG or JPEG file"),
    (b"%PDF-" + b"x" * (4 * 1024 * 1024), "the most is 4.0 MB"),
])
def test_a_scan_of_another_type_or_too_large_is_refused_and_nothing_is_saved(
        make_browser, academy, ole, facilitator, scan, message):
    browser = signed_in(make_browser, facilitator)

    response = transcribe(browser, academy, scan=scan, code=code_for(ole, academy.readings[0]))

    assert response.status_code == 400
    assert message in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Reflection)) == 0


def test_feedback_released_on_a_paper_reflection_prints_to_hand_back(make_browser, academy, ole, facilitator):
    reading = academy.readings[0]
    browser = signed_in(make_browser, facilitator)
    code = code_for(ole, reading)
    reflection_url = transcribe(browser, academy, code=code).location
    reflection = reflection_of(ole, reading)
    page = browser.get(reflection_url)
    seen = re.search(r'name="seen_version"[^>]*value="([^"]*)"', html(page)).group(1)

    released = browser.post(reflection_url, {"body": "Thank you for writing about your brother.",
                                             "action": "revision_requested", "seen_edit_count": "",
                                             "seen_version": seen})
    assert released.status_code == 302

    response = browser.get(f"/facilitate/reflections/{reflection.id}/feedback.pdf")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    text = " ".join(pdf_text(response.data).split())
    assert "Feedback for Ole Hansen" in text
    assert "Thank you for writing about your brother." in text
    assert "I thought of my brother" in text and code in text
    assert "Transcribed from paper by Dana Whitfield on" in text
    assert "Please write a new version" in text


def test_there_is_no_feedback_page_before_feedback_is_released(make_browser, academy, ole, facilitator):
    browser = signed_in(make_browser, facilitator)
    transcribe(browser, academy, code=code_for(ole, academy.readings[0]))
    reflection = reflection_of(ole, academy.readings[0])

    response = browser.get(f"/facilitate/reflections/{reflection.id}/feedback.pdf")

    assert response.status_code == 409
    assert "No feedback on this reflection has been released yet" in text_of(response)


def test_the_reflections_export_says_which_were_typed_in_from_paper(make_browser, academy, ole, facilitator):
    import csv

    online = make_user("Wei Ling Tan")
    enrol(online, academy)
    db.session.add(Reflection(user_id=online.id, reading_id=academy.readings[1].id, body="Typed online.",
                              status="submitted", version_count=1))
    db.session.commit()
    browser = signed_in(make_browser, facilitator)
    transcribe(browser, academy, code=code_for(ole, academy.readings[0]))

    response = browser.get(f"/facilitate/academies/{academy.id}/reflections.csv")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][-1] == "Transcribed from paper"
    by_name = {row[0]: row for row in rows[1:]}
    assert re.fullmatch(r"by Dana Whitfield on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", by_name["Ole Hansen"][-1])
    assert by_name["Ole Hansen"][1] == ""  # no email
    assert by_name["Wei Ling Tan"][-1] == ""


def test_a_revision_written_on_paper_is_typed_in_as_a_new_version(make_browser, academy, ole, facilitator):
    reading = academy.readings[0]
    browser = signed_in(make_browser, facilitator)
    code = code_for(ole, reading)
    url = transcribe(browser, academy, code=code).location
    seen = re.search(r'name="seen_version"[^>]*value="([^"]*)"', html(browser.get(url))).group(1)
    browser.post(url, {"body": "Say more about him.", "action": "revision_requested", "seen_edit_count": "",
                       "seen_version": seen})

    response = transcribe(browser, academy, code=code, body=WRITTEN + " He taught me patience.")

    assert response.status_code == 302
    reflection = reflection_of(ole, reading)
    assert (reflection.status, reflection.version_count) == ("submitted", 2)
    assert [r.reflection_version for r in db.session.scalars(
        select(Transcription).order_by(Transcription.reflection_version))] == [1, 2]
    page = text_of(browser.get(url))
    assert page.count("Transcribed from paper by Dana Whitfield on") == 3  # the current version, and both in history


def test_a_reviewed_reflection_is_not_overwritten_by_typing_a_page_in_again(make_browser, academy, ole, facilitator):
    reading = academy.readings[0]
    browser = signed_in(make_browser, facilitator)
    code = code_for(ole, reading)
    url = transcribe(browser, academy, code=code).location
    seen = re.search(r'name="seen_version"[^>]*value="([^"]*)"', html(browser.get(url))).group(1)
    browser.post(url, {"body": "Well said.", "action": "reviewed", "seen_edit_count": "", "seen_version": seen})

    response = transcribe(browser, academy, code=code, body=WRITTEN + " Something else.")

    assert response.status_code == 400
    assert "This reflection has been reviewed, so it can no longer be changed." in text_of(response)
    assert reflection_of(ole, reading).body == WRITTEN.strip()
