"""A person's data across every domain: gathered for export (a ZIP) and erased in one transaction."""
from __future__ import annotations

import io
import json
import zipfile

from flask import render_template
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.privacy.registry import DOMAINS


def find_person(email: str) -> User:
    address = (email or "").strip().lower()
    person = db.session.scalar(select(User).where(User.email == address)) if address else None
    if person is None:
        raise DomainError(f"Nobody has the email address {email!r}.")
    return person


def _in_erasure_order():
    """Every domain; accounts last, since the others find what they hold by the person's name and email."""
    return [module for name, module in DOMAINS.items() if name != "accounts"] + [DOMAINS["accounts"]]


def gather(person: User) -> dict[str, list[dict]]:
    """Every domain's sections about the person: {"section title": [records]}."""
    sections: dict[str, list[dict]] = {}
    for module in DOMAINS.values():
        sections.update(module.export_person(person))
    return sections


def gather_files(person: User) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for module in DOMAINS.values():
        if hasattr(module, "export_files"):
            files.update(module.export_files(person))
    return files


def export_zip(person: User) -> bytes:
    """A ZIP: data.json (machine-readable), index.html (readable), and the files (certificate PDFs, scans)."""
    sections = gather(person)
    exported_at = utcnow()
    document = {"exported_at": exported_at.isoformat(), "person": person.full_name, "sections": sections}
    page = render_template("lms/privacy/export.html", person=person, sections=sections, exported_at=exported_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, indent=2, ensure_ascii=False, default=str))
        archive.writestr("index.html", page)
        for name, content in gather_files(person).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def export_filename(person: User) -> str:
    return f"my-data-{utcnow():%Y-%m-%d}.zip"


def _erase_everywhere(person: User) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in _in_erasure_order():
        counts.update(module.erase_person(person))
    return counts


def preview_erasure(person: User) -> dict[str, int]:
    """What erasing would remove, counted by doing it inside a savepoint that is then rolled back."""
    savepoint = db.session.begin_nested()
    try:
        return _erase_everywhere(person)
    finally:
        savepoint.rollback()
        db.session.expire_all()


def erase(person: User, actor: User | None) -> dict[str, int]:
    """Erase the person everywhere; the caller commits once (all of it or none of it)."""
    if person.erased_at is not None:
        raise DomainError("This person's data has already been erased.")
    if actor is not None and actor.id == person.id:
        raise DomainError("You cannot erase your own account; ask another administrator.")
    person_id = person.id
    counts = _erase_everywhere(person)
    detail = f"{sum(counts.values())} records erased or anonymised"
    if actor is not None:
        audit.record(actor, "privacy.erase", target=f"user {person_id}", detail=detail)
    else:  # from the command line: no one signed in to name
        db.session.add(AuditEvent(actor_id=None, actor_email="flask lms privacy erase", action="privacy.erase",
                                  target=f"user {person_id}", detail=detail))
    db.session.flush()
    return counts
