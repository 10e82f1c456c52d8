"""The short code on each printed reflection page: made once per learner and reading, and looked up again."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.academies.models import Enrolment
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.paper.models import PaperCode

# Easy to read back from handwriting and type: no 0/O, no 1/I. 32 signs, 8 of them: about 10^12 codes, so a
# code typed wrongly by one sign almost never lands on another learner's page.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def codes_for(user_ids: list[int], reading_ids: list[int]) -> dict[tuple[int, int], PaperCode]:
    """(user id, reading id) -> its code, for every pair; the missing ones are made (the caller commits)."""
    if not user_ids or not reading_ids:
        return {}
    found = {
        (code.user_id, code.reading_id): code
        for code in db.session.scalars(
            select(PaperCode).where(PaperCode.user_id.in_(user_ids), PaperCode.reading_id.in_(reading_ids))
        )
    }
    for user_id in user_ids:
        for reading_id in reading_ids:
            if (user_id, reading_id) not in found:
                found[(user_id, reading_id)] = _make(user_id, reading_id)
    return found


def _make(user_id: int, reading_id: int) -> PaperCode:
    # A savepoint per code: a pack printed twice at once, or a (very rare) clash of codes, must not break
    # the others. After a clash on the pair, the code the other print made is the one.
    for _ in range(5):
        code = PaperCode(user_id=user_id, reading_id=reading_id, code=_new_code())
        try:
            with db.session.begin_nested():
                db.session.add(code)
            return code
        except IntegrityError:
            existing = db.session.scalar(
                select(PaperCode).where(PaperCode.user_id == user_id, PaperCode.reading_id == reading_id)
            )
            if existing is not None:
                return existing
    raise DomainError("No new code could be made for a page; try printing again.")


def normalise(typed: str) -> str:
    """A code as typed, with any case, spaces or dashes: 'k7qx m3pa' -> 'K7QXM3PA'."""
    return "".join(char for char in (typed or "").upper() if char.isalnum())


def find(academy_id: int, typed: str) -> PaperCode:
    """The page a typed code is printed on, for a learner of this academy; refused with a plain reason."""
    code = normalise(typed)
    if not code:
        raise DomainError("Type the code printed at the top of the page.", field="code")
    wrong = sorted(set(code) - set(ALPHABET))
    if wrong or len(code) != LENGTH:
        raise DomainError(
            f"“{typed.strip()}” is not a page code. A code has {LENGTH} signs, like K7QX-M3PA: the letters A to Z "
            "without I and O, and the digits 2 to 9.", field="code")
    found = db.session.scalar(
        select(PaperCode)
        .join(Enrolment, (Enrolment.user_id == PaperCode.user_id) & (Enrolment.academy_id == academy_id))
        .where(PaperCode.code == code, Enrolment.role == "learner")
    )
    if found is None or found.reading.academy_id != academy_id:
        raise DomainError(f"No page of this academy has the code {code[:4]}-{code[4:]}. Check it against the page.",
                          field="code")
    return found
