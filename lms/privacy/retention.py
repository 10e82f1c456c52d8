"""Retention: past an academy's period, its reflections, feedback, reading progress and raw reports are deleted
(counts kept; attendance and certificates stay), and administrators are told some weeks before."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.academies.models import Academy
from lms.accounts.models import User
from lms.core.dates import format_local
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications import outbox
from lms.privacy.models import RetainedCount
from lms.privacy.registry import DOMAINS

NOTICE_WEEKS = 4

# The order matters: paper transcriptions point at reflections, so they go first.
EXPIRING = ("paper", "reflections", "readings", "attendance")


def keep_count(academy: Academy, reading_id: int | None, kind: str, count: int) -> None:
    """Add `count` to the kept total (adding, so that rows written after an earlier expiry are counted too)."""
    kept = db.session.scalar(select(RetainedCount).where(
        RetainedCount.academy_id == academy.id, RetainedCount.reading_id == reading_id, RetainedCount.kind == kind))
    if kept is None:
        db.session.add(RetainedCount(academy_id=academy.id, reading_id=reading_id, kind=kind, count=count))
    else:
        kept.count += count
    db.session.flush()


def _academies() -> list[Academy]:
    return db.session.scalars(select(Academy).options(selectinload(Academy.live_sessions))
                              .order_by(Academy.id)).all()


def due(now: datetime) -> list[Academy]:
    """Academies past their retention period whose data is not yet deleted."""
    return [academy for academy in _academies() if academy.data_expired_at is None
            and academy.data_kept_until() is not None and academy.data_kept_until() <= now]


def expire_academy(academy: Academy, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in EXPIRING:
        counts.update(DOMAINS[name].expire_academy(academy))
    academy.data_expired_at = now
    db.session.flush()
    return counts


def preview(now: datetime) -> list[tuple[Academy, dict[str, int]]]:
    """What expire_due would delete, counted in a savepoint that is rolled back."""
    found = []
    for academy in due(now):
        savepoint = db.session.begin_nested()
        try:
            found.append((academy, expire_academy(academy, now)))
        finally:
            savepoint.rollback()
    db.session.expire_all()
    return found


def expire_due(now: datetime | None = None) -> list[tuple[Academy, dict[str, int]]]:
    """Delete the data of every academy past its period; the caller commits."""
    now = now or utcnow()
    return [(academy, expire_academy(academy, now)) for academy in due(now)]


def send_notices(now: datetime | None = None) -> int:
    """Mail every admin once per academy and deletion date, NOTICE_WEEKS before it (the outbox's key dedupes)."""
    now = now or utcnow()
    admins = db.session.scalars(select(User).where(User.is_admin.is_(True), User.is_active_account.is_(True),
                                                   User.email.is_not(None))).all()
    queued = 0
    for academy in _academies():
        ends = academy.data_kept_until()
        if academy.data_expired_at is not None or ends is None or not now < ends <= now + timedelta(weeks=NOTICE_WEEKS):
            continue
        day = format_local(ends, academy.home_timezone, "day")
        for admin in admins:
            queued += outbox.enqueue(
                f"retention-notice:{academy.id}:{ends:%Y-%m-%d}:{admin.id}", "retention_notice", admin.email,
                f"{academy.title}: reflections will be deleted on {day}",
                f"On {day}, {academy.retention_months} months after its last session, the reflections, feedback, "
                f"reading progress and uploaded attendance reports of {academy.title} will be deleted, as its "
                "retention period says. Attendance, certificates and the counts stay.\n\n"
                "To keep them longer, change \"Keep reflections and reading progress for\" on the academy's "
                "settings page before then. Learners can download their own data from their account page.",
                now=now,
            )
    return queued
