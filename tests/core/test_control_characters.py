"""NUL and other control characters are refused in names and text fields, on every page and in files and commands."""
import io

import pytest
from sqlalchemy import select

from lms.academies.models import Enrolment
from lms.accounts.models import User
from lms.core.extensions import db
from lms.reflections.models import Reflection
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import html, sign_in_admin, text_of

REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


@pytest.fixture
def reading():
    return make_reading(make_academy())


@pytest.fixture
def learner(reading):
    user = make_user("Wei Ling Tan")
    enrol(user, reading.academy)
    return user


def saved_reflection(user):
    db.session.expire_all()
    return db.session.scalar(select(Reflection).where(Reflection.user_id == user.id))


@pytest.mark.parametrize("character", REFUSED)
def test_a_reflection_with_a_control_character_is_refused_and_comes_back_without_it(browser, reading, learner,
                                                                                    character):
    browser.login(learner)
    page = f"http://localhost/learn/readings/{reading.id}"
    browser.get(page)
    response = browser.post(f"/learn/readings/{reading.id}/reflection",
                            {"body": f"Peer support{character} changed how I listen.", "action": "draft"},
                            headers={"Referer": page})
    assert response.status_code == 400
    assert saved_reflection(learner) is None
    assert "invisible control character" in text_of(response)
    assert "“body”" in text_of(response)
    # What was typed comes back without the character, in a form that sends it again.
    assert "Peer support changed how I listen." in html(response)
    assert character not in html(response)
    assert f'action="/learn/readings/{reading.id}/reflection"' in html(response)


def test_line_breaks_and_tabs_are_ordinary_writing(browser, reading, learner):
    browser.login(learner)
    browser.get(f"/learn/readings/{reading.id}")
    response = browser.post(f"/learn/readings/{reading.id}/reflection",
                            {"body": "First thought.\r\n\r\n\tSecond thought.", "action": "draft"})
    assert response.status_code == 302
    assert saved_reflection(learner).body.startswith("First thought.")


def test_a_name_with_nul_is_refused_on_the_account_page(browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    browser.get("/auth/account")
    response = browser.post("/auth/account", {"details-full_name": "Ingrid\x00 Solberg",
                                              "details-timezone": "Europe/Oslo"})
    assert response.status_code == 400
    assert "invisible control character" in text_of(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Ingrid Solberg"


def test_control_characters_in_an_address_or_its_query_are_refused(browser):
    sign_in_admin(browser)
    academy = make_academy()
    assert browser.get(f"/facilitate/academies/{academy.id}/reviews?group=a%00b").status_code == 400
    assert browser.get(f"/facilitate/academies/{academy.id}/progress?gr%00oup=a").status_code == 400
    assert browser.get("/verify/AB%00CD").status_code == 400


def test_a_roster_name_with_a_control_character_is_refused_with_its_line(browser):
    sign_in_admin(browser)
    academy = make_academy()
    roster = b"full_name,email\nMarcus Boudreaux,marcus@example.org\nEve\x00 Evans,eve@example.org\n"
    response = browser.post(f"/admin/academies/{academy.id}/people/import",
                            data={"roster": (io.BytesIO(roster), "roster.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Row 3" in text_of(response) and "invisible control character" in text_of(response)
    assert db.session.scalars(select(Enrolment)).all() == []


def test_a_group_with_a_control_character_is_refused_in_a_roster(browser):
    sign_in_admin(browser)
    academy = make_academy()
    roster = b"full_name,email,group\nMarcus Boudreaux,marcus@example.org,North\x1b\n"
    response = browser.post(f"/admin/academies/{academy.id}/people/import",
                            data={"roster": (io.BytesIO(roster), "roster.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "invisible control character" in text_of(response)


def test_create_admin_refuses_a_name_with_a_control_character(runner):
    result = runner.invoke(args=["lms", "create-admin", "--email", "ada@example.org", "--name", "Ada\x07 Lovelace",
                                 "--password", "purple walrus teaches algebra"])
    assert result.exit_code != 0
    assert "invisible control character" in result.output
    assert db.session.scalars(select(User)).all() == []
