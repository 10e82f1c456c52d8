"""The shape of a domain's personal-data declarations (its privacy.py), kept in core so every domain can use it."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

UNTIL_REMOVED = "until you ask for it to be erased and an administrator erases it"
# What lms/privacy/retention.py deletes when an academy's retention period ends.
ACADEMY_PERIOD = ("until the academy's retention period ends (12 months after its last live session, unless the "
                  "organiser chose otherwise), or until you are erased")


@dataclass(frozen=True)
class PersonalColumn:
    """A column that holds personal data: what it is, why it is kept, and for how long."""

    name: str
    what: str
    purpose: str
    retention: str = UNTIL_REMOVED


@dataclass(frozen=True)
class TableDeclaration:
    """One table: every column, either personal (with its purpose) or named as not personal."""

    table: str
    about: str
    personal: tuple[PersonalColumn, ...]
    not_personal: tuple[str, ...]
    who_sees: str = ""

    def column_names(self) -> set[str]:
        return {c.name for c in self.personal} | set(self.not_personal)

    def kept(self, retention: str) -> TableDeclaration:
        """The same declaration, every personal column kept for `retention`."""
        return replace(self, personal=tuple(replace(column, retention=retention) for column in self.personal))


# What each domain's privacy.py adds to its declarations (the Moodle privacy-provider model):
#   export_person(person) -> {"section title": [record, ...]}   what it holds about the person, as JSON-ready dicts
#   erase_person(person) -> {"what went": count}                 deletes or anonymises it (flush, never commit)
# and, optionally, export_files(person) -> {"folder/name.ext": bytes} for files that go in the ZIP as they are.
# lms/privacy/registry.py lists the domains; lms/privacy/services.py calls them in one transaction.

ERASED = "[erased]"


def record(row, *columns: str) -> dict:
    """The named attributes of a row, as JSON-ready values (times as ISO 8601 UTC)."""
    result = {}
    for name in columns:
        value = getattr(row, name)
        result[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return result


def scrub(text: str, words: list[str]) -> str:
    """The text with every (case-insensitive) occurrence of the words replaced by [erased]."""
    for word in sorted((w for w in words if w), key=len, reverse=True):
        text = re.sub(re.escape(word), ERASED, text, flags=re.IGNORECASE)
    return text


def names_of(person) -> list[str]:
    """What identifies a person in free text: their name and email address."""
    return [word for word in (person.full_name, person.email) if word]
