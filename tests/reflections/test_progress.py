"""The facilitator's progress table: cell states, sorting, the group filter, pages, the chart, access."""
import re
from datetime import timedelta

import pytest

from lms.academies.models import Enrolment
from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import ReadingProgress
from lms.reflections.models import Reflection
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import html as page  # `html` names the page's text in the tests here

ROW = re.compile(r'<th scope="row"><span class="learner-name">(.*?)</span>(.*?)</tr>', re.S)
CELL_TEXT = re.compile(r'<span class="visually-hidden">([^<]*)</span>\s*</td>')
BEHIND = re.compile(r'<td class="behind">(\d+)</td>')


def table(html):
    """The learners' rows as {name: (cell texts, behind)}, in page order (dicts keep it)."""
    return {
        name: (CELL_TEXT.findall(rest), int(BEHIND.search(rest).group(1)))
        for name, rest in ROW.findall(html)
    }


def add_learners(academy, names, group=""):
    """Many learners at once (one commit), for the tests that need a crowd."""
    users = [User(full_name=name, email=f"{name.lower().replace(' ', '.')}@example.org") for name in names]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(Enrolment(user_id=u.id, academy_id=academy.id, role="learner", group_name=group)
                       for u in users)
    db.session.commit()
    return users


def progress(user, reading, finished=False):
    db.session.add(ReadingProgress(user_id=user.id, reading_id=reading.id, opened_at=utcnow(),
                                   finished_at=utcnow() if finished else None))


def reflection(user, reading, status):
    db.session.add(Reflection(user_id=user.id, reading_id=reading.id, body="Some thoughts.", status=status,
                              version_count=0 if status == "draft" else 1,
                              submitted_at=None if status == "draft" else utcnow()))


@pytest.fixture
def readings(academy):
    return [
        make_reading(academy, "Reading A"),
        make_reading(academy, "Reading B"),
        make_reading(academy, "Reading C", prompt=""),
        make_reading(academy, "Reading D", opens_at=utcnow() + timedelta(days=5)),
    ]


@pytest.fixture
def learners(academy, readings):
    """Added out of name order; Bo is furthest behind, then Ada, then Cy."""
    a, b, c, _ = readings
    cy = make_user("Cy Chen")
    ada = make_user("Ada Achebe")
    bo = make_user("Bo Berg")
    for user in (cy, ada, bo):
        enrol(user, academy)
    progress(ada, a, finished=True)
    reflection(ada, a, "reviewed")
    progress(ada, b)
    reflection(ada, b, "draft")
    progress(ada, c, finished=True)
    progress(cy, a, finished=True)
    reflection(cy, a, "submitted")
    progress(cy, b, finished=True)
    reflection(cy, b, "revision_requested")
    progress(cy, c)
    db.session.commit()
    return ada, bo, cy


def url(academy, **query):
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/facilitate/academies/{academy.id}/progress" + (f"?{params}" if params else "")


# --- the table -------------------------------------------------------------------------------

def test_cells_say_what_each_learner_has_done(browser, academy, facilitator, learners):
    browser.login(facilitator)
    response = browser.get(url(academy))
    assert response.status_code == 200
    rows = table(page(response))
    assert rows["Ada Achebe"] == (
        ["finished, reflection reviewed", "opened, reflection draft", "finished", "not open yet"], 2)
    assert rows["Bo Berg"] == (
        ["not opened, reflection not started", "not opened, reflection not started", "not opened",
         "not open yet"], 5)
    assert rows["Cy Chen"] == (
        ["finished, reflection submitted", "finished, reflection returned for revision", "opened",
         "not open yet"], 1)


def test_cells_show_words_not_only_colour_and_there_is_a_legend(browser, academy, facilitator, learners):
    browser.login(facilitator)
    html = page(browser.get(url(academy)))
    assert "✓ Finished" in html and "◐ Opened" in html and "✎ Draft" in html and "✓✓ Reviewed" in html
    assert "What the marks mean" in html
    assert "<dt>↺ Revising</dt>" in html


def test_sorted_by_name_by_default_and_by_behind_on_request(browser, academy, facilitator, learners):
    browser.login(facilitator)
    assert list(table(page(browser.get(url(academy))))) == ["Ada Achebe", "Bo Berg", "Cy Chen"]
    html = page(browser.get(url(academy, sort="behind")))
    assert list(table(html)) == ["Bo Berg", "Ada Achebe", "Cy Chen"]
    assert 'aria-sort="descending"' in html
    # The other column header links back to the name order.
    assert "sort=name" in html


def test_facilitator_sees_their_own_group_first_and_can_choose_another(browser, academy, readings):
    oslo = make_user("Fran Oslo")
    enrol(oslo, academy, role="facilitator", group="Oslo")
    add_learners(academy, ["Ola Nordmann", "Kari Nordmann"], group="Oslo")
    add_learners(academy, ["Jane Smith"], group="London")
    add_learners(academy, ["Nils Nobody"])
    browser.login(oslo)

    html = page(browser.get(url(academy)))
    assert list(table(html)) == ["Kari Nordmann", "Ola Nordmann"]
    assert '<option value="Oslo" selected>Oslo</option>' in html
    assert '<option value="">All groups</option>' in html
    assert '<option value="London">London</option>' in html

    assert list(table(page(browser.get(url(academy, group="London"))))) == ["Jane Smith"]
    everyone = page(browser.get(url(academy, group="")))
    assert list(table(everyone)) == ["Jane Smith", "Kari Nordmann", "Nils Nobody", "Ola Nordmann"]
    assert '<option value="" selected>All groups</option>' in everyone
    # An unknown group shows everyone rather than an empty page.
    assert len(table(page(browser.get(url(academy, group="Atlantis"))))) == 4


def test_facilitator_without_a_group_and_admins_see_all_groups(browser, academy, facilitator, readings):
    add_learners(academy, ["Ola Nordmann"], group="Oslo")
    add_learners(academy, ["Jane Smith"], group="London")
    browser.login(facilitator)
    assert len(table(page(browser.get(url(academy))))) == 2
    browser.logout()
    browser.login(make_user("Ann Admin", is_admin=True))
    assert len(table(page(browser.get(url(academy))))) == 2


def test_fifty_learners_a_page_with_prev_and_next_links(browser, academy, facilitator, readings):
    add_learners(academy, [f"Learner {number:03}" for number in range(1, 121)])
    browser.login(facilitator)

    first = page(browser.get(url(academy)))
    assert list(table(first)) == [f"Learner {number:03}" for number in range(1, 51)]
    assert 'rel="prev"' not in first
    assert re.search(r'href="[^"]*page=2"[^>]*rel="next"', first.replace("&amp;", "&"))
    assert "120 learners" in first and "showing 1–50" in first

    second = page(browser.get(url(academy, page=2))).replace("&amp;", "&")
    assert list(table(second))[0] == "Learner 051"
    assert re.search(r'href="[^"]*page=1"[^>]*rel="prev"', second)
    assert re.search(r'href="[^"]*page=3"[^>]*rel="next"', second)
    assert re.search(r'href="[^"]*page=2"[^>]*aria-current="page"', second)

    # Past the end shows the last page; nonsense shows the first.
    last = page(browser.get(url(academy, page=99)))
    assert list(table(last)) == [f"Learner {number:03}" for number in range(101, 121)]
    assert 'rel="next"' not in last
    assert list(table(page(browser.get(url(academy, page="abc")))))[0] == "Learner 001"
    assert list(table(page(browser.get(url(academy, page=-3)))))[0] == "Learner 001"


def test_pages_keep_the_sort_and_the_group(browser, academy, facilitator, readings):
    add_learners(academy, [f"Learner {number:03}" for number in range(1, 61)], group="Oslo")
    browser.login(facilitator)
    html = page(browser.get(url(academy, group="Oslo", sort="behind"))).replace("&amp;", "&")
    assert re.search(r'href="[^"]*group=Oslo&sort=behind&page=2"[^>]*rel="next"', html)


def test_completion_chart_is_inline_svg_with_numbers_and_no_script(browser, academy, facilitator, learners):
    browser.login(facilitator)
    html = page(browser.get(url(academy)))
    # The chart needs no script; the one script only hides the table's "scroll sideways" hint when it fits.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/lms/tablescroll.js" defer>']
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 4
    first = charts[0]
    assert 'role="img"' in first and "<title>" in first
    # Ada and Cy finished Reading A and submitted their reflections; Bo did neither.
    expected = "Reading A: 67% finished (2 of 3 learners), 67% reflection submitted (2 of 3)"
    assert f'aria-label="{expected}"' in first
    assert f"<title>{expected}</title>" in first
    assert ">67%</text>" in first
    assert "No reflection asked" in charts[2]
    assert "not open yet" in charts[3]


def test_query_count_does_not_grow_with_learners_and_readings(browser, academy, facilitator, count_queries):
    small_readings = [make_reading(academy, f"Reading {number}") for number in range(2)]
    learners = add_learners(academy, ["Ada Achebe", "Bo Berg", "Cy Chen"])
    progress(learners[0], small_readings[0], finished=True)
    reflection(learners[0], small_readings[0], "submitted")
    db.session.commit()
    address = url(academy, sort="behind")  # read here: the test's own queries are not the page's
    browser.login(facilitator)
    browser.get(address)
    with count_queries() as small:
        assert browser.get(address).status_code == 200

    all_readings = small_readings + [make_reading(academy, f"Reading {number}") for number in range(2, 8)]
    learners += add_learners(academy, [f"Learner {number:03}" for number in range(117)], group="Oslo")
    for index, user in enumerate(learners):
        for reading in all_readings[: index % 9]:
            progress(user, reading, finished=index % 2 == 0)
            reflection(user, reading, ("draft", "submitted", "reviewed")[index % 3])
    db.session.commit()
    with count_queries() as large:
        html = page(browser.get(address))
    assert "120 learners" in html
    assert len(large) == len(small), "\n".join(small + ["-----"] + large)


# --- access ----------------------------------------------------------------------------------

PATHS = ["/facilitate/academies/{id}/progress", "/facilitate/academies/{id}/progress.csv",
         "/facilitate/academies/{id}/reflections.csv"]


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_visitors_are_sent_to_sign_in(browser, academy, path):
    for guessed in (academy.id, academy.id + 1000):
        response = browser.get(path.format(id=guessed))
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PATHS)
def test_learners_cannot_see_progress(browser, academy, learners, path):
    browser.login(learners[0])
    assert browser.get(path.format(id=academy.id)).status_code == 404


@pytest.mark.parametrize("path", PATHS)
def test_facilitators_of_another_academy_cannot_see_it_nor_guess_ids(browser, academy, readings, path):
    other = make_academy("Another academy")
    stranger = make_user("Sam Stranger")
    enrol(stranger, other, role="facilitator")
    browser.login(stranger)
    response = browser.get(path.format(id=other.id))
    assert response.status_code == 200
    response.close()
    for guessed in (academy.id, other.id + 1, other.id + 1000, 0):
        assert browser.get(path.format(id=guessed)).status_code == 404, guessed


@pytest.mark.parametrize("path", PATHS)
def test_facilitators_and_admins_may_see_it(browser, academy, facilitator, learners, path):
    for user in (facilitator, make_user("Ann Admin", is_admin=True)):
        browser.login(user)
        response = browser.get(path.format(id=academy.id))
        assert response.status_code == 200
        assert "Ada Achebe" in response.get_data(as_text=True)
        browser.logout()
    browser.login(make_user("Ann Admin Two", is_admin=True))
    assert browser.get(path.format(id=academy.id + 1000)).status_code == 404


def test_the_wide_table_scrolls_in_its_own_box_and_says_so(browser, academy, facilitator, readings):
    """The layout itself is checked in Chromium (tests/e2e/test_layout.py); here, what makes it."""
    enrol(make_user("Ingrid Solberg"), academy)
    browser.login(facilitator)
    html = page(browser.get(f"/facilitate/academies/{academy.id}/progress"))
    hint = re.search(r'<p class="scroll-hint" id="learners-scroll-hint">(.*?)</p>', html, re.S)
    assert hint and "scroll it sideways to see every reading" in hint.group(1)
    region = re.search(r'<div class="table-scroll"[^>]*>', html).group(0)
    assert 'role="region"' in region and 'aria-describedby="learners-scroll-hint"' in region
    assert 'data-scroll-hint="learners-scroll-hint"' in region
    assert '<script src="/static/lms/tablescroll.js" defer></script>' in html
    assert '<main id="main" class="wrap wrap-wide"' in html  # room for the table on a desktop
