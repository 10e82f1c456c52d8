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


def _learners_with_groups(academy_id: int) -> list[tuple[User, str]]:
    return db.session.execute(
        select(User, Enrolment.group_name)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy_id, Enrolment.role == "learner")
        .order_by(User.full_name, User.id)
    ).all()


def units_and_groups(academy_id: int) -> list[str]:
    """What learners take part together through: the organisations or units of learners on paper, then the
    academy's groups (for marking a group present, printing packs or certificates for it)."""
    units, groups = set(), set()
    for user, group in _learners_with_groups(academy_id):
        if user.takes_part_through:
            units.add(user.takes_part_through)
        if group:
            groups.add(group)
    return [*sorted(units), *sorted(groups - units)]


def members_of(academy_id: int, group: str) -> list[User]:
    """The academy's learners who take part through `group`, or are in the academy group of that name; by name."""
    return [user for user, name in _learners_with_groups(academy_id) if group in (user.takes_part_through, name)]

