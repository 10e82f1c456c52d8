"""The LTI journey in Chromium: a platform's course page frames the tool; the learner launches, reads and
reflects inside the frame; the instructor sees the scores in the platform's gradebook; on a platform of another
site, whose frame Chromium gives no cookies, the sign-in opens in a new window; a learner whose course shares no
email; the instructor deep links a reading.

The platform (lti_platform.py) runs on 127.0.0.1 like the tool, on another port: the same site, so the tool's
Lax cookies travel inside the frame over plain HTTP. The contexts of the framed pages do not bypass the CSP,
so Chromium really enforces the tool's frame-ancestors. Screenshots go to test-artifacts/e2e/lti-NN-name.png.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, ARTIFACTS, DESKTOP, flask
from lti_platform import INSTRUCTOR, LEARNER, BrowserPlatform, Person
from playwright.sync_api import expect

TITLE = "Peer Support Online"
READING = "Listening before advising"
PROMPT = "Describe a time someone listened to you before giving advice. What did it change?"
REFLECTION = (
    "When I came out my probation officer let me talk for twenty minutes before she said anything about rules. "
    "Because she listened first, I believed her when she told me what would happen if I missed a meeting, and "
    "I did not miss one. I want to give the people I mentor the same twenty minutes."
)
PEOPLE = {
    "instructor": Person(sub="plat-user-1001", name="Noor Haddad", email="noor.haddad@example.org",
                         roles=tuple(INSTRUCTOR)),
    "learner": Person(sub="plat-user-2002", name="Lena Lund", email="lena.lund@example.org", roles=tuple(LEARNER)),
    # Their course shares no email with the tool.
    "no-email": Person(sub="plat-user-4004", name="Sam Okafor", email=None, roles=tuple(LEARNER)),
}
COURSE = "Peer Support 301"
# The gradebook's columns are the tool's line items (LINE_ITEMS in lms/lti/scores.py).
READINGS_FINISHED, REFLECTIONS_SUBMITTED = "Readings finished", "Reflections submitted"
# The queue worker sends the scores (the tool queues them as soon as a result changes): the gradebook waits this long.
SCORES_SECONDS = 90

journey_step = pytest.mark.journey


@pytest.fixture(scope="module")
def platform(server):
    found = BrowserPlatform(server.base_url, PEOPLE, context_title=COURSE)
    yield found
    found.close()


class Framed:
    """The LTI people's browser contexts: real CSP (no bypass), each with its own cookies."""

    def __init__(self, chromium):
        self.chromium = chromium
        self.pages = {}
        self.errors: list[str] = []

    def page(self, person: str):
        if person not in self.pages:
            context = self.chromium.new_context(viewport=DESKTOP, locale="en-GB")
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("pageerror", lambda error, who=person: self.errors.append(f"{who}: {error}"))
            self.pages[person] = page
        return self.pages[person]

    def close(self):
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def framed(chromium):
    people = Framed(chromium)
    yield people
    people.close()


def tool_frame(page):
    return page.frame_locator('iframe[title="Learning Academy"]')


def screenshot(journey, page, name: str) -> None:
    journey.last_page = page  # a failure screenshot shows this page
    page.screenshot(path=str(ARTIFACTS / f"lti-{name}.png"), full_page=True)


def flash(frame):
    return frame.locator(".messages")


# --- the LMS's admin prepares the academy and registers the platform ----------------------------

@journey_step
def test_admin_prepares_an_academy_and_registers_the_platform(journey, platform):
    page = journey.page("lti-admin")
    page.goto(journey.server.url("/auth/login"))
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.get_by_role("link", name="Set up a new academy").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Home time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create the academy").click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    journey.facts["lti_academy_url"] = page.url

    # No live sessions: the reading is open from yesterday for two months.
    page.get_by_role("link", name="Add a reading").click()
    page.get_by_label("Title").fill(READING)
    page.get_by_label("Text").fill("## Listen first\n\nAdvice lands when the person feels heard.\n")
    page.get_by_label("Reflection prompt").fill(PROMPT)
    page.get_by_label("Least words in a reflection").fill("20")
    page.get_by_label("Opens at").fill(f"{date.today() - timedelta(days=1):%Y-%m-%d}T09:00")
    page.get_by_label("Closes at").fill(f"{date.today() + timedelta(days=60):%Y-%m-%d}T09:00")
    page.get_by_role("button", name="Add the reading").click()
    expect(flash(page)).to_contain_text("The reading is added.")

    # The instructor has an account here already, as the academy's facilitator, with the same email the
    # platform will send: --trust-emails links their launch to it.
    instructor = PEOPLE["instructor"]
    page.get_by_role("link", name=re.compile(r"^People")).click()
    page.get_by_label("Full name").fill(instructor.name)
    page.get_by_label("Email address").fill(instructor.email)
    page.get_by_label("Role").select_option(label="Facilitator")
    page.get_by_role("button", name=re.compile("^Add")).click()
    expect(page.locator(".result")).to_contain_text(f"1 person added: {instructor.name}")
    row = page.get_by_role("table", name=re.compile("Enrolled in")).get_by_role(
        "row", name=re.compile(instructor.name))
    expect(row).to_contain_text("Facilitator")

    with (ARTIFACTS / "lti-cli.log").open("a") as log:
        flask(journey.server.env, *platform.cli_args(), log=log)
    page.goto(journey.server.url("/admin/lti"))
    expect(page.get_by_role("main")).to_contain_text(platform.issuer)


# --- the instructor ties the course to the academy, inside the platform's frame ----------------

@journey_step
def test_instructor_launches_and_ties_the_course_to_the_academy(journey, platform, framed):
    page = framed.page("instructor")
    page.goto(platform.course_url("instructor"))
    expect(page.get_by_role("heading", name=COURSE, level=1)).to_be_visible()
    frame = tool_frame(page)
    # The course is new to the tool: its instructor chooses the academy it opens.
    expect(frame.get_by_role("heading", name=f"Which academy does “{COURSE}” open?")).to_be_visible()
    screenshot(journey, page, "01-instructor-chooses-the-academy")

    # Only the academies this account facilitates are offered: the admin's academy is there, so the launch
    # signed in the account the admin made (linked by email), not a new one.
    frame.get_by_label("Use an academy you facilitate").select_option(label=TITLE)
    frame.get_by_role("button", name="Save").click()
    expect(flash(frame)).to_contain_text("This course now opens this academy.")
    expect(frame.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(frame.get_by_role("main")).to_contain_text(TITLE)
    screenshot(journey, page, "02-instructor-facilitation-page")


# --- the learner: launch, read, reflect, all inside the frame ------------------------------------

@journey_step
def test_learner_launches_reads_and_reflects_inside_the_frame(journey, platform, framed):
    learner = PEOPLE["learner"]
    page = framed.page("learner")
    with page.expect_response(journey.server.url("/learn/")) as landing:
        page.goto(platform.course_url("learner"))
    # The launch's session may be framed by this platform's origin, and by no other.
    policy = landing.value.headers.get("content-security-policy", "")
    assert f"frame-ancestors 'self' {platform.base};" in policy + ";", policy
    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name=f"Hello, {learner.name}")).to_be_visible()
    expect(frame.get_by_text("You have finished 0 of 1 readings.")).to_be_visible()
    screenshot(journey, page, "03-learner-dashboard")

    frame.get_by_role("link", name=READING).first.click()
    expect(frame.get_by_role("heading", name=READING, level=1)).to_be_visible()
    frame.get_by_role("button", name="I've finished this reading").click()
    expect(flash(frame)).to_contain_text("Marked as finished. Well done!")
    screenshot(journey, page, "04-learner-reading-finished")

    expect(frame.locator(".prompt")).to_have_text(PROMPT)
    frame.get_by_role("textbox", name="Your reflection").fill(REFLECTION)
    frame.get_by_role("button", name="Submit reflection").click()
    expect(flash(frame)).to_contain_text("Your reflection is submitted.")
    expect(frame.locator("#reflection .badge")).to_have_text("Submitted")
    screenshot(journey, page, "05-learner-reflection-submitted")
    # The whole time the platform's page stayed on top: the tool never broke out of the frame.
    assert page.url == platform.course_url("learner")


# --- a platform on another site: the browser refuses the frame's cookie, a new window works -------

OTHER_COURSE = "Peer Support 302"
OTHER_PEOPLE = {
    "instructor": PEOPLE["instructor"],  # the same instructor (the same email): linked to the same account
    "learner": Person(sub="other-user-3003", name="Ravi Menon", email="ravi.menon@example.org",
                      roles=tuple(LEARNER)),
}


@pytest.fixture(scope="module")
def other_site(server, journey):
    """A second platform on "localhost": another site than the tool's 127.0.0.1, so the tool's cookies (Lax over
    plain HTTP) are third-party inside its frame and the browser does not send them, as a browser blocking
    third-party cookies does."""
    found = BrowserPlatform(server.base_url, OTHER_PEOPLE, client_id="e2e-other-site", context_id="course-302",
                            context_title=OTHER_COURSE, host="localhost")
    with (ARTIFACTS / "lti-cli.log").open("a") as log:
        flask(journey.server.env, *found.cli_args(), log=log)
    yield found
    found.close()


def _open_in_a_new_window(journey, page, name: str):
    """In the frame: the refusal that says the browser did not keep the sign-in, and its new-window link; the
    window it opens (a first-party page, whose cookies the browser keeps)."""
    journey.last_page = page  # a failure screenshot shows this page
    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name="Your browser did not keep the sign-in")).to_be_visible()
    screenshot(journey, page, f"{name}-cookie-refused-in-frame")
    with page.expect_popup() as popup:
        frame.get_by_role("link", name=re.compile("new window", re.I)).click()
    window = popup.value
    window.wait_for_load_state()
    return window


@journey_step
def test_on_another_site_the_instructor_gets_a_new_window_and_ties_the_course(journey, other_site, framed):
    page = framed.page("instructor on another site")
    page.goto(other_site.course_url("instructor"))
    window = _open_in_a_new_window(journey, page, "08")
    expect(window.get_by_role("heading", name=f"Which academy does “{OTHER_COURSE}” open?")).to_be_visible()
    window.get_by_label("Use an academy you facilitate").select_option(label=TITLE)
    window.get_by_role("button", name="Save").click()
    expect(flash(window)).to_contain_text("This course now opens this academy.")
    screenshot(journey, window, "09-instructor-new-window")


@journey_step
def test_on_another_site_the_learner_gets_a_new_window_and_lands_signed_in(journey, other_site, framed):
    learner = OTHER_PEOPLE["learner"]
    page = framed.page("learner on another site")
    page.goto(other_site.course_url("learner"))
    window = _open_in_a_new_window(journey, page, "10")
    expect(window.get_by_role("heading", name=f"Hello, {learner.name}")).to_be_visible()
    expect(window.get_by_role("link", name=READING).first).to_be_visible()
    screenshot(journey, window, "11-learner-new-window")

    # The admin's launches page tells the story: refused for the lost cookie, then let in.
    admin = journey.page("lti-admin")
    admin.goto(journey.server.url("/admin/lti"))
    admin.get_by_role("link", name=re.compile(r"E2E platform")).last.click()
    outcomes = admin.get_by_role("main").locator("table tbody tr td:last-child").all_inner_texts()
    assert outcomes[:2] == ["let in", "refused: state"], outcomes


# --- framing is only for launch sessions ------------------------------------------------------

@journey_step
def test_a_tool_page_outside_a_launch_session_is_not_framed(journey, platform, framed):
    page = framed.page("stranger")
    with page.expect_response(journey.server.url("/auth/login")) as answer:
        page.goto(platform.embed_url("/auth/login"))
    headers = answer.value.headers
    assert headers.get("x-frame-options") == "DENY", headers
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), headers
    # Chromium refused to show it: the frame holds its error page, not the tool's sign-in page.
    child = page.frame_locator('iframe[title="Learning Academy"]')
    frame = next(f for f in page.frames if f != page.main_frame)
    expect(child.locator("body")).to_be_attached()
    assert not frame.url.startswith(journey.server.base_url), frame.url
    expect(child.get_by_role("heading", name="Sign in")).to_have_count(0)
    screenshot(journey, page, "06-tool-page-refused-in-frame")
    # The same page on its own is there: it is the frame, not the page, that is refused.
    page.goto(journey.server.url("/auth/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # And the same platform page does show the tool to the learner, whose session began with a launch.
    learner = framed.page("learner")
    learner.goto(platform.embed_url("/learn/"))
    expect(tool_frame(learner).get_by_role("heading", name=f"Hello, {PEOPLE['learner'].name}")).to_be_visible()


# --- the instructor reads the scores in the platform -------------------------------------------

@journey_step
def test_instructor_sees_the_learners_scores_in_the_platform_gradebook(journey, platform, framed):
    learner = PEOPLE["learner"]
    # The queue worker sends them: wait until the platform has received them, then look as the instructor.
    platform.wait_for_scores({(READINGS_FINISHED, learner.sub): (1, 1),
                              (REFLECTIONS_SUBMITTED, learner.sub): (1, 1)}, timeout=SCORES_SECONDS)
    page = framed.page("instructor")
    page.goto(platform.url("/gradebook"))
    expect(page.get_by_role("heading", name=f"Gradebook: {COURSE}")).to_be_visible()
    table = page.get_by_role("table", name="Latest score per person")
    expect(table.get_by_role("row", name=f"{READINGS_FINISHED} {learner.name} 1 / 1", exact=True)).to_be_visible()
    expect(table.get_by_role("row", name=f"{REFLECTIONS_SUBMITTED} {learner.name} 1 / 1", exact=True)).to_be_visible()
    screenshot(journey, page, "07-platform-gradebook")
    # Every call the tool made to the platform's services carried a token the platform accepted.
    refused = [call for call in platform.service_requests if call[2] >= 400]
    assert not refused, f"the platform refused the tool's calls: {refused}"


# --- a learner whose course shares no email --------------------------------------------------------

@journey_step
def test_a_learner_whose_course_shares_no_email_launches_and_reads(journey, platform, framed):
    person = PEOPLE["no-email"]
    page = framed.page("no-email")
    journey.last_page = page
    page.goto(platform.course_url("no-email"))
    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name=f"Hello, {person.name}")).to_be_visible()
    frame.get_by_role("link", name=READING).first.click()
    expect(frame.get_by_role("heading", name=READING, level=1)).to_be_visible()
    screenshot(journey, page, "12-learner-without-email-reading")

    # The academy's People page knows them by their course alone: no address, so no invitation to send.
    admin = journey.page("lti-admin")
    admin.goto(journey.facts["lti_academy_url"].rstrip("/") + "/people")
    people = admin.get_by_role("table", name=re.compile("Enrolled in"))
    row = people.get_by_role("row", name=re.compile(person.name))
    expect(row).to_contain_text("Signs in from their course's site")
    expect(row).to_contain_text("From their course")
    link_button = re.compile("invitation link|reset link")
    expect(row.get_by_role("button", name=link_button)).to_have_count(0)
    # The control: a learner the course shared an email for does have one.
    expect(people.get_by_role("row", name=re.compile(PEOPLE["learner"].name)).get_by_role(
        "button", name=link_button)).to_have_count(1)
    screenshot(journey, admin, "13-people-page-learner-without-email")


# --- the instructor deep links one reading into the course ------------------------------------------

@journey_step
def test_instructor_deep_links_a_reading_and_a_learner_lands_on_it(journey, platform, framed):
    page = framed.page("instructor")
    journey.last_page = page
    page.goto(platform.add_content_url("instructor"))
    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name="What should the course's link open?")).to_be_visible()
    frame.get_by_role("radio", name=f"One reading: {READING}").check()
    frame.get_by_role("button", name="Choose").click()
    expect(frame.get_by_role("heading", name="Ready to go back to your course")).to_be_visible()
    screenshot(journey, page, "14-instructor-places-a-reading")
    # The signed answer goes back to the platform, inside the frame; the platform checked it with the tool's keys.
    frame.get_by_role("button", name="Put it in the course").click()
    expect(frame.get_by_role("heading", name=f"Added: {READING}")).to_be_visible()
    screenshot(journey, page, "15-platform-added-the-reading")
    assert len(platform.placed) == 1, platform.placed
    link_id, item = next(iter(platform.placed.items()))
    assert item["title"] == READING, item
    assert item["url"] == journey.server.url("/lti/launch"), item

    # The platform launches its new link as it would: the link's id, with the item's custom parameters.
    learner = framed.page("learner")
    learner.goto(platform.link_url("learner", link_id))
    expect(tool_frame(learner).get_by_role("heading", name=READING, level=1)).to_be_visible()
    screenshot(journey, learner, "16-learner-lands-on-the-placed-reading")


def test_no_javascript_errors_in_the_lti_pages(framed):
    assert framed.pages, "the LTI journey opened no page"
    assert not framed.errors, "JavaScript errors in the LTI pages:\n" + "\n".join(framed.errors)
