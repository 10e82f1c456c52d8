"""The mail outbox: queue each message once, deliver what is due, retry failures, schedule reminders."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.audit import services as audit
from lms.core import mail
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications.models import OutgoingMail
from lms.readings.models import ReadingProgress
from lms.reflections.models import Reflection

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A message left "sending" this long belongs to a run that died; it is tried again.
STALE_SENDING = timedelta(minutes=15)
# Kinds whose body holds a one-time link; the body is emptied once delivered.
SECRET_KINDS = {"invitation", "reset"}
# Messages sent over one SMTP connection, claimed together.
BATCH_SIZE = 100
# Messages one run sends at most (the worker runs send_due every minute; 5,000 take well under a minute).
DELIVER_LIMIT = 5000


def retry_delay(attempts: int) -> timedelta:
    """2, 4, 8 ... minutes between tries, at most two hours."""
    return timedelta(minutes=min(2 ** attempts, 120))


def enqueue(
    dedupe_key: str, kind: str, to_address: str, subject: str, body: str, now: datetime | None = None
) -> bool:
    """Queue a message unless one with the same key exists. True when it was queued now.

    `now` is the run's clock, so a message queued by a run is due in that same run.
    A person who takes part on paper has no address: nothing is ever queued for them, whoever asks.
    """
    if not to_address:
        log.info("%s mail %s not queued: the person takes part on paper, without email", kind, dedupe_key)
        return False
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = now or utcnow()
    inserted = db.session.execute(
        insert(OutgoingMail)
        .values(
            dedupe_key=dedupe_key, kind=kind, to_address=to_address, subject=subject, body=body,
            status="pending", attempts=0, last_error="", created_at=now, next_attempt_at=now,
        )
        .on_conflict_do_nothing()
        # rowcount is not reliable here on every driver; a returned id is.
        .returning(OutgoingMail.id)
    ).first()
    return inserted is not None


def withdraw_links(to_address: str) -> int:
    """Delete the messages not yet sent that carry a one-time link to `to_address` (its links were spent)."""
    withdrawn = db.session.execute(
        delete(OutgoingMail).where(
            OutgoingMail.to_address == to_address, OutgoingMail.kind.in_(SECRET_KINDS),
            OutgoingMail.status == "pending",
        )
    )
    return withdrawn.rowcount


def _claim(message_id: int, now: datetime) -> bool:
    """Mark one message as being sent; of two runs at once, only one gets it."""
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == message_id, OutgoingMail.status == "pending")
        .values(status="sending", next_attempt_at=now)
    )
    # Committed before the message goes to SMTP: another run must see it taken, or both would send it.
    db.session.commit()
    return claimed.rowcount == 1


def deliver(message: OutgoingMail, now: datetime, connection: mail.Connection | None = None) -> str:
    """Try one claimed message (on `connection`, or one of its own); record the outcome, return its new status."""
    try:
        if connection is None:
            sent = mail.send(message.to_address, message.subject, message.body)
        else:
            sent = connection.send(message.to_address, message.subject, message.body)
    except mail.MailError as error:
        message.attempts += 1
        message.last_error = str(error)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            if message.kind in SECRET_KINDS:
                message.body = ""  # a link that will never be delivered must not wait in the database
        else:
            message.status = "pending"
            message.next_attempt_at = now + retry_delay(message.attempts)
        # The try is recorded at once: a later failure in this run must not lose the count of attempts.
        db.session.commit()
        log.warning("mail %s to %s failed (attempt %d): %s", message.id, message.to_address, message.attempts, error)
        return message.status
    message.attempts += 1
    message.status = "sent" if sent else "logged"
    message.sent_at = now
    message.last_error = ""
    if message.kind in SECRET_KINDS:
        message.body = ""
    # The message is out: recorded at once, so a later failure in this run cannot have it sent again.
    db.session.commit()
    return message.status


def deliver_now(dedupe_key: str) -> str | None:
    """Deliver one just-queued message straight away (an admin is waiting to know)."""
    now = utcnow()
    message = db.session.scalar(select(OutgoingMail).where(OutgoingMail.dedupe_key == dedupe_key))
    if message is None or not _claim(message.id, now):
        return None
    return deliver(message, now)


def _claim_batch(now: datetime, size: int) -> list[int]:
    """Mark up to `size` due messages as being sent and return their ids; of two runs at once, each gets its own."""
    due = (
        select(OutgoingMail.id)
        .where(OutgoingMail.status == "pending", OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(size)
    )
    claimed = db.session.scalars(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(due.scalar_subquery()), OutgoingMail.status == "pending")
        .values(status="sending", next_attempt_at=now)
        .returning(OutgoingMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    # Committed before any message goes to SMTP: another run must see them taken, or both would send them.
    db.session.commit()
    return sorted(claimed)


def deliver_due(now: datetime, batch_size: int = BATCH_SIZE, limit: int = DELIVER_LIMIT) -> dict[str, int]:
    """Send every pending message whose time has come, a batch per SMTP connection. Safe to run in several
    processes at once. At most `limit` messages per run, so that one run ends and the next begins."""
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.status == "sending", OutgoingMail.next_attempt_at < now - STALE_SENDING)
        .values(status="pending")
    )
    outcome = {"sent": 0, "logged": 0, "pending": 0, "failed": 0}
    handled = 0
    while handled < limit:
        ids = _claim_batch(now, min(batch_size, limit - handled))
        if not ids:
            break
        messages = db.session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id))
        with mail.Connection() as connection:
            for message in messages.all():
                outcome[deliver(message, now, connection)] += 1
        handled += len(ids)
    return outcome


# --- what is due -----------------------------------------------------------------------------

def _academies_with_sessions():
    return db.session.scalars(
        select(Academy).options(selectinload(Academy.live_sessions), selectinload(Academy.readings))
    ).all()


def _learners(academy_id: int):
    """The academy's learners who have an email (those on paper get no mail)."""
    return db.session.scalars(
        select(Enrolment)
        .join(Enrolment.user)
        .where(Enrolment.academy_id == academy_id, Enrolment.role == "learner", User.email.is_not(None))
        .options(selectinload(Enrolment.user))
    ).all()


def schedule_due(now: datetime) -> int:
    """Queue the "readings are open" messages and the reminders whose moment has come."""
    queued = 0
    for academy in _academies_with_sessions():
        sessions = academy.live_sessions
        if len(sessions) < 2 or not academy.readings:
            continue
        first, second = sessions[0], sessions[1]
        if first.ends_at <= now < second.starts_at:
            queued += _queue_readings_open(academy, now)
        reminder_at = second.starts_at - timedelta(days=academy.reminder_days)
        if academy.reminder_days > 0 and reminder_at <= now < second.starts_at:
            queued += _queue_reminders(academy, second, now)
    return queued


def _queue_readings_open(academy: Academy, now: datetime) -> int:
    readings = [reading for reading in academy.readings if reading.is_open(now) and not reading.is_closed(now)]
    if not readings:
        return 0
    queued = 0
    for enrolment in _learners(academy.id):
        user = enrolment.user
        body = render_template(
            "lms/emails/readings_open.txt", user=user, academy=academy, readings=readings,
            link=mail.absolute_url("lms.readings.dashboard"),
        )
        queued += enqueue(
            f"readings-open:{academy.id}:{user.id}", "readings_open", user.email,
            f"The readings for {academy.title} are open", body, now,
        )
    return queued


def _queue_reminders(academy: Academy, second_session, now: datetime) -> int:
    # Only what the learner can still act on: open readings that have not closed.
    readings = [reading for reading in academy.readings if reading.is_open(now) and not reading.is_closed(now)]
    if not readings:
        return 0
    reading_ids = [reading.id for reading in readings]
    finished = set(
        db.session.execute(
            select(ReadingProgress.user_id, ReadingProgress.reading_id).where(
                ReadingProgress.reading_id.in_(reading_ids), ReadingProgress.finished_at.is_not(None)
            )
        ).all()
    )
    submitted = set(
        db.session.execute(
            select(Reflection.user_id, Reflection.reading_id).where(
                Reflection.reading_id.in_(reading_ids), Reflection.status != "draft"
            )
        ).all()
    )
    queued = 0
    for enrolment in _learners(academy.id):
        user = enrolment.user
        unfinished = [r for r in readings if (user.id, r.id) not in finished]
        unwritten = [r for r in readings if r.has_reflection and (user.id, r.id) not in submitted]
        if not unfinished and not unwritten:
            continue
        body = render_template(
            "lms/emails/reminder.txt", user=user, academy=academy, session=second_session,
            unfinished=unfinished, unwritten=unwritten, link=mail.absolute_url("lms.readings.dashboard"),
        )
        queued += enqueue(
            f"reminder:{academy.id}:{second_session.id}:{user.id}", "reminder", user.email,
            f"Before {second_session.title}: your readings for {academy.title}", body, now,
        )
    return queued


def send_due(now: datetime | None = None) -> dict[str, int]:
    """What `flask lms send-due-mail` does: queue what is due, then deliver what is pending."""
    now = now or utcnow()
    queued = schedule_due(now)
    # The queued messages are saved before any is sent: a run that dies while sending leaves them queued.
    db.session.commit()
    outcome = deliver_due(now)
    outcome["queued"] = queued
    return outcome


@dataclass
class OutboxSummary:
    counts: dict[str, int]
    recent: list[OutgoingMail]


def summary(limit: int = 100) -> OutboxSummary:
    counts = dict(db.session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all())
    recent = db.session.scalars(
        select(OutgoingMail)
        .order_by(
            # Failures and pending messages first: those are what an admin acts on.
            (OutgoingMail.status.in_(["failed", "pending", "sending"])).desc(),
            OutgoingMail.created_at.desc(),
        )
        .limit(limit)
    ).all()
    return OutboxSummary({state: counts.get(state, 0) for state in ("pending", "sending", "sent", "logged", "failed")}, recent)


def retry(message_id: int, by) -> bool:
    """An admin asks for a failed message to be tried again."""
    changed = db.session.execute(
        update(OutgoingMail)
        .where(
            and_(OutgoingMail.id == message_id, OutgoingMail.status == "failed"),
            # A failed one-time link was erased; a new link is made from the People page instead.
            or_(OutgoingMail.kind.not_in(SECRET_KINDS), OutgoingMail.body != ""),
        )
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
    )
    if changed.rowcount == 1:
        audit.record(by, "mail.retry", f"mail {message_id}")
    return changed.rowcount == 1
