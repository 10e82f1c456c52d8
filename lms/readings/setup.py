"""Setting up an academy's readings: adding, changing and deleting them (admin work)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lms.academies.models import Academy
from lms.academies.services import check_link
from lms.accounts.models import User
from lms.audit import services as audit
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.timezones import wall_clock_to_utc
from lms.readings.models import Reading

log = logging.getLogger(__name__)


@dataclass
class ReadingDetails:
    title: str
    body_markdown: str = ""
    external_url: str = ""
    estimated_minutes: int | None = None
    reflection_prompt: str = ""
    min_words: int | None = None
    max_words: int | None = None
    opens_local: datetime | None = None  # None: when the first session ends
    closes_local: datetime | None = None  # None: when the second session begins


def _optional_utc(wall_clock: datetime | None, zone_name: str, field: str) -> datetime | None:
    if wall_clock is None:
        return None
    try:
        return wall_clock_to_utc(wall_clock, zone_name)
    except DomainError as error:
        raise DomainError(error.message, field=field) from None


def _apply_reading(reading: Reading, academy: Academy, details: ReadingDetails) -> None:
    title = " ".join(details.title.split())
    if not title:
        raise DomainError("Give the reading a title.", field="title")
    if not details.body_markdown.strip() and not details.external_url.strip():
        raise DomainError("Write the reading's text or give a link to it.", field="body_markdown")
    if details.estimated_minutes is not None and not 1 <= details.estimated_minutes <= 600:
        raise DomainError("Estimated time is between 1 and 600 minutes.", field="estimated_minutes")
    for name in ("min_words", "max_words"):
        value = getattr(details, name)
        if value is not None and not 1 <= value <= 10000:
            raise DomainError("A word limit is between 1 and 10,000.", field=name)
    if details.min_words and details.max_words and details.min_words > details.max_words:
        raise DomainError("The least number of words is more than the most.", field="max_words")
    external_url = check_link(details.external_url, "external_url")
    opens_at = _optional_utc(details.opens_local, academy.home_timezone, "opens_local")
    closes_at = _optional_utc(details.closes_local, academy.home_timezone, "closes_local")
    default_opens, default_closes = academy.default_reading_window()
    if (opens_at or default_opens) and (closes_at or default_closes):
        if (closes_at or default_closes) <= (opens_at or default_opens):
            raise DomainError("The reading must close after it opens.", field="closes_local")
    reading.title = title
    reading.body_markdown = details.body_markdown.strip()
    reading.external_url = external_url
    reading.estimated_minutes = details.estimated_minutes
    reading.reflection_prompt = details.reflection_prompt.strip()
    reading.min_words = details.min_words
    reading.max_words = details.max_words
    reading.opens_at = opens_at
    reading.closes_at = closes_at


def create_reading(academy: Academy, details: ReadingDetails, by: User) -> Reading:
    reading = Reading()
    _apply_reading(reading, academy, details)
    last = db.session.scalar(select(func.max(Reading.position)).where(Reading.academy_id == academy.id))
    reading.position = (last or 0) + 1
    reading.academy = academy
    db.session.add(reading)
    db.session.flush()
    audit.record(by, "reading.create", f"reading {reading.id}", reading.title)
    log.info("reading %s added to academy %s by %s", reading.id, academy.id, by.email)
    return reading


def update_reading(reading: Reading, details: ReadingDetails, by: User) -> None:
    _apply_reading(reading, reading.academy, details)
    audit.record(by, "reading.update", f"reading {reading.id}", reading.title)
    log.info("reading %s updated by %s", reading.id, by.email)


def delete_reading(reading: Reading, by: User) -> None:
    audit.record(by, "reading.delete", f"reading {reading.id}", reading.title)
    db.session.delete(reading)
    log.info("reading %s deleted by %s", reading.id, by.email)
