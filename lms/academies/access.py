"""Who may facilitate which academy (the one rule every facilitator page and download checks), and the
groups those pages filter by."""
from __future__ import annotations

from sqlalchemy import select

from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.core.extensions import db


def can_facilitate(user: User, academy_id: int) -> bool:
    """Admins everywhere; facilitators in the academies where they are enrolled as facilitator."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    enrolment = user.enrolment_in(academy_id)
    return enrolment is not None and enrolment.role == "facilitator"


def facilitated_academy(user: User, academy_id: int) -> Academy | None:
    """The academy if `user` may facilitate it, else None (pages answer 404: no hint it exists)."""
    if not can_facilitate(user, academy_id):
        return None
    return db.session.get(Academy, academy_id)


def own_group(user: User, academy_id: int) -> str:
    """The facilitator's own group in this academy ("" when none), the default filter of their pages."""
    enrolment = user.enrolment_in(academy_id)
    return enrolment.group_name if enrolment is not None and enrolment.role == "facilitator" else ""


def academy_groups(academy_id: int) -> list[str]:
    """The academy's group names, learners' and facilitators' alike, for the group filter."""
    return list(
        db.session.scalars(
            select(Enrolment.group_name)
            .where(Enrolment.academy_id == academy_id, Enrolment.group_name != "")
            .distinct()
            .order_by(Enrolment.group_name)
        )
    )
