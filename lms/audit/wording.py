"""The audit log in an organiser's words: what was done, and to whom or what, by name where it still exists.

Entries keep their codes ("reading.create", "live session 2"): they are what the log stores and what a
technician searches for. This page turns them into words when it shows them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from lms.academies.models import Academy, LiveSession
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.core.extensions import db
from lms.notifications.models import OutgoingMail
from lms.readings.models import Reading
from lms.reflections.models import Reflection

ACTIONS = {
    "academy.create": "Set up the academy",
    "academy.update": "Changed the academy's details",
    "session.create": "Added a live session",
    "session.update": "Changed a live session",
    "session.delete": "Deleted a live session",
    "reading.create": "Added a reading",
    "privacy.erase": "Erased a person's data",
    "reading.update": "Changed a reading",
    "reading.delete": "Deleted a reading",
    "people.enrol": "Enrolled people",
    "people.new_link": "Made a new sign-in link",
    "attendance.record": "Recorded attendance",
    "attendance.import": "Imported attendance from a report",
    "certificate.issue": "Issued a certificate",
    "certificate.issue_all": "Started issuing certificates to everyone eligible",
    "certificate.reissue": "Reissued a certificate with a corrected name",
    "certificate.revoke": "Revoked a certificate",
    "certificate.exception_grant": "Granted an exception to the certificate rule",
    "certificate.exception_withdraw": "Withdrew an exception to the certificate rule",
    "mail.retry": "Asked for a message to be sent again",
    "feedback.reviewed": "Released feedback on a reflection",
    "feedback.revision_requested": "Asked for a reflection to be revised",
    "reflection.transcribe": "Typed in a reflection written on paper",
    "attendance.group": "Marked a group present together",
}

REFERENCE = re.compile(r"^(academy|live session|reading|user|reflection|mail) (\d+)$")


@dataclass(frozen=True)
class Shown:
    event: AuditEvent
    action: str
    target: str
    detail: str


def _names(references: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """('live session', 2) -> 'Session One (Peer Mentoring)', in one query for each kind of thing."""
    wanted: dict[str, set[int]] = {}
    for kind, number in references:
        wanted.setdefault(kind, set()).add(number)
    names: dict[tuple[str, int], str] = {}
    queries = {
        "academy": select(Academy.id, Academy.title),
        "live session": select(LiveSession.id, LiveSession.title + " (" + Academy.title + ")").join(Academy),
        "reading": select(Reading.id, "“" + Reading.title + "”"),
        "user": select(User.id, User.full_name),
        "reflection": select(Reflection.id, User.full_name + "’s reflection on “" + Reading.title + "”")
        .join(User, User.id == Reflection.user_id).join(Reading, Reading.id == Reflection.reading_id),
        "mail": select(OutgoingMail.id, "a message to " + OutgoingMail.to_address),
    }
    for kind, numbers in wanted.items():
        model_id = queries[kind].selected_columns[0]
        for number, name in db.session.execute(queries[kind].where(model_id.in_(numbers))):
            names[(kind, number)] = name
    return names


def _reference(text: str) -> tuple[str, int] | None:
    found = REFERENCE.match(text or "")
    return (found.group(1), int(found.group(2))) if found else None


def shown(events: list[AuditEvent]) -> list[Shown]:
    """Each entry with its action in words and the names of what it concerns (a few queries a page)."""
    references = {ref for event in events for ref in (_reference(event.target), _reference(event.detail)) if ref}
    names = _names(references)

    def words(text: str) -> str:
        ref = _reference(text)
        if ref is None:
            return text
        return names.get(ref, f"a {ref[0]} since deleted (no. {ref[1]})")

    return [Shown(event, ACTIONS.get(event.action, event.action), words(event.target), words(event.detail))
            for event in events]
