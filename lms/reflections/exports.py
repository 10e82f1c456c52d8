"""CSV downloads for facilitators: streamed a row at a time from batched queries, safe to open in Excel."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from lms.academies.models import Enrolment
from lms.accounts.models import User
from lms.core.dates import utc_stamp
from lms.core.extensions import db
from lms.paper.models import Transcription
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Feedback, Reflection, ReflectionVersion, count_words
from lms.reflections.progress import Cell, Column, Learner, LearnerRow, learner_conditions

# Rows fetched from the database at a time: a 10,000-row export never sits in memory whole.
BATCH_SIZE = 500
BOM = "\ufeff"
# A spreadsheet may run a cell that starts with one of these as a formula (tab and CR: after trimming).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The cell as text, with a leading ' when it could be read as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(rows: Iterable[list]) -> Iterator[str]:
    """The CSV as text: a byte-order mark so Excel reads UTF-8, then one chunk per row."""
    yield BOM
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def filename(academy_title: str, what: str, group: str, today: date) -> str:
    """e.g. 'peer-mentoring-progress-oslo-2025-04-20.csv': ASCII only, safe in any header."""
    parts = [_slug(academy_title) or "academy", what, _slug(group)]
    return "-".join(part for part in parts if part) + f"-{today.isoformat()}.csv"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")


def _words(status: str | None) -> str:
    return (status or "").replace("_", " ")


def progress_rows(academy_id: int, group: str, columns: list[Column]) -> Iterator[list]:
    """A header, then one row per learner (by name): a status per reading, then totals."""
    yield ["Name", "Email", "Group", *(column.title for column in columns),
           "Readings finished", "Reflections submitted", "Behind"]
    # One row per learner and reading, in learner order, so each learner's rows arrive together.
    query = (
        select(
            User.id, User.full_name, User.email, Enrolment.group_name, Reading.id,
            ReadingProgress.id.is_not(None), ReadingProgress.finished_at.is_not(None), Reflection.status,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Reading, Reading.academy_id == Enrolment.academy_id)
        .outerjoin(
            ReadingProgress,
            (ReadingProgress.user_id == Enrolment.user_id) & (ReadingProgress.reading_id == Reading.id),
        )
        .outerjoin(Reflection, (Reflection.user_id == Enrolment.user_id) & (Reflection.reading_id == Reading.id))
        .where(*learner_conditions(academy_id, group))
        .order_by(func.lower(User.full_name), User.id)
    )
    rows = db.session.execute(query.execution_options(yield_per=BATCH_SIZE))
    for (user_id, name, email, group_name), learner_rows in groupby(rows, key=lambda row: tuple(row[:4])):
        facts = {row[4]: (bool(row[5]), bool(row[6]), row[7]) for row in learner_rows}
        learner = LearnerRow(
            Learner(user_id, name, email, group_name),
            [Cell(column, *facts.get(column.id, (False, False, None))) for column in columns],
        )
        yield [name, email, group_name, *(cell.text for cell in learner.cells),
               learner.finished, learner.submitted, learner.behind]


def reflection_rows(academy_id: int, group: str) -> Iterator[list]:
    """A header, then one row per submitted reflection (drafts are the learner's own), by reading and name.

    The text is the latest submitted version: after a request for revision the learner's unsubmitted
    rewrite is still their own. The feedback columns show the latest released feedback; drafts are left out.
    """
    yield ["Name", "Email", "Group", "Reading", "Status", "First submitted at (UTC)", "Last updated at (UTC)",
           "Words", "Reflection", "Feedback", "Feedback decision", "Feedback released at (UTC)",
           "Feedback by", "Transcribed from paper"]
    latest_released = (
        select(Feedback.reflection_id, func.max(Feedback.reflection_version).label("version"))
        .join(Reflection, Reflection.id == Feedback.reflection_id)
        .join(Reading, Reading.id == Reflection.reading_id)
        .where(Reading.academy_id == academy_id, Feedback.released_at.is_not(None))
        .group_by(Feedback.reflection_id)
        .subquery()
    )
    author = aliased(User)
    transcriber = aliased(User)
    # "Last updated" is when the exported version last changed (edits before review update it in place).
    query = (
        select(
            User.full_name, User.email, Enrolment.group_name, Reading.title, Reflection.status,
            Reflection.submitted_at, ReflectionVersion.submitted_at, ReflectionVersion.body,
            Feedback.body, Feedback.decision, Feedback.released_at, author.full_name,
            Transcription.transcribed_at, transcriber.full_name, Transcription.id,
        )
        .select_from(Reflection)
        .join(Reading, Reading.id == Reflection.reading_id)
        .join(User, User.id == Reflection.user_id)
        .join(Enrolment, (Enrolment.user_id == Reflection.user_id) & (Enrolment.academy_id == academy_id))
        .outerjoin(
            ReflectionVersion,
            (ReflectionVersion.reflection_id == Reflection.id) & (ReflectionVersion.number == Reflection.version_count),
        )
        .outerjoin(latest_released, latest_released.c.reflection_id == Reflection.id)
        .outerjoin(
            Feedback,
            (Feedback.reflection_id == Reflection.id) & (Feedback.reflection_version == latest_released.c.version),
        )
        .outerjoin(author, author.id == Feedback.author_id)
        # The exported version, when a facilitator typed it in from paper (paper/transcribing.py).
        .outerjoin(
            Transcription,
            (Transcription.reflection_id == Reflection.id)
            & (Transcription.reflection_version == Reflection.version_count),
        )
        .outerjoin(transcriber, transcriber.id == Transcription.transcribed_by_id)
        .where(Reading.academy_id == academy_id, Reflection.status != "draft",
               *learner_conditions(academy_id, group))
        .order_by(Reading.position, Reading.id, func.lower(User.full_name), User.id)
    )
    for (name, email, group_name, title, status, submitted_at, updated_at, body,
         feedback, decision, released_at, author_name, transcribed_at, transcriber_name, transcription_id
         ) in db.session.execute(query.execution_options(yield_per=BATCH_SIZE)):
        paper = ""
        if transcription_id is not None:
            paper = f"by {transcriber_name or 'a former facilitator'} on {utc_stamp(transcribed_at)}"
        yield [
            name, email, group_name, title, _words(status), utc_stamp(submitted_at), utc_stamp(updated_at),
            count_words(body), body or "", feedback or "", _words(decision), utc_stamp(released_at), author_name or "",
            paper,
        ]
