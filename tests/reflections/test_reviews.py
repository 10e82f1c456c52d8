"""Reviewing reflections through the web: who sees what, the queue, feedback, revisions and conflicts."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications.models import OutgoingMail
from lms.readings.models import Reading
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.factories import enrol, learners_of, make_academy, make_reading, make_user
from tests.helpers import count, html, path_of, signed_in

SECRET = "My private worry about the night shift"
REFLECTION_LINK = re.compile(r'href="/facilitate/reflections/(\d+)"')


# --- helpers ---------------------------------------------------------------------------------

def hidden_value(response, name: str) -> str:
    """The value of the page's hidden input `name` ("" when it has none)."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html(response))
    assert tag, f"the page has no {name} input"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def textareas(response) -> list[str]:
    """What every textarea on the page holds."""
    found = re.findall(r"<textarea[^>]*>(.*?)</textarea>", html(response), re.S)
    return [unescape(text).strip() for text in found]


def textarea(response, name: str = "body") -> str | None:
    """What the page's textarea `name` holds, or None when the page has no such box."""
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html(response), re.S)
    return unescape(found.group(1)).strip() if found else None


def queue_ids(response) -> list[int]:
    """The reflections listed in a queue page, in the order shown."""
    return [int(found) for found in REFLECTION_LINK.findall(html(response))]


def submit_reflection(browser, reading, body: str, action: str = "submit"):
    response = browser.post(f"/learn/readings/{reading.id}/reflection", {"body": body, "action": action})
    assert response.status_code == 302, html(response)
    browser.get(path_of(response.location))  # as a browser follows the redirect (and shows its message)
    return response


def reflection_of(user, reading) -> Reflection:
    db.session.expire_all()
    return db.session.scalar(
        select(Reflection).where(Reflection.user_id == user.id, Reflection.reading_id == reading.id)
    )


def submitted(user, reading, body: str = "Some honest words.", days_ago: float = 1) -> Reflection:
    """A reflection submitted `days_ago` (version 1), as the learner's submit would leave it."""
    at = utcnow() - timedelta(days=days_ago)
    reflection = Reflection(user_id=user.id, reading_id=reading.id, body=body, status="submitted",
                            version_count=1, created_at=at, updated_at=at, submitted_at=at)
    reflection.versions = [ReflectionVersion(number=1, body=body, submitted_at=at)]
    db.session.add(reflection)
    db.session.commit()
    return reflection


def post_feedback(browser, reflection_id: int, body: str, action: str, seen: str | None = None):
    """Open the reflection page (for its token and seen_edit_count, unless given), then send feedback."""
    url = f"/facilitate/reflections/{reflection_id}"
    if seen is None:
        seen = hidden_value(browser.get(url), "seen_edit_count")
    return browser.post(url, {"body": body, "action": action, "seen_edit_count": seen})


def feedback_rows() -> list[Feedback]:
    db.session.expire_all()
    return db.session.scalars(select(Feedback).order_by(Feedback.id)).all()


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def reading(academy):
    return make_reading(academy, "On lived experience")


@pytest.fixture
def learner(academy):
    user = make_user("Wei Ling Tan", timezone="Asia/Singapore")
    enrol(user, academy, group="Blue")
    return user


@pytest.fixture
def facilitator(academy):
    user = make_user("Dana Whitfield")
    enrol(user, academy, role="facilitator")
    return user


@pytest.fixture
def learner_browser(make_browser, learner):
    return signed_in(make_browser, learner)


@pytest.fixture
def facilitator_browser(make_browser, facilitator):
    return signed_in(make_browser, facilitator)


@pytest.fixture
def reflection(learner_browser, learner, reading):
    """The learner's reflection, submitted through the reading page."""
    submit_reflection(learner_browser, reading, SECRET)
    return reflection_of(learner, reading)


# --- who sees what ---------------------------------------------------------------------------

OUTSIDER = {"home": 404, "queue": 404, "reflection": 404, "feedback": 404}
REVIEWER = {"home": 200, "queue": 200, "reflection": 200, "feedback": 302, "reading": 200}
EXPECTED = {
    "author": {**OUTSIDER, "reading": 200},
    "classmate": {**OUTSIDER, "reading": 200},
    "learner_elsewhere": {**OUTSIDER, "reading": 404},
    "facilitator_elsewhere": {**OUTSIDER, "home": 200, "reading": 404},
    "anonymous": {"home": 302, "queue": 302, "reflection": 302, "feedback": 302, "reading": 302},
    "facilitator": REVIEWER,
    "admin": REVIEWER,
}
# The pages on which each viewer may see the reflection's text.
SEES_TEXT = {"author": {"reading"}, "facilitator": {"reflection"}, "admin": {"reflection"}}


@pytest.fixture
def viewers(academy, learner, facilitator):
    elsewhere = make_academy("Another Academy")
    classmate = make_user("Marcus Boudreaux")
    enrol(classmate, academy, group="Blue")
    learner_elsewhere = make_user("Are Nilsen")
    enrol(learner_elsewhere, elsewhere)
    facilitator_elsewhere = make_user("Ingrid Solberg")
    enrol(facilitator_elsewhere, elsewhere, role="facilitator")
    return {
        "author": learner, "classmate": classmate, "learner_elsewhere": learner_elsewhere,
        "facilitator_elsewhere": facilitator_elsewhere, "anonymous": None, "facilitator": facilitator,
        "admin": make_user("Ada Admin", is_admin=True),
    }


@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_who_sees_a_submitted_reflection_on_every_facilitator_page_and_the_reading_page(
        make_browser, viewers, academy, reading, reflection, viewer):
    browser = make_browser()
    if viewers[viewer] is not None:
        browser.login(viewers[viewer])
    responses = {
        "home": browser.get("/facilitate/"),
        "queue": browser.get(f"/facilitate/academies/{academy.id}/reviews?state=all"),
        "reflection": browser.get(f"/facilitate/reflections/{reflection.id}"),
        "reading": browser.get(f"/learn/readings/{reading.id}"),
        "feedback": browser.post(f"/facilitate/reflections/{reflection.id}",
                                 {"body": "A note from someone", "action": "draft", "seen_edit_count": ""}),
    }

    statuses = {page: response.status_code for page, response in responses.items()}
    assert statuses == EXPECTED[viewer]
    for page, response in responses.items():
        if response.status_code == 302 and viewer == "anonymous":
            assert path_of(response.location) == "/auth/login", page
        shown = SECRET in html(response)
        assert shown == (page in SEES_TEXT.get(viewer, set())), page
    saved = feedback_rows()
    if EXPECTED[viewer]["feedback"] == 302 and viewer != "anonymous":
        assert [(f.author_id, f.body) for f in saved] == [(viewers[viewer].id, "A note from someone")]
    else:
        assert saved == []


def test_the_facilitator_of_another_academy_does_not_see_this_academy_on_their_home(
        make_browser, viewers, reflection):
    page = html(signed_in(make_browser, viewers["facilitator_elsewhere"]).get("/facilitate/"))

    assert "Another Academy" in page
    assert "Peer Mentoring" not in page


def test_a_draft_reflection_is_not_shown_to_facilitators_nor_in_the_queue(
        learner_browser, facilitator_browser, learner, academy, reading):
    submit_reflection(learner_browser, reading, SECRET, action="draft")
    draft = reflection_of(learner, reading)
    assert draft.status == "draft"

    assert facilitator_browser.get(f"/facilitate/reflections/{draft.id}").status_code == 404
    queue = facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews?state=all")
    assert queue.status_code == 200
    assert queue_ids(queue) == []
    assert "Wei Ling Tan" not in html(queue) and SECRET not in html(queue)
    facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews")
    refused = facilitator_browser.post(f"/facilitate/reflections/{draft.id}",
                                       {"body": "Early words", "action": "draft", "seen_edit_count": ""})
    assert refused.status_code == 404
    assert feedback_rows() == []


# --- facilitator home ------------------------------------------------------------------------

def awaiting_on_home(page: str, title: str) -> int:
    found = re.search(rf"<h2>{re.escape(title)}</h2>\s*<p class=\"awaiting\"><strong>(\d+)</strong>", page)
    assert found, f"{title} is not on the facilitator home"
    return int(found.group(1))


def test_facilitator_home_counts_the_reflections_awaiting_review_in_each_academy(
        facilitator_browser, facilitator, academy, reading):
    second_reading = make_reading(academy, "Boundaries and care")
    other = make_academy("Autumn Cohort")
    enrol(facilitator, other, role="facilitator")
    other_reading = make_reading(other, "Listening well")
    people = [make_user(f"Learner {number}") for number in range(4)]
    for person in people:
        enrol(person, academy)
    submitted(people[0], reading)
    submitted(people[1], reading)
    submitted(people[1], second_reading)
    db.session.add(Reflection(user_id=people[2].id, reading_id=reading.id, body="Half", status="draft"))
    db.session.commit()
    answered = submitted(people[3], reading)
    enrol(people[0], other)
    submitted(people[0], other_reading)
    assert post_feedback(facilitator_browser, answered.id, "Thank you.", "reviewed").status_code == 302

    page = html(facilitator_browser.get("/facilitate/"))

    assert awaiting_on_home(page, "Peer Mentoring") == 3
    assert awaiting_on_home(page, "Autumn Cohort") == 1
    assert "1 reflection awaiting review" in re.sub(r"</?strong>", "", page)


# --- the queue -------------------------------------------------------------------------------

def test_the_queue_lists_reflections_awaiting_review_first_and_oldest_first(
        facilitator_browser, academy, reading):
    names = ["Amara Okafor", "Bram de Vries", "Chen Jing"]
    people = learners_of(academy, *names)
    answered_long_ago = submitted(people[0], reading, days_ago=5)
    newer = submitted(people[1], reading, days_ago=1)
    older = submitted(people[2], reading, days_ago=3)
    assert post_feedback(facilitator_browser, answered_long_ago.id, "Thank you.", "reviewed").status_code == 302

    everything = facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews?state=all")
    awaiting = facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews")

    assert queue_ids(everything) == [older.id, newer.id, answered_long_ago.id]
    assert queue_ids(awaiting) == [older.id, newer.id]
    assert "2 reflections." in html(awaiting)


def test_the_queue_shows_fifty_a_page_with_the_total_and_a_page_past_the_end_shows_the_last(
        facilitator_browser, academy, reading):
    other_reading = make_reading(academy, "Boundaries and care")
    oldest_first = []
    for number in range(53):
        person = make_user(f"Learner {number:02d}")
        enrol(person, academy)
        oldest_first.append(submitted(person, reading, days_ago=60 - number).id)
        if number < 3:  # reviewed ones are counted only under their own state
            reviewed = submitted(person, other_reading, days_ago=70)
            reviewed.status = "reviewed"
    db.session.commit()
    url = f"/facilitate/academies/{academy.id}/reviews"

    first = facilitator_browser.get(url)
    assert queue_ids(first) == oldest_first[:50]
    assert "53 reflections." in html(first) and "Page 1 of 2" in html(first)
    second = facilitator_browser.get(f"{url}?page=2")
    assert queue_ids(second) == oldest_first[50:]
    assert "53 reflections." in html(second) and "Page 2 of 2" in html(second)
    past_the_end = facilitator_browser.get(f"{url}?page=9")
    assert queue_ids(past_the_end) == oldest_first[50:] and "Page 2 of 2" in html(past_the_end)
    far_past_the_end = facilitator_browser.get(f"{url}?page=99999999999999999999")
    assert far_past_the_end.status_code == 200 and "Page 2 of 2" in html(far_past_the_end)
    everything = facilitator_browser.get(f"{url}?state=all&page=2")
    assert "56 reflections." in html(everything) and len(queue_ids(everything)) == 6
    empty = facilitator_browser.get(f"{url}?state=revision_requested&page=3")
    assert "0 reflections." in html(empty) and queue_ids(empty) == []


def test_the_queue_filters_by_reading(facilitator_browser, learner, academy, reading):
    other_reading = make_reading(academy, "Boundaries and care")
    on_first = submitted(learner, reading)
    on_second = submitted(learner, other_reading)
    url = f"/facilitate/academies/{academy.id}/reviews"

    assert sorted(queue_ids(facilitator_browser.get(url))) == sorted([on_first.id, on_second.id])
    only_second = facilitator_browser.get(f"{url}?reading={other_reading.id}")
    assert queue_ids(only_second) == [on_second.id]
    assert f'<option value="{other_reading.id}" selected>' in html(only_second)


def test_the_queue_shows_the_facilitators_own_group_by_default_and_filters_by_group(
        make_browser, academy, reading):
    blue_facilitator = make_user("Dana Whitfield")
    enrol(blue_facilitator, academy, role="facilitator", group="Blue")
    by_group = {}
    for name, group in [("Blue One", "Blue"), ("Blue Two", "Blue"), ("Green One", "Green"), ("No Group", "")]:
        person = make_user(name)
        enrol(person, academy, group=group)
        by_group.setdefault(group, []).append(submitted(person, reading).id)
    browser = signed_in(make_browser, blue_facilitator)
    url = f"/facilitate/academies/{academy.id}/reviews"

    default = browser.get(url)
    assert sorted(queue_ids(default)) == sorted(by_group["Blue"])
    assert '<option value="Blue" selected>' in html(default)
    assert sorted(queue_ids(browser.get(f"{url}?group=Green"))) == by_group["Green"]
    everyone = browser.get(f"{url}?group=")
    assert sorted(queue_ids(everyone)) == sorted(sum(by_group.values(), []))


def test_a_facilitator_without_a_group_sees_every_group_by_default(facilitator_browser, academy, reading):
    ids = []
    for name, group in [("Blue One", "Blue"), ("Green One", "Green")]:
        person = make_user(name)
        enrol(person, academy, group=group)
        ids.append(submitted(person, reading).id)

    assert sorted(queue_ids(facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews"))) == ids


def test_the_queue_filters_by_state(facilitator_browser, academy, reading):
    people = {}
    for name in ["Awaiting Person", "Reviewed Person", "Revising Person", "Drafting Person"]:
        people[name] = make_user(name)
        enrol(people[name], academy)
    awaiting = submitted(people["Awaiting Person"], reading)
    reviewed = submitted(people["Reviewed Person"], reading)
    revising = submitted(people["Revising Person"], reading)
    db.session.add(Reflection(user_id=people["Drafting Person"].id, reading_id=reading.id, body="Not yet",
                              status="draft"))
    db.session.commit()
    assert post_feedback(facilitator_browser, reviewed.id, "Thank you.", "reviewed").status_code == 302
    assert post_feedback(facilitator_browser, revising.id, "Say more, please.",
                         "revision_requested").status_code == 302
    url = f"/facilitate/academies/{academy.id}/reviews"

    def shown(state):
        return sorted(queue_ids(facilitator_browser.get(f"{url}?state={state}")))

    assert shown("awaiting") == [awaiting.id]
    assert shown("reviewed") == [reviewed.id]
    assert shown("revision_requested") == [revising.id]
    assert shown("all") == sorted([awaiting.id, reviewed.id, revising.id])
    assert "Drafting Person" not in html(facilitator_browser.get(f"{url}?state=all"))


# --- feedback --------------------------------------------------------------------------------

def test_draft_feedback_is_not_shown_to_the_learner(facilitator_browser, learner_browser, reflection, reading):
    response = post_feedback(facilitator_browser, reflection.id, "Lovely, unfinished thoughts", "draft")

    assert response.status_code == 302
    assert path_of(response.location) == f"/facilitate/reflections/{reflection.id}"
    page = facilitator_browser.get(path_of(response.location))
    assert textarea(page) == "Lovely, unfinished thoughts"
    assert "The learner does not see drafts" in html(page)
    (draft,) = feedback_rows()
    assert draft.released_at is None and draft.decision is None
    assert reflection_of(reflection.user, reading).status == "submitted"

    assert "Lovely, unfinished thoughts" not in html(learner_browser.get(f"/learn/readings/{reading.id}"))
    dashboard = html(learner_browser.get("/learn/"))
    assert "Lovely, unfinished thoughts" not in dashboard
    assert "#feedback" not in dashboard
    assert count(OutgoingMail) == 0


def test_released_feedback_is_shown_to_the_learner_and_the_reflection_becomes_read_only(
        facilitator_browser, learner_browser, learner, reflection, reading, academy):
    post_feedback(facilitator_browser, reflection.id, "Lovely, unfinished thoughts", "draft")
    response = post_feedback(facilitator_browser, reflection.id, "Thank you for this careful piece.", "reviewed")

    assert response.status_code == 302
    assert path_of(response.location) == f"/facilitate/academies/{academy.id}/reviews"
    (released,) = feedback_rows()
    assert released.decision == "reviewed" and released.released_at is not None
    assert released.body == "Thank you for this careful piece."
    assert reflection_of(learner, reading).status == "reviewed"

    reading_page = html(learner_browser.get(f"/learn/readings/{reading.id}"))
    assert "Feedback from your facilitator" in reading_page
    assert "Thank you for this careful piece." in reading_page
    assert "Dana Whitfield" in reading_page
    assert "<textarea" not in reading_page
    dashboard = html(learner_browser.get("/learn/"))
    assert f'/learn/readings/{reading.id}#feedback">Read the feedback' in dashboard
    assert "Reflection reviewed" in dashboard

    refused = learner_browser.post(f"/learn/readings/{reading.id}/reflection",
                                   {"body": "A late change", "action": "submit"})
    assert refused.status_code == 400
    assert reflection_of(learner, reading).body == SECRET
    assert reflection_of(learner, reading).status == "reviewed"


def test_changing_a_reviewed_reflection_is_refused_with_a_clear_message(
        facilitator_browser, learner_browser, reflection, reading):
    post_feedback(facilitator_browser, reflection.id, "Thank you for this careful piece.", "reviewed")
    learner_browser.get(f"/learn/readings/{reading.id}")

    refused = learner_browser.post(f"/learn/readings/{reading.id}/reflection",
                                   {"body": "A late change", "action": "submit"})

    assert refused.status_code == 400
    assert "Your reflection has been reviewed, so it can no longer be changed." in unescape(html(refused))


def test_asking_for_a_revision_without_saying_what_to_change_is_refused(
        facilitator_browser, learner_browser, learner, reflection, reading):
    post_feedback(facilitator_browser, reflection.id, "Kept draft words", "draft")

    response = post_feedback(facilitator_browser, reflection.id, "  \n  ", "revision_requested")

    assert response.status_code == 400
    assert ("Say what you would like the learner to change before asking for a revision."
            in unescape(html(response)))
    assert textarea(response) == ""
    (draft,) = feedback_rows()
    assert (draft.body, draft.released_at, draft.edit_count) == ("Kept draft words", None, 1)
    assert reflection_of(learner, reading).status == "submitted"
    assert textarea(facilitator_browser.get(f"/facilitate/reflections/{reflection.id}")) == "Kept draft words"
    assert count(OutgoingMail) == 0


def test_a_revision_can_be_resubmitted_after_the_reading_closed_and_keeps_its_history(
        facilitator_browser, learner_browser, learner, reflection, reading, academy):
    asked = post_feedback(facilitator_browser, reflection.id, "Say more about the handover.", "revision_requested")
    assert asked.status_code == 302
    reading.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    page = learner_browser.get(f"/learn/readings/{reading.id}")
    assert "Say more about the handover." in html(page)
    assert "Revision asked" in html(page)
    assert "even though the reading has closed" in html(page)
    assert textarea(page) == SECRET
    assert "Revision asked" in html(learner_browser.get("/learn/"))

    submit_reflection(learner_browser, reading, "The handover is where I felt alone.")

    resubmitted = reflection_of(learner, reading)
    assert (resubmitted.status, resubmitted.version_count) == ("submitted", 2)
    versions = db.session.scalars(
        select(ReflectionVersion).where(ReflectionVersion.reflection_id == resubmitted.id)
        .order_by(ReflectionVersion.number)
    ).all()
    assert [(v.number, v.body) for v in versions] == [(1, SECRET), (2, "The handover is where I felt alone.")]

    queue = facilitator_browser.get(f"/facilitate/academies/{academy.id}/reviews")
    assert queue_ids(queue) == [resubmitted.id]
    assert "Awaiting review" in html(queue) and "version 2" in html(queue)

    review = facilitator_browser.get(f"/facilitate/reflections/{resubmitted.id}")
    history = html(review).split("<h2>History</h2>", 1)[1]
    assert "Version 1" in history and SECRET in history
    assert "Asked for a revision" in history and "Say more about the handover." in history
    assert "Version 2" in history and "The handover is where I felt alone." in history
    assert hidden_value(review, "seen_edit_count") == ""
    assert textarea(review) == ""

    assert post_feedback(facilitator_browser, resubmitted.id, "Much clearer now.", "reviewed").status_code == 302
    assert [(f.reflection_version, f.decision) for f in feedback_rows()] == [
        (1, "revision_requested"), (2, "reviewed")]
    assert reflection_of(learner, reading).status == "reviewed"


def test_a_learners_unsubmitted_revision_draft_is_not_shown_to_the_facilitator(
        facilitator_browser, learner_browser, learner, reflection, reading):
    post_feedback(facilitator_browser, reflection.id, "Say more about the handover.", "revision_requested")
    submit_reflection(learner_browser, reading, "Half-written private second try", action="draft")
    assert reflection_of(learner, reading).status == "revision_requested"

    page = html(facilitator_browser.get(f"/facilitate/reflections/{reflection.id}"))

    shown = page.split("<h2>The reflection</h2>", 1)[1].split("<h2>", 1)[0]
    assert SECRET in shown  # the submitted version 1
    assert "Half-written private second try" not in page


# --- two facilitators at once ----------------------------------------------------------------

@pytest.mark.parametrize("earlier_draft", [False, True], ids=["no-feedback-yet", "a-draft-already-there"])
def test_a_save_based_on_a_stale_page_is_refused_keeping_both_texts(
        make_browser, academy, facilitator, reflection, earlier_draft):
    colleague = make_user("Sam Okafor")
    enrol(colleague, academy, role="facilitator")
    a_browser = signed_in(make_browser, facilitator)
    b_browser = signed_in(make_browser, colleague)
    url = f"/facilitate/reflections/{reflection.id}"
    if earlier_draft:
        assert post_feedback(a_browser, reflection.id, "A first rough note.", "draft").status_code == 302
    seen_by_a = hidden_value(a_browser.get(url), "seen_edit_count")
    seen_by_b = hidden_value(b_browser.get(url), "seen_edit_count")
    assert seen_by_a == seen_by_b == ("1" if earlier_draft else "")

    assert post_feedback(a_browser, reflection.id, "A's careful words.", "draft", seen=seen_by_a).status_code == 302
    conflict = post_feedback(b_browser, reflection.id, "B's own thoughts.", "draft", seen=seen_by_b)

    assert conflict.status_code == 409
    assert textarea(conflict) == "B's own thoughts."
    page = unescape(html(conflict))
    assert "Saved meanwhile by Dana Whitfield" in page
    assert "A's careful words." in page
    assert "saved feedback on this reflection while you were writing" in page
    (saved,) = feedback_rows()
    assert saved.body == "A's careful words."
    assert saved.author_id == facilitator.id
    fresh_seen = hidden_value(conflict, "seen_edit_count")
    assert fresh_seen == str(saved.edit_count)

    merged = post_feedback(b_browser, reflection.id, "A's careful words. B's own thoughts.", "draft",
                           seen=fresh_seen)
    assert merged.status_code == 302
    (saved,) = feedback_rows()
    assert saved.body == "A's careful words. B's own thoughts."
    assert saved.author_id == colleague.id
    assert saved.edit_count == int(fresh_seen) + 1


@pytest.mark.parametrize("second_action", ["reviewed", "revision_requested"])
def test_a_second_release_from_a_stale_page_is_a_conflict_not_a_second_feedback(
        make_browser, academy, facilitator, learner, reflection, second_action):
    colleague = make_user("Sam Okafor")
    enrol(colleague, academy, role="facilitator")
    a_browser = signed_in(make_browser, facilitator)
    b_browser = signed_in(make_browser, colleague)
    url = f"/facilitate/reflections/{reflection.id}"
    assert hidden_value(a_browser.get(url), "seen_edit_count") == ""
    assert hidden_value(b_browser.get(url), "seen_edit_count") == ""

    assert post_feedback(a_browser, reflection.id, "A's verdict.", "reviewed", seen="").status_code == 302
    second = post_feedback(b_browser, reflection.id, "B's verdict.", second_action, seen="")

    assert second.status_code == 409
    assert "B's verdict." in textareas(second)  # kept for B to copy
    assert "A's verdict." in unescape(html(second))
    assert [(f.body, f.author_id, f.decision) for f in feedback_rows()] == [
        ("A's verdict.", facilitator.id, "reviewed")]
    assert reflection_of(learner, reflection.reading).status == "reviewed"
    assert count(OutgoingMail) == 1


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


# --- refusals --------------------------------------------------------------------------------

def test_a_stale_form_without_a_csrf_token_saves_nothing(facilitator_browser, learner, reflection, reading):
    facilitator_browser.get(f"/facilitate/reflections/{reflection.id}")

    response = facilitator_browser.post(f"/facilitate/reflections/{reflection.id}",
                                        {"body": "Words that must not be lost", "action": "reviewed",
                                         "seen_edit_count": ""}, csrf=False)

    assert response.status_code == 400
    assert "Words that must not be lost" in html(response)  # offered again to send
    assert feedback_rows() == []
    assert reflection_of(learner, reading).status == "submitted"
    assert count(OutgoingMail) == 0


def test_a_reflection_of_another_academy_is_not_found_by_a_guessed_id(facilitator_browser, reflection):
    elsewhere = make_academy("Another Academy")
    stranger = make_user("Are Nilsen")
    enrol(stranger, elsewhere)
    theirs = submitted(stranger, make_reading(elsewhere, "Elsewhere reading"), body="Not for Dana")
    facilitator_browser.get(f"/facilitate/reflections/{reflection.id}")

    assert facilitator_browser.get(f"/facilitate/reflections/{theirs.id}").status_code == 404
    assert facilitator_browser.get(f"/facilitate/academies/{elsewhere.id}/reviews").status_code == 404
    refused = facilitator_browser.post(f"/facilitate/reflections/{theirs.id}",
                                       {"body": "Guessing", "action": "reviewed", "seen_edit_count": ""})
    assert refused.status_code == 404
    assert "Not for Dana" not in html(refused)
    assert feedback_rows() == []
    assert facilitator_browser.get("/facilitate/reflections/999999").status_code == 404


# --- mail on release -------------------------------------------------------------------------

def test_releasing_feedback_queues_one_message_for_the_learner_even_if_the_post_is_sent_again(
        facilitator_browser, learner, reflection, reading):
    url = f"/facilitate/reflections/{reflection.id}"
    facilitator_browser.get(url)
    form = {"body": "Thank you for this careful piece.", "action": "reviewed", "seen_edit_count": ""}

    first = facilitator_browser.post(url, form)
    again = facilitator_browser.post(url, form)

    assert first.status_code == 302
    assert again.status_code in (302, 400, 409)
    db.session.expire_all()
    messages = db.session.scalars(select(OutgoingMail)).all()
    assert [(m.kind, m.to_address, m.status) for m in messages] == [
        ("feedback_released", learner.email, "pending")]
    assert messages[0].subject == "You have feedback: On lived experience"
    assert "Dana Whitfield has answered your reflection" in messages[0].body
    assert f"/learn/readings/{reading.id}#feedback" in messages[0].body
    assert len(feedback_rows()) == 1


def test_a_draft_queues_no_mail_and_a_revision_request_says_so(facilitator_browser, learner, reflection):
    post_feedback(facilitator_browser, reflection.id, "Still thinking.", "draft")
    assert count(OutgoingMail) == 0

    post_feedback(facilitator_browser, reflection.id, "Say more, please.", "revision_requested")

    message = db.session.scalar(select(OutgoingMail))
    assert message.kind == "feedback_released" and message.to_address == learner.email
    assert message.subject == "Please revise your reflection: On lived experience"
    assert "They ask you to revise it" in message.body
