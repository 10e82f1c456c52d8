"""No mail is ever queued for a learner on paper: readings-open mail, reminders, links or feedback."""
from __future__ import annotations

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.reflections import reviews
from lms.reflections.models import Reflection
from tests.factories import enrol, learners_of, make_paper_learner, make_user
from tests.notifications.test_mail import (  # noqa: F401 (fixtures)
    BASE_URL,
    academy_between_sessions,
    mail_config,
    messages_in_outbox,
    send_queued_mail,
    smtp_inbox,
    smtp_servers,
)


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
