"""Launches from an independent LTI platform (lti1p3platform): learners and instructors land signed in."""
from sqlalchemy import func, select

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


def test_a_launch_without_email_makes_an_account_known_by_the_platform_alone(platform, browser, make_browser):
    from lms.paper.packs import learners_in
    from tests.factories import make_paper_learner
    from tests.helpers import admin_signed_in

    academy = _tie(platform)
    response, _ = platform.launch(browser, sub="inside-7", name="Sam Inside", email=None)
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")
    assert "Peer Mentoring" in browser.get("/learn/").get_data(as_text=True)
    assert "from your course" in browser.get("/auth/account").get_data(as_text=True)  # their page, without an email
    sam = db.session.scalar(select(User).where(User.full_name == "Sam Inside"))
    assert sam.email is None and sam.password_hash is None and not sam.on_paper
    assert [(e.academy_id, e.role) for e in sam.enrolments] == [(academy.id, "learner")]

    # Their next launch, from a fresh browser, finds the same account by the platform's id for them.
    again, _ = platform.launch(make_browser(), sub="inside-7", name="Sam Inside", email=None)
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email.is_(None))) == 1

    # They are not a learner on paper: no printed pack, and the People page says how they sign in.
    paper = make_paper_learner()
    db.session.add(Enrolment(user_id=paper.id, academy_id=academy.id, role="learner"))
    db.session.commit()
    assert learners_in(academy) == [paper]
    admin = admin_signed_in(make_browser)
    people = admin.get(f"/admin/academies/{academy.id}/people").get_data(as_text=True)
    assert "Signs in from their course" in people
    answer = admin.post(f"/admin/academies/{academy.id}/people/{sam.id}/link", follow_redirects=True)
    assert "has no email here" in answer.get_data(as_text=True)


def test_a_launch_without_a_name_or_email_is_still_let_in(platform, browser):
    _tie(platform)
    response, _ = platform.launch(browser, sub="anon-1", name=None, email=None)
    assert response.status_code == 302
    assert db.session.scalar(select(User.full_name).where(User.email.is_(None))) == "Course member"


def test_the_role_follows_the_course_from_one_launch_to_the_next(platform, browser):
    academy = _tie(platform)
    assert platform.launch(browser)[0].headers["Location"].endswith("/learn/")
    response, _ = platform.launch(browser, roles=INSTRUCTOR)  # the course made Ada a teaching assistant
    assert f"/facilitate/academies/{academy.id}" in response.headers["Location"]
    assert [e.role for e in _person("ada@example.org").enrolments] == ["facilitator"]
    platform.launch(browser)
    db.session.expire_all()
    assert [e.role for e in _person("ada@example.org").enrolments] == ["learner"]


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
