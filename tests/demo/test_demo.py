"""The `flask lms demo` command: the Peer Mentoring programme, its dates, time display and progress spread."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.templating import format_time
from lms.core.types import utcnow
from lms.demo import services as demo
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection, count_words

TITLE = "Learning Academy: Peer Mentoring and Peer Support"
NEW_YORK = ZoneInfo("America/New_York")


def run_demo(runner, *extra):
    result = runner.invoke(args=["lms", "demo", *extra])
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output
    return result.output


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def the_academy() -> Academy:
    db.session.expire_all()
    return db.session.scalars(select(Academy).where(Academy.title == TITLE)).one()


def learner_email(zone_name: str) -> str:
    return next(email for _, email, zone, *_ in demo.LEARNERS if zone == zone_name)


def all_sessions_list(page: str) -> str:
    found = re.search(r'<details class="all-sessions">(.*?)</details>', page, re.S)
    assert found, "the dashboard has no 'All live sessions' list"
    return found.group(1)


# --- the command ---------------------------------------------------------------------------------

def test_demo_loads_the_programme_and_lists_the_logins(runner):
    output = run_demo(runner)

    assert "loaded" in output
    academy = the_academy()
    assert academy.home_timezone == "America/New_York"

    sessions = academy.live_sessions
    assert len(sessions) == 2
    assert [s.duration_minutes for s in sessions] == [90, 90]
    assert sessions[0].title.startswith("Session One")
    assert sessions[1].title.startswith("Session Two")

    readings = academy.readings
    assert len(readings) == 4
    assert all(reading.reflection_prompt.strip() for reading in readings)
    assert all(reading.has_reflection for reading in readings)
    assert [reading.position for reading in readings] == [1, 2, 3, 4]

    admins = db.session.scalars(select(User).where(User.is_admin.is_(True))).all()
    assert [admin.email for admin in admins] == ["admin@example.org"]
    roles = dict(
        db.session.execute(
            select(Enrolment.role, func.count())
            .where(Enrolment.academy_id == academy.id)
            .group_by(Enrolment.role)
        ).all()
    )
    assert roles == {"facilitator": 2, "learner": 8}
    assert db.session.scalar(select(func.count()).select_from(User)) == 11

    assert demo.DEMO_PASSWORD in output
    for login in demo.demo_logins():
        assert login.email in output
    assert len(demo.demo_logins()) == 11


def test_a_demo_that_fails_part_way_leaves_nothing_behind(app, runner, monkeypatch):
    def fail(*_args):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo, "_add_feedback", fail)

    result = runner.invoke(args=["lms", "demo"])

    assert isinstance(result.exception, RuntimeError)
    with app.app_context():  # a session of its own sees only what was committed
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Academy)) == 0
    monkeypatch.undo()
    run_demo(runner)  # and it can be loaded afterwards
    assert row_counts()["lms_academies"] == 1


def test_running_the_demo_again_changes_nothing(runner):
    run_demo(runner)
    before = row_counts()
    assert before["lms_academies"] == 1

    output = run_demo(runner)

    assert "already there; nothing changed" in output
    assert row_counts() == before
    # The logins are still listed for whoever runs it again.
    assert "admin@example.org" in output


def test_running_the_demo_again_with_published_dates_changes_nothing(runner):
    run_demo(runner)
    academy = the_academy()
    starts = [s.starts_at for s in academy.live_sessions]
    before = row_counts()

    output = run_demo(runner, "--as-published")

    assert "nothing changed" in output
    assert row_counts() == before
    assert [s.starts_at for s in the_academy().live_sessions] == starts


# --- default dates -------------------------------------------------------------------------------

def test_default_dates_put_session_one_last_week_and_session_two_next_week(runner):
    run_demo(runner)
    academy = the_academy()
    today = date.today()
    one, two = academy.live_sessions

    assert one.starts_at == datetime.combine(today - timedelta(days=7), time(10, 0), NEW_YORK)
    assert two.starts_at == datetime.combine(today + timedelta(days=7), time(10, 0), NEW_YORK)
    for live_session in (one, two):
        local = live_session.starts_at.astimezone(NEW_YORK)
        assert (local.hour, local.minute) == (10, 0)


def test_default_dates_open_the_readings_now_and_leave_them_open(runner):
    run_demo(runner)
    academy = the_academy()
    now = utcnow()
    one, two = academy.live_sessions

    assert one.ends_at < now < two.starts_at
    assert academy.next_session(now) == two
    for reading in academy.readings:
        assert reading.effective_opens_at == one.ends_at
        assert reading.effective_closes_at == two.starts_at
        assert reading.is_open(now)
        assert not reading.is_closed(now)


# --- published dates and time display --------------------------------------------------------------

def test_published_dates_are_stored_as_instants(runner):
    run_demo(runner, "--as-published")
    one, two = the_academy().live_sessions

    assert one.starts_at == datetime(2025, 4, 17, 14, 0, tzinfo=UTC)
    assert two.starts_at == datetime(2025, 5, 2, 14, 0, tzinfo=UTC)


def test_published_session_times_in_reference_zones(runner):
    run_demo(runner, "--as-published")
    one, two = the_academy().live_sessions

    for live_session in (one, two):
        assert format_time(live_session.starts_at, "America/New_York", "time") == "10:00"
        assert format_time(live_session.starts_at, "Asia/Singapore", "time") == "22:00"
        assert format_time(live_session.starts_at, "Europe/London", "time") == "15:00"
        assert format_time(live_session.starts_at, "Europe/Paris", "time") == "16:00"
        assert format_time(live_session.starts_at, "Asia/Singapore", "time") != "21:00"
    assert format_time(one.starts_at, "Asia/Singapore") == "Thursday 17 April 2025, 22:00"


@pytest.mark.parametrize(
    ("zone_name", "clock"),
    [("Asia/Singapore", "22:00"), ("Europe/London", "15:00"), ("Europe/Paris", "16:00")],
)
def test_published_sessions_on_the_dashboard_in_the_learners_zone(runner, browser, zone_name, clock):
    run_demo(runner, "--as-published")
    email = learner_email(zone_name)
    assert browser.login(email, demo.DEMO_PASSWORD).status_code == 302

    page = browser.get("/learn/").get_data(as_text=True)

    assert "All the live sessions have taken place." in page
    listed = all_sessions_list(page)
    assert f"17 April 2025, {clock}" in listed
    assert f"2 May 2025, {clock}" in listed
    if zone_name == "Asia/Singapore":
        assert "21:00" not in page


def test_before_the_published_sessions_singapore_sees_22_00_beside_every_reference_zone(
    runner, browser, monkeypatch
):
    """With the clock set a week before Session One, the next-session card lists every reference zone."""
    run_demo(runner, "--as-published")
    monkeypatch.setattr("lms.readings.routes.now", lambda: datetime(2025, 4, 10, 12, 0, tzinfo=UTC))
    assert browser.login(learner_email("Asia/Singapore"), demo.DEMO_PASSWORD).status_code == 302

    page = browser.get("/learn/").get_data(as_text=True)

    assert "Next live session" in page
    zones = re.search(r'<ul class="zone-list"[^>]*>(.*?)</ul>', page, re.S)
    assert zones, "the next-session card shows no reference zones"
    shown = {
        city: clock
        for city, clock in re.findall(r'<span class="city">([^<]+)</span>\s*(\d\d:\d\d)', zones.group(1))
    }
    assert shown == {"New York": "10:00", "London": "15:00", "Paris": "16:00", "Singapore": "22:00", "Oslo": "16:00"}
    assert "Thursday 17 April 2025, 22:00" in page
    assert "21:00" not in page


# --- progress ------------------------------------------------------------------------------------

def test_learners_are_spread_across_every_stage(runner):
    run_demo(runner)
    academy = the_academy()
    reading_count = len(academy.readings)
    learners = db.session.scalars(
        select(User).join(Enrolment).where(Enrolment.academy_id == academy.id, Enrolment.role == "learner")
    ).all()
    assert len(learners) == 8

    finished = {
        learner.email: db.session.scalar(
            select(func.count()).select_from(ReadingProgress).where(
                ReadingProgress.user_id == learner.id, ReadingProgress.finished_at.is_not(None)
            )
        )
        for learner in learners
    }
    assert any(count == reading_count for count in finished.values()), finished
    assert any(count == 0 for count in finished.values()), finished
    assert any(0 < count < reading_count for count in finished.values()), finished

    statuses = db.session.scalars(select(Reflection.status)).all()
    assert "draft" in statuses
    assert "submitted" in statuses
    drafts = db.session.scalars(select(Reflection).where(Reflection.status == "draft")).all()
    assert all(draft.submitted_at is None for draft in drafts)


def test_demo_progress_is_consistent(runner):
    run_demo(runner)
    now = utcnow()
    academy = the_academy()
    one, two = academy.live_sessions
    for progress in db.session.scalars(select(ReadingProgress)):
        assert one.ends_at <= progress.opened_at <= now
        if progress.finished_at is not None:
            assert progress.opened_at <= progress.finished_at <= now
    for reflection in db.session.scalars(select(Reflection)):
        reading = db.session.get(Reading, reflection.reading_id)
        assert reflection.updated_at <= now
        if reflection.status == "submitted":
            assert reflection.submitted_at is not None
            assert reading.min_words <= count_words(reflection.body) <= reading.max_words
    assert db.session.scalar(select(func.count()).select_from(LiveSession)) == 2


def test_a_finished_learner_and_a_new_learner_see_their_progress(runner, browser, make_browser):
    run_demo(runner)
    assert demo.LEARNERS[0][4:6] == (4, 4)

    browser.login(demo.LEARNERS[0][1], demo.DEMO_PASSWORD)
    page = browser.get("/learn/").get_data(as_text=True)
    assert "You have finished 4 of 4 readings." in page
    # One of Ingrid's four has been reviewed by a facilitator since; the other three await review.
    assert page.count("Reflection submitted") == 3
    assert page.count("Reflection reviewed") == 1

    newcomer = make_browser()
    darnell = next(row for row in demo.LEARNERS if row[4:] == (0, 0, 0) and not row[0].startswith("Jean"))
    newcomer.login(darnell[1], demo.DEMO_PASSWORD)
    page = newcomer.get("/learn/").get_data(as_text=True)
    assert "You have finished 0 of 4 readings." in page
    assert "Reflection not written yet" in page


# --- logins --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("email", "home", "greeting"),
    [
        ("ingrid.solberg@example.org", "/learn/", "Hello, Ingrid Solberg"),
        ("dana.whitfield@example.org", "/facilitate/", "waiting for review"),
        ("admin@example.org", "/admin/", TITLE),
    ],
)
def test_demo_logins_work_with_the_demo_password(runner, browser, email, home, greeting):
    run_demo(runner)

    response = browser.login(email, demo.DEMO_PASSWORD)

    assert response.status_code == 302
    assert response.location.endswith(home)
    page = browser.get(home)
    assert page.status_code == 200
    assert greeting in page.get_data(as_text=True)


def test_every_demo_login_works(runner, make_browser):
    run_demo(runner)
    for login in demo.demo_logins():
        response = make_browser().login(login.email, demo.DEMO_PASSWORD)
        assert response.status_code == 302, login.email


def test_a_wrong_password_does_not_sign_in_a_demo_account(runner, browser):
    run_demo(runner)
    response = browser.login("admin@example.org", "not-the-demo-password")
    assert response.status_code == 200
    assert "do not match an account" in response.get_data(as_text=True)
