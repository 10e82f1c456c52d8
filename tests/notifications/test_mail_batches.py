"""Mail in bulk over real SMTP on loopback: many messages per connection, a server that drops the connection
mid-batch, retries; and a roster import that queues its invitations instead of sending them."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications import outbox
from lms.notifications.models import OutgoingMail
from tests.factories import make_academy
from tests.helpers import Inbox, admin_signed_in, free_port, html
from tests.notifications.test_mail import body_of, mail_config, send_due_mail  # noqa: F401 (fixture)


class CountingInbox(Inbox):
    """Keeps each message with the connection (aiosmtpd session) it came over; drops a connection after
    `per_connection` messages when asked, and refuses the addresses in `refused`."""

    def __init__(self, per_connection: int | None = None, refused=()):
        super().__init__()
        self.per_connection = per_connection
        self.refused = set(refused)
        self.sessions = []
        self.on_session = {}

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.per_connection is not None and self.on_session.get(id(session), 0) >= self.per_connection:
            server.transport.close()  # drops the connection without a word, as a server restarting does
            return "421 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.on_session[id(session)] = self.on_session.get(id(session), 0) + 1
        self.sessions.append(id(session))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def start_server(mail_config):  # noqa: F811
    controllers = []

    def start(inbox: CountingInbox) -> CountingInbox:
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        mail_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


def queue(count: int, kind: str = "readings_open") -> list[str]:
    addresses = [f"person{number}@example.org" for number in range(count)]
    for number, address in enumerate(addresses):
        outbox.enqueue(f"test:{number}", kind, address, f"Subject {number}", f"Body {number}")
    db.session.commit()
    return addresses


def statuses() -> list[tuple[str, str, int]]:
    db.session.expire_all()
    return db.session.execute(
        select(OutgoingMail.to_address, OutgoingMail.status, OutgoingMail.attempts).order_by(OutgoingMail.id)
    ).all()


def test_a_batch_goes_out_over_one_connection(start_server):
    inbox = start_server(CountingInbox())
    addresses = queue(7)

    outcome = outbox.deliver_due(utcnow())

    assert outcome["sent"] == 7
    assert [e.rcpt_tos for e in inbox.envelopes] == [[address] for address in addresses]
    assert len(set(inbox.sessions)) == 1
    assert statuses() == [(address, "sent", 1) for address in addresses]


def test_batches_each_have_their_own_connection(start_server):
    inbox = start_server(CountingInbox())
    queue(7)

    outbox.deliver_due(utcnow(), batch_size=3)

    assert len(inbox.envelopes) == 7
    assert len(set(inbox.sessions)) == 3  # 3 + 3 + 1


def test_a_server_dropping_the_connection_mid_batch_loses_nothing_and_sends_nothing_twice(start_server):
    inbox = start_server(CountingInbox(per_connection=2))
    addresses = queue(5)

    outcome = outbox.deliver_due(utcnow())

    assert outcome["sent"] == 5
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == sorted(addresses)  # each exactly once
    assert len(set(inbox.sessions)) == 3  # 2, then 2 after reconnecting, then the last one
    assert statuses() == [(address, "sent", 1) for address in addresses]


def test_a_refused_message_is_retried_later_while_the_rest_of_the_batch_goes_on(start_server):
    inbox = start_server(CountingInbox(refused={"person1@example.org"}))
    queue(3)

    outbox.deliver_due(utcnow())

    assert [e.rcpt_tos for e in inbox.envelopes] == [["person0@example.org"], ["person2@example.org"]]
    assert len(set(inbox.sessions)) == 1
    assert statuses() == [("person0@example.org", "sent", 1), ("person1@example.org", "pending", 1),
                          ("person2@example.org", "sent", 1)]
    refused = db.session.scalar(select(OutgoingMail).where(OutgoingMail.to_address == "person1@example.org"))
    assert "no such user" in refused.last_error
    assert refused.next_attempt_at > utcnow()
    outbox.deliver_due(utcnow())  # not due yet
    assert len(inbox.envelopes) == 2

    inbox.refused.clear()
    outbox.deliver_due(utcnow() + outbox.retry_delay(1) + timedelta(seconds=1))

    assert [e.rcpt_tos for e in inbox.envelopes][-1] == ["person1@example.org"]
    assert statuses()[1] == ("person1@example.org", "sent", 2)


def test_a_server_that_cannot_be_reached_leaves_the_batch_waiting(mail_config):  # noqa: F811
    mail_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    addresses = queue(3)

    outcome = outbox.deliver_due(utcnow())

    assert outcome["pending"] == 3
    assert statuses() == [(address, "pending", 1) for address in addresses]


def roster(count: int) -> bytes:
    rows = "".join(f"Person {number},person{number}@example.org\n" for number in range(count))
    return ("Name,Email\n" + rows).encode()


def test_a_roster_import_queues_its_invitations_and_the_worker_sends_them(make_browser, start_server, runner):
    inbox = start_server(CountingInbox())
    academy = make_academy()
    browser = admin_signed_in(make_browser)
    browser.get(f"/admin/academies/{academy.id}/people")

    response = browser.post(
        f"/admin/academies/{academy.id}/people/import",
        {"roster": (io.BytesIO(roster(12)), "roster.csv")}, content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert "12 invitations are on their way by mail" in html(response)
    assert inbox.envelopes == []  # nothing was sent inside the request
    assert {(status, attempts) for _, status, attempts in statuses()} == {("pending", 0)}
    page = html(browser.get("/admin/mail"))
    assert "12 messages waiting to go out; 0 of 12 done so far." in page

    send_due_mail(runner)  # what the worker runs every minute

    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == sorted(f"person{n}@example.org" for n in range(12))
    assert len(set(inbox.sessions)) == 1
    assert "/auth/invitation/" in body_of(inbox.messages[0])
    assert {status for _, status, _ in statuses()} == {"sent"}
    assert "waiting to go out" not in html(browser.get("/admin/mail"))


def test_a_refused_roster_queues_no_invitation(make_browser, start_server):
    start_server(CountingInbox())
    academy = make_academy()
    browser = admin_signed_in(make_browser)
    browser.get(f"/admin/academies/{academy.id}/people")
    data = roster(5) + b"Broken Row,not-an-email\n"

    response = browser.post(
        f"/admin/academies/{academy.id}/people/import",
        {"roster": (io.BytesIO(data), "roster.csv")}, content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert statuses() == []


def test_queued_invitations_go_out_even_where_the_worker_has_no_base_address(
        make_browser, start_server, mail_config, app):  # noqa: F811
    """The worker's due mail without LMS_BASE_URL still sends what requests queued (their links are written)."""
    inbox = start_server(CountingInbox())
    academy = make_academy()
    browser = admin_signed_in(make_browser)
    browser.get(f"/admin/academies/{academy.id}/people")
    browser.post(f"/admin/academies/{academy.id}/people/import",
                 {"roster": (io.BytesIO(roster(3)), "roster.csv")}, content_type="multipart/form-data")
    assert inbox.envelopes == []
    mail_config.update(LMS_BASE_URL="")
    from lms.notifications.tasks import send_due_mail as send_due_mail_task

    outcome = send_due_mail_task.run_here()
    db.session.commit()

    assert outcome["sent"] == 3
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [f"person{n}@example.org" for n in range(3)]
    assert "/auth/invitation/" in body_of(inbox.messages[0])
