"""Results back to the course's gradebook (LTI Assignment and Grade Services): scores are recorded when they
change and sent later by `post_due_scores`, with retries, so no page ever waits for the platform."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from requests import RequestException
from sqlalchemy import select, update

from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti.models import LtiContext, LtiIdentity, LtiScorePost
from lms.lti.protocol import _registration
from lms.lti.roster import _Connector

log = logging.getLogger(__name__)

# key -> the line item's label in the course's gradebook
LINE_ITEMS = {
    "readings": "Readings finished",
    "reflections": "Reflections submitted",
    "attendance": "Attended every session",
    "certificate": "Certificate issued",
}
MAX_ATTEMPTS = 6  # then the post is left "failed" for an admin to look at (about two hours of retries)
# How long a worker holds a post it is sending; past that, a killed worker's post is taken again.
CLAIM_TIME = timedelta(minutes=10)


def record_score(user: User, academy_id: int, line_item: str, score: float, maximum: float) -> int:
    """Record `user`'s result in every course tied to the academy that has a gradebook (the caller commits).
    An unchanged result adds nothing; a changed one is sent again, even back to an earlier value.
    Returns how many courses have a new value to send."""
    if line_item not in LINE_ITEMS:
        raise ValueError(f"unknown line item {line_item!r}")
    contexts = db.session.scalars(select(LtiContext).where(LtiContext.academy_id == academy_id,
                                                           LtiContext.lineitems_url != ""))
    changed = 0
    for context in contexts:
        post = db.session.scalar(select(LtiScorePost).where(
            LtiScorePost.context_id == context.id, LtiScorePost.user_id == user.id,
            LtiScorePost.line_item == line_item))
        changed += _record(post, context.id, user.id, line_item, float(score), float(maximum))
    db.session.flush()
    return changed


def _record(post: LtiScorePost | None, context_id: int, user_id: int, line_item: str, score: float,
            maximum: float) -> bool:
    """The first value of a person's line item in a course, or a new one for `post`; False when unchanged."""
    if post is None:
        db.session.add(LtiScorePost(context_id=context_id, user_id=user_id, line_item=line_item, score=score,
                                    maximum=maximum))
        return True
    return post.change_to(score, maximum)


def _sub(post: LtiScorePost) -> str | None:
    return db.session.scalar(select(LtiIdentity.sub).where(LtiIdentity.platform_id == post.context.platform_id,
                                                           LtiIdentity.user_id == post.user_id))


def _send(post: LtiScorePost, sub: str, now: datetime) -> None:
    context = post.context
    service = AssignmentsGradesService(_Connector(_registration(context.platform)),
                                       {"lineitems": context.lineitems_url, "scope": context.ags_scopes.split()})
    line_item = (LineItem().set_tag(f"lms-{post.line_item}").set_label(LINE_ITEMS[post.line_item])
                 .set_score_maximum(post.maximum))
    grade = (Grade().set_user_id(sub).set_score_given(post.score).set_score_maximum(post.maximum)
             .set_activity_progress("Completed" if post.score >= post.maximum else "InProgress")
             .set_grading_progress("FullyGraded").set_timestamp(now.isoformat()))
    service.put_grade(grade, line_item)


def _claim(post_id: int, now: datetime) -> bool:
    """Take one due post for this worker (committed before sending), so that two workers, or a retried run,
    never send it twice; a worker killed while sending leaves it to be taken again after CLAIM_TIME."""
    claimed = db.session.execute(
        update(LtiScorePost)
        .where(LtiScorePost.id == post_id, LtiScorePost.status.in_(("pending", "sending")),
               LtiScorePost.next_attempt_at <= now)
        .values(status="sending", attempts=LtiScorePost.attempts + 1, next_attempt_at=now + CLAIM_TIME)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _settle(post: LtiScorePost, sent: float, **values) -> None:
    """Record the outcome, unless the result changed while it was being sent (then the new one waits)."""
    db.session.execute(update(LtiScorePost).where(LtiScorePost.id == post.id, LtiScorePost.status == "sending",
                                                  LtiScorePost.score == sent).values(**values))
    db.session.commit()


def post_due_scores(now: datetime | None = None) -> dict[str, int]:
    """Send every waiting score whose time has come, oldest first; a failure waits 2, 4, 8 ... minutes before
    the next try. Each post is claimed and settled in commits of its own."""
    now = now or utcnow()
    counts = {"posted": 0, "retry": 0, "failed": 0}
    due = db.session.scalars(select(LtiScorePost.id).where(LtiScorePost.status.in_(("pending", "sending")),
                                                           LtiScorePost.next_attempt_at <= now)
                             .order_by(LtiScorePost.id)).all()
    for post_id in due:
        if not _claim(post_id, now):
            continue  # another worker has it
        post = db.session.get(LtiScorePost, post_id)  # the claim's commit expired it: this reads it afresh
        sent = post.score
        sub = _sub(post)
        if sub is None or not post.context.platform.enabled:
            _settle(post, sent, status="failed")
            counts["failed"] += 1
            continue
        try:
            _send(post, sub, now)
        except (LtiException, RequestException, ValueError, KeyError) as error:
            log.warning("LTI score %s not sent (attempt %s): %s", post.id, post.attempts, type(error).__name__)
            if post.attempts >= MAX_ATTEMPTS:
                _settle(post, sent, status="failed")
                counts["failed"] += 1
            else:
                _settle(post, sent, status="pending", next_attempt_at=now + timedelta(minutes=2 ** post.attempts))
                counts["retry"] += 1
        else:
            _settle(post, sent, status="posted", posted_at=now)
            counts["posted"] += 1
    return counts


def refresh_scores(academy_id: int, user_ids: list[int] | None = None) -> int:
    """Record the four results of every learner the course's platform knows (or only of `user_ids`), from the
    academy's own records (readings finished, reflections sent, sessions attended, a valid certificate).
    Unchanged values add nothing, so the periodic job may run it as often as it likes; no other domain has to
    call in. A handful of queries whatever the number of learners (each result counted for all at once).
    Returns how many scores have a new value to send; the caller commits."""
    from sqlalchemy import func

    from lms.academies.models import Academy, Enrolment, LiveSession
    from lms.attendance.models import Attendance
    from lms.certificates.models import Certificate
    from lms.readings.models import Reading, ReadingProgress
    from lms.reflections.models import Reflection

    academy = db.session.get(Academy, academy_id)
    if academy is None or academy.data_expired_at is not None:
        # Its records were deleted when its retention ran out: the gradebook keeps the last results sent,
        # rather than zeros for work that was done.
        return 0
    contexts = db.session.scalars(select(LtiContext).where(LtiContext.academy_id == academy_id,
                                                           LtiContext.lineitems_url != "")).all()
    if not contexts:
        return 0
    learners = (select(User.id).join(Enrolment, Enrolment.user_id == User.id)
                .join(LtiIdentity, LtiIdentity.user_id == User.id)
                .where(Enrolment.academy_id == academy_id, Enrolment.role == "learner",
                       LtiIdentity.platform_id.in_({context.platform_id for context in contexts})).distinct())
    if user_ids is not None:
        learners = learners.where(User.id.in_(user_ids))
    learner_ids = db.session.scalars(learners).all()
    if not learner_ids:
        return 0
    learners = learners.scalar_subquery()
    readings = select(Reading.id).where(Reading.academy_id == academy_id)
    sessions = select(LiveSession.id).where(LiveSession.academy_id == academy_id)
    reading_total = db.session.scalar(select(func.count()).select_from(readings.subquery()))
    session_total = db.session.scalar(select(func.count()).select_from(sessions.subquery()))

    def per_learner(person, *conditions) -> dict[int, int]:
        """user id -> how many rows meet the conditions, for every learner at once."""
        return dict(db.session.execute(select(person, func.count()).where(person.in_(learners), *conditions)
                                       .group_by(person)).all())

    done = {
        "readings": (per_learner(ReadingProgress.user_id, ReadingProgress.reading_id.in_(readings),
                                 ReadingProgress.finished_at.is_not(None)), reading_total),
        "reflections": (per_learner(Reflection.user_id, Reflection.reading_id.in_(readings),
                                    Reflection.status != "draft"), reading_total),
        "attendance": (per_learner(Attendance.user_id, Attendance.live_session_id.in_(sessions),
                                   Attendance.status.in_(("present", "excused"))), session_total),
        "certificate": (per_learner(Certificate.user_id, Certificate.academy_id == academy_id,
                                    Certificate.status == "valid"), 1),
    }
    posts = {(post.context_id, post.user_id, post.line_item): post for post in db.session.scalars(
        select(LtiScorePost).where(LtiScorePost.context_id.in_([context.id for context in contexts]),
                                   LtiScorePost.user_id.in_(learners)))}
    changed = 0
    for user_id in learner_ids:
        for line_item, (counts, maximum) in done.items():
            if maximum == 0:
                continue
            score = float(counts.get(user_id, 0))
            for context in contexts:
                post = posts.get((context.id, user_id, line_item))
                if score == 0 and post is None:
                    continue  # nothing done yet: the gradebook's empty cell says as much
                changed += _record(post, context.id, user_id, line_item, score, float(maximum))
    db.session.flush()
    return changed
