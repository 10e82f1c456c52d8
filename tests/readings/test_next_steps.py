"""'What to do next' at the top of the learner's dashboard follows where they stand; states read as words."""
import hashlib
import re
from datetime import timedelta

import pytest

from lms.certificates.models import Certificate
from lms.core.dates import format_local
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import ReadingProgress
from lms.reflections.models import Reflection
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import html, text_of


@pytest.fixture
def academy():
    return make_academy()  # Session One ended yesterday, Session Two in 13 days


@pytest.fixture
def learner(academy):
    user = make_user("Ingrid Solberg", timezone="Europe/Oslo")
    enrol(user, academy)
    return user


def next_steps(response) -> str:
    """The words of the 'What to do next' block."""
    found = re.search(r'<div class="next-steps".*?<details class="how-it-works"', html(response), re.S)
    assert found, "no 'What to do next' on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def test_a_first_visit_says_what_to_read_and_write_and_how_the_certificate_is_earned(browser, learner, academy):
    reading = make_reading(academy, "Lived experience as expertise")
    browser.login(learner)
    page = browser.get("/learn/")
    steps = next_steps(page)
    assert "What to do next" in steps
    # The reading closes when Session Two begins, 13 days from now: shown in Oslo.
    session_two = academy.live_sessions[1].starts_at
    assert ("Read Lived experience as expertise (about 10 minutes), then write a short reflection on it "
            f"before Session Two ({format_local(session_two, 'Europe/Oslo', 'short')})") in steps
    assert f'href="/learn/readings/{reading.id}"' in html(page)
    assert f"Join Session Two on {format_local(session_two, 'Europe/Oslo')} (your time)" in steps
    # First visit: "how it works" is open, and says what a certificate asks.
    body = html(page)
    assert '<details class="how-it-works" open>' in body
    assert "Attend every live session to receive a certificate of attendance." in text_of(page)
    # At the top: before the session card and the reading list.
    assert body.index("What to do next") < body.index('class="card next-session"') < body.index("reading-list")


def test_the_next_step_follows_the_learner(browser, learner, academy):
    reading = make_reading(academy, "First reading")
    browser.login(learner)
    db.session.add(ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=utcnow(),
                                   finished_at=utcnow()))
    db.session.commit()
    page = browser.get("/learn/")
    assert "Write a short reflection on First reading before Session Two" in next_steps(page)
    assert f'href="/learn/readings/{reading.id}#reflection"' in html(page)
    assert '<details class="how-it-works">' in html(page)  # folded away once started

    db.session.add(Reflection(user_id=learner.id, reading_id=reading.id, body="Half", status="draft"))
    db.session.commit()
    assert "Finish and submit your reflection on First reading (your draft is saved)" in next_steps(
        browser.get("/learn/"))

    reflection = db.session.get(Reflection, db.session.scalar(db.select(Reflection.id)))
    reflection.status, reflection.submitted_at = "submitted", utcnow()
    db.session.commit()
    steps = next_steps(browser.get("/learn/"))
    assert "First reading" not in steps
    assert "Join Session Two on" in steps


def test_a_revision_asked_for_comes_first_and_stands_out(browser, learner, academy):
    make_reading(academy, "Unread one")
    returned = make_reading(academy, "Returned one")
    db.session.add(Reflection(user_id=learner.id, reading_id=returned.id, body="My words",
                              status="revision_requested", submitted_at=utcnow(), version_count=1))
    db.session.commit()
    browser.login(learner)
    page = browser.get("/learn/")
    body = html(page)
    box = body.index('class="attention"')
    assert box < body.index('class="step-list"')
    assert "Your facilitator asks you to revise your reflection on “Returned one”." in text_of(page)
    assert f'href="/learn/readings/{returned.id}#reflection">Revise your reflection' in body
    assert "Revision asked: please revise your reflection" in text_of(page)  # and in the list of readings


def test_before_the_first_session_it_says_when_to_join_and_when_readings_open(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=2))
    make_reading(academy, "Later reading")
    learner = make_user("New Learner")
    enrol(learner, academy)
    browser.login(learner)
    steps = next_steps(browser.get("/learn/"))
    assert "Join Session One on" in steps
    assert "The readings open on" in steps
    assert "Later reading" not in steps


def test_when_the_certificate_is_ready_it_says_so(browser, learner, academy):
    pdf = b"%PDF-1.4"
    db.session.add(Certificate(academy_id=academy.id, user_id=learner.id, number="LA-1-0001",
                               verification_code="A" * 32, name_as_printed=learner.full_name,
                               academy_title=academy.title, session_dates="1 May 2025", pdf=pdf,
                               pdf_sha256=hashlib.sha256(pdf).hexdigest()))
    db.session.commit()
    browser.login(learner)
    page = browser.get("/learn/")
    assert "Your certificate of attendance is ready" in next_steps(page)
    assert 'href="/learn/certificates"' in html(page)


def test_after_the_last_session_it_points_to_certificates_without_judging(browser):
    academy = make_academy(first_start=utcnow() - timedelta(days=20))
    learner = make_user("Late Learner")
    enrol(learner, academy)
    browser.login(learner)
    steps = next_steps(browser.get("/learn/"))
    assert "All the live sessions have taken place. Certificates of attendance are issued after the last one" in steps


def test_states_are_words_and_a_facilitator_gets_no_learner_steps(browser, learner, academy, make_browser):
    make_reading(academy, "Untouched")
    browser.login(learner)
    page = browser.get("/learn/")
    listing = html(page)[html(page).index('class="reading-list"'):]
    assert "Not started" in listing and "Reflection not written yet" in listing
    assert ">Open<" not in listing and "badge" not in listing

    facilitator = make_user("Dana Whitfield")
    enrol(facilitator, academy, role="facilitator")
    other = make_browser()
    other.login(facilitator)
    page = other.get("/learn/")
    assert "What to do next" not in html(page)
    assert "Open to learners" in html(page)
