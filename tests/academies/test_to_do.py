"""The academy's admin page says what needs doing, in an organiser's words."""
import re
from datetime import timedelta

from lms.academies.models import Academy
from lms.attendance.models import Attendance
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications import outbox
from lms.notifications.models import OutgoingMail
from lms.reflections.models import Reflection
from tests.factories import attend, eligible_learner, enrol, make_academy, make_reading, make_user, published_academy
from tests.helpers import html, sign_in_admin, text_of


def to_do(browser, academy) -> list[str]:
    """The items of 'What needs doing' on the academy's page."""
    page = html(browser.get(f"/admin/academies/{academy.id}"))
    section = re.search(r'<section aria-labelledby="todo-heading".*?</section>', page, re.S)
    assert section, "the academy page says nothing about what needs doing"
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split())
            for item in re.findall(r"<li[^>]*>(.*?)</li>", section.group(0), re.S)]


def test_a_new_academy_says_what_to_set_up(browser):
    sign_in_admin(browser)
    empty = Academy(title="Next cohort", home_timezone="Europe/London")
    db.session.add(empty)
    db.session.commit()

    items = to_do(browser, empty)

    assert items[:3] == [
        "Add the live sessions : readings open and close with them.",
        "Add the readings learners take between the sessions.",
        "Enrol the learners and facilitators , one by one or from a roster.",
    ]
    assert any(item.startswith("Email is not set up on this server") for item in items)  # no MAIL_SERVER here


def test_attendance_not_recorded_after_a_session_and_reflections_waiting(browser, academy):
    sign_in_admin(browser)
    reading = make_reading(academy)
    ingrid, aisha, wei = (make_user(name) for name in ("Ingrid Solberg", "Aisha Rahman", "Wei Ling Tan"))
    for learner in (ingrid, aisha, wei):
        enrol(learner, academy)
    db.session.add(Attendance(live_session_id=academy.live_sessions[0].id, user_id=ingrid.id, status="present"))
    db.session.add(Reflection(user_id=aisha.id, reading_id=reading.id, body="Words", status="submitted",
                              submitted_at=utcnow(), version_count=1))
    db.session.commit()

    items = to_do(browser, academy)

    session_one = academy.live_sessions[0]
    day = re.search(r"Attendance at Session One \((.*?)\)", " ".join(items)).group(1)
    assert f"Attendance at Session One ({day}) is not recorded for 2 of 3 learners. Record attendance at Session One" in items
    assert f'href="/admin/sessions/{session_one.id}/attendance"' in html(browser.get(f"/admin/academies/{academy.id}"))
    assert not any("Session Two" in item for item in items)  # it has not taken place yet
    assert "1 reflection is waiting for review. Open the review queue" in items
    assert not any("certificate" in item for item in items)  # not before the last session


def test_certificates_to_issue_people_not_signed_in_and_failed_mail(browser):
    sign_in_admin(browser)
    academy = published_academy()  # both sessions in 2025
    eligible_learner(academy, "Ingrid Solberg")
    newcomer = make_user("Marcus Boudreaux", password=False)
    enrol(newcomer, academy)
    attend(newcomer, academy, "present", "absent")
    outbox.enqueue("test:failed", "readings_open", "marcus.b@example.org", "Hello", "Body")
    db.session.commit()
    db.session.query(OutgoingMail).update({"status": "failed"})
    db.session.commit()

    items = to_do(browser, academy)

    assert "1 certificate is ready to issue. Issue certificates" in items
    assert "1 person has not accepted their invitation yet. See who, and send a new link" in items
    assert "1 message could not be sent. See the mail" in items
    assert not any(item.startswith("Attendance at") for item in items)  # everyone is recorded


def test_nothing_to_do_is_said_too(browser, academy, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    sign_in_admin(browser)
    make_reading(academy, opens_at=utcnow() + timedelta(days=30))
    enrol(make_user("Fay Facilitator"), academy, role="facilitator")
    session_one = academy.live_sessions[0]
    session_one.starts_at = utcnow() + timedelta(days=1)
    db.session.commit()

    page = text_of(browser.get(f"/admin/academies/{academy.id}"))

    assert "What needs doing Nothing needs doing just now." in page


def test_reference_zones_are_typed_as_cities_and_shown_back_as_cities(browser):
    sign_in_admin(browser)
    academy = make_academy("Peer Mentoring")
    browser.get(f"/admin/academies/{academy.id}/edit")
    response = browser.post(f"/admin/academies/{academy.id}/edit", {
        "title": "Peer Mentoring", "home_timezone": "America/New_York",
        "reference_timezones": "New York, London, Paris, Singapore, Norway", "reminder_days": "2",
        "attendance_share": "75",
    })
    assert response.status_code == 302, html(response)
    db.session.expire_all()
    assert db.session.get(Academy, academy.id).reference_timezones == (
        "America/New_York Europe/London Europe/Paris Asia/Singapore Europe/Oslo")
    form = html(browser.get(f"/admin/academies/{academy.id}/edit"))
    assert 'value="New York, London, Paris, Singapore, Oslo"' in form
    page = text_of(browser.get(f"/admin/academies/{academy.id}"))
    assert "Home time zone: New York, United States" in page and "America/New_York" not in page
    refused = browser.post(f"/admin/academies/{academy.id}/edit", {
        "title": "Peer Mentoring", "home_timezone": "America/New_York", "reference_timezones": "London, Atlantis",
        "reminder_days": "2", "attendance_share": "75",
    })
    assert "Reference time zones: No time zone was found for “Atlantis”" in text_of(refused)
