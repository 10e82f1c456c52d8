"""Times the facilitator's progress view and CSV exports on a seeded academy of 2,000 learners × 8 readings."""
from __future__ import annotations

import base64
import math
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a plain script (python bench/bench_progress.py), so the project root must be importable.
sys.path.insert(0, str(ROOT))

LEARNERS = 2_000
READINGS = 8
OPEN_READINGS = 6
GROUPS = 8
WARM_UP = 2
REQUESTS = 20
RESULTS = ROOT / "bench" / "results-progress.md"
ADMIN_EMAIL = "admin@bench.example.org"
ADMIN_PASSWORD = secrets.token_hex(16)


def seed(db) -> tuple[int, dict[str, int]]:
    """One academy with bulk-inserted learners, readings, progress and reflections: its id and row counts."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from lms.academies.models import Academy, Enrolment, LiveSession
    from lms.accounts.models import User
    from lms.readings.models import Reading, ReadingProgress
    from lms.reflections.models import Reflection, ReflectionVersion

    rng = random.Random(2025)
    now = datetime.now(UTC)
    academy = Academy(title="Bench Academy", home_timezone="Europe/London", reference_timezones="")
    academy.live_sessions = [
        LiveSession(title="Session One", starts_at=now - timedelta(days=7), duration_minutes=90),
        LiveSession(title="Session Two", starts_at=now + timedelta(days=7), duration_minutes=90),
    ]
    admin = User(full_name="Bench Admin", email=ADMIN_EMAIL, is_admin=True,
                 password_hash=generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000"))
    db.session.add_all([academy, admin])
    db.session.commit()

    db.session.execute(insert(Reading), [
        {
            "academy_id": academy.id, "position": number, "title": f"Reading {number}",
            "reflection_prompt": "" if number % 4 == 0 else "What struck you?",
            # The last two open next week; the others are open now.
            "opens_at": now + timedelta(days=3) if number > OPEN_READINGS else None,
        }
        for number in range(1, READINGS + 1)
    ])
    readings = db.session.execute(
        Reading.__table__.select().where(Reading.academy_id == academy.id).order_by(Reading.position)
    ).all()

    db.session.execute(insert(User), [
        {"full_name": f"Learner {rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{number:04}",
         "email": f"learner{number}@bench.example.org"}
        for number in range(LEARNERS)
    ])
    user_ids = db.session.scalars(
        User.__table__.select().with_only_columns(User.id).where(User.email.like("learner%"))
    ).all()
    db.session.execute(insert(Enrolment), [
        {"user_id": user_id, "academy_id": academy.id, "role": "learner", "group_name": f"Group {index % GROUPS + 1}"}
        for index, user_id in enumerate(user_ids)
    ])

    progress, reflections = [], []
    for user_id in user_ids:
        keen = rng.random()  # some learners keep up, some fall behind
        for reading in readings[:OPEN_READINGS]:
            if rng.random() > 0.35 + 0.6 * keen:
                continue
            opened = now - timedelta(hours=rng.randint(1, 150))
            finished = opened + timedelta(minutes=20) if rng.random() < 0.8 else None
            progress.append({"user_id": user_id, "reading_id": reading.id, "opened_at": opened, "finished_at": finished})
            if reading.reflection_prompt and rng.random() < 0.75:
                status = rng.choices(["draft", "submitted", "reviewed", "revision_requested"], [2, 4, 3, 1])[0]
                reflections.append({
                    "user_id": user_id, "reading_id": reading.id, "status": status,
                    "body": "A few honest sentences about what I read and what I will try. " * rng.randint(2, 8),
                    "version_count": 0 if status == "draft" else 1,
                    "updated_at": opened + timedelta(hours=1),
                    "submitted_at": None if status == "draft" else opened + timedelta(hours=1),
                })
    db.session.execute(insert(ReadingProgress), progress)
    db.session.execute(insert(Reflection), reflections)
    # Every submission is kept as a version, and the reflections export reads the text from there.
    db.session.execute(
        insert(ReflectionVersion).from_select(
            ["reflection_id", "number", "body", "submitted_at"],
            select(Reflection.id, Reflection.version_count, Reflection.body, Reflection.submitted_at)
            .where(Reflection.status != "draft"),
        )
    )
    db.session.commit()
    return academy.id, {"learners": len(user_ids), "readings": len(readings), "progress rows": len(progress),
            "reflections": len(reflections)}


def sign_in(client) -> None:
    """Through the real sign-in form, CSRF token and all, as a browser would."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302, "signing in failed"


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def main() -> None:
    started = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix="lms-bench-")
    # Set before the app (and config) is imported: a throwaway database and key, nothing written to the repo.
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
    os.environ["SECRET_KEY"] = secrets.token_hex(16)
    os.environ["LMS_DATA_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["LMS_ENV"] = "development"

    import logging

    from flask_migrate import upgrade
    from sqlalchemy import event

    from lms import create_app
    from lms.core.extensions import db

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        academy_id, counts = seed(db)
        db.session.remove()
    seeded = time.perf_counter()

    client = app.test_client()
    sign_in(client)

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    url = f"/facilitate/academies/{academy_id}/progress?sort=behind&group="
    timings, cpu_timings, query_counts = [], [], []
    for number in range(WARM_UP + REQUESTS):
        statements.clear()
        begin, cpu_begin = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.get_data()
        elapsed, cpu = (time.perf_counter() - begin) * 1000, (time.process_time() - cpu_begin) * 1000
        assert response.status_code == 200 and b"2000 learners" in body, response.status_code
        if number >= WARM_UP:
            timings.append(elapsed)
            cpu_timings.append(cpu)
            query_counts.append(len(statements))

    def export(path: str) -> tuple[float, int, int]:
        statements.clear()
        begin = time.perf_counter()
        response = client.get(f"/facilitate/academies/{academy_id}/{path}?group=")
        assert response.status_code == 200 and response.is_streamed
        size = len(response.get_data())
        return (time.perf_counter() - begin) * 1000, size, len(statements)

    progress_ms, progress_bytes, progress_queries = export("progress.csv")
    reflections_ms, reflections_bytes, reflections_queries = export("reflections.csv")

    table = "\n".join([
        f"Progress view benchmark: {counts['learners']:,} learners × {counts['readings']} readings, "
        f"{counts['progress rows']:,} progress rows, {counts['reflections']:,} reflections (SQLite, "
        f"Flask test client, signed in as admin, first page sorted by behind, all groups).",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| progress view, median of {REQUESTS} (after {WARM_UP} warm-up) | {statistics.median(timings):.1f} ms |",
        f"| progress view, p95 | {percentile(timings, 0.95):.1f} ms |",
        # CPU time says what the code costs when other processes compete for the machine (see load).
        f"| progress view, CPU time median | {statistics.median(cpu_timings):.1f} ms |",
        f"| progress view, SQL queries per request | {', '.join(sorted({str(n) for n in query_counts}))} |",
        f"| progress.csv, full export | {progress_ms:.1f} ms ({progress_bytes / 1024:.0f} KiB, {progress_queries} queries) |",
        f"| reflections.csv, full export | {reflections_ms:.1f} ms ({reflections_bytes / 1024:.0f} KiB, "
        f"{reflections_queries} queries) |",
        f"| seeding (migrations + bulk inserts) | {(seeded - started):.1f} s |",
        f"| machine: CPUs, load average (1 min) | {os.cpu_count()}, {os.getloadavg()[0]:.2f} |",
        "",
    ])
    print(table)
    RESULTS.write_text(table)
    print(f"Written to {RESULTS.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s in all.")


if __name__ == "__main__":
    main()
