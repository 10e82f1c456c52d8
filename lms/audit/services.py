"""Recording admin actions in the audit log; the caller's commit saves the entry with the change."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.core.extensions import db


def record(actor: User, action: str, target: str = "", detail: str = "") -> None:
    """Add one entry. `detail` is for ids and counts: never a password, a link or a reflection's text."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id, actor_email=actor.email, action=action,
            target=target[:200], detail=detail[:500],
        )
    )


def recent(page: int, per_page: int = 100) -> tuple[list[AuditEvent], int]:
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    events = db.session.scalars(
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return events, pages
