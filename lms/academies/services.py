"""Setting up an academy: its details and live sessions (admin work)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from lms.academies.models import Academy, LiveSession
from lms.accounts.models import User
from lms.accounts.services import normalise_email
from lms.audit import services as audit
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.timezones import find_zone, is_valid_zone, wall_clock_to_utc

log = logging.getLogger(__name__)


def check_link(url: str, field: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DomainError("Enter a full web address starting with https://", field=field)
    if len(url) > 500:
        raise DomainError("A web address can be at most 500 characters.", field=field)
    return url


def _check_zones(home_timezone: str, reference_timezones: str) -> tuple[str, str]:
    if not is_valid_zone(home_timezone):
        raise DomainError("Choose the academy's home time zone.", field="home_timezone")
    # Cities or countries separated by commas ("New York, London, Singapore"), or zone names by spaces.
    text = reference_timezones.strip()
    typed = re.split(r"[,;\n]+", text) if re.search(r"[,;\n]", text) else text.split()
    zones = []
    for place in (item.strip() for item in typed):
        if not place:
            continue
        try:
            zones.append(find_zone(place))
        except DomainError as error:
            raise DomainError(f"Reference time zones: {error.message}", field="reference_timezones") from None
    return home_timezone, " ".join(dict.fromkeys(zones))


@dataclass
class AcademyDetails:
    title: str
    description: str
    organiser: str
    home_timezone: str
    contact_email: str = ""
    reference_timezones: str = ""
    reminder_days: int = 2
    attendance_share: int = 75
    retention_months: int = 12
    require_readings: bool = False
    require_reflections: bool = False
    signatories: str = ""


def _apply_details(academy: Academy, details: AcademyDetails) -> None:
    title = " ".join(details.title.split())
    if not title:
        raise DomainError("Give the academy a title.", field="title")
    academy.home_timezone, academy.reference_timezones = _check_zones(
        details.home_timezone, details.reference_timezones
    )
    if not 0 <= details.reminder_days <= 30:
        raise DomainError("The reminder goes 0 to 30 days before the second session.", field="reminder_days")
    if not 1 <= details.attendance_share <= 100:
        raise DomainError("The share of a session is between 1 and 100 percent.", field="attendance_share")
    if not 1 <= details.retention_months <= 120:
        raise DomainError("Keep the data 1 to 120 months after the last session.", field="retention_months")
    academy.title = title
    academy.retention_months = details.retention_months
    academy.reminder_days = details.reminder_days
    academy.attendance_share = details.attendance_share
    academy.require_readings = details.require_readings
    academy.require_reflections = details.require_reflections
    academy.signatories = "\n".join(line.strip() for line in details.signatories.splitlines() if line.strip())
    academy.description = details.description.strip()
    academy.organiser = details.organiser.strip()
    contact = (details.contact_email or "").strip()
    academy.contact_email = normalise_email(contact, field="contact_email") if contact else ""


def create_academy(details: AcademyDetails, by: User) -> Academy:
    academy = Academy()
    _apply_details(academy, details)
    db.session.add(academy)
    db.session.flush()
    audit.record(by, "academy.create", f"academy {academy.id}", academy.title)
    log.info("academy %s %r created by %s", academy.id, academy.title, by.email)
    return academy


def update_academy(academy: Academy, details: AcademyDetails, by: User) -> None:
    _apply_details(academy, details)
    audit.record(by, "academy.update", f"academy {academy.id}", academy.title)
    log.info("academy %s updated by %s", academy.id, by.email)


# --- live sessions ---------------------------------------------------------------------------

@dataclass
class SessionDetails:
    title: str
    starts_local: datetime  # wall-clock time in the academy's home zone
    duration_minutes: int
    join_url: str = ""


def _apply_session(live_session: LiveSession, academy: Academy, details: SessionDetails) -> None:
    title = " ".join(details.title.split())
    if not title:
        raise DomainError("Give the session a title.", field="title")
    if not 5 <= details.duration_minutes <= 24 * 60:
        raise DomainError("A session lasts between 5 minutes and 24 hours.", field="duration_minutes")
    try:
        starts_at = wall_clock_to_utc(details.starts_local, academy.home_timezone)
    except DomainError as error:
        raise DomainError(error.message, field="starts_local") from None
    join_url = check_link(details.join_url, "join_url")
    live_session.title = title
    live_session.starts_at = starts_at
    live_session.duration_minutes = details.duration_minutes
    live_session.join_url = join_url


def add_live_session(academy: Academy, details: SessionDetails, by: User) -> LiveSession:
    live_session = LiveSession()
    _apply_session(live_session, academy, details)
    # Attached only once valid: a refused session must not linger in academy.live_sessions.
    live_session.academy = academy
    db.session.add(live_session)
    db.session.flush()
    audit.record(by, "session.create", f"live session {live_session.id}", f"academy {academy.id}")
    # The relationship is ordered by start; one added before the others must not be listed last.
    db.session.expire(academy, ["live_sessions"])
    log.info("live session %s added to academy %s by %s", live_session.id, academy.id, by.email)
    return live_session


def update_live_session(live_session: LiveSession, details: SessionDetails, by: User) -> None:
    _apply_session(live_session, live_session.academy, details)
    audit.record(by, "session.update", f"live session {live_session.id}", f"starts {live_session.starts_at:%Y-%m-%d %H:%M} UTC")
    db.session.flush()
    # The relationship is ordered by start; a moved session must not leave a stale order behind.
    db.session.expire(live_session.academy, ["live_sessions"])
    log.info("live session %s updated by %s", live_session.id, by.email)


def delete_live_session(live_session: LiveSession, by: User) -> None:
    audit.record(by, "session.delete", f"live session {live_session.id}", live_session.title)
    db.session.delete(live_session)
    log.info("live session %s deleted by %s", live_session.id, by.email)


# --- readings --------------------------------------------------------------------------------
