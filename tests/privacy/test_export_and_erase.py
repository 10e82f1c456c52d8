"""The proof of issue 13: a person's data is all in their export, and after erasure none of it is anywhere in a
dump of the whole database, while their certificate still verifies with the name withheld. A dump taken before
erasure already shows no reflection or feedback text (encrypted at rest)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import zipfile

from sqlalchemy import select

from lms.accounts.models import AccountToken, User
from lms.attendance.models import AttendanceImport
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.certificates import issuing
from lms.certificates.models import Certificate
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications.models import OutgoingMail
from lms.readings.models import ReadingProgress
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.factories import eligible_learner, enrol, make_reading, make_user, published_academy

NAME = "Zebulon Qwertyname"
EMAIL = "zq.marker.7731@example.org"
REFLECTION = "REFLECTIONMARKER8812 what I lived through"
FEEDBACK = "FEEDBACKMARKER4410 thank you for sharing"
REPORT = "REPORTMARKER5531"
MARKERS = (NAME, EMAIL, REFLECTION.split()[0], FEEDBACK.split()[0], REPORT)


def dump(app) -> str:
    """The whole test database as text: SQLite's iterdump, or pg_dump of the PostgreSQL test database."""
    db.session.commit()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = db.engine.raw_connection()
        try:
            return "\n".join(connection.driver_connection.iterdump())
        finally:
            connection.close()
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(["pg_dump", "--data-only", plain], capture_output=True, text=True, check=True,
                            env={**os.environ})
    return result.stdout


def a_person_with_markers(app):
    academy = published_academy()
    learner = eligible_learner(academy, NAME, email=EMAIL)
    facilitator = make_user("Femi Facilitator", email="femi.f@example.org")
    enrol(facilitator, academy, role="facilitator")
    reading = make_reading(academy)
    reflection = Reflection(user_id=learner.id, reading_id=reading.id, body=REFLECTION, status="reviewed",
                            version_count=1, submitted_at=utcnow())
    reflection.versions = [ReflectionVersion(number=1, body=REFLECTION + " (as submitted)", submitted_at=utcnow())]
    reflection.feedback = [Feedback(reflection_version=1, author_id=facilitator.id, body=FEEDBACK,
                                    decision="reviewed", released_at=utcnow())]
    db.session.add(reflection)
    db.session.add(ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=utcnow()))
    report = ("Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
              f"{NAME} {REPORT},{EMAIL},04/17/2025 10:00:00 AM,04/17/2025 11:30:00 AM,90\n"
              "Femi Facilitator,femi.f@example.org,04/17/2025 10:00:00 AM,04/17/2025 11:30:00 AM,90\n")
    db.session.add(AttendanceImport(live_session_id=academy.live_sessions[0].id, state="previewed",
                                    file_sha256="0" * 64, file_timezone="UTC", file_data=report.encode(),
                                    platform="zoom", filename="report.csv"))
    db.session.add(OutgoingMail(dedupe_key="privacy-test-1", kind="feedback", to_address=EMAIL,
                                subject="Feedback is ready", body=f"Hello {NAME}, feedback is ready."))
    db.session.add(OutgoingMail(dedupe_key="privacy-test-2", kind="submitted", to_address="femi.f@example.org",
                                subject=f"{NAME} submitted a reflection", body=f"{NAME} ({EMAIL}) submitted."))
    admin = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    audit.record(admin, "people.enrol", target=f"user {learner.id}", detail=f"enrolled {EMAIL}")
    db.session.commit()
    with app.test_request_context():
        certificate, _ = issuing.issue(academy, learner, admin)
    db.session.commit()
    return learner, admin, certificate.verification_code


def test_export_has_every_marker_erasure_leaves_none_and_the_certificate_still_verifies(app, make_browser):
    learner, admin, code = a_person_with_markers(app)

    before = dump(app)
    assert NAME in before  # the dump does show what is not encrypted: it is a real dump
    for marker in (REFLECTION.split()[0], FEEDBACK.split()[0]):
        assert marker not in before, f"{marker} is stored in the clear"

    browser = make_browser()
    browser.login(learner)
    response = browser.get("/auth/account/my-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = archive.read("data.json").decode()
    page = archive.read("index.html").decode()
    for marker in MARKERS:
        assert marker in data, marker
        assert marker in page, marker
    sections = json.loads(data)["sections"]
    assert sections["Your reflections"][0]["versions"][0]["body"] == REFLECTION + " (as submitted)"
    assert sections["Readings you opened"][0]["reading"] == "On lived experience"
    assert len(sections["Your attendance at live sessions"]) == 2
    assert sections["Mail sent to you"][0]["subject"] == "Feedback is ready"
    (pdf_name,) = [name for name in archive.namelist() if name.startswith("certificates/")]
    held_pdf = archive.read(pdf_name)
    assert held_pdf.startswith(b"%PDF")

    admin_browser = make_browser()
    admin_browser.login(admin)
    preview = admin_browser.get(f"/admin/privacy/people/{learner.id}/erase").get_data(as_text=True)
    assert "1 × reflections" in preview and "1 × lines naming you in attendance reports" in preview
    assert "1 × records of readings opened" in preview and "2 × attendance records" in preview
    assert db.session.get(Reflection, db.session.scalar(select(Reflection.id))) is not None  # the preview erased nothing
    refused = admin_browser.post(f"/admin/privacy/people/{learner.id}/erase", {})
    assert "Tick the box" in refused.get_data(as_text=True)
    done = admin_browser.post(f"/admin/privacy/people/{learner.id}/erase", {"confirm": "erase"})
    assert done.status_code == 200 and "data is erased" in done.get_data(as_text=True)

    after = dump(app)
    for marker in MARKERS:
        assert marker not in after, f"{marker} is still in the database after erasure"

    # Their certificate still verifies, the name withheld; the PDF they hold still matches the stored fingerprint.
    verdict = make_browser().get(f"/verify/{code}").get_data(as_text=True)
    assert "Valid — the holder's name is withheld." in verdict
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.pdf_sha256 == hashlib.sha256(held_pdf).hexdigest()
    # The audit log keeps the action, not who.
    assert "Erased a person" in admin_browser.get("/admin/audit").get_data(as_text=True)
    # Their sign-in is over, and cannot start again.
    assert "/auth/login" in browser.get("/auth/account").headers.get("Location", "")
    browser.login(EMAIL)
    assert "/auth/login" in browser.get("/auth/account").headers.get("Location", "")
    assert db.session.scalars(select(AccountToken)).all() == []
    erased = db.session.get(User, learner.id)
    assert erased.erased_at is not None and erased.email is None and erased.full_name == ""
    # A second erasure (a double click) does nothing more.
    again = admin_browser.post(f"/admin/privacy/people/{learner.id}/erase", {"confirm": "erase"})
    assert "There is nothing more to erase" in again.get_data(as_text=True)


def test_the_cli_exports_to_a_file_and_erases_after_asking(app, runner, tmp_path):
    learner, _, _ = a_person_with_markers(app)
    out = tmp_path / "data.zip"
    result = runner.invoke(args=["lms", "privacy", "export", "--email", EMAIL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert REFLECTION.split()[0] in zipfile.ZipFile(out).read("data.json").decode()

    declined = runner.invoke(args=["lms", "privacy", "erase", "--email", EMAIL], input="n\n")
    assert "1 × reflections" in declined.output and "Nothing was erased" in declined.output
    assert db.session.scalar(select(Reflection.id)) is not None

    result = runner.invoke(args=["lms", "privacy", "erase", "--email", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(Reflection.id)) is None
    assert db.session.get(User, learner.id).erased_at is not None
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert (entry.actor_email, entry.target) == ("flask lms privacy erase", f"user {learner.id}")

    unknown = runner.invoke(args=["lms", "privacy", "erase", "--email", "nobody@example.org", "--yes"])
    assert unknown.exit_code == 1 and "Nobody has the email address" in unknown.output


def test_an_admin_cannot_erase_themselves_and_the_find_page_says_when_nobody_matches(app, make_browser):
    admin = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    browser = make_browser()
    browser.login(admin)
    missing = browser.get("/admin/privacy?email=nobody@example.org")
    assert missing.status_code == 404 and "Nobody has the email address" in missing.get_data(as_text=True)
    found = browser.get("/admin/privacy?email=ADA.admin@example.org")
    assert found.headers["Location"].endswith(f"/admin/privacy/people/{admin.id}/erase")
    own = browser.post(f"/admin/privacy/people/{admin.id}/erase", {"confirm": "erase"})
    assert "You cannot erase your own account" in own.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).erased_at is None
