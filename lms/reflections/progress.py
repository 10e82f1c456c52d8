"""Who keeps up: each learner's progress through an academy's readings, for facilitators."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lms.academies.access import academy_groups
from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.pagination import clamp_page, page_count, page_numbers
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection

PAGE_SIZE = 50
# Rows are read from the database in batches: holding thousands of result rows at once wakes Python's
# garbage collector again and again, which doubled the page's time for 2,000 learners.
BATCH_SIZE = 1000
SORTS = ("name", "behind")


@dataclass(frozen=True, slots=True)
class Column:
    """A reading as the progress table needs it: plain values, safe to use after the session closes."""

    id: int
    title: str
    is_open: bool
    has_reflection: bool


def behind_by(column: Column, finished: bool, reflection: str | None) -> int:
    """How far one reading puts a learner behind: 0, 1 or 2.

    An open reading not finished counts 1, and 1 more when its prompt has no submitted reflection (a draft
    or none at all; one returned for revision was submitted, so it does not count).
    """
    if not column.is_open:
        return 0
    return int(not finished) + int(column.has_reflection and reflection in (None, "draft"))


READING_TEXT = {
    "finished": "finished",
    "opened": "opened",
    "not-opened": "not opened",
    "not-open": "not open yet",
}
REFLECTION_TEXT = {
    None: "reflection not started",
    "draft": "reflection draft",
    "submitted": "reflection submitted",
    "revision_requested": "reflection returned for revision",
    "reviewed": "reflection reviewed",
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One learner and one reading."""

    column: Column
    opened: bool
    finished: bool
    reflection: str | None  # the reflection's status; None when the learner has not started one

    @property
    def reflection_submitted(self) -> bool:
        return self.reflection not in (None, "draft")

    @property
    def behind(self) -> int:
        return behind_by(self.column, self.finished, self.reflection)

    @property
    def reading_state(self) -> str:
        """'finished', 'opened', 'not-opened' or 'not-open'."""
        if self.finished:
            return "finished"
        if self.opened:
            return "opened"
        return "not-opened" if self.column.is_open else "not-open"

    @property
    def reflection_state(self) -> str:
        """'' when there is nothing to say, else 'missing' or the reflection's status."""
        if not self.column.has_reflection or (self.reflection is None and not self.column.is_open):
            return ""
        return self.reflection or "missing"

    @property
    def text(self) -> str:
        """The plain words for the cell, e.g. 'finished, reflection submitted' (screen readers and CSV)."""
        words = READING_TEXT[self.reading_state]
        if self.reflection_state:
            words += ", " + REFLECTION_TEXT[self.reflection]
        return words


@dataclass(frozen=True, slots=True)
class Learner:
    user_id: int
    name: str
    email: str
    group: str


@dataclass(slots=True)
class LearnerRow:
    learner: Learner
    cells: list[Cell]

    @property
    def behind(self) -> int:
        return sum(cell.behind for cell in self.cells)

    @property
    def finished(self) -> int:
        return sum(1 for cell in self.cells if cell.finished)

    @property
    def submitted(self) -> int:
        return sum(1 for cell in self.cells if cell.reflection_submitted)


@dataclass(frozen=True, slots=True)
class ReadingSummary:
    """One bar pair of the completion chart."""

    column: Column
    learners: int
    finished: int
    submitted: int

    @property
    def finished_percent(self) -> int:
        return _percent(self.finished, self.learners)

    @property
    def submitted_percent(self) -> int:
        return _percent(self.submitted, self.learners)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass
class ProgressView:
    academy: Academy
    columns: list[Column]
    rows: list[LearnerRow]  # this page's rows only
    chart: list[ReadingSummary]
    groups: list[str]
    group: str  # "" means all groups
    sort: str
    page: int
    pages: int
    learner_count: int

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)

    @property
    def page_numbers(self) -> list[int | None]:
        return page_numbers(self.page, self.pages)


# --- loading: a fixed number of queries, plain columns -------------------------------------------

def choose_group(requested: str | None, own_group: str, groups: list[str]) -> str:
    """The group to show: the one asked for; when none was asked for, the facilitator's own.

    An unknown group falls back to all groups ("") rather than showing an empty, puzzling page.
    """
    if requested is None:
        requested = own_group
    return requested if requested in groups else ""


def reading_columns(academy: Academy, now: datetime) -> list[Column]:
    readings = db.session.scalars(
        select(Reading).where(Reading.academy_id == academy.id).order_by(Reading.position, Reading.id)
    )
    # Reading.is_open is the one rule for when a reading opens; it asks academy.live_sessions (one query).
    return [Column(r.id, r.title, r.is_open(now), r.has_reflection) for r in readings]


def learner_conditions(academy_id: int, group: str) -> list:
    """WHERE conditions that pick the academy's learners (of one group, or all) from Enrolment."""
    conditions = [Enrolment.academy_id == academy_id, Enrolment.role == "learner"]
    if group:
        conditions.append(Enrolment.group_name == group)
    return conditions


def _learners(academy_id: int, group: str) -> list[Learner]:
    rows = db.session.execute(
        # "" for a learner on paper, who has no email.
        select(User.id, User.full_name, func.coalesce(User.email, ""), Enrolment.group_name)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(*learner_conditions(academy_id, group))
        .execution_options(yield_per=BATCH_SIZE)
    )
    return [Learner(*row) for row in rows]


def _progress(academy_id: int, group: str) -> dict[tuple[int, int], bool]:
    """(user id, reading id) -> finished? for every reading a learner has opened."""
    rows = db.session.execute(
        select(ReadingProgress.user_id, ReadingProgress.reading_id, ReadingProgress.finished_at.is_not(None))
        .join(Reading, Reading.id == ReadingProgress.reading_id)
        .join(Enrolment, (Enrolment.user_id == ReadingProgress.user_id) & (Enrolment.academy_id == academy_id))
        .where(Reading.academy_id == academy_id, *learner_conditions(academy_id, group))
        .execution_options(yield_per=BATCH_SIZE)
    )
    return {(user_id, reading_id): bool(finished) for user_id, reading_id, finished in rows}


def _reflections(academy_id: int, group: str) -> dict[tuple[int, int], str]:
    """(user id, reading id) -> reflection status."""
    rows = db.session.execute(
        select(Reflection.user_id, Reflection.reading_id, Reflection.status)
        .join(Reading, Reading.id == Reflection.reading_id)
        .join(Enrolment, (Enrolment.user_id == Reflection.user_id) & (Enrolment.academy_id == academy_id))
        .where(Reading.academy_id == academy_id, *learner_conditions(academy_id, group))
        .execution_options(yield_per=BATCH_SIZE)
    )
    return {(user_id, reading_id): status for user_id, reading_id, status in rows}


# --- the view --------------------------------------------------------------------------------

def _sort_learners(
    learners: list[Learner],
    sort: str,
    columns: list[Column],
    progress: dict[tuple[int, int], bool],
    reflections: dict[tuple[int, int], str],
) -> None:
    """By name; with "behind", those furthest behind first (equals stay in name order: a stable sort)."""

    def behind(learner: Learner) -> int:
        # Plain lookups rather than Cell objects: this runs for every learner and reading, not one page.
        return sum(
            behind_by(column, progress.get((learner.user_id, column.id), False),
                      reflections.get((learner.user_id, column.id)))
            for column in columns
        )

    # Names compared in Python, so the order is the same on every database.
    learners.sort(key=lambda learner: (learner.name.casefold(), learner.email))
    if sort == "behind":
        learners.sort(key=behind, reverse=True)


def _chart(
    columns: list[Column],
    learner_count: int,
    progress: dict[tuple[int, int], bool],
    reflections: dict[tuple[int, int], str],
) -> list[ReadingSummary]:
    finished = Counter(reading_id for (_, reading_id), done in progress.items() if done)
    submitted = Counter(reading_id for (_, reading_id), status in reflections.items() if status != "draft")
    return [ReadingSummary(c, learner_count, finished[c.id], submitted[c.id]) for c in columns]


def progress_view(
    academy: Academy,
    now: datetime,
    *,
    group: str | None = None,
    own_group: str = "",
    sort: str = "name",
    page: int = 1,
) -> ProgressView:
    """The progress table's page, its chart and its filters, in six queries whatever the academy's size.

    `group` None means the viewer did not choose, so their own group is shown; "" means all groups.
    Sorting by "behind" puts the learners furthest behind first.
    """
    groups = academy_groups(academy.id)
    group = choose_group(group, own_group, groups)
    sort = sort if sort in SORTS else "name"
    columns = reading_columns(academy, now)
    learners = _learners(academy.id, group)
    progress = _progress(academy.id, group)
    reflections = _reflections(academy.id, group)

    def cell(user_id: int, column: Column) -> Cell:
        finished = progress.get((user_id, column.id))
        return Cell(column, finished is not None, bool(finished), reflections.get((user_id, column.id)))

    _sort_learners(learners, sort, columns, progress, reflections)
    pages = page_count(len(learners), PAGE_SIZE)
    page = clamp_page(page, pages)  # past the end shows the last page
    start = (page - 1) * PAGE_SIZE
    rows = [
        LearnerRow(learner, [cell(learner.user_id, column) for column in columns])
        for learner in learners[start:start + PAGE_SIZE]
    ]

    return ProgressView(
        academy=academy,
        columns=columns,
        rows=rows,
        chart=_chart(columns, len(learners), progress, reflections),
        groups=groups,
        group=group,
        sort=sort,
        page=page,
        pages=pages,
        learner_count=len(learners),
    )
