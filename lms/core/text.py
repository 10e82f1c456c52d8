"""What text the LMS accepts: no NUL or other control characters in names and text fields."""
from __future__ import annotations

import unicodedata

from lms.core.exceptions import DomainError

# Line breaks and tabs are part of ordinary writing (a reflection, a reading); every other control
# character (NUL, escape, the bell, C1 codes) is refused: PostgreSQL cannot store NUL at all, and the
# others are invisible on the page and confuse CSV exports, certificates and terminals.
ALLOWED_CONTROLS = frozenset("\t\n\r")


def is_refused(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS


def has_control_characters(text: str) -> bool:
    return any(is_refused(char) for char in text)


def without_control_characters(text: str) -> str:
    return "".join(char for char in text if not is_refused(char))


def check_text(text: str, field: str | None = None, label: str = "This text") -> str:
    """`text` unchanged, or a DomainError naming the field when it holds a control character."""
    if has_control_characters(text or ""):
        raise DomainError(
            f"{label} contains an invisible control character (such as NUL), often pasted from another "
            "program. Remove it and try again.",
            field=field,
        )
    return text
