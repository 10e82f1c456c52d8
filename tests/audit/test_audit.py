"""The audit log: admin actions are recorded and readable by admins; no log holds secrets or reflections."""
import logging

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.core.extensions import db
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import text_of

SECRET_REFLECTION = "My private story about the day I was released"


def test_admin_actions_are_recorded_and_listed(browser):
    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy()
    browser.login(admin)
    browser.post(f"/admin/academies/{academy.id}/people/add", {
        "full_name": "Ingrid Solberg", "email": "ingrid@example.org", "role": "learner",
        "timezone": "Europe/Oslo", "group": "",
    })
    page = browser.get(f"/admin/academies/{academy.id}/edit")
    assert page.status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "people.enrol"))
    assert event.actor_email == admin.email and event.target == f"academy {academy.id}"
    html = browser.get("/admin/audit").get_data(as_text=True)
    assert "Enrolled people" in html and "Ada Admin" in html and "people.enrol" not in html
    assert f"<td>{academy.title}</td>" in html and f"academy {academy.id}" not in html  # by name


def test_only_admins_read_the_audit_log(browser):
    academy = make_academy()
    learner = make_user("Learner")
    enrol(learner, academy)
    facilitator = make_user("Facilitator")
    enrol(facilitator, academy, role="facilitator")
    for user in (learner, facilitator):
        browser.login(user)
        assert browser.get("/admin/audit").status_code == 403
        browser.logout()
    assert browser.get("/admin/audit").status_code == 302


def test_logs_hold_neither_passwords_nor_reflection_text(browser, make_browser, caplog):
    caplog.set_level(logging.DEBUG)
    academy = make_academy()
    reading = make_reading(academy)
    learner = make_user("Wei Ling Tan", password=False)
    enrol(learner, academy)
    from lms.accounts import services as accounts

    token = accounts.issue_token(learner, "invitation")
    db.session.commit()
    new_password = "a secret passphrase nobody logs"
    browser.get(f"/auth/invitation/{token}")
    browser.post(f"/auth/invitation/{token}", {"password": new_password, "confirm": new_password})
    browser.get(f"/learn/readings/{reading.id}")  # a new session after setting the password: a new form token
    browser.post(f"/learn/readings/{reading.id}/reflection", {"body": SECRET_REFLECTION, "action": "submit"})
    make_browser().login(learner.email, "a wrong password for the log")
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.detail.contains("secret"))) is None
    for secret in (new_password, "a wrong password for the log", SECRET_REFLECTION):
        assert secret not in caplog.text
    assert f"reflection on reading {reading.id} submitted" in caplog.text


def test_the_log_reads_in_an_organisers_words_with_names_not_numbers(browser):
    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy("Peer Mentoring")
    browser.login(admin)
    browser.get(f"/admin/academies/{academy.id}/readings/new")
    browser.post(f"/admin/academies/{academy.id}/readings/new",
                 {"title": "Lived experience", "body_markdown": "Text", "form_key": ""})
    session_two = academy.live_sessions[1]
    browser.post(f"/admin/sessions/{session_two.id}/delete")

    page = text_of(browser.get("/admin/audit"))

    assert "Added a reading “Lived experience” Lived experience" in page
    assert f"Deleted a live session a live session since deleted (no. {session_two.id}) Session Two" in page
    for code in ("reading.create", "session.delete", f"live session {session_two.id}", "reading 1"):
        assert code not in page
