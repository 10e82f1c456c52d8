"""The LTI tool's background work: forgetting spent login values, roster syncs and scores for gradebooks."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.jobs.queue import task
from lms.lti.models import LtiContext
from lms.lti.protocol import forget_spent_values
from lms.lti.roster import sync_all_rosters
from lms.lti.scores import post_due_scores, refresh_scores

log = logging.getLogger(__name__)


@task()
def forget_spent_login_values() -> int:
    """Delete OIDC nonces and states past their ten minutes (hourly); returns how many. Safe to run again."""
    return forget_spent_values()


@task()
def sync_rosters() -> dict[int, str]:
    """Every linked course's members into its academy (daily), recorded in the audit log as the admin named
    by LMS_LTI_SYNC_AS; without one, nothing is synced (a roster sync must be someone's act)."""
    admin_email = current_app.config.get("LMS_LTI_SYNC_AS") or ""
    if not admin_email:
        return {}
    admin = db.session.scalar(select(User).where(User.email == admin_email, User.is_admin))
    if admin is None:
        log.warning("LMS_LTI_SYNC_AS names no admin; the courses' rosters were not synced")
        return {}
    return sync_all_rosters(admin)


@task()
def post_scores() -> dict[str, int]:
    """Record every linked academy's changed results, then send the scores waiting for course gradebooks
    (every few minutes; lms/lti/scores.py commits each post on its own, so a retry sends nothing twice)."""
    academy_ids = set(db.session.scalars(select(LtiContext.academy_id).where(LtiContext.academy_id.is_not(None),
                                                                             LtiContext.lineitems_url != "")))
    for academy_id in sorted(academy_ids):
        refresh_scores(academy_id)
    db.session.commit()  # the recorded scores stay recorded even if a platform fails below
    return post_due_scores()


@task(retries=2, retry_delay=30)
def send_academy_scores(academy_id: int, user_ids: list[int] | None = None) -> dict[str, int]:
    """The changed results of these people (everyone's when None) in one academy, queued by lms/lti/changes.py
    as they are committed, then every score waiting to be sent. Running it twice sends nothing twice (each
    post is claimed before it is sent)."""
    refresh_scores(academy_id, user_ids)
    db.session.commit()
    return post_due_scores()
