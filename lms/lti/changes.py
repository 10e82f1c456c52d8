"""Noticing, as a transaction commits, that a result a course's gradebook shows has changed, and queueing it.

A reading finished, a reflection sent, attendance recorded or a certificate issued or revoked: the LTI domain
watches the session for these rows itself (no other domain calls in), and once the change is committed it
queues `send_academy_scores` for that academy and those people, so the score reaches the platform within
moments while the page that made the change never waits for it. The periodic `post_scores` (every 5 minutes)
stays as the safety net for changes made without the session (bulk UPDATEs) or a queue that was down.
"""
from __future__ import annotations

import logging

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANGED = "lms_lti_changed"  # session.info: what was flushed in this transaction, as (kind, id, user id)
TO_SEND = "lms_lti_academies_to_send"  # session.info: linked academy id -> whose results changed there


def _changed(instance, attribute: str) -> bool:
    state = inspect(instance)
    return state.pending or state.deleted or state.attrs[attribute].history.has_changes()


def _noticed(instance) -> tuple[str, int, int] | None:
    """What a flushed row says about a result: (the kind of id it carries, the id, whose result), or None."""
    from lms.attendance.models import Attendance
    from lms.certificates.models import Certificate
    from lms.readings.models import ReadingProgress
    from lms.reflections.models import Reflection

    if isinstance(instance, ReadingProgress) and _changed(instance, "finished_at"):
        return "reading", instance.reading_id, instance.user_id
    if isinstance(instance, Reflection) and _changed(instance, "status"):  # not every draft saved
        return "reading", instance.reading_id, instance.user_id
    if isinstance(instance, Attendance):
        return "live_session", instance.live_session_id, instance.user_id
    if isinstance(instance, Certificate) and _changed(instance, "status"):
        return "academy", instance.academy_id, instance.user_id
    return None


def _after_flush(session: Session, _flush_context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        noticed = _noticed(instance)
        if noticed is not None and None not in noticed:
            session.info.setdefault(CHANGED, set()).add(noticed)


def _before_commit(session: Session) -> None:
    """Still inside the transaction: which of the changed results belong to academies tied to a course with a
    gradebook (one question for each kind of row that changed, usually one in all)."""
    from lms.academies.models import LiveSession
    from lms.lti.models import LtiContext
    from lms.readings.models import Reading

    session.flush()  # the commit's own flush comes after this event; its rows must be noticed too
    changed = session.info.pop(CHANGED, None)
    if not changed:
        return
    linked_course = LtiContext.lineitems_url != ""
    academy_of: dict[tuple[str, int], int] = {}
    for kind, model in (("reading", Reading), ("live_session", LiveSession)):
        ids = {value for found, value, _user in changed if found == kind}
        if ids:
            rows = session.execute(select(model.id, model.academy_id).distinct()
                                   .join(LtiContext, LtiContext.academy_id == model.academy_id)
                                   .where(model.id.in_(ids), linked_course))
            academy_of.update(((kind, row_id), academy_id) for row_id, academy_id in rows)
    academies = {value for found, value, _user in changed if found == "academy"}
    if academies:
        linked = session.scalars(select(LtiContext.academy_id).where(LtiContext.academy_id.in_(academies),
                                                                     linked_course))
        academy_of.update((("academy", academy_id), academy_id) for academy_id in linked)
    to_send = session.info.setdefault(TO_SEND, {})
    for kind, value, user_id in changed:
        if (kind, value) in academy_of:
            to_send.setdefault(academy_of[(kind, value)], set()).add(user_id)


def _after_commit(session: Session) -> None:
    from lms.lti.tasks import send_academy_scores

    for academy_id, user_ids in sorted(session.info.pop(TO_SEND, {}).items()):
        try:
            send_academy_scores(academy_id, sorted(user_ids))
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

