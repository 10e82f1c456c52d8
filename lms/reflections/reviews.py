"""Reviewing reflections: the queue, feedback drafts, releasing feedback, asking for a revision."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.academies.access import academy_groups, can_facilitate, own_group
from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.audit import services as audit
from lms.core import mail
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db
from lms.core.pagination import clamp_page, page_count
from lms.notifications import outbox
from lms.readings import outline
from lms.readings.models import Reading
from lms.reflections.models import Feedback, Reflection

log = logging.getLogger(__name__)

QUEUE_STATES = {
    "awaiting": ("submitted",),
    "revision_requested": ("revision_requested",),
    "reviewed": ("reviewed",),
    "all": ("submitted", "revision_requested", "reviewed"),
}
PAGE_SIZE = 50
MAX_FEEDBACK_CHARACTERS = 20_000


@dataclass
class Facilitated:
    """An academy on the facilitator's home page, with the reflections waiting for review."""

    academy: Academy
    awaiting: int  # in every group
    group: str  # the facilitator's own group there ("" when none)
    awaiting_in_group: int


def facilitated_academies(user: User) -> list[Facilitated]:
    """The academies `user` facilitates, each with how many reflections await review, in all and in the
    facilitator's own group (two queries)."""
    query = select(Academy).order_by(Academy.created_at.desc())
    if not user.is_admin:
        query = query.join(Enrolment).where(Enrolment.user_id == user.id, Enrolment.role == "facilitator")
    academies = db.session.scalars(query).all()
    counts: dict[tuple[int, str], int] = {
        (academy_id, group): count
        for academy_id, group, count in db.session.execute(
            select(Reading.academy_id, Enrolment.group_name, func.count(Reflection.id))
            .join(Reflection, Reflection.reading_id == Reading.id)
            .join(Enrolment, (Enrolment.user_id == Reflection.user_id) & (Enrolment.academy_id == Reading.academy_id))
            .where(Reading.academy_id.in_([a.id for a in academies]), Reflection.status == "submitted")
            .group_by(Reading.academy_id, Enrolment.group_name)
        )
    }
    found = []
    for academy in academies:
        group = own_group(user, academy.id)
        awaiting = sum(count for (academy_id, _), count in counts.items() if academy_id == academy.id)
        found.append(Facilitated(academy, awaiting, group, counts.get((academy.id, group), 0) if group else awaiting))
    return found


@dataclass
class QueueEntry:
    """One line of the queue: plain values, because the list shows no text (and loads none)."""

    reflection_id: int
    learner_name: str
    group: str
    reading_title: str
    status: str
    version_count: int
    updated_at: datetime
    on_paper: bool  # the learner takes part on paper: their reflection was typed in by a facilitator


@dataclass
class QueuePage:
    entries: list[QueueEntry]
    total: int
    page: int
    pages: int
    groups: list[str]
    readings: list[Reading]  # for the filter; from the academy's shared copy (services/outline.py)


def review_queue(academy: Academy, reading_id: int | None, group: str, state: str, page: int) -> QueuePage:
    """Submitted reflections of the academy: awaiting review first, oldest first."""
    states = QUEUE_STATES.get(state, QUEUE_STATES["awaiting"])
    conditions = [Reading.academy_id == academy.id, Reflection.status.in_(states)]
    if reading_id:
        conditions.append(Reflection.reading_id == reading_id)
    if group:
        conditions.append(Enrolment.group_name == group)
    listed = (
        select(
            Reflection.id, User.full_name, Enrolment.group_name, Reading.title, Reflection.status,
            Reflection.version_count, Reflection.updated_at, User.on_paper,
            # The total beside every row: one pass over the matches instead of a count, then the page.
            func.count().over(),
        )
        .join(Reading, Reading.id == Reflection.reading_id)
        .join(Enrolment, (Enrolment.user_id == Reflection.user_id) & (Enrolment.academy_id == academy.id))
        .join(User, User.id == Reflection.user_id)
        .where(*conditions)
        .order_by(*_queue_order(states))
        .limit(PAGE_SIZE)
    )
    # Not db.paginate: it would count in a second query, and read only the first column of each row.
    page = clamp_page(page)
    rows = db.session.execute(listed.offset((page - 1) * PAGE_SIZE)).all()
    if not rows and page > 1:  # past the end (the list got shorter, or a typed URL): show the last page
        total = db.session.scalar(select(func.count()).select_from(listed.limit(None).subquery()))
        page = page_count(total, PAGE_SIZE)
        rows = db.session.execute(listed.offset((page - 1) * PAGE_SIZE)).all()
    total = rows[0][-1] if rows else 0
    pages = page_count(total, PAGE_SIZE)
    shared = outline.academy_outline(academy.id, academy.content_version, academy.created_at)
    return QueuePage(
        [QueueEntry(*row[:-1]) for row in rows], total, page, pages, academy_groups(academy.id),
        shared.readings if shared else [],
    )


def _queue_order(states: tuple[str, ...]) -> list:
    """Awaiting review first (when the list mixes states), then oldest first."""
    order = [Reflection.updated_at, Reflection.id]
    if len(states) > 1:
        order.insert(0, case((Reflection.status == "submitted", 0), else_=1))
    return order


def load_for_review(user: User, reflection_id: int) -> Reflection:
    """The reflection if `user` may review it; drafts are the learner's alone."""
    reflection = db.session.scalar(
        select(Reflection)
        .where(Reflection.id == reflection_id)
        .options(
            selectinload(Reflection.user),
            selectinload(Reflection.reading).selectinload(Reading.academy),
            selectinload(Reflection.versions),
            selectinload(Reflection.feedback).selectinload(Feedback.author),
        )
    )
    if reflection is None or reflection.status == "draft":
        raise NotAllowed("No such reflection.")
    if not can_facilitate(user, reflection.reading.academy_id):
        raise NotAllowed("No such reflection.")
    return reflection


def current_feedback(reflection: Reflection) -> Feedback | None:
    """The feedback on the latest submitted version, draft or released."""
    for item in reflection.feedback:
        if item.reflection_version == reflection.version_count:
            return item
    return None


class ReflectionChanged(DomainError):
    """The learner changed the reflection after the facilitator opened it."""

    def __init__(self):
        super().__init__(
            "The learner changed this reflection after you opened it. Read the new text above; "
            "your feedback is kept in the box."
        )


def version_stamp(reflection: Reflection) -> str:
    """Which text of the reflection a page showed: the latest version's number and time."""
    if not reflection.versions:
        return ""
    latest = reflection.versions[-1]
    return f"{latest.number}@{latest.submitted_at.isoformat()}"


class FeedbackConflict(DomainError):
    """Someone else saved feedback on this reflection since the page was opened."""

    def __init__(self, theirs: Feedback | None):
        author = theirs.author.full_name if theirs is not None and theirs.author else "Another facilitator"
        super().__init__(
            f"{author} saved feedback on this reflection while you were writing. "
            "Their text is shown below; yours is kept in the box. Merge them and save again."
        )
        self.theirs = theirs


ACTIONS = ("draft", "reviewed", "revision_requested")


def _refuse_unseen_changes(
    reflection: Reflection, existing: Feedback | None, seen_edit_count: int | None, seen_version: str | None
) -> None:
    """Refuse a save based on an older page: feedback saved since, a changed reflection, one answered already."""
    # Someone else's save since the page was opened comes first: show it rather than a bare refusal.
    if existing is not None and (existing.is_released or seen_edit_count != existing.edit_count):
        raise FeedbackConflict(existing)
    if existing is None and seen_edit_count is not None:
        raise FeedbackConflict(None)
    if seen_version is not None and seen_version != version_stamp(reflection):
        raise ReflectionChanged()
    if reflection.status != "submitted":
        raise DomainError("This reflection is not waiting for feedback (it may have been answered already).")


def _checked_body(body: str, action: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_FEEDBACK_CHARACTERS:
        raise DomainError(f"Feedback can be at most {MAX_FEEDBACK_CHARACTERS:,} characters.", field="body")
    if action == "revision_requested" and not body:
        raise DomainError("Say what you would like the learner to change before asking for a revision.", field="body")
    if action == "draft" and not body:
        raise DomainError("Write some feedback before saving a draft.", field="body")
    return body


def save_feedback(
    reflection: Reflection,
    author: User,
    body: str,
    action: str,
    seen_edit_count: int | None,
    now: datetime,
    seen_version: str | None = None,
) -> Feedback:
    """Save feedback as a draft, or release it marking the reflection reviewed or asking for a revision.

    `seen_edit_count` is the feedback's edit_count when the page was opened (None: there was none);
    a save based on an older state is refused with FeedbackConflict, so nobody overwrites unseen.
    """
    if action not in ACTIONS:
        raise DomainError("Choose what to do with the feedback.")
    existing = current_feedback(reflection)
    _refuse_unseen_changes(reflection, existing, seen_edit_count, seen_version)
    body = _checked_body(body, action)

    if existing is None:
        feedback = Feedback(
            reflection_id=reflection.id, reflection_version=reflection.version_count, author_id=author.id,
            body=body, created_at=now, updated_at=now, edit_count=1,
        )
        db.session.add(feedback)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise FeedbackConflict(_fresh_current(reflection.id)) from None
    else:
        # Conditional update: of two saves at the same moment, only one passes.
        changed = db.session.execute(
            update(Feedback)
            .where(Feedback.id == existing.id, Feedback.edit_count == seen_edit_count)
            .values(body=body, author_id=author.id, updated_at=now, edit_count=seen_edit_count + 1)
        )
        if changed.rowcount != 1:
            db.session.rollback()
            raise FeedbackConflict(_fresh_current(reflection.id))
        db.session.refresh(existing)
        feedback = existing

    if action != "draft":
        feedback.decision = action
        feedback.released_at = now
        reflection.status = action
        _queue_feedback_mail(reflection, feedback, author)
        audit.record(author, f"feedback.{action}", f"reflection {reflection.id}", f"version {feedback.reflection_version}")
    log.info("feedback on reflection %s %s by %s", reflection.id, action, author.email)
    return feedback


def _fresh_current(reflection_id: int) -> Feedback | None:
    db.session.expire_all()
    reflection = db.session.get(Reflection, reflection_id)
    return current_feedback(reflection) if reflection else None


def _queue_feedback_mail(reflection: Reflection, feedback: Feedback, author: User) -> None:
    learner = reflection.user
    if learner.on_paper:  # their feedback is printed and handed back (paper/routes.py: feedback_page)
        return
    body = render_template(
        "lms/emails/feedback_released.txt", user=learner, reading=reflection.reading,
        author_name=author.full_name, decision=feedback.decision,
        link=mail.absolute_url("lms.readings.reading", reading_id=reflection.reading_id) + "#feedback",
    )
    subject = (
        "Please revise your reflection" if feedback.decision == "revision_requested" else "You have feedback"
    ) + f": {reflection.reading.title}"
    outbox.enqueue(f"feedback:{feedback.id}", "feedback_released", learner.email, subject, body)
