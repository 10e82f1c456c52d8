"""Times printing reading packs through the real renderer: one learner's, and a unit of 30 learners on paper
(five readings of about 1,500 words each), in-process.

Each learner's copy is its own wkhtmltopdf run (packs.reading_pack), joined with pypdf; a web request is
bounded by LMS_PDF_TIMEOUT per copy, not per pack, and the command line has no limit.
Run: .venv/bin/python bench/bench_reading_pack.py   (writes bench/results-reading-pack.md)
"""
from __future__ import annotations

import base64
import io
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script

LEARNERS = 30
READINGS = 5
RESULTS = ROOT / "bench" / "results-reading-pack.md"
UNIT = "Oslo prison — unit B"
PARAGRAPH = ("Peer support means people who have lived through something walking beside those who are living "
             "through it now. It is not advice from above; it is company, honesty and practical help. ") * 6


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="lms-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
    os.environ["SECRET_KEY"] = secrets.token_hex(16)
    os.environ["LMS_DATA_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["LMS_ENV"] = "development"

    import logging

    from flask_migrate import upgrade
    from pypdf import PdfReader

    from lms import create_app
    from lms.academies.models import Academy, Enrolment, LiveSession
    from lms.accounts.models import User
    from lms.core.extensions import db
    from lms.core.types import utcnow
    from lms.paper import packs
    from lms.readings.models import Reading

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    rows = []
    with app.app_context(), app.test_request_context():
        upgrade()
        academy = Academy(title="Peer Mentoring Inside", home_timezone="Europe/Oslo", organiser="ICPA")
        academy.live_sessions = [LiveSession(title=f"Session {n}", starts_at=utcnow(), duration_minutes=90)
                                 for n in (1, 2)]
        db.session.add(academy)
        for position in range(READINGS):
            db.session.add(Reading(academy=academy, position=position, title=f"Reading {position + 1}",
                                   body_markdown="\n\n".join([PARAGRAPH] * 10), reflection_prompt="What stayed with you?",
                                   min_words=50, max_words=300))
        for n in range(LEARNERS):
            user = User(full_name=f"Learner {n:02d}", email=None, takes_part_through=UNIT, timezone="Europe/Oslo")
            db.session.add(Enrolment(user=user, academy=academy, role="learner"))
        db.session.commit()
        one = db.session.query(User).order_by(User.id).first()
        for label, kwargs in (("one learner", {"learner": one}), (f"a unit of {LEARNERS}", {"group": UNIT})):
            started = time.perf_counter()
            document = packs.reading_pack(academy, paper="a4", **kwargs)
            seconds = time.perf_counter() - started
            db.session.commit()
            pages = len(PdfReader(io.BytesIO(document)).pages)
            rows.append((label, pages, len(document) / 1024 / 1024, seconds))
    table = ["| pack | pages | size (MB) | seconds |", "| --- | --- | --- | --- |"]
    table += [f"| {label} | {pages} | {size:.2f} | {seconds:.1f} |" for label, pages, size, seconds in rows]
    text = (f"# Reading packs ({READINGS} readings of about 1,500 words, A4)\n\n" + "\n".join(table) + "\n\n"
            f"{os.cpu_count()} core(s); one wkhtmltopdf per copy, at most one per core.\n")
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
