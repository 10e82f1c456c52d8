"""An academy's sessions and readings, kept per process and read again only when they change.

Every learner page shows the same academy, its live sessions and its readings; only the learner's
own progress differs. Reading that content from the database on every request was most of a
learner page's cost, so each process keeps a copy per academy, tagged with the academy's
`content_version` (which every change bumps, in the same transaction). A page asks for the copy
with the version it just read from the database, and gets a fresh one whenever they differ, so
an edit shows on the next request in every worker.

The copies are detached ORM objects with everything a page reads already loaded. They are shared
between requests: read them, never change them or add them to a session.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.academies.models import Academy
from lms.core.extensions import db

# Academies kept per process; an academy is a few kilobytes, so this is about memory, not speed.
MAX_ACADEMIES = 64


class AcademyOutlines:
    """The per-process copies, one set per Flask app (kept in app.extensions["lms_outlines"])."""

    def __init__(self, max_academies: int = MAX_ACADEMIES):
        self.max_academies = max_academies
        # academy id -> ((content_version, created_at), academy). created_at is part of the stamp because
        # SQLite may give a deleted academy's id to a new one, whose version starts at 0 again.
        self._copies: OrderedDict[int, tuple[tuple[int, datetime], Academy]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, academy_id: int, version: int, created_at: datetime) -> Academy | None:
        stamp = (version, created_at)
        with self._lock:
            kept = self._copies.get(academy_id)
            if kept is not None and kept[0] == stamp:
                self._copies.move_to_end(academy_id)
                return kept[1]
        loaded = _load(academy_id)
        if loaded is None:
            return None
        with self._lock:
            kept = self._copies.get(academy_id)
            # Two requests may load at once; a slower, older load does not replace a newer copy.
            if kept is None or kept[0][1] != loaded.created_at or kept[0][0] <= loaded.content_version:
                self._copies[academy_id] = ((loaded.content_version, loaded.created_at), loaded)
            self._copies.move_to_end(academy_id)
            while len(self._copies) > self.max_academies:
                self._copies.popitem(last=False)
        return loaded


def academy_outline(academy_id: int, version: int, created_at: datetime) -> Academy | None:
    """The academy with its live sessions and readings, at least as new as (`version`, `created_at`) just
    read from the database; None if it is gone."""
    return current_app.extensions["lms_outlines"].get(academy_id, version, created_at)


def _load(academy_id: int) -> Academy | None:
    # Its own session, so the request's session never holds (or later expires) the shared objects.
    with Session(db.engine) as session:
        academy = session.scalar(
            select(Academy)
            .where(Academy.id == academy_id)
            .options(selectinload(Academy.live_sessions), selectinload(Academy.readings))
        )
        if academy is None:
            return None
        for live_session in academy.live_sessions:
            set_committed_value(live_session, "academy", academy)
        for reading in academy.readings:
            set_committed_value(reading, "academy", academy)
        session.expunge_all()
    return academy
