"""Noticing, as a transaction commits, that a result a course's gradebook shows has changed, and queueing it.

A reading finished, a reflection sent, attendance recorded or a certificate issued or revoked: the LTI domain
watches the session for these rows itself (no other domain calls in), and once the change is committed it
queues `send_academy_scores` for that academy, so the score reaches the platform within moments while the page
that made the change never waits for it. The periodic `post_scores` (every 5 minutes) stays as the safety
net for changes made without the session (bulk UPDATEs) or a queue that was down.
"""
from __future__ import annotations

import logging

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANGED = "lms_lti_changed"  # session.info: what was flushed in this transaction, as (kind, id)
TO_SEND = "lms_lti_academies_to_send"  # session.info: the linked academies, resolved before the commit


def _changed(instance, attribute: str) -> bool:
    state = inspect(instance)
    return state.pending or state.deleted or state.attrs[attribute].history.has_changes()


def _noticed(instance) -> tuple[str, int] | None:
    """What a flushed row says about a result: (the kind of id it carries, the id), or None."""
    from lms.attendance.models import Attendance
    from lms.certificates.models import Certificate
    from lms.readings.models import ReadingProgress
    from lms.reflections.models import Reflection

    if isinstance(instance, ReadingProgress) and _changed(instance, "finished_at"):
        return "reading", instance.reading_id
    if isinstance(instance, Reflection) and _changed(instance, "status"):  # not every draft saved
        return "reading", instance.reading_id
    if isinstance(instance, Attendance):
        return "live_session", instance.live_session_id
    if isinstance(instance, Certificate) and _changed(instance, "status"):
        return "academy", instance.academy_id
    return None


def _after_flush(session: Session, _flush_context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        noticed = _noticed(instance)
        if noticed is not None and noticed[1] is not None:
            session.info.setdefault(CHANGED, set()).add(noticed)


def _before_commit(session: Session) -> None:
    """Still inside the transaction: which of the changed rows' academies have a course with a gradebook."""
    from lms.academies.models import LiveSession
    from lms.lti.models import LtiContext
    from lms.readings.models import Reading

    session.flush()  # the commit's own flush comes after this event; its rows must be noticed too
    changed = session.info.pop(CHANGED, None)
    if not changed:
        return
    ids = {kind: {value for found, value in changed if found == kind}
           for kind in ("reading", "live_session", "academy")}
    # One question whatever changed: which of these rows' academies have a course with a gradebook.
    academy_of_change = [LtiContext.academy_id.in_(ids["academy"])] if ids["academy"] else []
    if ids["reading"]:
        academy_of_change.append(LtiContext.academy_id.in_(
            select(Reading.academy_id).where(Reading.id.in_(ids["reading"]))))
    if ids["live_session"]:
        academy_of_change.append(LtiContext.academy_id.in_(
            select(LiveSession.academy_id).where(LiveSession.id.in_(ids["live_session"]))))
    linked = set(session.scalars(select(LtiContext.academy_id).where(LtiContext.lineitems_url != "",
                                                                     or_(*academy_of_change))))
    if linked:
        session.info.setdefault(TO_SEND, set()).update(linked)


def _after_commit(session: Session) -> None:
    from lms.lti.tasks import send_academy_scores

    for academy_id in sorted(session.info.pop(TO_SEND, ())):
        try:
            send_academy_scores(academy_id)
        except Exception:  # noqa: BLE001 (the change is saved; the periodic post_scores sends it instead)
            log.warning("could not queue the scores of academy %s; the periodic run will send them", academy_id,
                        exc_info=True)


def _after_rollback(session: Session, _previous_transaction) -> None:
    """Nothing rolled back is sent (a savepoint's rollback leaves the outer transaction's list as it is)."""
    if _previous_transaction.parent is not None:
        return
    session.info.pop(CHANGED, None)
    session.info.pop(TO_SEND, None)


def watch(session_factory) -> None:
    """Listen on the app's sessions (once per process; the listeners are idempotent)."""
    for name, listener in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_commit", _after_commit), ("after_soft_rollback", _after_rollback)):
        if not event.contains(session_factory, name, listener):
            event.listen(session_factory, name, listener)

