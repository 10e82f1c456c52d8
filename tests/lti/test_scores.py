"""Results reach the course's gradebook: recorded when they change, queued as the change commits, sent by
post_due_scores to the platform's AGS endpoint (lti1p3platform's token check, on loopback), retried with a
growing wait when it is down, and never sent twice."""
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti.models import LtiContext, LtiScorePost
from lms.lti.scores import CLAIM_TIME, _claim, post_due_scores, record_score
from tests.factories import make_academy


@pytest.fixture
def ada(platform, browser):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    platform.tool_key_set = browser.get("/lti/jwks").get_json()
    assert platform.launch(browser)[0].status_code == 302
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == "ada@example.org")), academy


def test_scores_arrive_at_the_platform_once(platform, ada, runner):
    user, academy = ada
    assert db.session.scalar(select(LtiContext.lineitems_url)) == platform.lineitems_url
    assert record_score(user, academy.id, "readings", 1, 3) == 1
    assert record_score(user, academy.id, "readings", 1, 3) == 0  # the same value again: kept once
    record_score(user, academy.id, "certificate", 1, 1)
    db.session.commit()
    assert post_due_scores()["posted"] == 2
    assert [(s["lineitem"], s["scoreGiven"], s["scoreMaximum"], s["userId"]) for s in platform.scores] == [
        ("Readings finished", 1, 3, "u-1"), ("Certificate issued", 1, 1, "u-1")]
    assert sorted(item["label"] for item in platform.line_items.values()) == ["Certificate issued",
                                                                              "Readings finished"]
    assert post_due_scores()["posted"] == 0 and len(platform.scores) == 2  # a second run sends nothing again

    record_score(user, academy.id, "readings", 3, 3)
    db.session.commit()
    post_due_scores()
    assert platform.scores[-1]["scoreGiven"] == 3 and platform.scores[-1]["activityProgress"] == "Completed"
    assert len(platform.line_items) == 2  # the existing column is found by its tag, not made again


def test_a_platform_that_is_down_is_tried_again_later(platform, ada):
    user, academy = ada
    record_score(user, academy.id, "reflections", 1, 2)
    db.session.commit()
    platform.ags_down = True
    now = utcnow()
    assert post_due_scores(now) == {"posted": 0, "retry": 1, "failed": 0}
    post = db.session.scalar(select(LtiScorePost))
    assert post.status == "pending" and post.next_attempt_at > now
    assert post_due_scores(now)["retry"] == 0  # not yet due
    platform.ags_down = False
    assert post_due_scores(now + timedelta(minutes=3))["posted"] == 1
    assert platform.scores[0]["lineitem"] == "Reflections submitted"


def test_a_value_that_changes_back_is_sent_again(platform, ada):
    user, academy = ada
    for value in (1, 0, 1):  # a certificate issued, revoked, issued again
        record_score(user, academy.id, "certificate", value, 1)
        db.session.commit()
        assert post_due_scores()["posted"] == 1
    assert [s["scoreGiven"] for s in platform.scores] == [1, 0, 1]
    assert db.session.scalar(select(func.count()).select_from(LtiScorePost)) == 1  # one row, the latest value


def test_a_post_is_claimed_once_and_taken_again_when_its_worker_died(platform, ada):
    user, academy = ada
    record_score(user, academy.id, "readings", 1, 1)
    db.session.commit()
    post_id = db.session.scalar(select(LtiScorePost.id))
    now = utcnow()
    assert _claim(post_id, now) is True
    assert _claim(post_id, now) is False  # a second worker (or a retried job) finds it taken
    assert post_due_scores(now)["posted"] == 0 and platform.scores == []
    later = now + CLAIM_TIME + timedelta(seconds=1)  # the first worker was killed before it settled the post
    assert post_due_scores(later)["posted"] == 1 and len(platform.scores) == 1


def test_finishing_a_reading_on_the_web_sends_the_score_at_once(platform, ada, browser):
    from tests.factories import make_reading

    user, academy = ada
    reading = make_reading(academy, "One")
    db.session.commit()
    response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    # The test suite's queue runs each task as it is queued; a worker does the same moments later.
    assert [(s["lineitem"], s["scoreGiven"], s["scoreMaximum"]) for s in platform.scores] == [
        ("Readings finished", 1, 1)]
    browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})  # a double click: nothing new to send
    assert len(platform.scores) == 1


def test_a_change_rolled_back_is_not_sent(platform, ada):
    from lms.readings.models import ReadingProgress
    from tests.factories import make_reading

    user, academy = ada
    reading = make_reading(academy, "One")
    db.session.commit()
    db.session.add(ReadingProgress(user_id=user.id, reading_id=reading.id, opened_at=utcnow(), finished_at=utcnow()))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert platform.scores == []


def test_results_are_read_from_the_academy_and_sent_by_the_job(platform, ada, runner):
    from lms.readings.models import ReadingProgress
    from tests.factories import make_reading

    user, academy = ada
    first, _second = make_reading(academy, "One"), make_reading(academy, "Two")
    # Written here without the session's knowledge (as a bulk UPDATE would), so only the periodic job finds it.
    db.session.execute(insert(ReadingProgress).values(user_id=user.id, reading_id=first.id, opened_at=utcnow(),
                                                      finished_at=utcnow()))
    db.session.commit()
    assert platform.scores == []
    result = runner.invoke(args=["lms", "lti", "post-scores"])
    assert "1 sent" in result.output, result.output
    assert [(s["lineitem"], s["scoreGiven"], s["scoreMaximum"]) for s in platform.scores] == [
        ("Readings finished", 1, 2)]
    assert "0 sent" in runner.invoke(args=["lms", "lti", "post-scores"]).output  # nothing changed, nothing sent


def test_a_change_refreshes_only_the_people_it_is_about(platform, ada, browser, make_browser, runner):
    from lms.readings.models import ReadingProgress
    from tests.factories import make_reading

    user, academy = ada
    bo_browser = make_browser()
    assert platform.launch(bo_browser, sub="u-2", name="Bo Learner", email="bo@example.org")[0].status_code == 302
    bo = db.session.scalar(select(User).where(User.email == "bo@example.org"))
    reading = make_reading(academy, "One")
    db.session.commit()
    # Bo's reading is finished behind the session's back: only the periodic job can find it.
    db.session.execute(insert(ReadingProgress).values(user_id=bo.id, reading_id=reading.id, opened_at=utcnow(),
                                                      finished_at=utcnow()))
    db.session.commit()
    browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})  # Ada's click
    assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("u-1", 1)]  # Ada's alone
    runner.invoke(args=["lms", "lti", "post-scores"])
    assert sorted((s["userId"], s["scoreGiven"]) for s in platform.scores) == [("u-1", 1), ("u-2", 1)]


def test_an_academy_whose_data_expired_leaves_the_gradebook_as_it_was(platform, ada, browser, runner):
    from lms.privacy.retention import expire_academy
    from tests.factories import make_reading

    user, academy = ada
    reading = make_reading(academy, "One")
    db.session.commit()
    browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
    assert [s["scoreGiven"] for s in platform.scores] == [1]
    expire_academy(db.session.get(type(academy), academy.id), utcnow())  # its progress is deleted
    db.session.commit()
    runner.invoke(args=["lms", "lti", "post-scores"])
    assert [s["scoreGiven"] for s in platform.scores] == [1]  # no zero for work that was done
