"""The LTI tool's background work, as plain functions the task queue's periodic jobs call (each commits)."""
from lms.core.extensions import db
from lms.lti.protocol import forget_spent_values


def forget_spent_login_values() -> int:
    """Delete OIDC nonces and states past their ten minutes; returns how many. Safe to run again."""
    removed = forget_spent_values()
    db.session.commit()
    return removed


def sync_rosters_as(admin_email: str) -> dict[int, str]:
    """The periodic roster sync: every linked course's members, recorded in the audit log as `admin_email`."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.lti.roster import sync_all_rosters

    admin = db.session.scalar(select(User).where(User.email == admin_email, User.is_admin))
    if admin is None:
        return {}
    outcomes = sync_all_rosters(admin)
    db.session.commit()
    return outcomes


def post_scores() -> dict[str, int]:
    """Record every linked academy's changed results, then send the scores waiting for course gradebooks
    (lms/lti/scores.py); each post is committed on its own."""
    from sqlalchemy import select

    from lms.lti.models import LtiContext
    from lms.lti.scores import post_due_scores, refresh_scores

    academy_ids = set(db.session.scalars(select(LtiContext.academy_id).where(LtiContext.academy_id.is_not(None),
                                                                             LtiContext.lineitems_url != "")))
    for academy_id in sorted(academy_ids):
        refresh_scores(academy_id)
    db.session.commit()
    return post_due_scores()
