"""The shape of a domain's personal-data declarations (its privacy.py), kept in core so every domain can use it."""
from __future__ import annotations

from dataclasses import dataclass

# What happens to data today: nothing is deleted on a timer yet (retention periods are issue 13's next part).
UNTIL_REMOVED = "until an administrator removes it (nothing is deleted automatically yet)"


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
