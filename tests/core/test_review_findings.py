"""Defects a security and correctness review found, each pinned by the behaviour a user relies on."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import ProductionConfig
from lms import create_app
from lms.academies.models import Academy
from lms.accounts import services as accounts
from lms.attendance.models import Attendance
from lms.core.extensions import db, limiter
from lms.core.types import utcnow
from lms.readings.models import Reading
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.conftest import enrol, make_academy, make_reading, make_user


def test_production_refuses_to_start_without_the_public_address():
    class Config(ProductionConfig):
        SECRET_KEY = "set"
        LMS_BASE_URL = ""
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="LMS_BASE_URL"):
        create_app(Config)


def test_mailed_links_never_use_the_host_the_request_named(app, monkeypatch):
    from lms.core import mail

    monkeypatch.setitem(app.config, "LMS_BASE_URL", "https://academy.example.org")
    with app.test_request_context("/auth/reset", headers={"Host": "attacker.example.net"}):
        assert mail.absolute_url("lms.accounts.reset_password", token="t") == "https://academy.example.org/auth/reset/t"
    monkeypatch.setitem(app.config, "LMS_BASE_URL", "")
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with app.test_request_context("/auth/reset", headers={"Host": "attacker.example.net"}):
        with pytest.raises(RuntimeError, match="LMS_BASE_URL"):
            mail.absolute_url("lms.accounts.reset_password", token="t")


def test_attendance_cannot_be_recorded_for_a_session_still_to_come(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=2))
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    browser.login(make_user("Ada Admin", is_admin=True))
    session_id = academy.live_sessions[0].id
    response = browser.post(f"/admin/sessions/{session_id}/attendance/bulk", {"status": "present", "scope": "all"},
                            follow_redirects=True)
    assert "has not started yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(Attendance.id)) is None


def test_a_reading_without_sessions_to_follow_is_not_open(browser):
    academy = Academy(title="No sessions yet", home_timezone="Europe/London")
    db.session.add(academy)
    db.session.commit()
    reading = make_reading(academy)
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    browser.login(learner)
    html = browser.get(f"/learn/readings/{reading.id}").get_data(as_text=True)
    assert "opens after the first live session" in html
    assert "Some <em>text</em>" not in html
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "x", "action": "draft"})
    assert response.status_code == 400


def test_a_legacy_zone_name_in_a_roster_is_refused_with_its_line():
    data = b"full_name,email,role,timezone\nIngrid Solberg,ingrid@example.org,learner,US/Eastern\n"
    with pytest.raises(accounts.RosterError) as refused:
        accounts.parse_roster(data, "Europe/London")
    assert refused.value.problems == [(2, "US/Eastern is not a time zone name like Europe/London.")]


def test_reset_requests_are_rate_limited(app, browser, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LMS_RESET_RATE_LIMIT", "2 per hour")
    browser.get("/auth/reset")
    statuses = [browser.post("/auth/reset", {"email": "someone@example.org"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    limiter.reset()


def test_feedback_answers_the_text_the_facilitator_read(make_browser):
    academy = make_academy()
    reading = make_reading(academy)
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    facilitator = make_user("Dana Whitfield")
    enrol(facilitator, academy, role="facilitator")
    now = utcnow()
    reflection = Reflection(user_id=learner.id, reading_id=reading.id, body="Text A", status="submitted",
                            version_count=1, submitted_at=now, updated_at=now)
    reflection.versions = [ReflectionVersion(number=1, body="Text A", submitted_at=now)]
    db.session.add(reflection)
    db.session.commit()
    reflection_id = reflection.id

    dana = make_browser()
    dana.login(facilitator)
    dana.get(f"/facilitate/reflections/{reflection_id}")
    import re

    page = dana.get(f"/facilitate/reflections/{reflection_id}").get_data(as_text=True)
    stamp = re.search(r'name="seen_version" type="hidden" value="([^"]+)"', page).group(1)

    ingrid = make_browser()
    ingrid.login(learner)
    ingrid.post(f"/learn/readings/{reading.id}/reflection", {"body": "Text B, rewritten", "action": "submit"})

    response = dana.post(f"/facilitate/reflections/{reflection_id}", {
        "body": "Lovely point about A.", "action": "reviewed", "seen_edit_count": "", "seen_version": stamp,
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed this reflection after you opened it" in html
    assert "Text B, rewritten" in html and "Lovely point about A.</textarea>" in html
    assert db.session.scalar(select(Feedback.id)) is None
    db.session.expire_all()
    assert db.session.get(Reflection, reflection_id).status == "submitted"
    assert db.session.get(Reading, reading.id) is not None


def test_a_report_does_not_undo_a_present_recorded_by_hand():
    from lms.attendance import services as attendance

    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=1)
    academy = make_academy(first_start=start, home_timezone="UTC")
    dial_in = make_user("Ingrid Solberg")
    on_zoom = make_user("Marcus Boudreaux")
    for learner in (dial_in, on_zoom):
        enrol(learner, academy)
    admin = make_user("Ada Admin", is_admin=True)
    session = academy.live_sessions[0]
    attendance.record(session, {dial_in.id: ("present", 90)}, admin, utcnow())
    fmt = "%m/%d/%Y %I:%M:%S %p"
    report = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        f"Marcus Boudreaux,{on_zoom.email},{start:{fmt}},{start + timedelta(minutes=90):{fmt}},90,No\n"
    ).encode()

    attendance.apply_import(session, report, "UTC", {}, admin, utcnow())

    saved = {row.user_id: (row.status, row.source) for row in db.session.scalars(select(Attendance))}
    assert saved == {dial_in.id: ("present", "manual"), on_zoom.id: ("present", "zoom")}
