"""Several machines: two app servers and two workers, as separate processes sharing PostgreSQL and a real
Redis. An issue-all started through one server shows its progress on the other, both workers take batches,
and every certificate is issued exactly once; a sign-in or certificate-check limit reached through one
server holds on the other."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from lms import create_app
from lms.certificates.models import Certificate, CertificateJobItem
from lms.config import TestingConfig, database_url
from lms.core.extensions import db
from tests.factories import PASSWORD, eligible_learner, make_user, published_academy
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LEARNERS = 60
LIMIT = 4  # sign-ins per address and email, and certificate checks per address, in the shared store

pytestmark = pytest.mark.skipif(
    not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")),
    reason="wkhtmltopdf or poppler-utils is not installed (scripts/install-system-deps.sh installs them)",
)


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """Redis on 127.0.0.1:6379: the one running, or Debian's redis-server started for these tests."""
    if answers(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    if not shutil.which("redis-server"):
        pytest.skip("no Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not answers(6379):
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.1)
    yield "redis://127.0.0.1:6379/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def shared_database():
    """A fresh PostgreSQL database on 127.0.0.1:5432 for the machines to share, dropped afterwards."""
    name = f"lms_machines_{secrets.token_hex(4)}"
    try:
        admin = create_engine(database_url(POSTGRES + "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # no server, or no right to create one: nothing to share here
        pytest.skip(f"no PostgreSQL to create a database on at 127.0.0.1:5432 ({type(error).__name__})")
    url = database_url(POSTGRES + name)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def signed_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    deadline = time.monotonic() + 30
    while True:
        try:
            page = browser.get(base + "/auth/login", timeout=5)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    token = CSRF.search(page.text).group(1)
    response = browser.post(base + "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return browser


def test_two_servers_and_two_workers_share_one_job(redis_server, shared_database, tmp_path):
    class Shared(TestingConfig):
        SQLALCHEMY_DATABASE_URI = shared_database

    app = create_app(Shared)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        academy = published_academy()
        learners = [eligible_learner(academy, f"Learner {index:02d} Example") for index in range(LEARNERS)]
        make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
        make_user("Bea Admin", email="bea.admin@example.org", is_admin=True)
        academy_id, learner_ids = academy.id, {learner.id for learner in learners}
        db.session.remove()

    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("LMS_", "MAIL_", "FLASK_"))},
        "LMS_ENV": "development", "SECRET_KEY": "shared-between-machines",
        "LMS_DATA_KEY": TestingConfig.LMS_DATA_KEY, "DATABASE_URL": shared_database,
        "LMS_QUEUE_URL": redis_server, "LMS_QUEUE_NAME": f"lms-machines-{secrets.token_hex(4)}",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1", "RATELIMIT_KEY_PREFIX": f"machines-{secrets.token_hex(4)}",
        "LMS_LOGIN_RATE_LIMIT": f"{LIMIT} per hour", "LMS_VERIFY_RATE_LIMIT": f"{LIMIT} per hour",
        "LMS_CERTIFICATE_BATCH": "3",
        "LMS_CERTIFICATE_PARALLEL": "4", "LMS_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONUNBUFFERED": "1",
    }
    ports = [free_port(), free_port()]
    processes = [
        start([str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
              env, tmp_path / f"server-{port}.log")
        for port in ports
    ]
    workers = [start([str(VENV_BIN / "flask"), "--app", "wsgi", "lms", "worker", "--workers", "2"], env,
                     tmp_path / f"worker-{index}.log") for index in (1, 2)]
    processes += workers
    try:
        deadline = time.monotonic() + 60
        while not all("Huey consumer started" in (tmp_path / f"worker-{index}.log").read_text() for index in (1, 2)):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        one, other = (f"http://127.0.0.1:{port}" for port in ports)
        ada, bea = signed_in(one, "ada.admin@example.org"), signed_in(other, "bea.admin@example.org")
        page = ada.get(f"{one}/admin/academies/{academy_id}/certificates", timeout=10)
        started = ada.post(f"{one}/admin/academies/{academy_id}/certificates/issue",
                           data={"csrf_token": CSRF.search(page.text).group(1)}, allow_redirects=False, timeout=30)
        assert started.status_code == 302, started.text[:500]
        job_path = urllib.parse.urlsplit(started.headers["Location"]).path

        # The other server shows the same job, and its progress, until it is done.
        seen = bea.get(other + job_path, timeout=10)
        assert seen.status_code == 200 and f"Making {LEARNERS} certificates" in seen.text or \
            f"{LEARNERS} certificates issued." in seen.text
        states = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = bea.get(other + job_path + ".json", timeout=10).json()
            states.append(state)
            if state["state"] != "running":
                break
            time.sleep(0.1)
        assert states[-1] == {"state": "finished", "total": LEARNERS, "done": LEARNERS, "left": 0,
                              "issued": LEARNERS, "already": 0, "refused": 0, "percent": 100, "stopped_reason": ""}
        assert f"{LEARNERS} certificates issued." in bea.get(other + job_path, timeout=10).text
        # Pressing again on the other server starts nothing: everyone has theirs.
        page = bea.get(f"{other}/admin/academies/{academy_id}/certificates", timeout=10)
        again = bea.post(f"{other}/admin/academies/{academy_id}/certificates/issue",
                         data={"csrf_token": CSRF.search(page.text).group(1)}, timeout=30)
        assert "Nobody is waiting for a certificate." in again.text

        # Limits are counted in Redis, not in each server's memory (each server here has two processes too).
        assert_limits_are_shared(one, other)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT if process in workers else signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    with app.app_context():
        per_learner = dict(db.session.execute(
            select(Certificate.user_id, func.count()).where(Certificate.academy_id == academy_id)
            .group_by(Certificate.user_id)
        ).all())
        assert per_learner == dict.fromkeys(learner_ids, 1)  # everyone once, nobody twice
        takers = set(db.session.scalars(select(CertificateJobItem.claimed_by)))
        db.session.remove()
        db.engine.dispose()
    # Both workers took batches of the one job.
    assert {taker.rsplit(":", 1)[1] for taker in takers} == {str(worker.pid) for worker in workers}


def failed_sign_in(base: str) -> int:
    browser = requests.Session()
    token = CSRF.search(browser.get(base + "/auth/login", timeout=10).text).group(1)
    return browser.post(base + "/auth/login", timeout=10, allow_redirects=False,
                        data={"email": "learner.00@example.org", "password": "not the password", "csrf_token": token},
                        ).status_code


def assert_limits_are_shared(one: str, other: str) -> None:
    servers = [one, other] * LIMIT
    assert [failed_sign_in(base) for base in servers[:LIMIT]] == [200] * LIMIT
    assert failed_sign_in(one) == 429 and failed_sign_in(other) == 429
    checks = [requests.get(f"{base}/verify/NOSUCHCODE{index}", timeout=10).status_code
              for index, base in enumerate(servers[:LIMIT])]
    assert checks == [404] * LIMIT
    assert requests.get(f"{one}/verify/NOSUCHCODEX", timeout=10).status_code == 429
    assert requests.get(f"{other}/verify/NOSUCHCODEY", timeout=10).status_code == 429
