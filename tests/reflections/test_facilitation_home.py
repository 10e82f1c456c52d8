"""A facilitator lands on their facilitation page with the count waiting; what their group means is said."""
import re

from lms.accounts.services import issue_token
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.reflections.models import Reflection
from tests.factories import enrol, make_reading, make_user
from tests.helpers import path_of, signed_in, text_of

GROUP_NOTE = "Groups share out the work; they do not limit what you see"


def submitted(user, reading, status="submitted"):
    db.session.add(Reflection(user_id=user.id, reading_id=reading.id, body="Words", status=status,
                              submitted_at=utcnow(), version_count=1))
    db.session.commit()


def test_a_facilitator_signs_in_to_the_reflections_waiting_for_them(browser, academy):
    reading = make_reading(academy)
    dana = make_user("Dana Whitfield")
    enrol(dana, academy, role="facilitator", group="Oslo")
    for name, group in [("Ingrid Solberg", "Oslo"), ("Aisha Rahman", "London"), ("Wei Ling Tan", "")]:
        learner = make_user(name)
        enrol(learner, academy, group=group)
        submitted(learner, reading)
    reviewed = make_user("Marcus Boudreaux")
    enrol(reviewed, academy, group="Oslo")
    submitted(reviewed, reading, status="reviewed")

    response = browser.login(dana)
    assert path_of(response.location) == "/facilitate/"
    page = text_of(browser.get("/facilitate/"))
    assert "3 reflections are waiting for review." in page
    assert "3 reflections awaiting review (1 in your group, Oslo)" in page
    assert f"{GROUP_NOTE}. Your pages open on your group, Oslo" in page


def test_learners_and_admins_land_where_they_did(make_browser, academy):
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    admin = make_user("Ada Admin", is_admin=True)
    assert path_of(make_browser().login(learner).location) == "/learn/"
    assert path_of(make_browser().login(admin).location) == "/admin/"


def test_a_facilitator_accepting_the_invitation_lands_on_the_facilitation_page(browser, academy):
    dana = make_user("Dana Whitfield", password=False)
    enrol(dana, academy, role="facilitator")
    link = f"/auth/invitation/{issue_token(dana, 'invitation')}"
    db.session.commit()
    browser.get(link)
    response = browser.post(link, {"password": "harbour compass orchard", "confirm": "harbour compass orchard"})
    assert path_of(response.location) == "/facilitate/"
    assert "0 reflections are waiting for review." in text_of(browser.get("/facilitate/"))


def test_the_queue_and_the_progress_page_say_what_a_group_means(make_browser, academy):
    reading = make_reading(academy)
    dana = make_user("Dana Whitfield")
    enrol(dana, academy, role="facilitator", group="Oslo")
    aisha = make_user("Aisha Rahman")
    enrol(aisha, academy, group="London")
    submitted(aisha, reading)
    browser = signed_in(make_browser, dana)

    for path in (f"/facilitate/academies/{academy.id}/reviews", f"/facilitate/academies/{academy.id}/progress"):
        page = text_of(browser.get(path))
        assert (f"{GROUP_NOTE}: this page opens on your group, Oslo, and “All groups” shows every learner of "
                "the academy.") in page
        assert "Aisha Rahman" not in page  # her group is not the default
        assert "Aisha Rahman" in text_of(browser.get(f"{path}?group="))  # but nothing hides her

    # Without a group of their own, the rule is said all the same.
    fran = make_user("Fran Facilitator")
    enrol(fran, academy, role="facilitator")
    page = text_of(signed_in(make_browser, fran).get(f"/facilitate/academies/{academy.id}/reviews"))
    assert f"{GROUP_NOTE}." in page and "Aisha Rahman" in page
    assert re.search(r"opens on your group", page) is None
