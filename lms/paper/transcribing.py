"""Typing in a reflection written on paper: stored as the learner's own, marked as transcribed, with its scan."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from lms.academies.models import Academy
from lms.accounts.models import User
from lms.audit import services as audit
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.paper.models import Transcription
from lms.readings import services as readings
from lms.readings.models import Reading
from lms.reflections.models import Reflection

log = logging.getLogger(__name__)

# Told apart by their first bytes, never by the name or type the browser gives.
SCAN_TYPES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
)


def scan_type(data: bytes) -> str:
    """The scan's media type from its content; refused unless it is a PDF, PNG or JPEG within the size limit."""
    limit = current_app.config["LMS_SCAN_MAX_BYTES"]
    if len(data) > limit:
        raise DomainError(f"The scan is {len(data) / 1024 / 1024:.1f} MB; the most is {limit / 1024 / 1024:.1f} MB. "
                          "Scan at a lower resolution, or in black and white.", field="scan")
    for magic, media_type, _ in SCAN_TYPES:
        if data.startswith(magic):
            return media_type
    raise DomainError("The scan must be a PDF, PNG or JPEG file (this file is none of them).", field="scan")


def transcribe(academy: Academy, learner: User, reading: Reading, body: str, by: User, now: datetime,
               scan: bytes | None = None) -> Reflection:
    """Submit what `learner` wrote on paper as their reflection on `reading`, recorded as typed in by `by`.

    The same text sent twice changes nothing more: a reflection not yet reviewed keeps one version, and its
    transcription record is updated, not doubled. The caller commits.
    """
    if reading.academy_id != academy.id:
        raise DomainError("That reading is not part of this academy.", field="reading")
    if not learner.is_learner_in(academy.id):
        raise DomainError(f"{learner.full_name} is not a learner of this academy.", field="learner")
    media_type = scan_type(scan) if scan else ""
    reflection = readings.save_reflection(learner, reading, body, submit=True, now=now, from_paper=True)
    db.session.flush()
    record = db.session.scalar(select(Transcription).where(
        Transcription.reflection_id == reflection.id,
        Transcription.reflection_version == reflection.version_count,
    ))
    if record is None:
        record = Transcription(reflection_id=reflection.id, reflection_version=reflection.version_count)
        db.session.add(record)
    record.transcribed_by_id = by.id
    record.transcribed_at = now
    if scan:
        record.scan, record.scan_type, record.scan_sha256 = scan, media_type, hashlib.sha256(scan).hexdigest()
    db.session.flush()
    audit.record(by, "reflection.transcribe", f"reflection {reflection.id}",
                 f"version {reflection.version_count} for user {learner.id}{', with a scan' if scan else ''}")
    log.info("reflection %s (version %s) transcribed from paper by %s", reflection.id, reflection.version_count,
             by.email)
    return reflection


def transcriptions_of(reflection_ids: list[int]) -> dict[int, list[Transcription]]:
    """reflection id -> its transcriptions (one per version typed in from paper), oldest first."""
    found: dict[int, list[Transcription]] = {}
    if not reflection_ids:
        return found
    for record in db.session.scalars(
        select(Transcription).where(Transcription.reflection_id.in_(reflection_ids))
        .order_by(Transcription.reflection_version)
    ):
        found.setdefault(record.reflection_id, []).append(record)
    return found


def latest_transcription(reflection: Reflection) -> Transcription | None:
    """The record for the reflection's current version, when that version came from paper."""
    return db.session.scalar(select(Transcription).where(
        Transcription.reflection_id == reflection.id,
        Transcription.reflection_version == reflection.version_count,
    ))


def stored_scan(record: Transcription) -> bytes:
    if not record.scan or hashlib.sha256(record.scan).hexdigest() != record.scan_sha256:
        raise DomainError("The stored scan is missing or no longer matches its fingerprint, so it was not sent.")
    return record.scan
