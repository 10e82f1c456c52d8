"""Issue to all as a job on the real queue: one job however often it is pressed, its progress page and JSON,
batched PDFs (each its own page, small, checked), and a worker killed with kill -9 whose job is finished by
the next worker: every learner gets exactly one valid certificate."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms import create_app
from lms.certificates import bulk, rendering, tasks
from lms.certificates.models import Certificate, CertificateJob, CertificateJobItem
from lms.certificates.storage import fingerprint
from lms.config import TestingConfig
from lms.core import pdf
from lms.core.extensions import db
from lms.core.pdf import verify_text_present
from lms.core.types import utcnow
from tests.conftest import Browser
from tests.factories import eligible_learner, make_user
from tests.helpers import sign_in_admin, text_of

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")),
    reason="wkhtmltopdf or poppler-utils is not installed (scripts/install-system-deps.sh installs them)",
)


@pytest.fixture(autouse=True)
def real_renderer(monkeypatch):
    monkeypatch.delenv(pdf.EXECUTABLE_ENV, raising=False)


@pytest.fixture
def queued_app(database_uri, tmp_path):
    """The app as production runs it: tasks wait in a SQLite queue file until a worker takes them."""

    class Queued(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_uri
        LMS_QUEUE_URL = f"sqlite:///{tmp_path / 'queue.db'}"
        LMS_CERTIFICATE_BATCH = 2

    app = create_app(Queued)
    yield app
    with app.app_context():
        db.engine.dispose()


def press_issue_all(browser, academy):
    return browser.post(f"/admin/academies/{academy.id}/certificates/issue", follow_redirects=True)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def the_job(academy) -> CertificateJob:
    db.session.expire_all()
    return db.session.scalars(select(CertificateJob).where(CertificateJob.academy_id == academy.id)).one()


def start_worker(database_uri, queued_app, tmp_path, name):
    env = {
        **os.environ,
        "LMS_ENV": "development",
        "SECRET_KEY": "worker-test",
        "LMS_DATA_KEY": queued_app.config["LMS_DATA_KEY"],
        "DATABASE_URL": database_uri,
        "LMS_QUEUE_URL": queued_app.config["LMS_QUEUE_URL"],
        "LMS_CERTIFICATE_BATCH": "2",
        "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    env.pop(pdf.EXECUTABLE_ENV, None)
    log = open(tmp_path / f"{name}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker", "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return process, tmp_path / f"{name}.log"


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"waited {seconds} s for {what}")


# --- one job, and what the admin sees ----------------------------------------------------------

def test_two_clicks_and_two_admins_start_one_job(queued_app, academy):
    for name in ("Ingrid Solberg", "Anna Kuznetsova"):
        eligible_learner(academy, name)
    first, second = Browser(queued_app.test_client()), Browser(queued_app.test_client())
    sign_in_admin(first)
    second.login(make_user("Bea Admin", is_admin=True))

    started = press_issue_all(first, academy)
    again = press_issue_all(first, academy)
    other = press_issue_all(second, academy)

    assert "Making 2 certificates" in text_of(started)
    assert "Certificates are being issued already: this is how far that has got." in text_of(again)
    assert "Certificates are being issued already" in text_of(other)
    assert count(CertificateJob) == 1 and count(CertificateJobItem) == 2
    # The database itself refuses a second running job for the academy, whatever the code does.
    db.session.add(CertificateJob(academy_id=academy.id, state="running", total=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_progress_page_refreshes_without_script_and_the_json_moves(queued_app, academy):
    for name in ("Ingrid Solberg", "Anna Kuznetsova", "Marcus Boudreaux"):
        eligible_learner(academy, name)
    admin = Browser(queued_app.test_client())
    sign_in_admin(admin)

    page = press_issue_all(admin, academy)
    job = the_job(academy)
    html = page.get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert '<progress class="job-bar" max="3" value="0"' in html
    assert "You can close this page" in text_of(page)
    url = f"/admin/academies/{academy.id}/certificates/jobs/{job.id}"
    assert admin.get(url + ".json").get_json() == {
        "state": "running", "total": 3, "done": 0, "left": 3, "issued": 0, "already": 0, "refused": 0,
        "percent": 0, "stopped_reason": "",
    }
    assert "Nothing has started yet" not in text_of(page)
    # A minute later, still untouched: no worker runs, and the page says whom to tell.
    job.started_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert "Nothing has started yet. The part of the server that makes certificates may not be running" in text_of(
        admin.get(f"/admin/academies/{academy.id}/certificates/jobs/{job.id}"))
    listed = admin.get(f"/admin/academies/{academy.id}/certificates")
    assert "Certificates are being issued now. See how far it has got" in text_of(listed)

    # What a worker runs (the same task body, here in the test's process).
    with queued_app.app_context():
        assert tasks.issue_batches.run_here(job.id) == 3
        db.session.commit()

    assert admin.get(url + ".json").get_json()["state"] == "finished"
    done = admin.get(url)
    assert "3 certificates issued." in text_of(done) and "http-equiv" not in done.get_data(as_text=True)
    assert count(Certificate, Certificate.status == "valid") == 3


def test_the_command_line_joins_the_job_started_on_the_page(queued_app, academy):
    for name in ("Ingrid Solberg", "Anna Kuznetsova"):
        eligible_learner(academy, name)
    admin = Browser(queued_app.test_client())
    sign_in_admin(admin)
    press_issue_all(admin, academy)

    result = queued_app.test_cli_runner().invoke(args=["lms", "issue-certificates", "--academy", str(academy.id)])

    assert result.exit_code == 0, result.output
    assert f"A job is issuing certificates in {academy.title} already" in result.output
    assert "Issuing 2 certificates" in result.output and "2 issued, 0 already had one, 0 refused." in result.output
    assert the_job(academy).state == "finished"


# --- batched rendering -----------------------------------------------------------------------

NAMES = ["Ingrid Solberg", "Jean-François Côté", "Ζωή Παπαδοπούλου", "Анна Кузнецова", "فاطمة الزهراء", "שרה כהן",
         "李小龍", "Ann 𓀀 Lee"]


def test_one_render_makes_one_small_checked_pdf_per_certificate(app, academy):
    certificates = [
        Certificate(academy_id=academy.id, user_id=index + 1, number=f"LA-{academy.id}-{index + 1:04d}",
                    verification_code=f"{index:032d}".replace("0", "A"), name_as_printed=name,
                    academy_title=academy.title, organiser=academy.organiser, session_dates="17 April 2025",
                    excused_dates="", issued_at=utcnow())
        for index, name in enumerate(NAMES)
    ]
    with app.test_request_context():
        together = rendering.render_certificates(certificates, academy.signatory_list, academy.home_timezone)
        alone = [rendering.render_certificate(certificate, academy.signatory_list, academy.home_timezone)
                 for certificate in certificates[:-1]]

    # The hieroglyph has no font here: only its own certificate is refused, with the usual message.
    assert isinstance(together[-1], rendering.NotPrintable)
    assert "The name “Ann 𓀀 Lee” cannot be printed" in together[-1].message
    for index, (document, single) in enumerate(zip(together[:-1], alone, strict=True)):
        assert document.startswith(b"%PDF") and len(pdf.page_texts(document)) == 1
        assert verify_text_present(document, NAMES[index], certificates[index].number) == []
        others = [name for name in NAMES[:-1] if name != NAMES[index]]
        assert verify_text_present(document, *others) == others  # its own page only
        assert len(document) <= 1.3 * len(single), (NAMES[index], len(document), len(single))
        # A whole, well-formed file on its own: poppler reads it without complaint, one A4 landscape page, every
        # font embedded (and not whole: the size check above).
        info = subprocess.run(["pdfinfo", "-"], input=document, capture_output=True, timeout=30)
        assert info.returncode == 0 and not info.stderr, info.stderr
        assert re.search(rb"^Pages:\s+1$", info.stdout, re.M) and b"(A4)" in info.stdout
        fonts = subprocess.run(["pdffonts", "-"], input=document, capture_output=True, timeout=30)
        rows = fonts.stdout.decode().splitlines()[2:]
        assert rows and all(row.split()[-5] == "yes" for row in rows), rows


# --- exactly once, through a worker killed with kill -9 ------------------------------------------

def test_a_worker_killed_mid_job_leaves_nothing_half_done_and_the_next_one_finishes(
    queued_app, academy, database_uri, tmp_path
):
    learners = [eligible_learner(academy, f"Learner {index:02d} Example") for index in range(40)]
    admin = Browser(queued_app.test_client())
    sign_in_admin(admin)
    press_issue_all(admin, academy)
    job = the_job(academy)

    first, _ = start_worker(database_uri, queued_app, tmp_path, "first")
    try:
        wait_for(lambda: count(CertificateJobItem, CertificateJobItem.state == "issued") >= 4, 90,
                 "the first worker to issue some certificates")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    issued_before = count(CertificateJobItem, CertificateJobItem.state == "issued")
    assert the_job(academy).state == "running" and issued_before < len(learners)  # killed mid-job
    # Nothing half-stored: every certificate row has its whole PDF, matching its hash.
    for certificate in db.session.scalars(select(Certificate)):
        assert certificate.pdf and fingerprint(certificate.pdf) == certificate.pdf_sha256

    second, second_log = start_worker(database_uri, queued_app, tmp_path, "second")
    try:
        wait_for(lambda: the_job(academy).state == "finished", 120, "the second worker to finish the job")
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
    assert "Resumed 1 certificate job(s) left unfinished." in second_log.read_text()

    valid = {}
    for certificate in db.session.scalars(select(Certificate).where(Certificate.status == "valid")):
        assert certificate.user_id not in valid, "a second valid certificate"
        valid[certificate.user_id] = certificate
    assert set(valid) == {learner.id for learner in learners}
    assert count(Certificate) == len(learners)  # nothing issued twice, not even superseded
    for learner in learners:
        certificate = valid[learner.id]
        assert fingerprint(certificate.pdf) == certificate.pdf_sha256
        assert verify_text_present(certificate.pdf, learner.full_name, certificate.number) == []
    # The job's log says what was done for each learner.
    log = bulk.log_lines(the_job(academy))
    assert len(log) == len(learners)
    assert {state for _, state, _, _ in log} == {"issued"}
    assert {number for _, _, number, _ in log} == {certificate.number for certificate in valid.values()}
    assert job.id == the_job(academy).id


def test_a_certificate_issued_by_hand_during_the_job_is_not_made_again(queued_app, academy):
    learners = [eligible_learner(academy, name) for name in ("Anna Kuznetsova", "Ingrid Solberg", "Marcus Boudreaux")]
    admin = Browser(queued_app.test_client())
    sign_in_admin(admin)
    press_issue_all(admin, academy)
    job = the_job(academy)
    # While the job waits for a worker, an admin issues Ingrid's on her own row.
    by_hand = admin.post(f"/admin/academies/{academy.id}/certificates/issue/{learners[1].id}", follow_redirects=True)
    assert "issued to Ingrid Solberg" in text_of(by_hand)

    with queued_app.app_context():
        assert tasks.issue_batches.run_here(job.id) == 2
        db.session.commit()

    assert count(Certificate) == 3 and count(Certificate, Certificate.status == "valid") == 3
    numbers = set(db.session.scalars(select(Certificate.number)))
    # Different numbers, the one by hand first; the job's number kept for Ingrid stays unused.
    assert len(numbers) == 3 and f"LA-{academy.id}-0001" in numbers
    log = {name: state for name, state, _, _ in bulk.log_lines(the_job(academy))}
    assert log == {"Anna Kuznetsova": "issued", "Ingrid Solberg": "already", "Marcus Boudreaux": "issued"}
    page = admin.get(f"/admin/academies/{academy.id}/certificates/jobs/{job.id}")
    assert "2 certificates issued." in text_of(page)
    assert "1 already had a valid certificate, so nothing new was made for them." in text_of(page)
