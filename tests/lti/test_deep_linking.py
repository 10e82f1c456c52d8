"""Deep linking: an instructor places the academy or one reading in the course; launches then land there."""
import re

from sqlalchemy import select

from lms.core.extensions import db
from lms.lti.models import LtiContext, LtiResourceLink
from tests.factories import make_academy, make_reading
from tests.lti.platform import INSTRUCTOR


def _answer(page):
    text = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" id="lti-deep-link-return"', text).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', text).group(1)
    return action, token


def test_an_instructor_places_one_reading_and_a_learner_lands_on_it(platform, browser, make_browser):
    academy = make_academy("Peer Mentoring")
    reading = make_reading(academy, "On listening")
    other_reading = make_reading(make_academy("Elsewhere"), "Not yours")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()

    response, _ = platform.launch(browser, sub="t-1", roles=INSTRUCTOR, email="tess@example.org", deep_link=True)
    assert response.status_code == 302 and response.headers["Location"].endswith("/lti/deep-link")
    page = browser.get("/lti/deep-link")
    assert "On listening" in page.get_data(as_text=True) and "Not yours" not in page.get_data(as_text=True)
    assert browser.post("/lti/deep-link", {"reading": str(other_reading.id)}).status_code == 200  # asked again
    answer = browser.post("/lti/deep-link", {"reading": str(reading.id)})
    assert answer.status_code == 200
    assert f"form-action 'self' {platform.base}" in answer.headers["Content-Security-Policy"]
    action, token = _answer(answer)
    assert action == platform.deep_link_return_url
    items = platform.read_deep_link_answer(browser, token)
    assert [(item["type"], item["title"], item["custom"]) for item in items] == [
        ("ltiResourceLink", "On listening", {"lms_reading": str(reading.id)})]

    # The platform now launches that link with the custom parameter it was given.
    learner = make_browser()
    response, _ = platform.launch(learner, resource_link_id="placed-1", custom=items[0]["custom"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/learn/readings/{reading.id}")
    assert learner.get(response.headers["Location"]).status_code == 200
    assert db.session.scalar(select(LtiResourceLink.reading_id)) == reading.id


def test_a_reading_of_another_academy_named_in_custom_parameters_is_ignored(platform, browser):
    academy = make_academy("Peer Mentoring")
    elsewhere = make_reading(make_academy("Elsewhere"), "Not yours")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    response, _ = platform.launch(browser, custom={"lms_reading": str(elsewhere.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")


def test_a_learner_cannot_deep_link(platform, browser):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    response, _ = platform.launch(browser, deep_link=True)
    assert response.status_code == 403
    assert browser.get("/lti/deep-link").status_code in (302, 404)


def test_the_whole_academy_can_be_placed(platform, browser):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    platform.launch(browser, sub="t-1", roles=INSTRUCTOR, email="tess@example.org", deep_link=True)
    _, token = _answer(browser.post("/lti/deep-link", {"reading": "academy"}))
    items = platform.read_deep_link_answer(browser, token)
    assert [item["title"] for item in items] == ["Peer Mentoring"] and "custom" not in items[0]
