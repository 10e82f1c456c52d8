"""Retention: past an academy's period (12 months after its last session by default) the daily task deletes its
reflections, feedback, reading progress and uploaded reports, keeps counts, attendance and certificates; admins
are mailed weeks before; learners see the date."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.attendance.models import Attendance, AttendanceImport
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications.models import OutgoingMail
from lms.privacy import retention
from lms.privacy.models import RetainedCount
from lms.privacy.tasks import expire_due_data, send_expiry_notices
from lms.readings.models import ReadingProgress
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.factories import eligible_learner, make_academy, make_reading, make_user
from tests.helpers import signed_in, text_of


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def an_academy_with_data(first_start):
    academy = make_academy(first_start=first_start)
    learner = eligible_learner(academy, "Rafael Moreau", email="rafael@example.org")
    reading = make_reading(academy)
    reflection = Reflection(user_id=learner.id, reading_id=reading.id, body="My words", status="reviewed",
                            version_count=1, submitted_at=first_start)
    reflection.versions = [ReflectionVersion(number=1, body="My words", submitted_at=first_start)]
    reflection.feedback = [Feedback(reflection_version=1, body="Thanks", decision="reviewed", released_at=first_start)]
    db.session.add_all([reflection, ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=first_start,
                                                    finished_at=first_start)])
    db.session.add(AttendanceImport(live_session_id=academy.live_sessions[0].id, state="previewed",
                                    file_sha256="0" * 64, file_timezone="UTC", file_data=b"Name,Email\nRafael,x\n",
                                    platform="zoom", filename="report.csv"))
    db.session.commit()
    return academy, learner, reading


def test_past_the_period_the_daily_task_deletes_the_data_and_keeps_counts_attendance(app, runner):
    # The clock moved on: the academy's last session ended 13 months ago, its period (12 months) is over.
    academy, learner, reading = an_academy_with_data(utcnow() - timedelta(days=14 + 396))
    make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    ends = academy.data_kept_until()
    assert ends < utcnow()
    assert retention.due(ends - timedelta(minutes=1)) == []  # a minute before, nothing is due

    dry = runner.invoke(args=["lms", "privacy", "expire", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 × reflections" in dry.output and "1 × records of readings opened" in dry.output
    assert "Dry run: nothing was deleted." in dry.output
    assert count(Reflection) == 1

    expire_due_data()
    db.session.expire_all()
    assert (count(Reflection), count(ReflectionVersion), count(Feedback), count(ReadingProgress)) == (0, 0, 0, 0)
    assert db.session.scalar(select(AttendanceImport.file_data)) is None
    assert count(Attendance) == 2  # attendance stays: certificates rest on it
    kept = {row.kind: row.count for row in db.session.scalars(select(RetainedCount).where(
        RetainedCount.reading_id == reading.id))}
    assert kept == {"reflections submitted": 1, "readings opened": 1, "readings finished": 1}
    assert academy.data_expired_at is not None

    # Run again (a retried task, the next day): nothing more goes and the counts are not doubled.
    expire_due_data()
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(RetainedCount.count))) == 3
    again = runner.invoke(args=["lms", "privacy", "expire"])
    assert "No academy is past its retention period." in again.output


def test_admins_are_mailed_once_four_weeks_before_and_a_recent_academy_is_left_alone(app):
    academy, _, _ = an_academy_with_data(utcnow() - timedelta(days=20))
    make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    ends = academy.data_kept_until()
    assert retention.send_notices(ends - timedelta(weeks=5)) == 0  # too early
    assert retention.send_notices(ends - timedelta(weeks=3)) == 1
    assert retention.send_notices(ends - timedelta(weeks=2)) == 0  # the same notice never goes twice
    db.session.commit()
    mail = db.session.scalars(select(OutgoingMail)).one()
    assert mail.to_address == "ada.admin@example.org"
    assert "reflections will be deleted on" in mail.subject
    send_expiry_notices()  # today is months before the date: nothing new, and nothing deleted
    expire_due_data()
    assert count(OutgoingMail) == 1 and count(Reflection) == 1


def test_learners_see_the_date_and_admins_can_change_the_period(app, make_browser):
    academy, learner, _ = an_academy_with_data(utcnow() - timedelta(days=20))
    page = text_of(signed_in(make_browser, learner).get("/learn/"))
    assert "are kept until" in page and f"{academy.data_kept_until():%B %Y}" in page

    academy.retention_months = 3
    db.session.commit()
    assert academy.data_kept_until().month == (academy.live_sessions[-1].ends_at.month + 2) % 12 + 1
    retention.expire_due(academy.data_kept_until() + timedelta(days=1))
    db.session.commit()
    page = text_of(signed_in(make_browser, learner).get("/learn/"))
    assert "were deleted on" in page


def test_the_settings_form_refuses_a_period_out_of_range(app, make_browser):
    academy = make_academy()
    admin = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    browser = signed_in(make_browser, admin)
    form = {"title": academy.title, "home_timezone": academy.home_timezone, "retention_months": "0"}
    refused = browser.post(f"/admin/academies/{academy.id}/edit", form)
    assert refused.status_code == 200
    assert 'value="0"' in refused.get_data(as_text=True)
    form["retention_months"] = "24"
    saved = browser.post(f"/admin/academies/{academy.id}/edit", form)
    assert saved.status_code == 302, text_of(saved)[:300]
    db.session.expire_all()
    assert academy.retention_months == 24
