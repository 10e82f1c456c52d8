"""People who sign in through a host app: found by the host's id, linked by email, or made on first visit."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.accounts.services import normalise_email
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.text import without_control_characters
from lms.core.timezones import is_offered_zone

log = logging.getLogger(__name__)


def person_for_host(host_id: str, email: str, full_name: str, timezone: str | None) -> User:
    """The LMS person for the host's signed-in person (the caller commits).

    An account an admin made beforehand (an enrolment by email) is linked by its address the first time
    that person comes through the host, so their enrolments carry over. An address already linked to
    another host person is refused rather than handed over.
    """
    # Enrolments come along, as for the LMS's own sign-in: every page's menu needs them.
    found = select(User).where(User.host_id == host_id).options(joinedload(User.enrolments))
    user = db.session.execute(found).unique().scalar_one_or_none()
    if user is not None:
        return user
    address = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == address))
    if user is not None:
        if user.host_id is not None:
            raise DomainError("This email address belongs to another account here. Ask the organisers for help.")
        user.host_id = host_id
        log.info("account %s linked to host person %s", user.id, host_id)
        return user
    user = User(
        email=address,
        # The host's data, not typed here: a stray control character is dropped rather than refusing the visit.
        full_name=" ".join(without_control_characters(full_name or "").split())[:200] or address,
        timezone=timezone if timezone and is_offered_zone(timezone) else "UTC",
        host_id=host_id,
    )
    db.session.add(user)
    log.info("account made for host person %s", host_id)
    return user
