"""Times what the LTI domain's watch on results adds to a learner's click on "finished": in an academy tied to an
LTI course (the score task is queued as the change commits), in one tied to none (the watch only checks), and
with the watch switched off (the LMS without LTI's listeners, the baseline)."""
from __future__ import annotations

import base64
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a plain script (python bench/bench_lti_scores.py), so the project root must be importable.
sys.path.insert(0, str(ROOT))

WARM_UP = 10
CLICKS = 300  # per academy, interleaved so that the machine's noise falls on both alike
LEARNERS = 2_000  # in the linked academy, for the periodic refresh (post_scores' safety net)
RESULTS = ROOT / "bench" / "results-lti-scores.md"
EMAIL = "learner@bench.example.org"
PASSWORD = secrets.token_hex(16)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def seed(db) -> dict[str, int]:
    """A learner in three academies of one reading each; the last one is tied to a course with a gradebook."""
    from werkzeug.security import generate_password_hash

    from lms.academies.models import Academy, Enrolment
    from lms.accounts.models import User
    from lms.lti.models import LtiContext, LtiIdentity, LtiPlatform
    from lms.readings.models import Reading

    learner = User(full_name="Bench Learner", email=EMAIL,
                   password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    readings = {}
    for name in ("unwatched", "plain", "linked"):
        academy = Academy(title=f"Bench {name}", home_timezone="Europe/London", reference_timezones="")
        reading = Reading(academy=academy, position=1, title=f"Reading {name}", reflection_prompt="",
                          opens_at=datetime.now(UTC) - timedelta(days=1))
        db.session.add_all([academy, reading, Enrolment(user=learner, academy=academy, role="learner")])
        readings[name] = reading
    platform = LtiPlatform(name="Bench Moodle", issuer="https://moodle.bench.example", client_id="bench",
                           deployment_ids="1", auth_url="https://moodle.bench.example/auth",
                           token_url="https://moodle.bench.example/token", keyset_url="https://moodle.bench.example/jwks")
    db.session.add_all([learner, platform])
    db.session.flush()
    db.session.add_all([
        LtiContext(platform_id=platform.id, context_id="course-1", academy_id=readings["linked"].academy_id,
                   lineitems_url="https://moodle.bench.example/lineitems"),
        LtiIdentity(platform_id=platform.id, sub="bench-1", user_id=learner.id),
    ])
    db.session.commit()
    return {name: reading.id for name, reading in readings.items()}


def time_refresh(db, statements: list[str], reading_id: int) -> list[tuple[str, float, int, int]]:
    """LEARNERS more learners in the linked academy, each known to the course, half of them done with its reading;
    then the refresh twice: the first records every score, the second finds nothing changed."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from lms.academies.models import Enrolment
    from lms.accounts.models import User
    from lms.lti.models import LtiIdentity, LtiPlatform
    from lms.lti.scores import refresh_scores
    from lms.readings.models import Reading, ReadingProgress

    academy_id = db.session.get(Reading, reading_id).academy_id
    platform_id = db.session.scalar(select(LtiPlatform.id))
    now = datetime.now(UTC)
    db.session.execute(insert(User), [{"full_name": f"Learner {n}", "email": f"l{n}@many.bench.example.org"}
                                      for n in range(LEARNERS)])
    ids = db.session.scalars(select(User.id).where(User.email.like("%@many.bench.example.org"))).all()
    db.session.execute(insert(Enrolment), [{"user_id": i, "academy_id": academy_id, "role": "learner"} for i in ids])
    db.session.execute(insert(LtiIdentity), [{"platform_id": platform_id, "sub": f"s-{i}", "user_id": i} for i in ids])
    db.session.execute(insert(ReadingProgress), [{"user_id": i, "reading_id": reading_id, "opened_at": now,
                                                  "finished_at": now} for i in ids[::2]])
    db.session.commit()
    found = []
    for label in ("first (records every score)", "again (nothing changed)"):
        statements.clear()
        begin = time.perf_counter()
        recorded = refresh_scores(academy_id)
        db.session.commit()
        found.append((label, time.perf_counter() - begin, len(statements), recorded))
    return found


def main() -> None:
    started = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix="lms-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
    # The queue as in production on one machine: Huey's SQLite file (no worker runs: the click only queues).
    os.environ["LMS_QUEUE_URL"] = f"sqlite:///{workdir}/queue.db"
    os.environ["SECRET_KEY"] = secrets.token_hex(16)
    os.environ["LMS_DATA_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["LMS_ENV"] = "development"

    import logging

    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from lms import create_app
    from lms.core.extensions import db
    from lms.jobs.queue import current_huey
    from lms.readings.models import ReadingProgress

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        readings = seed(db)
        db.session.remove()

    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    answer = client.post("/auth/login", data={"email": EMAIL, "password": PASSWORD,
                                              "csrf_token": CSRF.search(page).group(1)})
    assert answer.status_code == 302, "signing in failed"
    tokens = {name: CSRF.search(client.get(f"/learn/readings/{reading_id}").get_data(as_text=True)).group(1)
              for name, reading_id in readings.items()}

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    from lms.lti import changes

    listeners = [(name, listener) for name, listener in (
        ("after_flush", changes._after_flush), ("before_commit", changes._before_commit),
        ("after_commit", changes._after_commit), ("after_soft_rollback", changes._after_rollback))]

    def watching(on: bool) -> None:
        for name, listener in listeners:
            if on:
                event.listen(db.session, name, listener)
            else:
                event.remove(db.session, name, listener)

    timings = {name: [] for name in readings}
    queries = {name: set() for name in readings}
    for number in range(WARM_UP + CLICKS):
        for name, reading_id in readings.items():
            if name == "unwatched":
                watching(False)
            statements.clear()
            finished = "yes" if number % 2 == 0 else "no"  # each click changes the result, as a real one does
            begin = time.perf_counter()
            response = client.post(f"/learn/readings/{reading_id}/finished",
                                   data={"finished": finished, "csrf_token": tokens[name]})
            elapsed = (time.perf_counter() - begin) * 1000
            assert response.status_code == 302, response.status_code
            if name == "unwatched":
                watching(True)
            if number >= WARM_UP:
                timings[name].append(elapsed)
                queries[name].add(len(statements))
    with app.app_context():
        queued = current_huey().pending_count()
        finished = db.session.scalar(select(func.count()).select_from(ReadingProgress)
                                     .where(ReadingProgress.finished_at.is_not(None)))
    # The last click (number WARM_UP + CLICKS - 1, odd) marked both readings not finished: each click did its work.
    assert finished == 0 and queued == WARM_UP + CLICKS, (finished, queued)

    with app.app_context():
        refresh = time_refresh(db, statements, readings["linked"])

    medians = {name: statistics.median(found) for name, found in timings.items()}
    columns = ("unwatched", "plain", "linked")

    def row(label: str, values) -> str:
        return f"| {label} | " + " | ".join(values) + " |"

    table = "\n".join([
        f"LTI scores benchmark: {CLICKS} clicks on \"finished\" per academy, interleaved (SQLite, Huey's SQLite "
        "queue, Flask test client, signed in as the learner, no worker running).",
        "",
        "| measure | LTI's watch off (baseline) | academy tied to no course | academy tied to a course |",
        "| --- | --- | --- | --- |",
        row("median", [f"{medians[name]:.2f} ms" for name in columns]),
        row("p90", [f"{statistics.quantiles(timings[name], n=10)[-1]:.2f} ms" for name in columns]),
        row("SQL statements per click", [", ".join(map(str, sorted(queries[name]))) for name in columns]),
        row("ratio to the baseline (median)", [f"{medians[name] / medians['unwatched']:.2f}" for name in columns]),
        row("score tasks queued", ["—", "—", f"{queued} (one a click)"]),
        f"| machine: CPUs, load average (1 min) | {os.cpu_count()}, {os.getloadavg()[0]:.2f} | | |",
        "",
        f"The periodic refresh (`refresh_scores`, what `post_scores` runs every 5 minutes) over the linked academy "
        f"with {LEARNERS:,} learners known to the course, half of them with the reading finished:",
        "",
        "| refresh | time | SQL statements | scores recorded |",
        "| --- | --- | --- | --- |",
        *(f"| {label} | {seconds:.2f} s | {count:,} | {recorded:,} |" for label, seconds, count, recorded in refresh),
        "",
    ])
    print(table)
    RESULTS.write_text(table)
    print(f"Written to {RESULTS.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s in all.")


if __name__ == "__main__":
    main()
