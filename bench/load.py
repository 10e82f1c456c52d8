"""`make bench`: the LMS under load, against a one-route Flask "hello" app served the same way.

Seeds a fresh database (an academy of 2,000 learners and 8 readings), serves the app with
`gunicorn -w 2` on 127.0.0.1, drives each page with wrk (16 connections, 2 threads), and does the
same for bench/hello_app.py so every figure is also a ratio to it; two "floor" rows (bench/floor_app.py)
show what an anonymous and a signed-in request cost before a page does anything. Reports requests per second,
p50/p95/p99 latency, errors, SQL queries per request (in-process, Flask test client), worker RSS,
the progress view's single-request latency, and certificate PDFs per second through lms.pdf against
the raw wkhtmltopdf command. Prints a markdown table and writes it to bench/results.md.

Environment (all optional):
  BENCH_DATABASE_URL  a throwaway PostgreSQL (or other) database; its tables are DROPPED first.
                      Default: a SQLite file (WAL) in a new temporary directory.
  BENCH_DURATION      seconds of load per page (default 10); BENCH_WARMUP (default 2)
  BENCH_CONNECTIONS   wrk connections (default 16); BENCH_THREADS wrk threads (default 2)
  BENCH_PDFS          PDFs per round and per method (default 20; two rounds each)
  BENCH_KEEP          1: keep the temporary directory (database, server logs)
  BENCH_QUIET_WAIT    on a shared machine: before each measured page, wait up to this many seconds for the
                      other processes to use < 15% of the CPU (default 0: do not wait)

Every request goes to 127.0.0.1. Servers are started in their own process groups and always
stopped (try/finally, also on Ctrl-C or SIGTERM).
"""
from __future__ import annotations

import base64
import concurrent.futures
import http.cookiejar
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

LEARNERS = 2_000
READINGS = 8
GROUPS = 8
FACILITATORS = 2
CERTIFICATES = 3
SAVE_ROTATION = 32  # (learner, reading) pairs the reflection-save load rotates through

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
PDFS = int(os.environ.get("BENCH_PDFS", "20"))
PDF_ROUNDS = 2
QUIET_WAIT = float(os.environ.get("BENCH_QUIET_WAIT", "0"))
PROGRESS_SAMPLES = 10
WORKERS = 2

# Targets from the issue.
TARGET_RATIO = 0.25       # learner pages: at least a quarter of hello's requests per second
TARGET_P99_MS = 100.0     # p99 at 16 connections
TARGET_PROGRESS_MS = 300.0
TARGET_PDF_RATIO = 0.9

RESULTS = BENCH / "results.md"
# Sent by the sign-ins and by wrk alike. Flask-Login's session protection ties a session to the address and
# User-Agent it began with; a cookie replayed with another one is marked not fresh and rewritten on every
# response, a cost no browser pays (it keeps its User-Agent and takes the rewritten cookie once).
USER_AGENT = "lms-bench/1"
PASSWORD = "bench-" + secrets.token_hex(12)
ZONES = ["America/New_York", "Europe/London", "Europe/Paris", "Asia/Singapore", "Europe/Oslo"]
# Flask-Limiter stays on (RATELIMIT_ENABLED is not read from the environment), with limits no bench reaches:
# the verify pages take every request, the sign-in limits count only refused sign-ins, the bench has none.
RATE_LIMIT_ENV = {
    "LMS_VERIFY_RATE_LIMIT": "1000000 per minute",
    "LMS_LOGIN_RATE_LIMIT": "1000000 per minute",
    "LMS_LOGIN_IP_RATE_LIMIT": "1000000 per minute",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- environment --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_environment(database_url: str) -> dict[str, str]:
    """The variables the servers, `flask db upgrade` and this process share."""
    env = {
        "LMS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # Plain http on loopback: the browser-side Secure flag would stop the cookie coming back.
        "SESSION_COOKIE_SECURE": "0",
        # No mail (the bench never triggers any, but never to a real server); production then needs
        # self-service reset turned off, or it refuses to start.
        "MAIL_SERVER": "",
        "LMS_SELF_SERVICE_RESET": "0",
        # Production refuses to start without it; the certificates printed in the bench carry it.
        "LMS_BASE_URL": "http://127.0.0.1",
        # Production refuses to start without a key for the texts stored encrypted (a throwaway one here).
        "LMS_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        **RATE_LIMIT_ENV,
    }
    return env


def reset_database(url: str) -> int:
    """Drop every table of a BENCH_DATABASE_URL database, so `flask db upgrade` starts from nothing."""
    from sqlalchemy import MetaData, create_engine

    from lms.config import database_url

    engine = create_engine(database_url(url))
    metadata = MetaData()
    metadata.reflect(engine)
    count = len(metadata.tables)
    if count:
        metadata.drop_all(engine)
    engine.dispose()
    return count


# --- seeding ------------------------------------------------------------------------------------

SENTENCES = [
    "What stayed with me is how much trust depends on someone having walked the same road.",
    "In our unit we tried a mentoring pair last year and the first weeks were the hardest.",
    "I would like to hear in Session Two how the programme keeps mentors from burning out.",
    "The point about treating lived experience as expertise, not as a story to display, is right.",
    "Our staff sometimes see peers as a risk; this reading gives me words to answer that.",
    "I am not sure the model would work in a remand prison where people stay only weeks.",
    "Practical advice from someone who has been there lands differently from a leaflet.",
    "I will ask our governor whether a peer could sit on the reentry planning group.",
    "Accountability felt fair to me when it came with support rather than with threats.",
    "The numbers on return to prison are sobering, and they make the case for trying this.",
]


@dataclass
class Seeded:
    academy_id: int
    reading_ids: list[int]
    admin_email: str
    facilitator_email: str
    learner_email: str           # the dashboard and reading-page learner
    reading_id: int              # the reading page's reading
    save_pairs: list[tuple[str, int]]  # (learner email, reading id) with no reflection or a draft
    certificate_code: str
    certificate_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    certificates_via: str = ""


def reflection_text(rng: random.Random) -> str:
    sentences = [rng.choice(SENTENCES) for _ in range(rng.randint(5, 14))]
    return " ".join(sentences)


def seed(app, base_url: str) -> Seeded:
    """Bulk inserts: one academy, 8 readings, 2,000 learners with progress, reflections and feedback,
    2 facilitators, 1 admin, attendance of Session One, and a few issued certificates."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from lms.academies.models import Academy, Enrolment, LiveSession
    from lms.accounts.models import User
    from lms.attendance.models import Attendance
    from lms.core.extensions import db
    from lms.demo import content as demo_content
    from lms.readings.models import Reading, ReadingProgress
    from lms.reflections.models import Feedback, Reflection, ReflectionVersion

    rng = random.Random(2025)
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        # One hash, made the app's way (scrypt in production), shared by every account.
        password_hash = generate_password_hash(PASSWORD, method=app.config["LMS_PASSWORD_HASH_METHOD"])
        academy = Academy(
            title="Peer Mentoring in Corrections: Bench Academy",
            description=demo_content.DESCRIPTION,
            organiser=demo_content.ORGANISER,
            home_timezone="Europe/London",
            reference_timezones=" ".join(ZONES),
            signatories="Academy Director, ICPA\nChair, Practice Transfer Advisory Committee",
            created_at=now - timedelta(days=30),
        )
        # Session One ended yesterday, Session Two starts in 6 days: readings are open, reflections editable.
        academy.live_sessions = [
            LiveSession(title="Session One: Speaker Presentations",
                        starts_at=now - timedelta(days=1, minutes=90), duration_minutes=90,
                        join_url="https://meet.example.org/learning-academy"),
            LiveSession(title="Session Two: Question and Answer / Discussion",
                        starts_at=now + timedelta(days=6), duration_minutes=90,
                        join_url="https://meet.example.org/learning-academy"),
        ]
        db.session.add(academy)
        db.session.commit()
        academy_id = academy.id
        session_one_id = academy.live_sessions[0].id

        db.session.execute(insert(Reading), [
            {
                "academy_id": academy_id, "position": number,
                "title": f"Part {number}: {source['title']}",
                "body_markdown": source["body_markdown"],
                "estimated_minutes": source["estimated_minutes"],
                "reflection_prompt": source["reflection_prompt"],
                "min_words": source["min_words"], "max_words": source["max_words"],
                "external_url": "", "opens_at": None, "closes_at": None,
            }
            for number, source in enumerate(
                (demo_content.READINGS[i % len(demo_content.READINGS)] for i in range(READINGS)), start=1
            )
        ])
        reading_ids = list(db.session.scalars(
            select(Reading.id).where(Reading.academy_id == academy_id).order_by(Reading.position)
        ))

        people = [{"email": "admin@bench.example.org", "full_name": "Bench Admin", "is_admin": True,
                   "timezone": "Europe/London"}]
        people += [{"email": f"facilitator{n}@bench.example.org", "full_name": f"Facilitator {n} Mentor",
                    "is_admin": False, "timezone": ZONES[n % len(ZONES)]} for n in range(1, FACILITATORS + 1)]
        first_names = ["Ingrid", "Marcus", "Amara", "Jean-François", "Mei", "Olu", "Sofia", "Tomás", "Aiko", "Leila"]
        people += [{"email": f"learner{n:04}@bench.example.org",
                    "full_name": f"{rng.choice(first_names)} {rng.choice('ABCDEFGHIJKLMNOPRSTUVW')}earner{n:04}",
                    "is_admin": False, "timezone": ZONES[n % len(ZONES)]} for n in range(LEARNERS)]
        for person in people:
            person.update(password_hash=password_hash, is_active_account=True, session_version=0,
                          created_at=now - timedelta(days=20))
        db.session.execute(insert(User), people)
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        admin_id = ids["admin@bench.example.org"]
        learner_ids = [ids[f"learner{n:04}@bench.example.org"] for n in range(LEARNERS)]
        facilitator_ids = [ids[f"facilitator{n}@bench.example.org"] for n in range(1, FACILITATORS + 1)]

        enrolments = [{"user_id": uid, "academy_id": academy_id, "role": "facilitator",
                       "group_name": f"Group {n}", "created_at": now - timedelta(days=20)}
                      for n, uid in enumerate(facilitator_ids, start=1)]
        enrolments += [{"user_id": uid, "academy_id": academy_id, "role": "learner",
                        "group_name": f"Group {n % GROUPS + 1}", "created_at": now - timedelta(days=20)}
                       for n, uid in enumerate(learner_ids)]
        db.session.execute(insert(Enrolment), enrolments)

        attendance = []
        for uid in learner_ids:
            present = rng.random() < 0.9
            attendance.append({"live_session_id": session_one_id, "user_id": uid,
                               "status": "present" if present else "absent",
                               "minutes": rng.randint(60, 90) if present else 0, "source": "zoom",
                               "updated_at": now - timedelta(hours=20), "updated_by_id": admin_id})
        db.session.execute(insert(Attendance), attendance)

        # Progress: some learners keep up, some fall behind; later readings are opened less.
        progress, reflections = [], []
        opened_since = now - timedelta(hours=23)
        for uid in learner_ids:
            keen = rng.random()
            for index, reading_id in enumerate(reading_ids):
                if rng.random() > 0.25 + 0.85 * keen - 0.05 * index:
                    continue
                opened = opened_since + timedelta(minutes=rng.randint(0, 22 * 60))
                finished = opened + timedelta(minutes=rng.randint(5, 40)) if rng.random() < 0.8 else None
                progress.append({"user_id": uid, "reading_id": reading_id, "opened_at": opened,
                                 "finished_at": finished})
                if rng.random() < 0.7:
                    status = rng.choices(["draft", "submitted", "reviewed", "revision_requested"], [3, 4, 2, 1])[0]
                    saved = opened + timedelta(minutes=rng.randint(20, 60))
                    reflections.append({
                        "user_id": uid, "reading_id": reading_id, "body": reflection_text(rng),
                        "status": status, "version_count": 0 if status == "draft" else 1,
                        "created_at": opened, "updated_at": saved,
                        "submitted_at": None if status == "draft" else saved,
                    })
        db.session.execute(insert(ReadingProgress), progress)
        db.session.execute(insert(Reflection), reflections)
        rows = db.session.execute(
            select(Reflection.id, Reflection.user_id, Reflection.reading_id, Reflection.status,
                   Reflection.body, Reflection.submitted_at)
        ).all()
        versions, feedback = [], []
        for rid, _uid, _reading_id, status, body, submitted_at in rows:
            if status == "draft":
                continue
            versions.append({"reflection_id": rid, "number": 1, "body": body, "submitted_at": submitted_at})
            released = status in ("reviewed", "revision_requested")
            if released or rng.random() < 0.1:  # a few unreleased drafts of feedback too
                moment = submitted_at + timedelta(hours=2)
                feedback.append({
                    "reflection_id": rid, "reflection_version": 1, "author_id": rng.choice(facilitator_ids),
                    "body": "Thank you. " + rng.choice(SENTENCES), "decision": status if released else None,
                    "released_at": moment if released else None, "created_at": moment, "updated_at": moment,
                    "edit_count": 1,
                })
        db.session.execute(insert(ReflectionVersion), versions)
        db.session.execute(insert(Feedback), feedback)
        db.session.commit()

        # The learner whose dashboard and reading page are loaded: a draft on reading 1, released feedback
        # elsewhere, so every part of both pages is drawn.
        by_user: dict[int, dict[int, str]] = {}
        for _rid, uid, reading_id, status, _body, _at in rows:
            by_user.setdefault(uid, {})[reading_id] = status
        released_users = {uid for _rid, uid, _r, status, _b, _a in rows if status in ("reviewed", "revision_requested")}
        email_of = {uid: email for email, uid in ids.items()}
        chosen = next(
            (uid for uid in learner_ids
             if by_user.get(uid, {}).get(reading_ids[0]) == "draft" and uid in released_users
             and len(by_user[uid]) >= 4),
            learner_ids[0],
        )
        # Reflection saves rotate over learners (not the chosen one) whose reflection is absent or a draft.
        pairs = []
        for uid in learner_ids[1:]:
            if uid == chosen:
                continue
            states = by_user.get(uid, {})
            reading_id = reading_ids[len(pairs) % READINGS]
            if states.get(reading_id) in (None, "draft"):
                pairs.append((email_of[uid], reading_id))
            if len(pairs) == SAVE_ROTATION:
                break

        code, certificate_id, via = _certificates(app, academy_id, learner_ids[-CERTIFICATES:], admin_id, base_url)

        counts = {"learners": len(learner_ids), "readings": len(reading_ids), "progress rows": len(progress),
                  "reflections": len(reflections), "submitted versions": len(versions),
                  "feedback": len(feedback), "attendance rows": len(attendance)}
        db.session.remove()
    return Seeded(
        academy_id=academy_id, reading_ids=reading_ids, admin_email="admin@bench.example.org",
        facilitator_email="facilitator1@bench.example.org", learner_email=email_of[chosen],
        reading_id=reading_ids[0], save_pairs=pairs, certificate_code=code, certificate_id=certificate_id,
        counts=counts, certificates_via=via,
    )


def _certificates(app, academy_id: int, user_ids: list[int], admin_id: int, base_url: str):
    """Issue a few certificates through the service (exceptions granted so they are eligible); without the
    service, or without a working renderer, insert Certificate rows with a known code instead."""
    from sqlalchemy import insert

    from lms.academies.models import Academy
    from lms.accounts.models import User
    from lms.certificates.models import Certificate, EligibilityException
    from lms.core.extensions import db

    now = datetime.now(UTC)
    db.session.execute(insert(EligibilityException), [
        {"academy_id": academy_id, "user_id": uid, "reason": "Bench: a certificate for the verification page.",
         "granted_by_id": admin_id, "granted_at": now}
        for uid in user_ids
    ])
    db.session.commit()
    try:
        from lms.certificates import issuing
    except ImportError:
        issuing = None
    if issuing is not None:
        try:
            issued = []
            with app.test_request_context("/", base_url=base_url):
                academy = db.session.get(Academy, academy_id)
                admin = db.session.get(User, admin_id)
                for uid in user_ids:
                    certificate, _created = issuing.issue(academy, db.session.get(User, uid), admin)
                    issued.append(certificate)
                db.session.commit()
            return issued[0].verification_code, issued[0].id, "issued through lms.certificates.issuing.issue"
        except Exception as error:  # noqa: BLE001 - any failure falls back to plain rows
            db.session.rollback()
            log(f"certificates could not be issued through the service ({error}); inserting rows directly")
    code = "BENCH" + secrets.token_hex(10).upper()[:27]
    academy = db.session.get(Academy, academy_id)
    for number, uid in enumerate(user_ids, start=1):
        db.session.add(Certificate(
            academy_id=academy_id, user_id=uid, number=f"LA-{academy_id}-{number:04d}",
            verification_code=code if number == 1 else "BENCH" + secrets.token_hex(10).upper()[:27],
            name_as_printed=db.session.get(User, uid).full_name, academy_title=academy.title,
            organiser=academy.organiser, session_dates="(bench)", issued_at=now, issued_by_id=admin_id,
            status="valid", status_reason="", pdf=None, pdf_sha256="",
        ))
    db.session.commit()
    return code, None, "inserted as rows (no PDF)"


def certificate_html(app, seeded: Seeded, base_url: str) -> tuple[str, str]:
    """The HTML the app renders for a certificate, or a representative page without the service."""
    from lms.core.extensions import db

    with app.test_request_context("/", base_url=base_url):
        try:
            from lms.academies.models import Academy
            from lms.certificates import rendering
            from lms.certificates.models import Certificate

            if seeded.certificate_id is not None:
                certificate = db.session.get(Certificate, seeded.certificate_id)
                academy = db.session.get(Academy, certificate.academy_id)
                html = rendering.certificates_html([certificate], academy.signatory_list, academy.home_timezone)
                db.session.remove()
                return html, "the app's certificate (lms.certificates.rendering.certificate_html)"
        except ImportError:
            pass
        db.session.remove()
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><style>@page{size:A4 landscape;margin:0}"
        "body{font-family:'DejaVu Serif',serif;text-align:center}h1{font-size:42pt}</style></head><body>"
        "<h1>Certificate of Attendance</h1><p>This certifies that</p><p style='font-size:36pt'>Ingrid Solberg"
        "</p><p>attended the live sessions of Peer Mentoring in Corrections</p>"
        f"<img style='width:26mm;height:26mm' src='data:image/png;base64,{pixel}'></body></html>"
    )
    return html, "a representative A4 landscape page (no certificate service)"


# --- SQL queries per request, in-process -------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_client_sign_in(app, email: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"test client: signing in as {email} failed ({response.status_code})")
    return client


def count_queries(app, seeded: Seeded, pages: dict) -> dict[str, int]:
    """One request per page after one warm-up, counting statements with before_cursor_execute."""
    from sqlalchemy import event

    from lms.core.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def counter(*args):
        statements.append(args[2])

    clients = {
        "anonymous": app.test_client(),
        "learner": test_client_sign_in(app, seeded.learner_email),
        "facilitator": test_client_sign_in(app, seeded.facilitator_email),
        "saver": test_client_sign_in(app, seeded.save_pairs[-1][0]),
    }
    save_reading = seeded.save_pairs[-1][1]
    page = clients["saver"].get(f"/learn/readings/{save_reading}").get_data(as_text=True)
    save_token = CSRF.search(page).group(1)
    found = {}
    event.listen(engine, "before_cursor_execute", counter)
    try:
        for name, spec in pages.items():
            if spec.get("hello") or spec.get("floor"):
                continue
            client = clients[spec["client"]]
            for _attempt in range(2):
                statements.clear()
                if spec["method"] == "POST":
                    response = client.post(spec["path_for_test"], data={
                        "csrf_token": save_token, "body": "Counting queries. " * 20, "action": "draft"})
                else:
                    response = client.get(spec["path_for_test"])
                response.get_data()
                if response.status_code != spec["status"]:
                    raise RuntimeError(f"test client: {name} answered {response.status_code}, "
                                       f"expected {spec['status']}")
            found[name] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return found


# --- servers ----------------------------------------------------------------------------------

class Server:
    """gunicorn -w 2 on 127.0.0.1 in its own process group, with its output in a log file."""

    def __init__(self, name: str, app_spec: str, port: int, env: dict[str, str], cwd: Path, logdir: Path):
        self.name, self.port = name, port
        self.log_path = logdir / f"gunicorn-{name}.log"
        self._log = open(self.log_path, "wb")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", app_spec],
            cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited ({self.process.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=2) as response:
                    response.read()
                if len(self.worker_pids()) == WORKERS:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not answer within {timeout:g} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return sorted(int(pid) for pid in text.split())

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return sizes

    def worker_cpu_ticks(self) -> int:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def wait_idle(self, timeout: float = 30) -> None:
        """Wait until the workers stop using CPU: requests wrk left queued when it stopped are still being
        answered, and would otherwise be counted against the next page."""
        deadline = time.monotonic() + timeout
        last, quiet = self.worker_cpu_ticks(), 0
        while time.monotonic() < deadline and quiet < 3:
            time.sleep(0.1)
            ticks = self.worker_cpu_ticks()
            quiet = quiet + 1 if ticks == last else 0
            last = ticks

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


# --- an HTTP client for signing in -----------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """urllib with a cookie jar and no redirects followed: enough to sign in and read CSRF tokens."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body,
                                         headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def sign_in(self, email: str) -> None:
        status, _headers, page = self.request("/auth/login")
        token = CSRF.search(page.decode()).group(1)
        status, headers, _ = self.request("/auth/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        if status != 302 or "/auth/login" in headers.get("Location", ""):
            raise RuntimeError(f"signing in as {email} failed ({status})")
        # Follow the redirect as a browser does: the page it shows puts the CSRF token in the session, so
        # the cookie the bench replays is the one a browser would hold, and pages do not rewrite it.
        status, _headers, _page = self.request(urllib.parse.urlsplit(headers["Location"]).path)
        if status != 200:
            raise RuntimeError(f"after signing in as {email}, {headers['Location']} answered {status}")

    def csrf_from(self, path: str) -> str:
        status, _headers, page = self.request(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return CSRF.search(page.decode()).group(1)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def timed_get(base: str, path: str, cookie: str) -> tuple[int, float]:
    status, _rewrites, ms = _get(base, path, cookie)
    return status, ms


def _get(base: str, path: str, cookie: str) -> tuple[int, bool, float]:
    """(status, whether the response sets a cookie, milliseconds)."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "User-Agent": USER_AGENT})
    begin = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers
    return status, "Set-Cookie" in headers, (time.perf_counter() - begin) * 1000


# --- wrk --------------------------------------------------------------------------------------

@dataclass
class LoadResult:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int
    detail: str
    other_cpu: float = 0.0  # share of the machine's CPU used by processes other than wrk and the workers
    worker_cpu_ms: float = 0.0  # gunicorn workers' CPU time per completed request


def run_wrk(url: str, *, cookie: str = "", rotate_file: Path | None = None, duration: int = DURATION) -> LoadResult:
    script = BENCH / ("wrk_rotate.lua" if rotate_file else "wrk_report.lua")
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "5s", "--latency",
               "-s", str(script)]
    command += ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    if rotate_file:
        command += ["--", str(rotate_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    data = json.loads(line[len("WRK_RESULT "):])
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    errors = socket_errors + data["status"]
    detail = (f"non-2xx/3xx {data['status']}, connect {data['connect']}, read {data['read']}, "
              f"write {data['write']}, timeout {data['timeout']}")
    return LoadResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50=data["p50_us"] / 1000, p95=data["p95_us"] / 1000, p99=data["p99_us"] / 1000,
        errors=errors, requests=data["requests"], detail=detail,
    )


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def _children_jiffies() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")


def wait_quiet(limit: float = QUIET_WAIT, threshold: float = 0.15) -> float:
    """With BENCH_QUIET_WAIT set, wait (up to that many seconds) until the rest of the machine uses less than
    `threshold` of the CPU over one second, so a shared machine's other work disturbs the run less.
    Returns that share, as last measured."""
    deadline = time.monotonic() + limit
    while True:
        busy0, total0 = _machine_jiffies()
        time.sleep(1)
        busy1, total1 = _machine_jiffies()
        share = (busy1 - busy0) / max(total1 - total0, 1)
        if share < threshold or time.monotonic() >= deadline:
            return share


def measure(server: Server, url: str, **options) -> tuple[LoadResult, list[float]]:
    """Warm up, then the measured run; the workers are let go idle before each, so requests queued by the
    previous run do not count against this one. Returns the result and the workers' RSS after it."""
    server.wait_idle()
    if QUIET_WAIT:
        wait_quiet()
    run_wrk(url, duration=WARMUP, **options)
    server.wait_idle()
    busy0, total0 = _machine_jiffies()
    workers0, wrk0 = server.worker_cpu_ticks(), _children_jiffies()
    result = run_wrk(url, **options)
    busy1, total1 = _machine_jiffies()
    workers1, wrk1 = server.worker_cpu_ticks(), _children_jiffies()
    ours = (workers1 - workers0) + (wrk1 - wrk0)
    result.other_cpu = max(0.0, (busy1 - busy0 - ours) / max(total1 - total0, 1))
    result.worker_cpu_ms = (workers1 - workers0) / os.sysconf("SC_CLK_TCK") * 1000 / max(result.requests, 1)
    rss = server.worker_rss_mb()
    server.wait_idle()
    return result, rss


# --- PDFs -------------------------------------------------------------------------------------

def pdf_throughput(html: str, count: int, workers: int) -> dict:
    """PDFs per second through lms.pdf.render_pdf and through the raw wkhtmltopdf command, same HTML,
    same options, same parallelism; rounds alternate so background noise hits both alike."""
    from lms.core import pdf

    command = pdf.build_command(html)
    data = html.encode("utf-8")

    def raw_once(_):
        done = subprocess.run(command, input=data, capture_output=True, timeout=60)
        if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
            raise RuntimeError(f"raw wkhtmltopdf failed ({done.returncode}): {done.stderr[-500:]!r}")
        return len(done.stdout)

    def app_once(_):
        return len(pdf.render_pdf(html))

    def timed(function) -> float:
        begin = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(function, range(count)))
        return time.perf_counter() - begin

    raw_once(0)
    app_once(0)  # warm-up: fonts cached, lock files made
    raw_seconds = app_seconds = 0.0
    for _round in range(PDF_ROUNDS):
        raw_seconds += timed(raw_once)
        app_seconds += timed(app_once)
    total = count * PDF_ROUNDS
    return {
        "raw": total / raw_seconds, "app": total / app_seconds, "count": total, "workers": workers,
        "bytes": app_once(0), "command": " ".join(command[1:-2]),
    }


# --- the report -------------------------------------------------------------------------------

def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def build_report(meta: dict, rows: list[dict], progress: dict, pdf: dict | None) -> tuple[str, bool]:
    lines = [
        f"# `make bench` — {meta['when']}",
        "",
        meta["setup"],
        "",
        "| page | req/s | × hello | p50 ms | p95 ms | p99 ms | errors | SQL/request | worker RSS MB "
        "| worker CPU ms/request | targets |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    all_pass = True
    total_errors = 0
    for row in rows:
        result: LoadResult = row["result"]
        total_errors += result.errors
        checks = []
        if row.get("learner_page"):
            ok = row["ratio"] >= TARGET_RATIO
            checks.append(f"≥ {TARGET_RATIO:g}× hello {mark(ok)}")
            all_pass &= ok
        if row.get("p99_target"):
            ok = result.p99 < TARGET_P99_MS
            checks.append(f"p99 < {TARGET_P99_MS:g} ms {mark(ok)}")
            all_pass &= ok
        if not row.get("hello"):
            checks.append(f"0 errors {mark(result.errors == 0)}")
            all_pass &= result.errors == 0
        rss = " / ".join(f"{size:.0f}" for size in row["rss"]) or "?"
        sql = "—" if row.get("hello") or row.get("floor") else str(row.get("sql", "?"))
        targets = "(baseline)" if row.get("hello") else "; ".join(checks)
        if row.get("floor"):
            targets = "(reference) " + targets
        lines.append(
            f"| {row['label']} | {result.rps:,.0f} | {row['ratio']:.2f} | {result.p50:.1f} | {result.p95:.1f} | "
            f"{result.p99:.1f} | {result.errors} | {sql} | {rss} | {result.worker_cpu_ms:.2f} | {targets} |"
        )
    lines.append("")
    ok = progress["median"] < TARGET_PROGRESS_MS
    all_pass &= ok
    lines.append(
        f"- **Progress view, single request** (2,000 learners × 8 readings, all groups, sorted by behind; "
        f"{progress['samples']} sequential requests over HTTP after 2 warm-up): median {progress['median']:.1f} ms, "
        f"min {progress['min']:.1f}, max {progress['max']:.1f} — target < {TARGET_PROGRESS_MS:g} ms: **{mark(ok)}**"
    )
    if pdf is None:
        all_pass = False
        lines.append("- **Certificate PDFs**: not measured (wkhtmltopdf missing) — **FAIL**")
    else:
        ratio = pdf["app"] / pdf["raw"]
        ok = ratio >= TARGET_PDF_RATIO
        all_pass &= ok
        lines.append(
            f"- **Certificate PDFs** ({pdf['count']} per method, {pdf['workers']} threads, {pdf['html_source']}, "
            f"{pdf['bytes'] / 1024:.0f} KiB each): lms.pdf.render_pdf {pdf['app']:.2f}/s, raw `wkhtmltopdf` "
            f"{pdf['raw']:.2f}/s, ratio {ratio:.2f} — target ≥ {TARGET_PDF_RATIO:g}: **{mark(ok)}**"
        )
    errors_ok = total_errors == 0
    lines.append(f"- **Errors** (non-2xx/3xx + socket errors, all runs): {total_errors} — target 0: **{mark(errors_ok)}**")
    lines.append("")
    lines.append(f"**Overall: {mark(all_pass)}**")
    lines.append("")
    lines.extend(meta["notes"])
    shares = ", ".join(f"{row['name']} {row['result'].other_cpu:.0%}" for row in rows)
    busiest = max(row["result"].other_cpu for row in rows)
    lines.append(
        f"- CPU used by other processes on the machine during each measured run (share of all "
        f"{os.cpu_count()} CPUs, not counting wrk and the workers): {shares}."
        + (" **The machine was busy with other work: figures are lower and noisier than on an idle machine.**"
           if busiest > 0.10 else "")
    )
    lines.append("")
    return "\n".join(lines), all_pass


# --- main -------------------------------------------------------------------------------------

def _raise_on_sigterm(_signum, _frame):
    raise SystemExit(143)


def main() -> int:
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    if shutil.which("wrk") is None:
        print("wrk is not installed. Run: sudo apt-get install -y wrk   (make bench does this when it can)")
        return 2
    started = time.perf_counter()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="lms-load-"))
    custom_db = os.environ.get("BENCH_DATABASE_URL")
    database_url = custom_db or f"sqlite:///{workdir}/bench.db"
    env_vars = bench_environment(database_url)
    os.environ.update(env_vars)  # before config/lms are imported: this process uses the same settings
    # lms.pdf keeps its renderer slot locks in the temp dir, shared by every process of this user: give the
    # bench its own, so PDFs that other processes render meanwhile (a test run) do not hold its slots.
    (workdir / "tmp").mkdir()
    tempfile.tempdir = str(workdir / "tmp")
    child_env = {**os.environ, **env_vars}
    servers: list[Server] = []
    try:
        if custom_db:
            dropped = reset_database(custom_db)
            log(f"BENCH_DATABASE_URL: dropped {dropped} existing tables")
        log(f"database: {'BENCH_DATABASE_URL' if custom_db else database_url}")
        flask = str(Path(sys.executable).parent / "flask")
        migrated = subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=child_env,
                                  capture_output=True, text=True)
        if migrated.returncode != 0:
            raise SystemExit(f"flask db upgrade failed:\n{migrated.stderr[-3000:]}")
        log("migrated (flask db upgrade)")

        import logging

        from lms import create_app

        app = create_app()
        logging.getLogger().setLevel(logging.WARNING)
        app_port, hello_port, floor_port = free_port(), free_port(), free_port()
        app_base = f"http://127.0.0.1:{app_port}"
        seeded = seed(app, app_base)
        log(f"seeded: {seeded.counts}; certificates {seeded.certificates_via}")
        seed_seconds = time.perf_counter() - started
        pdf_html, html_source = certificate_html(app, seeded, app_base)

        aid = seeded.academy_id
        progress_path = f"/facilitate/academies/{aid}/progress?group=&sort=behind"
        save_path = f"/learn/readings/{seeded.save_pairs[-1][1]}/reflection"
        pages = {
            "hello": {"label": "hello app (baseline)", "hello": True},
            # Not pages: the same app with two routes that do nothing (bench/floor_app.py), for what every
            # request costs before a page starts its own work.
            "floor-anonymous": {"label": "floor: anonymous request that does nothing", "client": "anonymous",
                                "method": "GET", "path_for_test": "/_bench/anonymous", "status": 200,
                                "floor": True},
            "floor-signed-in": {"label": "floor: signed-in request that does nothing", "client": "learner",
                                "method": "GET", "path_for_test": "/_bench/signed-in", "status": 200,
                                "floor": True},
            "login": {"label": "login page (GET)", "client": "anonymous", "method": "GET",
                      "path_for_test": "/auth/login", "status": 200, "learner_page": True},
            "dashboard": {"label": "learner dashboard", "client": "learner", "method": "GET",
                          "path_for_test": "/learn/", "status": 200, "learner_page": True},
            "reading": {"label": "reading page", "client": "learner", "method": "GET",
                        "path_for_test": f"/learn/readings/{seeded.reading_id}", "status": 200,
                        "learner_page": True},
            "save": {"label": f"reflection save (POST draft, {len(seeded.save_pairs)} learners rotating)",
                     "client": "saver", "method": "POST", "path_for_test": save_path, "status": 302,
                     "learner_page": True},
            "queue": {"label": "facilitator review queue", "client": "facilitator", "method": "GET",
                      "path_for_test": f"/facilitate/academies/{aid}/reviews", "status": 200},
            "progress": {"label": "progress view (2,000 × 8, all groups)", "client": "facilitator",
                         "method": "GET", "path_for_test": progress_path, "status": 200, "p99_own": True},
            "verify": {"label": "certificate verification page", "client": "anonymous", "method": "GET",
                       "path_for_test": f"/verify/{seeded.certificate_code}", "status": 200},
        }
        sql = count_queries(app, seeded, pages)
        log(f"SQL queries per request: {sql}")

        rows: list[dict] = []
        hello = Server("hello", "hello_app:app", hello_port, child_env, BENCH, workdir)
        servers.append(hello)
        hello.wait_ready("/")
        # The hello app is measured again right before each page, and each page's ratio is to that run: on a
        # shared machine, what else is running changes from minute to minute.
        hello_runs: list[LoadResult] = []
        hello_rss: list[float] = []

        def measure_hello() -> LoadResult:
            result, rss = measure(hello, hello.base + "/")
            hello_runs.append(result)
            hello_rss[:] = rss
            log(f"hello: {result.rps:,.0f} req/s, p99 {result.p99:.1f} ms, other CPU {result.other_cpu:.0%}")
            return result

        server = Server("lms", "wsgi:app", app_port, child_env, ROOT, workdir)
        servers.append(server)
        server.wait_ready("/auth/login")

        learner = Browser(server.base)
        learner.sign_in(seeded.learner_email)
        learner.csrf_from(f"/learn/readings/{seeded.reading_id}")  # opens the reading once, as a person would
        facilitator = Browser(server.base)
        facilitator.sign_in(seeded.facilitator_email)
        rotate_file = workdir / "reflection-saves.tsv"
        with open(rotate_file, "w") as out:
            for number, (email, reading_id) in enumerate(seeded.save_pairs):
                browser = Browser(server.base)
                browser.sign_in(email)
                token = browser.csrf_from(f"/learn/readings/{reading_id}")
                body = urllib.parse.urlencode({
                    "csrf_token": token, "action": "draft",
                    "body": f"Draft {number}: " + " ".join(SENTENCES[(number + i) % len(SENTENCES)] for i in range(8)),
                })
                out.write(f"POST\t/learn/readings/{reading_id}/reflection\t{browser.cookie}\t{body}\n")
                if number == 0:
                    status, headers, _ = browser.request(f"/learn/readings/{reading_id}/reflection",
                                                         dict(urllib.parse.parse_qsl(body)))
                    if status != 302 or "/learn/readings/" not in headers.get("Location", ""):
                        raise RuntimeError(f"reflection save check answered {status} {headers.get('Location')}")
        log(f"signed in: 1 learner, 1 facilitator, {len(seeded.save_pairs)} learners for reflection saves")

        cookies = {"anonymous": "", "learner": learner.cookie, "facilitator": facilitator.cookie}
        floor = Server("floor", "floor_app:app", floor_port, child_env, BENCH, workdir)
        servers.append(floor)
        floor.wait_ready("/_bench/anonymous")
        for name, spec in pages.items():
            if spec.get("hello") or spec["method"] == "POST":
                continue
            serving = floor if spec.get("floor") else server
            status, rewrites, _ms = _get(serving.base, spec["path_for_test"], cookies[spec["client"]])
            if status != spec["status"]:
                raise RuntimeError(f"{name}: GET {spec['path_for_test']} answered {status}, expected {spec['status']}")
            if rewrites and spec["client"] != "anonymous":
                raise RuntimeError(f"{name}: GET {spec['path_for_test']} rewrites the session cookie on every "
                                   "request; the load would measure that, which no browser pays")

        load_started = datetime.now(UTC)
        for name, spec in pages.items():
            if spec.get("hello"):
                continue
            serving = floor if spec.get("floor") else server
            url = serving.base + spec["path_for_test"]
            baseline = measure_hello()
            if spec["method"] == "POST":
                result, rss = measure(serving, url, rotate_file=rotate_file)
            else:
                result, rss = measure(serving, url, cookie=cookies[spec["client"]])
            ratio = result.rps / baseline.rps
            rows.append({**spec, "name": name, "result": result, "ratio": ratio, "rss": rss, "baseline": baseline,
                         "sql": sql.get(name), "p99_target": not (spec.get("p99_own") or spec.get("floor"))})
            log(f"{name}: {result.rps:,.0f} req/s ({ratio:.2f}× hello), p50 {result.p50:.1f} p95 {result.p95:.1f} "
                f"p99 {result.p99:.1f} ms, errors {result.errors} ({result.detail}), "
                f"other CPU {result.other_cpu:.0%}")

        hello.stop()
        servers.remove(hello)
        hello_result = LoadResult(
            rps=statistics.mean(r.rps for r in hello_runs), p50=statistics.mean(r.p50 for r in hello_runs),
            p95=statistics.mean(r.p95 for r in hello_runs), p99=statistics.mean(r.p99 for r in hello_runs),
            errors=sum(r.errors for r in hello_runs), requests=sum(r.requests for r in hello_runs),
            detail="", other_cpu=statistics.mean(r.other_cpu for r in hello_runs),
            worker_cpu_ms=statistics.mean(r.worker_cpu_ms for r in hello_runs),
        )
        rows.insert(0, {**pages["hello"], "name": "hello", "result": hello_result, "ratio": 1.0, "rss": hello_rss,
                        "label": f"hello app (baseline: mean of {len(hello_runs)} runs, "
                                 f"{min(r.rps for r in hello_runs):,.0f}–{max(r.rps for r in hello_runs):,.0f})"})

        # Still signed in after the load (a dropped session would have shown as redirects, not errors).
        for name in ("dashboard", "queue"):
            status, _ms = timed_get(server.base, pages[name]["path_for_test"], cookies[pages[name]["client"]])
            if status != 200:
                raise RuntimeError(f"after the load, {name} answered {status}")
        saved = _saved_since(database_url, load_started, seeded.save_pairs) if not custom_db else None

        timings = []
        for number in range(2 + PROGRESS_SAMPLES):
            status, ms = timed_get(server.base, progress_path, cookies["facilitator"])
            if status != 200:
                raise RuntimeError(f"progress view answered {status}")
            if number >= 2:
                timings.append(ms)
        progress = {"median": statistics.median(timings), "min": min(timings), "max": max(timings),
                    "samples": len(timings)}
        log(f"progress view single request: median {progress['median']:.1f} ms")
        server.stop()
        servers.remove(server)

        pdf = None
        if shutil.which("wkhtmltopdf") or os.environ.get("LMS_WKHTMLTOPDF"):
            log(f"PDFs: {PDFS} × {PDF_ROUNDS} rounds per method, {os.cpu_count()} threads")
            pdf = pdf_throughput(pdf_html, PDFS, os.cpu_count() or 1)
            pdf["html_source"] = html_source
            log(f"PDFs: app {pdf['app']:.2f}/s, raw {pdf['raw']:.2f}/s")

        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        database = ("PostgreSQL (BENCH_DATABASE_URL)" if custom_db and custom_db.startswith("postgres")
                    else "BENCH_DATABASE_URL" if custom_db else f"SQLite {sqlite3.sqlite_version}, WAL, temp file")
        counts = seeded.counts
        hello_cpu = hello_result.worker_cpu_ms
        meta = {
            "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "setup": (
                f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {database}. "
                f"Seeded {counts['learners']:,} learners × {counts['readings']} readings: "
                f"{counts['progress rows']:,} progress rows, {counts['reflections']:,} reflections "
                f"({counts['submitted versions']:,} submitted), {counts['feedback']:,} feedback, "
                f"2 facilitators, 1 admin, {CERTIFICATES} certificates ({seeded.certificates_via}). "
                f"Each server: `gunicorn -w {WORKERS} -b 127.0.0.1:PORT` (sync workers); "
                f"load: `wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s --latency` after a {WARMUP} s warm-up, "
                f"on the same machine."
            ),
            "notes": [
                "Notes:",
                "- × hello: the page's req/s over that of the hello app (bench/hello_app.py, same gunicorn, same "
                "wrk) measured just before the page; the hello row shows the mean of those runs. Both servers are "
                "up throughout, only one is loaded at a time.",
                "- Targets: learner pages (login, dashboard, reading, reflection save) ≥ 0.25× hello req/s; "
                "p99 < 100 ms at 16 connections (every page but the progress view, which has its own "
                "single-request target); progress view < 300 ms; PDFs ≥ 0.9× the raw command; zero errors.",
                "- SQL/request: statements counted in-process (Flask test client, `before_cursor_execute`), "
                "one request after one warm-up. Worker RSS: VmRSS of each gunicorn worker after that page's load. "
                "Worker CPU ms/request: the two workers' user+system CPU time during the run over the requests "
                "completed. It depends little on what else the machine is doing, so hello's CPU/request over "
                "a page's is a second estimate of the ratio to hello: "
                + ", ".join(f"{row['name']} {hello_cpu / row['result'].worker_cpu_ms:.2f}"
                            for row in rows if not row.get("hello") and row["result"].worker_cpu_ms) + ".",
                "- Floor rows: bench/floor_app.py, the same app plus two routes that return \"ok\", served the "
                "same way. The anonymous one pays the app's hooks (CSRF check, rate limiter, security headers); the "
                "signed-in one also the session cookie, the user-and-enrolments query with its session-version "
                "check, and the database session's teardown. No page can be cheaper than its floor, so the "
                "signed-in floor's × hello is the most any signed-in page could reach on this stack.",
                "- Signed-in pages use a session cookie from a real sign-in (CSRF token and all); the reflection "
                f"save rotates {len(seeded.save_pairs)} learners' cookies and CSRF tokens (bench/wrk_rotate.lua)"
                + (f"; {saved} of their reflections were updated during the load." if saved is not None else "."),
                "- Environment for the servers: LMS_ENV=production, SECRET_KEY=(random), SESSION_COOKIE_SECURE=0, "
                + ", ".join(f"{name}=\"{value}\"" for name, value in RATE_LIMIT_ENV.items())
                + " (Flask-Limiter stays enabled with memory:// storage, so its per-request work is measured; "
                "the limits are only set beyond reach).",
                "- PDFs: both methods run in this process with a pool of os.cpu_count() threads, rounds "
                "alternating; lms.pdf's renderer slot locks live in the bench's own temp dir.",
                f"- Load average before the run: {load_before[0]:.2f}; the whole run took "
                f"{time.perf_counter() - started:.0f} s (seeding {seed_seconds:.1f} s).",
            ],
        }
        report, ok = build_report(meta, rows, progress, pdf)
        print()
        print(report)
        RESULTS.write_text(report)
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
        return 0 if ok else 1
    finally:
        for server in servers:
            server.stop()
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _saved_since(database_url: str, since: datetime, pairs: list[tuple[str, int]]) -> int:
    """How many of the rotated (learner, reading) reflections were written during the load (SQLite)."""
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        emails = {email for email, _ in pairs}
        rows = connection.execute(
            "SELECT u.email, r.reading_id FROM lms_reflections r JOIN lms_users u ON u.id = r.user_id "
            "WHERE r.updated_at >= ?", (since.replace(tzinfo=None).isoformat(sep=" "),)
        ).fetchall()
    return sum(1 for email, reading_id in rows if email in emails and (email, reading_id) in set(pairs))


if __name__ == "__main__":
    sys.exit(main())
