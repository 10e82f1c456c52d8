"""The LTI tool's background work, as plain functions the task queue's periodic jobs call (each commits)."""
from lms.core.extensions import db
from lms.lti.protocol import forget_spent_values


def forget_spent_login_values() -> int:
    """Delete OIDC nonces and states past their ten minutes; returns how many. Safe to run again."""
    removed = forget_spent_values()
    db.session.commit()
    return removed
