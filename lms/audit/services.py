"""Recording admin actions in the audit log; the caller's commit saves the entry with the change."""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.core.extensions import db
from lms.core.pagination import clamp_page


def record(actor: User, action: str, target: str = "", detail: str = "") -> None:
    """Add one entry. `detail` is for ids and counts: never a password, a link or a reflection's text."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id, actor_email=actor.email, action=action,
            target=target[:200], detail=detail[:500],
        )
    )


def recent(page: int, per_page: int = 100) -> Pagination:
    """One page of the log, newest first; a page past the end shows the last one."""
    newest_first = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    shown = db.paginate(newest_first, page=clamp_page(page), per_page=per_page, max_per_page=None, error_out=False)
    if not shown.items and shown.pages:  # past the end (a typed or old address): ask again for the last
        shown = db.paginate(newest_first, page=shown.pages, per_page=per_page, max_per_page=None, error_out=False)
    return shown
