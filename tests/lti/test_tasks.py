"""The periodic job's LTI work: spent login values are forgotten, live ones kept."""
from datetime import timedelta

from sqlalchemy import select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti.models import LtiOneTimeValue
from lms.lti.tasks import forget_spent_login_values


def test_old_nonces_and_states_are_deleted_and_fresh_ones_kept():
    db.session.add_all([
        LtiOneTimeValue(kind="nonce", value="nonce:old", expires_at=utcnow() - timedelta(minutes=1)),
        LtiOneTimeValue(kind="state", value="state:fresh", expires_at=utcnow() + timedelta(minutes=5)),
    ])
    db.session.commit()
    assert forget_spent_login_values.run_here() == 1
    assert db.session.scalars(select(LtiOneTimeValue.value)).all() == ["state:fresh"]
    assert forget_spent_login_values.run_here() == 0
