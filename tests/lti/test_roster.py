"""Roster from the platform (Names and Role Provisioning, served by lti1p3platform on loopback): preview, then
all or nothing; people it enrols launch later as themselves."""
import pytest
from sqlalchemy import select

from lms.academies.models import Enrolment
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.lti.models import LtiContext
from lms.lti.roster import apply_roster, preview_roster
from tests.factories import make_academy, make_user
from tests.lti.platform import ADMINISTRATOR, INSTRUCTOR, LEARNER


def _member(user_id, name, email, roles=LEARNER, status="Active"):
    return {"user_id": user_id, "name": name, "email": email, "roles": roles, "status": status}


@pytest.fixture
def course(platform, browser):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    platform.tool_key_set = browser.get("/lti/jwks").get_json()
    # A launch tells the tool where the course's member list is.
    assert platform.launch(browser, sub="t-1", roles=INSTRUCTOR, email="tess@example.org")[0].status_code == 302
    db.session.expire_all()
    return db.session.scalar(select(LtiContext))


def test_a_sync_previews_then_enrols_every_member_and_they_launch_as_themselves(platform, course, make_browser, runner):
    assert course.memberships_url == platform.memberships_url
    platform.members = [
        _member("t-1", "Tess Teacher", "tess@example.org", INSTRUCTOR),
        _member("u-2", "Bo Learner", "bo@example.org"),
        _member("u-3", "Cy Learner", "cy@example.org"),
        _member("u-4", "Dee Admin", "dee@example.org", ADMINISTRATOR),
        _member("u-5", "Ed Gone", "ed@example.org", status="Inactive"),
    ]
    preview = preview_roster(course)
    assert [(p.email, p.role) for p in preview.people] == [
        ("tess@example.org", "facilitator"), ("bo@example.org", "learner"), ("cy@example.org", "learner")]
    assert preview.skipped == 1 and preview.problems == []
    assert db.session.scalars(select(Enrolment)).all()[0].user.email == "tess@example.org"  # preview changed nothing

    make_user("Admin", email="admin@example.org", is_admin=True)
    result = runner.invoke(args=["lms", "lti", "sync-rosters", "--as", "admin@example.org"])
    assert result.exit_code == 0 and "1 of 1 courses synced" in result.output, result.output
    assert platform.membership_requests == 2
    roles = {e.user.email: e.role for e in db.session.scalars(select(Enrolment))}
    assert roles == {"tess@example.org": "facilitator", "bo@example.org": "learner", "cy@example.org": "learner"}

    bo = make_browser()
    response, _ = platform.launch(bo, sub="u-2", name="Bo Learner", email="bo@example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")


def test_one_bad_member_changes_nothing(platform, course):
    platform.members = [_member("u-2", "Bo Learner", "bo@example.org"), _member("u-3", "No Address", "not-an-email")]
    assert preview_roster(course).problems == [preview_roster(course).problems[0]]
    with pytest.raises(DomainError, match="Nothing was changed"):
        apply_roster(course, make_user("Admin", is_admin=True))
    db.session.rollback()
    assert {e.user.email for e in db.session.scalars(select(Enrolment))} == {"tess@example.org"}


def test_a_facilitator_previews_and_applies_on_the_web(platform, course, browser):
    platform.members = [_member("t-1", "Tess Teacher", "tess@example.org", INSTRUCTOR),
                        _member("u-2", "Bo <b>Learner</b>", "bo@example.org")]
    roster = f"/facilitate/lti/contexts/{course.id}/roster"
    assert roster in browser.get("/facilitate/").get_data(as_text=True)  # linked from the facilitator's home
    page = browser.get(roster)  # the instructor's launch signed them in
    assert page.status_code == 200 and "Bo &lt;b&gt;Learner&lt;/b&gt;" in page.get_data(as_text=True)
    assert "Enrol these 2 people" in page.get_data(as_text=True)
    for _ in range(2):  # sent twice: enrolled once
        assert browser.post(f"/facilitate/lti/contexts/{course.id}/roster").status_code == 302
    assert len(db.session.scalars(select(Enrolment)).all()) == 2


def test_members_the_course_shares_no_email_for_are_enrolled_by_their_platform_id(platform, course, browser,
                                                                                  make_browser):
    platform.members = [_member("t-1", "Tess Teacher", "tess@example.org", INSTRUCTOR),
                        _member("in-1", "Sam Inside", None), _member("in-2", "Kim Inside", "")]
    page = browser.get(f"/facilitate/lti/contexts/{course.id}/roster").get_data(as_text=True)
    assert "None shared: signs in from the course" in page and "Enrol these 3 people" in page
    assert browser.post(f"/facilitate/lti/contexts/{course.id}/roster").status_code == 302
    enrolled = {e.user.email or e.user.full_name: e.role for e in db.session.scalars(select(Enrolment))}
    assert enrolled == {"tess@example.org": "facilitator", "Sam Inside": "learner", "Kim Inside": "learner"}
    assert browser.post(f"/facilitate/lti/contexts/{course.id}/roster").status_code == 302  # again: the same
    assert len(db.session.scalars(select(Enrolment)).all()) == 3

    # Sam's own launch, with no email either, lands on the account the sync made.
    sam = make_browser()
    response, _ = platform.launch(sam, sub="in-1", name="Sam Inside", email=None)
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")
    assert len(db.session.scalars(select(Enrolment)).all()) == 3

    # The course makes Kim a teaching assistant: the next sync says so.
    platform.members[2]["roles"] = INSTRUCTOR
    browser.post(f"/facilitate/lti/contexts/{course.id}/roster")
    db.session.expire_all()
    assert {e.user.full_name: e.role for e in db.session.scalars(select(Enrolment))}["Kim Inside"] == "facilitator"


def test_a_member_without_email_or_id_is_a_problem(platform, course):
    platform.members = [_member("", "Nobody Known", None)]
    assert preview_roster(course).problems == ["Member 1: the course's site sent no id for this member."]


def test_the_academy_people_page_links_the_course_roster(course, make_browser):
    from tests.helpers import admin_signed_in

    page = admin_signed_in(make_browser).get(f"/admin/academies/{course.academy_id}/people").get_data(as_text=True)
    assert f"/facilitate/lti/contexts/{course.id}/roster" in page and "members from “Peer Mentoring 101”" in page


def test_the_facilitator_home_reads_the_course_links_once_for_all_its_academies(course, make_browser, count_queries):
    from tests.helpers import admin_signed_in

    admin = admin_signed_in(make_browser)
    for number in range(3):
        other = make_academy(f"Other {number}")
        db.session.add(LtiContext(platform_id=course.platform_id, context_id=f"course-{number + 2}",
                                  academy_id=other.id, title=f"Course {number + 2}",
                                  memberships_url=course.memberships_url))
    db.session.commit()
    with count_queries() as queries:
        page = admin.get("/facilitate/").get_data(as_text=True)
    assert all(f"Members from the course “Course {number + 2}”" in page for number in range(3))
    assert len([sql for sql in queries if "FROM lms_lti_contexts" in sql]) == 1
