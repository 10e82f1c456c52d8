"""The learner's path: dashboard in their own zone, reading pages, finishing, reflections, privacy."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.academies.models import Academy, LiveSession
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings import services as learning
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection
from tests.factories import aware, enrol, make_academy, make_reading, make_user
from tests.helpers import html as page  # `html` names the page's text in the tests here


@pytest.fixture
def academy():
    return make_academy()


@pytest.fixture
def learner(academy):
    user = make_user("Wei Ling Tan", timezone="Asia/Singapore")
    enrol(user, academy)
    return user


# --- dashboard -------------------------------------------------------------------------------

def test_dashboard_shows_next_session_in_learner_zone_with_reference_zones(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=3))
    session_one = academy.live_sessions[0]
    session_one.starts_at = aware(2030, 4, 17, 14, 0)  # 10:00 in New York
    academy.live_sessions[1].starts_at = aware(2030, 5, 2, 14, 0)
    db.session.commit()
    user = make_user("Wei Ling Tan", timezone="Asia/Singapore")
    enrol(user, academy)
    browser.login(user)
    html = page(browser.get("/learn/"))
    assert "Next live session" in html and "Session One" in html
    assert "Wednesday 17 April 2030, 22:00" in html  # the learner's own zone
    assert "New York</span> 10:00" in html
    assert "London</span> 15:00" in html
    assert "Singapore</span> 22:00" in html
    assert "Starts in" in html and "days" in html
    assert 'href="https://meet.example.org/one"' in html


def test_dashboard_counts_down_and_says_when_a_session_is_happening(browser, learner, academy):
    academy.live_sessions[1].starts_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    browser.login(learner)
    html = page(browser.get("/learn/"))
    assert "Happening now" in html and "Session Two" in html


def test_session_calendar_file(browser, learner, academy):
    browser.login(learner)
    session_two = academy.live_sessions[1]
    response = browser.get(f"/learn/sessions/{session_two.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = page(response)
    assert "BEGIN:VEVENT" in body
    assert f"DTSTART:{session_two.starts_at:%Y%m%dT%H%M%S}Z" in body
    assert "Session Two" in body and "https://meet.example.org/two" in body


def test_calendar_of_another_academy_is_not_found(browser, learner):
    other = make_academy("Another academy")
    browser.login(learner)
    assert browser.get(f"/learn/sessions/{other.live_sessions[0].id}.ics").status_code == 404


def test_dashboard_lists_readings_with_their_states(browser, learner, academy):
    future = utcnow() + timedelta(days=3)
    finished = make_reading(academy, "Finished one")
    drafted = make_reading(academy, "Drafted one")
    make_reading(academy, "Untouched one")
    make_reading(academy, "Later one", opens_at=future)
    db.session.add(ReadingProgress(user_id=learner.id, reading_id=finished.id, opened_at=utcnow(),
                                   finished_at=utcnow()))
    db.session.add(Reflection(user_id=learner.id, reading_id=finished.id, body="Done.", status="submitted",
                              submitted_at=utcnow()))
    db.session.add(Reflection(user_id=learner.id, reading_id=drafted.id, body="Half", status="draft"))
    db.session.commit()
    browser.login(learner)
    html = page(browser.get("/learn/"))
    assert "You have finished 1 of 4 readings" in html
    assert "Reflection submitted" in html
    assert "Reflection draft saved" in html
    assert "Reflection not written yet" in html
    assert "Opens " in html
    # A reading that is not open yet is not a link.
    assert f'/learn/readings/{finished.id}"' in html
    assert "Later one</span>" in html


def test_learner_dashboard_query_count_does_not_grow(browser, learner, academy, make_browser, count_queries):
    make_reading(academy, "One")
    browser.login(learner)
    browser.get("/learn/")
    with count_queries() as small:
        assert browser.get("/learn/").status_code == 200

    for number in range(12):
        reading = make_reading(academy, f"Reading {number}")
        db.session.add(ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=utcnow()))
        db.session.add(Reflection(user_id=learner.id, reading_id=reading.id, body="x", status="draft"))
    for number in range(30):
        enrol(make_user(f"Learner {number}"), academy)
    db.session.add(LiveSession(academy=academy, title="Extra", starts_at=utcnow() + timedelta(days=30),
                               duration_minutes=60))
    db.session.commit()
    db.session.expire_all()
    # The first page after a change to the academy's content reads that content again (academy, sessions,
    # readings: services/outline.py); the next ones do not.
    with count_queries() as reload:
        page = browser.get("/learn/")
    assert "Reading 11" in page.text and "Extra" in page.text
    assert len(reload) == len(small) + 3, (small, reload)
    with count_queries() as large:
        assert browser.get("/learn/").status_code == 200
    assert len(large) == len(small), (small, large)


def test_a_reading_deleted_while_its_page_is_being_made_gives_no_error(learner, academy):
    reading = make_reading(academy)
    loaded = learning.load_reading(learner, reading.id)
    db.session.delete(db.session.get(Reading, reading.id))
    db.session.commit()

    state = learning.reading_state(learner, loaded, utcnow())
    assert state.progress is None and state.reflection is None and state.feedback == []


def test_reading_page_query_count_does_not_grow(browser, learner, academy, count_queries):
    url = f"/learn/readings/{make_reading(academy).id}"
    browser.login(learner)
    browser.get(url)
    with count_queries() as small:
        browser.get(url)
    for number in range(12):
        make_reading(academy, f"Reading {number}")
    for number in range(30):
        enrol(make_user(f"Learner {number}"), academy)
    browser.get(url)  # reads the academy's changed content once (services/outline.py)
    with count_queries() as large:
        browser.get(url)
    assert len(large) == len(small), "\n".join(s.split("\n")[0][:80] + " | " + s.split("FROM")[-1][:60].replace("\n", " ") for s in small + ["----"] + large)


# --- reading pages ---------------------------------------------------------------------------

def test_reading_before_it_opens_shows_only_title_and_opening_time(browser, learner, academy):
    reading = make_reading(academy, "Not yet", opens_at=aware(2031, 1, 2, 9, 0))
    browser.login(learner)
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "Not yet" in html
    assert "opens on <strong>Thursday 2 January 2031, 17:00</strong>" in html  # Singapore time
    assert "Some <em>text</em>" not in html
    assert "What did this make you think of?" not in html
    assert db.session.scalar(select(func.count()).select_from(ReadingProgress)) == 0


def test_opening_a_reading_records_it_once(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "Some <em>text</em> about peer support." in html
    first = db.session.scalar(select(ReadingProgress))
    assert first.opened_at is not None and first.finished_at is None
    opened_at = first.opened_at
    browser.get(f"/learn/readings/{reading.id}")
    db.session.expire_all()
    rows = db.session.scalars(select(ReadingProgress)).all()
    assert len(rows) == 1 and rows[0].opened_at == opened_at


def test_finish_and_undo(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    browser.get(f"/learn/readings/{reading.id}")
    response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
    assert response.status_code == 302
    # A double click finishes it once, not twice.
    browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "You marked this reading finished" in html
    assert db.session.scalar(select(ReadingProgress.finished_at)) is not None
    browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "no"})
    db.session.expire_all()
    assert db.session.scalar(select(ReadingProgress.finished_at)) is None
    assert "finished this reading</button>" in page(browser.get(f"/learn/readings/{reading.id}"))


def test_cannot_finish_a_reading_before_it_opens(browser, learner, academy):
    reading = make_reading(academy, opens_at=utcnow() + timedelta(days=2))
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"}, follow_redirects=True)
    assert "not open yet" in page(response)
    assert db.session.scalar(select(func.count()).select_from(ReadingProgress)) == 0


def test_finishing_needs_a_csrf_token(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ReadingProgress)) == 0


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


# --- reflections -----------------------------------------------------------------------------

def test_save_draft_then_submit(browser, learner, academy):
    reading = make_reading(academy, min_words=3, max_words=50)
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "Only two", "action": "draft"})
    assert response.status_code == 302
    reflection = db.session.scalar(select(Reflection))
    assert reflection.status == "draft" and reflection.body == "Only two"
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "Only two</textarea>" in html and "Draft" in html
    assert "Between 3 and 50 words." in html

    response = browser.post(f"/learn/readings/{reading.id}/reflection",
                            {"body": "Now it has five words", "action": "submit"})
    assert response.status_code == 302
    db.session.expire_all()
    reflection = db.session.scalar(select(Reflection))
    assert reflection.status == "submitted" and reflection.submitted_at is not None
    assert "Submitted" in page(browser.get(f"/learn/readings/{reading.id}"))


def test_submit_below_minimum_keeps_the_text_and_says_why(browser, learner, academy):
    reading = make_reading(academy, min_words=10)
    browser.login(learner)
    typed = "Too short <b>but</b> mine"
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": typed, "action": "submit"})
    assert response.status_code == 400
    html = page(response)
    assert "has 4 words; write at least 10" in html
    assert "Too short &lt;b&gt;but&lt;/b&gt; mine</textarea>" in html  # kept, and escaped
    assert db.session.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_refused_reflection_comes_back_at_the_top_with_a_summary_linking_to_the_box(browser, learner, academy):
    """On a phone the reading's text is thousands of pixels long: the summary and the box come first."""
    reading = make_reading(academy, min_words=10)
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "Four short words here",
                                                                        "action": "submit"})
    assert response.status_code == 400
    html = page(response)
    assert "<title>Error: " in html
    summary = html.index('class="error-summary"')
    box = html.index("<textarea")
    text = html.index('class="reading-body"')
    assert html.index("<main") < summary < html.index("<h1") < box < text
    assert "There is a problem" in html
    assert 'href="#body"' in html[summary:box] and 'id="body"' in html[box:text]
    assert "has 4 words; write at least 10" in html[summary:box]
    assert "autofocus" in html[summary:html.index("There is a problem")]  # focused without JavaScript
    assert "Four short words here</textarea>" in html
    # The page as it normally is: the text first, no summary.
    normal = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "error-summary" not in normal
    assert normal.index('class="reading-body"') < normal.index("<textarea")


def test_over_the_maximum_is_refused_even_as_draft(browser, learner, academy):
    reading = make_reading(academy, max_words=3)
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/reflection",
                            {"body": "one two three four", "action": "draft"})
    assert response.status_code == 400
    assert "the most is 3" in page(response)
    assert "one two three four</textarea>" in page(response)


def test_empty_submission_is_refused(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "   ", "action": "submit"})
    assert response.status_code == 400
    assert "Write your reflection before submitting it." in page(response)


def test_submitted_reflection_stays_submitted_when_edited(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "First words", "action": "submit"})
    browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "Better words", "action": "draft"})
    reflection = db.session.scalar(select(Reflection))
    db.session.refresh(reflection)
    assert reflection.status == "submitted" and reflection.body == "Better words"


def test_reflection_is_read_only_after_the_reading_closes(browser, learner, academy):
    reading = make_reading(academy, closes_at=utcnow() - timedelta(minutes=1))
    db.session.add(Reflection(user_id=learner.id, reading_id=reading.id, body="What I wrote", status="submitted",
                              submitted_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    browser.login(learner)
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "can no longer be changed" in html
    assert "What I wrote" in html and "<textarea" not in html
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "Late change", "action": "submit"})
    assert response.status_code == 400
    assert "has closed" in page(response)
    db.session.expire_all()
    assert db.session.scalar(select(Reflection.body)) == "What I wrote"


def test_expired_login_does_not_lose_the_reflection(browser, learner, academy):
    reading = make_reading(academy)
    browser.login(learner)
    browser.get(f"/learn/readings/{reading.id}")
    token = browser.token()
    # The login session ends (cookie expired or cleared) while the learner is typing.
    browser.client.delete_cookie("session")
    browser._token = None
    typed = "A long reflection written over an hour."
    response = browser.post(f"/learn/readings/{reading.id}/reflection",
                            {"body": typed, "action": "submit", "csrf_token": token})
    html = page(response)
    assert response.status_code == 400
    assert typed in html  # shown again, with a fresh form to send it
    # Sending that form (now anonymous) leads to the sign-in page that carries the text.
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": typed, "action": "submit"})
    assert response.status_code == 401
    html = page(response)
    assert "your reflection will be saved as a draft" in html
    assert typed in html
    form_token = browser.token()
    response = browser.post("/auth/login", {
        "email": learner.email, "password": "correct horse battery", "csrf_token": form_token,
        "carry_reading": str(reading.id), "carry_body": typed,
        "next": f"/learn/readings/{reading.id}",
    })
    assert response.status_code == 302
    reflection = db.session.scalar(select(Reflection))
    assert reflection.body == typed and reflection.status == "draft"


# --- who sees what ---------------------------------------------------------------------------

def test_learner_of_another_academy_sees_nothing(browser, learner, academy):
    reading = make_reading(academy)
    db.session.add(Reflection(user_id=learner.id, reading_id=reading.id, body="Private thoughts", status="draft"))
    db.session.commit()
    outsider = make_user("Outsider")
    enrol(outsider, make_academy("Other academy"))
    browser.login(outsider)
    assert "Peer Mentoring" not in page(browser.get("/learn/"))
    assert browser.get(f"/learn/readings/{reading.id}").status_code == 404
    assert browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"}).status_code == 404
    assert browser.post(f"/learn/readings/{reading.id}/reflection",
                        {"body": "x", "action": "draft"}).status_code == 404
    assert browser.get("/learn/readings/99999").status_code == 404


def test_a_learner_sees_only_their_own_reflection(browser, learner, academy):
    reading = make_reading(academy)
    classmate = make_user("Classmate")
    enrol(classmate, academy)
    db.session.add(Reflection(user_id=classmate.id, reading_id=reading.id, body="Classmate's secret",
                              status="submitted", submitted_at=utcnow()))
    db.session.commit()
    browser.login(learner)
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "Classmate&#39;s secret" not in html and "Classmate's secret" not in html
    browser.post(f"/learn/readings/{reading.id}/reflection", {"body": "Mine", "action": "draft"})
    bodies = {row.user_id: row.body for row in db.session.scalars(select(Reflection))}
    assert bodies == {classmate.id: "Classmate's secret", learner.id: "Mine"}


def test_facilitator_reads_but_cannot_write_a_reflection(browser, academy):
    reading = make_reading(academy)
    facilitator = make_user("Dana Whitfield")
    enrol(facilitator, academy, role="facilitator")
    browser.login(facilitator)
    html = page(browser.get(f"/learn/readings/{reading.id}"))
    assert "Some <em>text</em>" in html and "Save draft" not in html
    assert browser.post(f"/learn/readings/{reading.id}/reflection",
                        {"body": "x", "action": "draft"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ReadingProgress)) == 0
