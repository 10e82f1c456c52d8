"""Layout where it is the point, in Chromium, on the demo programme (its own server, beside the journey's):
wide tables on a 360 px phone and at 1280 px, and labels that must stay visible on a phone."""
from __future__ import annotations

import re

import pytest
from helpers import ARTIFACTS, DESKTOP, PHONE, flask, start_server, temporary_directory
from playwright.sync_api import expect

DEMO_PASSWORD = "peer-support-demo"
DANA = "dana.whitfield@example.org"
DEMO_ADMIN = "admin@example.org"


@pytest.fixture(scope="module")
def demo(inbox):
    """A server of its own with the demo loaded: four readings, eight learners, Session One last week."""
    from pathlib import Path

    with temporary_directory() as work_dir:
        server = start_server(Path(work_dir), inbox.port, ARTIFACTS / "layout-server.log")
        try:
            with (ARTIFACTS / "layout-demo.log").open("w") as log:
                flask(server.env, "lms", "demo", log=log)
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def contexts(demo, chromium):
    made = []

    def signed_in(email, viewport):
        context = chromium.new_context(viewport=viewport, locale="en-GB", is_mobile=viewport is PHONE,
                                       has_touch=viewport is PHONE)
        context.set_default_timeout(15_000)
        made.append(context)
        page = context.new_page()
        page.goto(demo.url("/auth/login"))
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    yield signed_in
    for context in made:
        context.close()


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def progress_of_demo(page, demo):
    page.goto(demo.url("/facilitate/"))
    page.get_by_role("link", name=re.compile(r"^Progress")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Progress in"), level=1)).to_be_visible()
    return page.get_by_role("region", name="Learners")


def test_the_progress_table_scrolls_in_its_own_box_on_a_phone(demo, contexts):
    page = contexts(DANA, PHONE)
    box = progress_of_demo(page, demo)
    page.screenshot(path=str(ARTIFACTS / "layout-progress-360px.png"), full_page=True)
    scroll_width, width = page_width(page)
    assert scroll_width <= width, f"the page is {scroll_width} px wide on a {width} px phone"
    assert box.evaluate("box => box.scrollWidth > box.clientWidth"), "the table should scroll in its box"
    expect(page.get_by_text("The table is wider than the screen: scroll it sideways")).to_be_visible()


def test_at_1280_px_a_table_that_fits_shows_every_column_and_one_that_does_not_says_so(demo, contexts):
    page = contexts(DANA, DESKTOP)
    box = progress_of_demo(page, demo)
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth"), "four readings fit at 1280 px"
    expect(page.locator(".scroll-hint")).to_be_hidden()

    admin = contexts(DEMO_ADMIN, DESKTOP)
    admin.goto(demo.url("/admin/"))
    admin.get_by_role("link", name=re.compile("Peer Mentoring")).first.click()
    academy_url = admin.url
    for number in range(1, 6):
        admin.goto(academy_url)
        admin.get_by_role("link", name="Add a reading").click()
        admin.get_by_label("Title").fill(f"Further reading number {number}: a longer title, as real ones are")
        admin.get_by_label("Text", exact=True).fill("More on peer support.")
        admin.get_by_role("button", name="Add the reading").click()
        expect(admin.locator(".messages")).to_contain_text("The reading is added.")

    box = progress_of_demo(page, demo)
    page.screenshot(path=str(ARTIFACTS / "layout-progress-1280px-nine-readings.png"), full_page=True)
    assert page_width(page)[0] <= DESKTOP["width"]
    assert box.evaluate("box => box.scrollWidth > box.clientWidth"), "nine readings should not fit"
    expect(page.get_by_text("The table is wider than the screen: scroll it sideways")).to_be_visible()
    expect(box).to_have_class(re.compile(r"\bis-cut\b"))
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; box.dispatchEvent(new Event('scroll')); }")
    expect(box).to_have_class(re.compile(r"\bat-end\b"))
    # The learner's name stays in view while the readings scroll past.
    name = page.get_by_role("rowheader").first
    assert name.evaluate("cell => cell.getBoundingClientRect().left") >= box.evaluate(
        "box => box.getBoundingClientRect().left") - 1


def demo_academy(page, demo):
    page.goto(demo.url("/admin/"))
    page.get_by_role("link", name=re.compile("Peer Mentoring")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Peer Mentoring")


def test_on_a_phone_every_attendance_box_has_a_visible_label(demo, contexts):
    page = contexts(DEMO_ADMIN, PHONE)
    demo_academy(page, demo)
    page.get_by_role("link", name=re.compile(r"^Attendance at Session One")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Attendance: Session One"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-attendance-360px.png"), full_page=True)
    first_row = page.get_by_role("row").nth(1)
    for words in ("Attendance", "Minutes attended"):
        label = first_row.locator(".label-on-phone", has_text=words).first
        expect(label).to_be_visible()
        assert label.evaluate("el => el.getBoundingClientRect().width") > 30, f"{words} is not readable"
    assert page_width(page)[0] <= PHONE["width"]
    # At desktop width the column headings say it, once.
    page.set_viewport_size(DESKTOP)
    expect(first_row.locator(".label-on-phone").first).to_have_css("position", "absolute")
    expect(page.get_by_role("columnheader", name="Minutes")).to_be_visible()


def test_the_attendance_page_of_a_session_still_to_come_offers_no_marking(demo, contexts):
    page = contexts(DEMO_ADMIN, DESKTOP)
    demo_academy(page, demo)
    page.get_by_role("link", name=re.compile(r"^Attendance at Session Two")).click()
    expect(page.get_by_text(re.compile(r"has not taken place yet"))).to_be_visible()
    expect(page.get_by_role("button", name="Mark everyone present")).to_have_count(0)
    expect(page.get_by_role("button", name="Save attendance")).to_have_count(0)


def test_the_certificates_table_heading_reads_on_a_phone(demo, contexts):
    page = contexts(DEMO_ADMIN, PHONE)
    demo_academy(page, demo)
    page.get_by_role("link", name="Certificates", exact=True).click()
    caption = page.locator("table.certificates-table caption")
    expect(caption).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-certificates-360px.png"), full_page=True)
    lines = caption.evaluate("el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))")
    assert lines <= 2, f"the table's heading takes {lines} lines at 360 px"
    assert page_width(page)[0] <= PHONE["width"]
