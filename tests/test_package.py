"""The plugin as a site would use it: the wheel installed in a fresh virtualenv, outside the source tree,
mounted at /academy in examples/host_site.py (its own SQLAlchemy, users, sign-in and migrations).

Runs on the database of the suite's run: SQLite, or PostgreSQL when TEST_DATABASE_URL points at one
(a database of its own on that server, made and dropped here).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import uuid
from importlib.metadata import requires
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms.config import TestingConfig, database_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, cwd=out, capture_output=True,
    )
    (found,) = out.glob("lms-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A new virtualenv holding the wheel alone; the dependencies come from this suite's virtualenv (a .pth
    line), which does not hold lms itself, so every `import lms` there finds only the installed wheel."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    purelib = subprocess.run(
        [home / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([home / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    return home


@pytest.fixture
def site_database(tmp_path):
    """A database of the site's own: a SQLite file, or a new PostgreSQL database beside TEST_DATABASE_URL's."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw or not raw.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path / 'site.db'}"
        return
    server = make_url(database_url(raw))
    name = f"lms_site_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _site(venv: Path, tmp_path: Path, database: str):
    """The example site in a folder of its own, and a way to run its flask commands and Python there."""
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "host_site.py", folder)
    environment = {**os.environ, "SECRET_KEY": "site-secret", "LMS_DATA_KEY": TestingConfig.LMS_DATA_KEY,
                   "DATABASE_URL": database, "FLASK_APP": "host_site"}
    environment.pop("PYTHONPATH", None)

    def run(*args, check=True):
        result = subprocess.run(args, cwd=folder, env=environment, capture_output=True, text=True, timeout=120)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def flask(*args, check=True):
        # `python -m flask`: the flask script itself sits in the suite's virtualenv, not the new one.
        return run(str(venv / "bin" / "python"), "-m", "flask", *args, check=check)

    def python(code: str):
        return json.loads(run(str(venv / "bin" / "python"), "-c", textwrap.dedent(code)).stdout.splitlines()[-1])

    return flask, python


def test_the_wheel_declares_what_requirements_txt_pins(venv):
    declared = subprocess.run(
        [venv / "bin" / "python", "-c", "import importlib.metadata as m, json; print(json.dumps(m.requires('lms')))"],
        check=True, capture_output=True, text=True,
    ).stdout
    names = {re.split(r"[<>=\[; ]", line, maxsplit=1)[0].lower() for line in json.loads(declared)}
    pinned = {
        line.split("==")[0].split("[")[0].strip().lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert names and names <= pinned, names - pinned
    assert requires("flask")  # the suite's own environment answers the same question


def test_a_site_with_its_own_database_and_users_runs_the_plugin(venv, tmp_path, site_database):
    flask, python = _site(venv, tmp_path, site_database)

    # Installed, not read from this checkout: the package lives in the new virtualenv.
    where = python("import json, lms; print(json.dumps(lms.__file__))")
    assert where.startswith(str(venv)), where

    # Both histories from empty, each in its own version table; neither sees the other's tables.
    flask("db", "init")
    flask("db", "migrate", "-m", "site users")
    revision = next((tmp_path / "site" / "migrations" / "versions").glob("*.py")).read_text()
    assert "site_users" in revision and "lms_" not in revision
    flask("db", "upgrade")
    assert "up to date" in flask("lms", "db", "upgrade").stdout
    assert "No new upgrade operations detected" in flask("db", "check").stdout
    assert "match its models" in flask("lms", "db", "check").stdout
    assert "OK       database" in flask("lms", "doctor", check=False).stdout

    flask("lms", "demo")
    journey = python("""
        import json, re
        from sqlalchemy import inspect, select
        from werkzeug.security import generate_password_hash
        from host_site import User, app, db
        from lms.accounts.models import User as Person
        from lms.core.extensions import db as lms_db
        from lms.reflections.models import Reflection

        def token(page):
            return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)

        with app.app_context():
            # Enrolled by the organisers (the demo) before she ever visits; the site has its own account.
            db.session.add(User(email="darnell.jackson@example.org", name="Darnell Jackson",
                                password_hash=generate_password_hash("site password", "pbkdf2:sha256:1000")))
            db.session.commit()
            site_columns = [column["name"] for column in inspect(db.engine).get_columns("site_users")]
            site_rows_before = db.session.execute(select(User.__table__)).all()

        client = app.test_client()
        anonymous = client.get("/academy/learn/")
        signed_in = client.post("/login?next=/academy/learn/",
                                data={"email": "darnell.jackson@example.org", "password": "site password"})
        dashboard = client.get(signed_in.location)
        page = dashboard.get_data(as_text=True)
        reading_url = re.findall(r'href="(/academy/learn/readings/\\d+)"', page)[0]
        reading = client.get(reading_url)
        finished = client.post(reading_url + "/finished", data={"finished": "yes", "csrf_token": token(reading)})
        saved = client.post(reading_url + "/reflection", data={
            "body": "Listening first, and sharing my story only when it helps the person in front of me.",
            "action": "draft", "csrf_token": token(reading)})
        own_sign_in = client.get("/academy/auth/login")
        without_token = client.post(reading_url + "/finished", data={"finished": "no"})
        site_home = client.get("/")

        with app.app_context():
            person = lms_db.session.scalar(select(Person).where(Person.email == "darnell.jackson@example.org"))
            site_user = db.session.scalar(select(User).where(User.email == "darnell.jackson@example.org"))
            reflection = lms_db.session.scalar(select(Reflection).where(Reflection.user_id == person.id))
            print(json.dumps({
                "anonymous": [anonymous.status_code, anonymous.location],
                "signed_in": [signed_in.status_code, signed_in.location],
                "dashboard": [dashboard.status_code, "Hello, Darnell Jackson" in page, "Peer Mentoring" in page,
                              "Sign out" in page],
                "reading": reading.status_code,
                "finished": [finished.status_code, finished.location],
                "saved": [saved.status_code, saved.location],
                "own_sign_in": [own_sign_in.status_code, own_sign_in.location],
                "without_token": without_token.status_code,
                "site_home": site_home.status_code,
                "linked": person.host_id == str(site_user.id),
                "reflection": [reflection.status, reflection.body[:9]],
                "site_columns": site_columns,
                "site_columns_after": [column["name"] for column in inspect(db.engine).get_columns("site_users")],
                "site_rows_unchanged": db.session.execute(select(User.__table__)).all() == site_rows_before,
            }))
    """)

    assert journey["anonymous"] == [302, "/login?next=%2Facademy%2Flearn%2F"]
    assert journey["signed_in"] == [302, "/academy/learn/"]
    # The site's person is the LMS learner the organisers enrolled by email: linked, not duplicated.
    assert journey["dashboard"] == [200, True, True, False]  # signing out is the site's business
    assert journey["linked"] is True
    assert journey["reading"] == 200
    assert journey["finished"][0] == 302 and journey["finished"][1].startswith("/academy/learn/readings/")
    assert journey["saved"][0] == 302 and journey["saved"][1].endswith("#reflection")
    assert journey["reflection"] == ["draft", "Listening"]
    assert journey["own_sign_in"] == [302, "/academy/"]  # the LMS's own sign-in is not offered
    assert journey["without_token"] == 400
    assert journey["site_home"] == 200
    assert journey["site_columns"] == journey["site_columns_after"] == ["id", "email", "name", "password_hash"]
    assert journey["site_rows_unchanged"] is True

    # After the plugin's tables exist, the site's autogenerate still proposes nothing about them.
    assert "No new upgrade operations detected" in flask("db", "check").stdout
