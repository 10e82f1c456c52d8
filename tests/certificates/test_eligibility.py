"""Who may have a certificate: the checklist learners and admins see, excused absences, and exceptions."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.certificates.eligibility import session_date
from lms.certificates.models import Certificate, EligibilityException
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import ReadingProgress
from lms.reflections.models import Reflection
from tests.factories import attend, eligible_learner, enrol, make_academy, make_reading, make_user
from tests.helpers import row_of, text_of

# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def learner(academy):
    user = make_user("Ingrid Solberg", timezone="Europe/Oslo")
    enrol(user, academy)
    return user


def learner_page(browser, user):
    browser.login(user)
    response = browser.get("/learn/certificates")
    assert response.status_code == 200
    return text_of(response)


# --- the rule and the learner's checklist ----------------------------------------------------

def test_attending_every_session_makes_a_learner_eligible(browser, academy, learner):
    attend(learner, academy)

    page = learner_page(browser, learner)

    assert "You have met what is needed for the certificate" in page
    assert "✓ Session One (17 April 2025): Attended" in page
    assert "✓ Session Two (2 May 2025): Attended" in page


def test_a_recorded_absence_is_shown_as_missed_without_a_cross(browser, academy, learner):
    attend(learner, academy, "present", "absent")

    page = learner_page(browser, learner)

    assert "You have met what is needed" not in page
    assert "✓ Session One (17 April 2025): Attended" in page
    assert "– Session Two (2 May 2025): Missed" in page
    assert "✗" not in page


def test_attendance_not_recorded_yet_is_not_held_against_the_learner(browser, academy, learner):
    page = learner_page(browser, learner)

    assert ("… Session One (17 April 2025): Not recorded yet — the organiser records attendance after each "
            "session.") in page
    assert "… Session Two (2 May 2025): Not recorded yet" in page
    assert "Missed" not in page and "✗" not in page
    # And who to ask when something is wrong.
    assert ("If something here is not right (for example, you were at a session that says missed), tell your "
            "facilitator or the organiser (International Corrections and Prisons Association).") in page


def test_a_session_still_to_come_is_upcoming(browser, learner):
    coming = make_academy("Next cohort")  # Session One ended yesterday, Session Two in 13 days
    enrol(learner, coming)
    attend(learner, coming, "present")

    page = learner_page(browser, learner)

    assert "✓ Session One (" in page and "Session Two (" in page
    assert f"○ Session Two ({session_date(coming.live_sessions[1], coming.home_timezone)}): Upcoming" in page
    assert "It is issued after the last session." in page


def test_the_academys_contact_address_is_given_when_it_has_one(browser, academy, learner):
    academy.contact_email = "academy@icpa.example.org"
    db.session.commit()

    page = learner_page(browser, learner)

    assert "that says missed), write to academy@icpa.example.org" in page
    assert 'href="mailto:academy@icpa.example.org"' in browser.get("/learn/certificates").get_data(as_text=True)


def test_an_excused_absence_does_not_count_and_the_checklist_says_so(browser, academy, learner):
    attend(learner, academy, "present", "excused")

    page = learner_page(browser, learner)

    assert ("– Session Two (2 May 2025): Excused absence — an excused absence counts when the organiser grants "
            "an exception.") in page


def test_readings_and_reflections_count_only_when_the_academy_asks(browser, academy, learner):
    with_prompt = make_reading(academy, "On lived experience", prompt="What stayed with you?")
    without_prompt = make_reading(academy, "Background", prompt="")
    attend(learner, academy)

    assert "You have met what is needed" in learner_page(browser, learner)

    academy.require_readings = True
    academy.require_reflections = True
    db.session.commit()
    page = learner_page(browser, learner)
    assert "You have met what is needed" not in page
    assert "– Reading “On lived experience”: Not finished yet" in page
    assert "– Reading “Background”: Not finished yet" in page
    assert "– Reflection on “On lived experience”: Not started" in page
    assert "reflection on “Background”" not in page  # no prompt, nothing to submit

    for reading in (with_prompt, without_prompt):
        db.session.add(ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=utcnow(),
                                       finished_at=utcnow()))
    db.session.add(Reflection(user_id=learner.id, reading_id=with_prompt.id, body="Half done", status="draft"))
    db.session.commit()
    page = learner_page(browser, learner)
    assert "– Reflection on “On lived experience”: Draft saved, not submitted yet" in page

    reflection = db.session.scalar(select(Reflection))
    reflection.status = "submitted"
    db.session.commit()
    page = learner_page(browser, learner)
    assert "You have met what is needed" in page
    assert "✓ Reflection on “On lived experience”: Submitted" in page


def test_a_reflection_returned_for_revision_still_counts_as_submitted(browser, academy, learner):
    reading = make_reading(academy)
    academy.require_reflections = True
    db.session.add(Reflection(user_id=learner.id, reading_id=reading.id, body="Text", status="revision_requested"))
    db.session.commit()
    attend(learner, academy)

    assert "You have met what is needed" in learner_page(browser, learner)


def test_an_academy_without_sessions_makes_nobody_eligible(browser, learner):
    empty = make_academy("Not scheduled yet")
    empty.live_sessions = []
    db.session.commit()
    enrol(learner, empty)

    page = learner_page(browser, learner)

    assert "Every live session: The academy has no live sessions yet" in page


def test_the_learner_sees_only_their_own_checklist(browser, academy, learner):
    other = eligible_learner(academy, "Ørjan Håland")
    facilitated = make_academy("Facilitated elsewhere")
    enrol(learner, facilitated, role="facilitator")

    page = learner_page(browser, learner)

    assert "Ørjan" not in page and other.email not in page
    assert "Facilitated elsewhere" not in page  # only academies they are a learner in
    assert page.count("Checklist") == 1


def test_the_certificates_link_is_in_the_menu_for_learners_only(browser, academy, learner):
    browser.login(learner)
    assert 'href="/learn/certificates"' in browser.get("/learn/").get_data(as_text=True)
    browser.logout()

    facilitator = make_user("Fay Facilitator")
    enrol(facilitator, academy, role="facilitator")
    browser.login(facilitator)
    assert 'href="/learn/certificates"' not in browser.get("/learn/").get_data(as_text=True)


# --- the admin's table -----------------------------------------------------------------------

def test_the_admin_sees_everyones_checklist(admin, academy, learner):
    complete = eligible_learner(academy, "Anna Kuznetsova")
    attend(learner, academy, "present", "excused")
    facilitator = make_user("Fay Facilitator")
    enrol(facilitator, academy, role="facilitator")

    response = admin.get(f"/admin/academies/{academy.id}/certificates")

    assert response.status_code == 200
    assert "All 2 met" in row_of(response, complete)
    row = row_of(response, learner)
    assert "1 of 2 met" in row
    assert "Session Two (2 May 2025): Excused absence (counts only with an exception)" in row
    assert "Fay Facilitator" not in text_of(response)  # facilitators are not candidates
    assert "Ready to issue (1)" in text_of(response)
    assert "Issue to all eligible (1)" in text_of(response)


def test_granting_an_exception_records_who_when_and_why(admin, academy, learner):
    attend(learner, academy, "present", "excused")

    response = admin.post(
        f"/admin/academies/{academy.id}/certificates/exception/{learner.id}",
        {"reason": "Excused for a family emergency; watched the recording and wrote a summary."},
        follow_redirects=True,
    )

    assert "Exception granted to Ingrid Solberg." in text_of(response)
    exception = db.session.scalar(select(EligibilityException))
    assert exception.user_id == learner.id and exception.academy_id == academy.id
    assert exception.granted_by.email == "ada.admin@example.org"
    assert abs((utcnow() - exception.granted_at).total_seconds()) < 60
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.exception_grant"))
    assert event.actor_email == "ada.admin@example.org" and event.target == f"user {learner.id}"
    row = row_of(response, learner)
    assert "Granted by Ada Admin" in row
    assert "watched the recording and wrote a summary." in row
    assert "Issue certificate to Ingrid Solberg" in row
    assert "Ready to issue (1)" in text_of(response)


def test_the_learner_is_told_about_their_exception(browser, academy, learner):
    attend(learner, academy, "present", "excused")
    grantor = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    db.session.add(EligibilityException(academy_id=academy.id, user_id=learner.id, reason="Private reason",
                                        granted_by_id=grantor.id))
    db.session.commit()

    page = learner_page(browser, learner)

    assert "You have met what is needed for the certificate" in page
    assert "granted you an exception" in page
    assert "Private reason" not in page


def test_an_exception_needs_a_written_reason(admin, academy, learner):
    response = admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}", {"reason": "   "})

    assert response.status_code == 400
    error = re.search(rf'id="exception-reason-{learner.id}-error">(.*?)</p>', response.get_data(as_text=True))
    assert error and "Write the reason for the exception" in error.group(1)
    assert db.session.scalar(select(func.count()).select_from(EligibilityException)) == 0


def test_an_exception_can_be_withdrawn(admin, academy, learner):
    admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}", {"reason": "Agreed."})

    response = admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}/withdraw",
                          follow_redirects=True)

    assert "The exception for Ingrid Solberg is withdrawn" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(EligibilityException)) == 0
    assert "Not eligible yet" in row_of(response, learner)


def test_exceptions_are_for_learners_of_this_academy_only(admin, academy):
    stranger = make_user("Someone Else")

    response = admin.post(f"/admin/academies/{academy.id}/certificates/exception/{stranger.id}", {"reason": "x"})

    assert response.status_code == 404


def test_only_admins_open_the_certificates_page(browser, academy, learner):
    browser.login(learner)
    assert browser.get(f"/admin/academies/{academy.id}/certificates").status_code == 403
    assert browser.post(f"/admin/academies/{academy.id}/certificates/issue").status_code == 403
    browser.logout()
    assert browser.get(f"/admin/academies/{academy.id}/certificates").status_code == 302  # to sign in


def test_the_admin_page_uses_the_same_number_of_queries_whatever_the_size(admin, academy, count_queries):
    page = f"/admin/academies/{academy.id}/certificates"
    academy.require_readings = True
    academy.require_reflections = True
    db.session.commit()
    make_reading(academy, "First")
    eligible_learner(academy, "First Learner")
    admin.get(page)
    with count_queries() as small:
        assert admin.get(page).status_code == 200

    grantor = db.session.scalar(select(EligibilityException.granted_by_id)) or make_user("Grantor", is_admin=True).id
    readings = [make_reading(academy, f"Reading {number}") for number in range(5)]
    for number in range(30):
        user = eligible_learner(academy, f"Learner {number:02d}")
        for reading in readings:
            db.session.add(ReadingProgress(user_id=user.id, reading_id=reading.id, opened_at=utcnow(),
                                           finished_at=utcnow()))
            db.session.add(Reflection(user_id=user.id, reading_id=reading.id, body="x", status="submitted"))
        db.session.add(EligibilityException(academy_id=academy.id, user_id=user.id, reason="r", granted_by_id=grantor))
        db.session.add(Certificate(academy_id=academy.id, user_id=user.id, number=f"LA-{academy.id}-{number:04d}",
                                   verification_code=f"CODE{number:028d}", name_as_printed=user.full_name,
                                   academy_title=academy.title, organiser="", session_dates="17 April 2025",
                                   status="valid", status_reason="", pdf=b"%PDF-1.4", pdf_sha256="0" * 64))
    db.session.commit()
    db.session.expire_all()

    with count_queries() as large:
        response = admin.get(page)
    assert response.status_code == 200
    assert "Learner 29" in text_of(response)
    assert len(large) == len(small), (small, large)
