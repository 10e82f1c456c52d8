"""The mail outbox over real SMTP: invitations, send-due-mail, reminders, retries and the admin mail page."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications import outbox
from lms.notifications.models import OutgoingMail
from lms.readings.models import ReadingProgress
from lms.reflections import reviews
from lms.reflections.models import Reflection
from tests.factories import enrol, learners_of, make_academy, make_paper_learner, make_reading, make_user
from tests.helpers import SmtpServer, admin_signed_in, free_port, html

INVITATION_LINK = re.compile(r'value="(https?://[^"]*/auth/invitation/[^"]+)"')
BASE_URL = "https://academy.example.org"
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


# --- helpers ---------------------------------------------------------------------------------

def messages_in_outbox(**where) -> list[OutgoingMail]:
    db.session.expire_all()
    query = select(OutgoingMail).order_by(OutgoingMail.id)
    for name, value in where.items():
        query = query.where(getattr(OutgoingMail, name) == value)
    return db.session.scalars(query).all()



def send_due_mail(runner) -> str:
    """Run `flask lms send-due-mail`; return what it printed.

    It runs inside a request context for BASE_URL: without one the command cannot build the links
    its messages carry (the bug shown by test_send_due_mail_run_by_cron_can_build_its_links), and
    the tests below would show nothing else.
    """
    with runner.app.test_request_context("/", base_url=BASE_URL):
        result = runner.invoke(args=["lms", "send-due-mail"])
    assert result.exit_code == 0, (result.output, result.exception)
    db.session.expire_all()
    return result.output


def send_queued_mail(runner) -> None:
    """Two runs of send-due-mail, as cron makes a few minutes apart: what the first queues is sent by the
    second at the latest (the first should send it: see test_send_due_mail_sends_what_it_queues_at_once)."""
    send_due_mail(runner)
    for message in messages_in_outbox(status="pending", attempts=0):
        make_due(message)
    send_due_mail(runner)


def body_of(received) -> str:
    """A received message's text, with plain \\n line ends."""
    return received.get_content().replace("\r\n", "\n")


def make_due(message: OutgoingMail) -> None:
    """Move a message's next try into the past, as if its waiting time had gone by."""
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "LMS_BASE_URL")


@pytest.fixture
def mail_config(app):
    """Change the app's mail settings in a test; they are put back afterwards."""
    saved = {name: app.config[name] for name in MAIL_SETTINGS}
    app.config.update(MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_USERNAME="", LMS_BASE_URL=BASE_URL)
    yield app.config
    app.config.update(saved)


@pytest.fixture
def smtp_servers():
    servers = SmtpServer()
    yield servers
    servers.stop()


@pytest.fixture
def smtp_inbox(mail_config, smtp_servers):
    """A real SMTP server that the app sends to."""
    inbox = smtp_servers.start()
    mail_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port)
    return inbox


@pytest.fixture
def closed_port(mail_config):
    """The app is pointed at a port where nothing listens (yet)."""
    port = free_port()
    mail_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return port


@pytest.fixture
def admin_browser(make_browser):
    return admin_signed_in(make_browser)


def person_form(**overrides) -> dict:
    values = {"full_name": "Dana Whitfield", "email": "dana.whitfield@example.org", "role": "learner",
              "timezone": "America/New_York", "group": ""}
    values.update(overrides)
    return values


def academy_between_sessions(days_to_second: float, reminder_days: int = 2):
    """An academy whose first session ended yesterday and whose second starts in `days_to_second` days."""
    academy = make_academy()
    academy.live_sessions[1].starts_at = utcnow() + timedelta(days=days_to_second)
    academy.reminder_days = reminder_days
    db.session.commit()
    make_reading(academy, "On lived experience")
    make_reading(academy, "Boundaries and care")
    return academy


def finish_everything(user, academy):
    """The learner finished every reading and submitted every reflection."""
    for reading in academy.readings:
        db.session.add(ReadingProgress(user_id=user.id, reading_id=reading.id, opened_at=utcnow(),
                                       finished_at=utcnow()))
        db.session.add(Reflection(user_id=user.id, reading_id=reading.id, body="Done.", status="submitted",
                                  version_count=1, submitted_at=utcnow()))
    db.session.commit()


# --- invitations -----------------------------------------------------------------------------

def test_an_invitation_is_sent_over_smtp_and_its_link_is_not_kept_in_the_outbox(
        admin_browser, smtp_inbox):
    academy = make_academy()
    admin_browser.get(f"/admin/academies/{academy.id}/people")

    response = admin_browser.post(f"/admin/academies/{academy.id}/people/add", person_form())

    assert response.status_code == 200
    assert "Invitations were sent by mail." in html(response)
    assert not INVITATION_LINK.search(html(response))
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [["dana.whitfield@example.org"]]
    assert "/auth/invitation/" in body_of(smtp_inbox.messages[0])
    (message,) = messages_in_outbox()
    assert (message.kind, message.status, message.attempts) == ("invitation", "sent", 1)
    assert message.to_address == "dana.whitfield@example.org"
    assert message.sent_at is not None
    assert message.body == ""


def test_without_a_mail_server_the_invitation_is_logged_and_its_link_shown_to_the_admin(
        admin_browser, mail_config):
    mail_config.update(MAIL_SERVER="")
    academy = make_academy()
    admin_browser.get(f"/admin/academies/{academy.id}/people")

    response = admin_browser.post(f"/admin/academies/{academy.id}/people/add", person_form())

    assert response.status_code == 200
    assert len(INVITATION_LINK.findall(html(response))) == 1
    (message,) = messages_in_outbox()
    assert (message.kind, message.status) == ("invitation", "logged")
    assert "/auth/invitation/" not in message.body


def test_an_invitation_that_could_not_be_sent_goes_out_at_a_later_run(
        admin_browser, closed_port, smtp_servers, runner):
    academy = make_academy(first_start=utcnow() + timedelta(days=30))  # no readings mail is due
    admin_browser.get(f"/admin/academies/{academy.id}/people")
    response = admin_browser.post(f"/admin/academies/{academy.id}/people/add", person_form())
    link = unescape(INVITATION_LINK.search(html(response)).group(1))
    (message,) = messages_in_outbox()
    assert (message.status, message.attempts) == ("pending", 1)

    make_due(message)
    inbox = smtp_servers.start(port=closed_port)
    send_due_mail(runner)

    assert len(inbox.envelopes) == 1
    assert link in body_of(inbox.messages[0])
    (message,) = messages_in_outbox()
    assert message.status == "sent" and message.body == ""


# --- send-due-mail: readings are open --------------------------------------------------------

def test_a_reset_link_asked_for_is_queued_and_sent_by_the_next_run(browser, smtp_inbox, runner):
    make_user("Wei Ling Tan")
    browser.get("/auth/reset")

    browser.post("/auth/reset", {"email": "wei.ling.tan@example.org"}).close()

    assert [(m.kind, m.status) for m in messages_in_outbox()] == [("reset", "pending")]
    assert smtp_inbox.envelopes == []  # no SMTP exchange for a reset request, even after its response
    send_due_mail(runner)
    assert len(smtp_inbox.to("wei.ling.tan@example.org")) == 1


def test_a_reset_request_left_unanswered_is_answered_and_sent_by_the_next_run(browser, smtp_inbox, runner):
    """A worker that stopped before answering (its response never closed): send-due-mail answers it."""
    make_user("Wei Ling Tan")
    browser.get("/auth/reset")

    browser.post("/auth/reset", {"email": "wei.ling.tan@example.org"})  # never closed

    assert messages_in_outbox() == []
    send_due_mail(runner)
    (received,) = smtp_inbox.to("wei.ling.tan@example.org")
    assert f"{BASE_URL}/auth/reset/" in body_of(received)
    send_due_mail(runner)
    assert len(smtp_inbox.to("wei.ling.tan@example.org")) == 1  # answered once


def test_readings_open_mail_goes_once_to_each_learner_with_the_reading_titles(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=5)
    wei, marcus = learners_of(academy, "Wei Ling Tan", "Marcus Boudreaux")
    enrol(make_user("Dana Whitfield"), academy, role="facilitator")

    send_queued_mail(runner)

    assert sorted(e.rcpt_tos[0] for e in smtp_inbox.envelopes) == sorted([wei.email, marcus.email])
    for person in (wei, marcus):
        (received,) = smtp_inbox.to(person.email)
        assert received["Subject"] == "The readings for Peer Mentoring are open"
        body = body_of(received)
        assert f"Hello {person.full_name}" in body
        assert "On lived experience" in body and "Boundaries and care" in body
        assert f"{BASE_URL}/learn/" in body
    assert [(m.kind, m.status) for m in messages_in_outbox()] == [("readings_open", "sent")] * 2
    assert messages_in_outbox(kind="reminder") == []  # the second session is 5 days away; reminders at 2

    again = send_due_mail(runner)

    assert "queued 0, sent 0" in again
    assert len(smtp_inbox.envelopes) == 2
    assert len(messages_in_outbox()) == 2


def test_send_due_mail_sends_what_it_queues_at_once(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=5)
    (learner,) = learners_of(academy, "Wei Ling Tan")

    output = send_due_mail(runner)

    assert "queued 1, sent 1" in output
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [[learner.email]]


def test_what_send_due_mail_queues_and_sends_is_committed(app, smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=5)
    learners_of(academy, "Wei Ling Tan")

    send_due_mail(runner)

    with app.app_context():  # a session of its own sees only what was committed
        assert db.session.scalars(select(OutgoingMail.status)).all() == ["sent"]


def test_no_readings_mail_before_the_first_session_has_ended(smtp_inbox, runner):
    academy = make_academy(first_start=utcnow() + timedelta(days=2))
    make_reading(academy)
    learners_of(academy, "Wei Ling Tan")

    send_due_mail(runner)

    assert smtp_inbox.envelopes == []
    assert messages_in_outbox() == []


def test_send_due_mail_run_by_cron_can_build_its_links(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=5)
    (learner,) = learners_of(academy, "Wei Ling Tan")

    result = runner.invoke(args=["lms", "send-due-mail"])  # no request around it, as under cron

    assert result.exit_code == 0, result.exception
    (received,) = smtp_inbox.to(learner.email)
    assert f"{BASE_URL}/learn/" in body_of(received)


def test_send_due_mail_without_a_base_url_says_what_is_missing(mail_config, smtp_servers, runner):
    inbox = smtp_servers.start()
    mail_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, LMS_BASE_URL="")
    academy = academy_between_sessions(days_to_second=5)
    learners_of(academy, "Wei Ling Tan")

    result = runner.invoke(args=["lms", "send-due-mail"])

    assert not isinstance(result.exception, RuntimeError), result.exception
    assert result.exit_code == 0 or "LMS_BASE_URL" in result.output


# --- send-due-mail: reminders ----------------------------------------------------------------

def test_reminders_go_only_to_learners_with_something_left_to_do(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=1)
    done, untouched, half = learners_of(academy, "Done Learner", "Untouched Learner", "Half Learner")
    enrol(make_user("Dana Whitfield"), academy, role="facilitator")
    finish_everything(done, academy)
    first, second = academy.readings
    for reading in (first, second):
        db.session.add(ReadingProgress(user_id=half.id, reading_id=reading.id, opened_at=utcnow(),
                                       finished_at=utcnow()))
    db.session.add(Reflection(user_id=half.id, reading_id=first.id, body="Done.", status="submitted",
                              version_count=1, submitted_at=utcnow()))
    db.session.add(Reflection(user_id=half.id, reading_id=second.id, body="Not yet", status="draft"))
    db.session.commit()

    send_queued_mail(runner)

    reminders = messages_in_outbox(kind="reminder")
    assert sorted(m.to_address for m in reminders) == sorted([untouched.email, half.email])
    assert {m.status for m in reminders} == {"sent"}
    reminder_mails = [m for m in smtp_inbox.messages if m["Subject"].startswith("Before Session Two")]
    assert sorted(m["To"] for m in reminder_mails) == sorted([untouched.email, half.email])
    assert [m for m in reminder_mails if m["To"] == done.email] == []
    (to_half,) = [m for m in reminder_mails if m["To"] == half.email]
    body = body_of(to_half)
    assert "Finish reading" not in body
    assert "Write your reflection on:\n- Boundaries and care" in body
    assert "On lived experience" not in body
    (to_untouched,) = [m for m in reminder_mails if m["To"] == untouched.email]
    assert "Finish reading:\n- On lived experience\n- Boundaries and care" in body_of(to_untouched)
    received = len(smtp_inbox.envelopes)

    again = send_due_mail(runner)

    assert "queued 0, sent 0" in again
    assert len(smtp_inbox.envelopes) == received
    assert len(messages_in_outbox(kind="reminder")) == 2


def test_no_reminders_when_the_academy_sends_none(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=1, reminder_days=0)
    learners_of(academy, "Untouched Learner")

    send_queued_mail(runner)

    assert messages_in_outbox(kind="reminder") == []
    assert [m["Subject"] for m in smtp_inbox.messages] == ["The readings for Peer Mentoring are open"]


def test_a_reminder_does_not_ask_for_a_reflection_on_a_reading_that_has_closed(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=1)
    (learner,) = learners_of(academy, "Wei Ling Tan")
    finish_everything(learner, academy)
    closed = make_reading(academy, "Already closed", closes_at=utcnow() - timedelta(hours=1))
    db.session.add(ReadingProgress(user_id=learner.id, reading_id=closed.id, opened_at=utcnow(),
                                   finished_at=utcnow()))
    db.session.commit()

    send_due_mail(runner)

    assert messages_in_outbox(kind="reminder") == []


# --- failures and retries --------------------------------------------------------------------

def test_a_failed_send_is_retried_later_not_at_once(closed_port, smtp_servers, runner):
    academy = academy_between_sessions(days_to_second=5)
    (learner,) = learners_of(academy, "Wei Ling Tan")

    send_queued_mail(runner)

    (message,) = messages_in_outbox()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error
    assert message.next_attempt_at > utcnow()

    send_due_mail(runner)  # straight away: not due yet

    (message,) = messages_in_outbox()
    assert (message.status, message.attempts) == ("pending", 1)

    inbox = smtp_servers.start(port=closed_port)
    make_due(message)
    send_due_mail(runner)

    (message,) = messages_in_outbox()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert [e.rcpt_tos for e in inbox.envelopes] == [[learner.email]]


def test_after_the_last_attempt_a_message_fails_and_an_admin_can_have_it_tried_again(
        closed_port, smtp_servers, runner, admin_browser):
    academy = academy_between_sessions(days_to_second=5)
    (learner,) = learners_of(academy, "Wei Ling Tan")
    send_queued_mail(runner)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        make_due(messages_in_outbox()[0])
        send_due_mail(runner)

    (message,) = messages_in_outbox()
    assert (message.status, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    make_due(message)
    send_due_mail(runner)
    assert messages_in_outbox()[0].attempts == outbox.MAX_ATTEMPTS  # a failed message is left alone

    page = admin_browser.get("/admin/mail")
    assert page.status_code == 200
    text = unescape(html(page))
    assert "Failed" in text and learner.email in text
    assert message.last_error in text
    assert f'action="/admin/mail/{message.id}/retry"' in text

    retried = admin_browser.post(f"/admin/mail/{message.id}/retry")

    assert retried.status_code == 302
    (message,) = messages_in_outbox()
    assert (message.status, message.attempts) == ("pending", 0)
    assert "will be tried again" in html(admin_browser.get("/admin/mail"))
    inbox = smtp_servers.start(port=closed_port)
    send_due_mail(runner)
    assert messages_in_outbox()[0].status == "sent"
    assert len(inbox.envelopes) == 1


def test_try_again_on_a_message_that_did_not_fail_changes_nothing(admin_browser, mail_config):
    outbox.enqueue("test:sent", "readings_open", "wei@example.org", "Hello", "Body")
    db.session.commit()
    (message,) = messages_in_outbox()
    message.status = "sent"
    db.session.commit()
    admin_browser.get("/admin/mail")

    response = admin_browser.post(f"/admin/mail/{message.id}/retry")

    assert response.status_code == 302
    assert messages_in_outbox()[0].status == "sent"
    assert "cannot be tried again" in html(admin_browser.get("/admin/mail"))


def test_two_runs_at_the_same_time_do_not_send_a_message_twice(smtp_inbox, runner):
    outbox.enqueue("test:once", "readings_open", "wei@example.org", "Hello", "Body")
    db.session.commit()
    (message,) = messages_in_outbox()
    now = utcnow()

    assert outbox._claim(message.id, now) is True
    assert outbox._claim(message.id, now) is False
    assert messages_in_outbox()[0].status == "sending"

    send_due_mail(runner)  # another run meanwhile leaves the claimed message to its owner

    assert smtp_inbox.envelopes == []
    assert messages_in_outbox()[0].status == "sending"


def test_the_same_message_is_queued_once(mail_config):
    assert outbox.enqueue("test:dedupe", "readings_open", "wei@example.org", "Hello", "Body") is True
    assert outbox.enqueue("test:dedupe", "readings_open", "wei@example.org", "Hello", "Body") is False
    db.session.commit()

    assert len(messages_in_outbox()) == 1


# --- the admin mail page ---------------------------------------------------------------------

def shown_count(page: str, label: str) -> int:
    found = re.search(rf'<span class="city">{label}</span>\s*(\d+)', page)
    assert found, f"no {label} count on the page"
    return int(found.group(1))


def test_the_admin_mail_page_counts_sent_waiting_and_failed_messages(admin_browser, mail_config):
    states = ["sent", "sent", "pending", "sending", "failed", "logged"]
    for number in range(len(states)):
        outbox.enqueue(f"test:{number}", "readings_open", f"person{number}@example.org", f"Subject {number}",
                       "Body")
    db.session.commit()
    for message, state in zip(messages_in_outbox(), states, strict=True):
        message.status = state
        if state == "failed":
            message.attempts, message.last_error = outbox.MAX_ATTEMPTS, "SMTPRecipientsRefused: no such user"
    db.session.commit()

    page = html(admin_browser.get("/admin/mail"))

    assert shown_count(page, "Sent") == 2
    assert shown_count(page, "Waiting") == 2
    assert shown_count(page, "Failed") == 1
    assert shown_count(page, r"Not sent \(no email set up\)") == 1
    for developer_words in ("MAIL_SERVER", "send-due-mail", "cron", "<code>"):
        assert developer_words not in page
    assert "SMTPRecipientsRefused: no such user" in page
    assert page.count("Try again") == 1


@pytest.mark.parametrize("role", ["learner", "facilitator"])
def test_learners_and_facilitators_cannot_see_the_mail_page_or_retry(make_browser, role, mail_config):
    academy = make_academy()
    person = make_user(f"Some {role.capitalize()}")
    enrol(person, academy, role=role)
    outbox.enqueue("test:failed", "readings_open", "wei@example.org", "Hello", "Body")
    db.session.commit()
    (message,) = messages_in_outbox()
    message.status = "failed"
    db.session.commit()
    browser = make_browser()
    browser.login(person)

    assert browser.get("/admin/mail").status_code == 403
    browser.get("/learn/")
    assert browser.post(f"/admin/mail/{message.id}/retry").status_code == 403
    assert messages_in_outbox()[0].status == "failed"


def test_anonymous_visitors_are_sent_to_sign_in_from_the_mail_page(browser):
    response = browser.get("/admin/mail")

    assert response.status_code == 302
    assert "/auth/login" in response.location
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


# --- learners on paper: no mail, ever ------------------------------------------------------------

def test_send_due_mail_queues_nothing_for_a_learner_on_paper(smtp_inbox, runner):
    academy = academy_between_sessions(days_to_second=1)  # readings open, and reminders due
    (online,) = learners_of(academy, "Wei Ling Tan")
    ole = make_paper_learner("Ole Hansen")
    enrol(ole, academy)

    send_queued_mail(runner)

    assert {message.kind for message in messages_in_outbox()} == {"readings_open", "reminder"}
    assert {message.to_address for message in messages_in_outbox()} == {online.email}
    assert {envelope.rcpt_tos[0] for envelope in smtp_inbox.envelopes} == {online.email}


def test_released_feedback_queues_no_mail_for_a_learner_on_paper(app, smtp_inbox):
    academy = academy_between_sessions(days_to_second=1)
    ole = make_paper_learner("Ole Hansen")
    enrol(ole, academy)
    facilitator = make_user("Dana Whitfield")
    enrol(facilitator, academy, role="facilitator")
    reflection = Reflection(user_id=ole.id, reading_id=academy.readings[0].id, body="Written by hand.",
                            status="submitted", version_count=1, submitted_at=utcnow())
    db.session.add(reflection)
    db.session.commit()

    with app.test_request_context("/", base_url=BASE_URL):
        reviews.save_feedback(reflection, facilitator, "Thank you, well said.", "reviewed", None, utcnow())
        db.session.commit()

    assert reflection.status == "reviewed"
    assert messages_in_outbox() == []
    assert smtp_inbox.envelopes == []
