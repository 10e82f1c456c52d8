"""Launches from an independent LTI platform (lti1p3platform): learners and instructors land signed in."""
from sqlalchemy import select

from lms.academies.models import Enrolment
from lms.accounts.models import User
from lms.core.extensions import db
from lms.lti.models import LtiContext, LtiLaunch
from tests.factories import make_academy
from tests.lti.platform import INSTRUCTOR


def _tie(platform, context_id="course-1"):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id=context_id, academy_id=academy.id))
    db.session.commit()
    return academy


def _person(email):
    return db.session.scalar(select(User).where(User.email == email))


def test_a_learner_lands_signed_in_on_their_dashboard(platform, browser):
    academy = make_academy("Peer Mentoring")
    response, _ = platform.launch(browser, context_id="not-yet")
    assert response.status_code == 200 and "not set up yet" in response.get_data(as_text=True)
    context = db.session.scalar(select(LtiContext))
    context.academy_id = academy.id
    db.session.commit()

    response, _ = platform.launch(browser, context_id="not-yet")
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")
    assert platform.keyset_requests == 1  # the key set was fetched once and then kept
    page = browser.get("/learn/")
    assert page.status_code == 200 and "Peer Mentoring" in page.get_data(as_text=True)
    ada = _person("ada@example.org")
    assert ada.full_name == "Ada Learner" and not ada.is_admin and ada.password_hash is None
    assert [(e.academy_id, e.role) for e in ada.enrolments] == [(academy.id, "learner")]
    assert [launch.outcome for launch in db.session.scalars(select(LtiLaunch).order_by(LtiLaunch.id))] == ["ok", "ok"]


def test_an_instructor_ties_an_unknown_course_to_a_new_academy_and_facilitates_it(platform, browser):
    response, _ = platform.launch(browser, sub="t-1", roles=INSTRUCTOR, name="Tess Teacher",
                                  email="tess@example.org")
    assert response.status_code == 302 and "/lti/contexts/" in response.headers["Location"]
    setup = response.headers["Location"].replace("http://localhost", "")
    page = browser.get(setup)
    assert page.status_code == 200 and "Peer Mentoring 101" in page.get_data(as_text=True)
    response = browser.post(setup, {"academy_id": "", "title": "Peer Mentoring 101", "home_timezone": "Europe/London"})
    assert response.status_code == 302 and "/facilitate/academies/" in response.headers["Location"]
    tess = _person("tess@example.org")
    assert [e.role for e in tess.enrolments] == ["facilitator"] and not tess.is_admin
    assert browser.get(response.headers["Location"]).status_code == 200
    context = db.session.scalar(select(LtiContext))
    assert context.academy_id == tess.enrolments[0].academy_id

    # The next launch goes straight to the academy, and another instructor of it becomes its facilitator.
    other = browser.__class__(browser.client.application.test_client())
    response, _ = platform.launch(other, sub="t-2", roles=INSTRUCTOR, name="Tom", email="tom@example.org")
    assert response.status_code == 302 and "/facilitate/academies/" in response.headers["Location"]


def test_a_learner_of_a_course_not_set_up_reads_so_and_is_not_enrolled(platform, browser):
    response, _ = platform.launch(browser)
    assert response.status_code == 200
    assert "not set up yet" in response.get_data(as_text=True)
    assert db.session.scalars(select(Enrolment)).all() == []


def test_a_launch_without_email_says_the_course_does_not_share_it(platform, browser):
    _tie(platform)
    response, _ = platform.launch(browser, email=None)
    assert response.status_code == 403
    assert "does not share email addresses" in response.get_data(as_text=True)


def test_an_account_with_the_same_email_is_linked_only_when_the_platform_is_trusted(platform, browser):
    from lms.lti.models import LtiPlatform
    from tests.factories import make_user

    _tie(platform)
    make_user("Ada Here", email="ada@example.org")
    response, _ = platform.launch(browser)
    assert response.status_code == 403 and "already an account" in response.get_data(as_text=True)
    db.session.get(LtiPlatform, platform.id).trusts_emails = True
    db.session.commit()
    response, _ = platform.launch(browser)
    assert response.status_code == 302
    assert _person("ada@example.org").full_name == "Ada Here"


def test_the_tool_publishes_its_key_set(platform, browser, runner):
    keys = browser.get("/lti/jwks").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]
    printed = runner.invoke(args=["lms", "lti", "tool-config"]).output
    assert "/lti/login" in printed and "/lti/launch" in printed and keys[0]["kid"] in printed
