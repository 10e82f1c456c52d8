"""Fifty learners submitting reflections at once to several gunicorn workers lose none of them."""
import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from lms.config import TestingConfig
from lms.core.extensions import db
from lms.reflections.models import Reflection
from tests.conftest import CSRF_INPUT
from tests.factories import PASSWORD, enrol, make_academy, make_reading, make_user
from tests.helpers import ROOT, free_port

LEARNERS = 50


@pytest.fixture
def server(database_uri):
    """gunicorn with four workers on the test database, as in production."""
    port = free_port()
    env = {
        **os.environ,
        "LMS_ENV": "development",
        "SECRET_KEY": "concurrency-test",
        "LMS_DATA_KEY": TestingConfig.LMS_DATA_KEY,
        "DATABASE_URL": database_uri,
        "LMS_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--no-control-socket",  # gunicorn 27 otherwise shares one socket between servers on a machine
         "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGTERM)
        pytest.fail("gunicorn did not start")
    yield f"http://127.0.0.1:{port}"
    os.killpg(process.pid, signal.SIGQUIT)  # quick shutdown: the test has its answers
    process.wait(timeout=20)


def submit_reflection(base, email, reading_id, text):
    """One learner in their own browser: sign in, open the reading, submit. Returns the final status."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, fields):
        page = opener.open(base + path_for_token[0], timeout=30).read().decode()
        fields["csrf_token"] = CSRF_INPUT.search(page).group(1)
        return opener.open(base + path, urllib.parse.urlencode(fields).encode(), timeout=30)

    path_for_token = ["/auth/login"]
    post("/auth/login", {"email": email, "password": PASSWORD})
    path_for_token[0] = f"/learn/readings/{reading_id}"
    response = post(f"/learn/readings/{reading_id}/reflection", {"body": text, "action": "submit"})
    return response.status, response.geturl()


def test_fifty_concurrent_reflections_are_all_kept(server):
    academy = make_academy()
    reading_id = make_reading(academy, min_words=3).id
    learners = []
    for number in range(LEARNERS):
        learner = make_user(f"Learner {number:02d}", email=f"learner{number:02d}@example.org")
        enrol(learner, academy)
        learners.append((learner.id, learner.email))

    def one(index):
        user_id, email = learners[index]
        return submit_reflection(server, email, reading_id, f"Reflection number {index} from learner {user_id}.")

    with ThreadPoolExecutor(max_workers=LEARNERS) as pool:
        outcomes = list(pool.map(one, range(LEARNERS)))

    assert all(status == 200 and f"/learn/readings/{reading_id}#reflection" in url for status, url in outcomes), outcomes
    db.session.expire_all()
    saved = {row.user_id: row for row in db.session.scalars(select(Reflection))}
    assert len(saved) == LEARNERS
    for index, (user_id, _) in enumerate(learners):
        assert saved[user_id].status == "submitted"
        assert saved[user_id].body == f"Reflection number {index} from learner {user_id}."
