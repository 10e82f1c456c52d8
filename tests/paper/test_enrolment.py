"""Enrolling a learner without email, on paper: by the people page and by roster; no link, no mail, ever."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.notifications import outbox
from lms.notifications.models import OutgoingMail
from tests.factories import enrol, make_academy, make_paper_learner, make_reading, make_user
from tests.helpers import admin_signed_in, html, text_of

UNIT = "Oslo prison — unit B"


@pytest.fixture
def academy():
    academy = make_academy(home_timezone="Europe/Oslo")
    make_reading(academy, "On lived experience")
    return academy


def paper_people() -> list[User]:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email.is_(None)).order_by(User.full_name)).all()


def test_an_admin_enrols_a_learner_on_paper_from_the_people_page(make_browser, academy):
    admin = admin_signed_in(make_browser)

    response = admin.post(f"/admin/academies/{academy.id}/people/add", {
        "full_name": "Ole Hansen", "email": "", "takes_part_through": UNIT, "role": "learner",
        "timezone": "Europe/Oslo", "group": "B",
    })

    assert response.status_code == 200, text_of(response)
    (ole,) = paper_people()
    assert (ole.full_name, ole.takes_part_through, ole.password_hash) == ("Ole Hansen", UNIT, None)
    assert ole.enrolment_in(academy.id).role == "learner"
    page = text_of(response)
    assert "Ole Hansen" in page and f"Takes part on paper, through {UNIT}" in page
    assert "Invitation links to pass on" not in page  # no link is made for them at all
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_adding_the_same_learner_on_paper_twice_enrols_them_once(make_browser, academy):
    admin = admin_signed_in(make_browser)
    form = {"full_name": "Ole Hansen", "email": "", "takes_part_through": UNIT, "role": "learner",
            "timezone": "Europe/Oslo", "group": ""}
    admin.post(f"/admin/academies/{academy.id}/people/add", form)

    response = admin.post(f"/admin/academies/{academy.id}/people/add", {**form, "full_name": " ole  hansen"})

    assert "1 already enrolled, unchanged: Ole Hansen" in text_of(response)
    assert len(paper_people()) == 1


@pytest.mark.parametrize(("email", "through", "role", "message"), [
    ("", "", "learner", "Enter an email address, or, for a learner without email who takes part on paper"),
    ("", UNIT, "facilitator", "Only learners can take part on paper"),
    ("ole@example.org", UNIT, "learner", "Someone with an email takes part online"),
])
def test_a_person_who_is_neither_online_nor_on_paper_is_refused_where_it_was_typed(
        make_browser, academy, email, through, role, message):
    admin = admin_signed_in(make_browser)

    response = admin.post(f"/admin/academies/{academy.id}/people/add", {
        "full_name": "Ole Hansen", "email": email, "takes_part_through": through, "role": role,
        "timezone": "Europe/Oslo", "group": "",
    })

    assert response.status_code == 400
    assert message in text_of(response)
    assert 'value="Ole Hansen"' in html(response)  # what was typed is kept
    assert db.session.scalar(select(User).where(User.full_name == "Ole Hansen")) is None


def test_a_roster_row_with_no_email_but_a_unit_enrols_a_learner_on_paper(make_browser, academy):
    admin = admin_signed_in(make_browser)
    roster = ("Name,Email,Takes part on paper through,Group\n"
              "Ann Online,ann@example.org,,\n"
              f"Ole Hansen,,{UNIT},B\n"
              f"Kari Berg,,{UNIT},B\n").encode()

    response = admin.post(f"/admin/academies/{academy.id}/people/import",
                          {"roster": (__import__("io").BytesIO(roster), "roster.csv")},
                          content_type="multipart/form-data")

    assert response.status_code == 200, text_of(response)
    assert [(user.full_name, user.takes_part_through) for user in paper_people()] == [
        ("Kari Berg", UNIT), ("Ole Hansen", UNIT)]
    page = html(response)
    # Only Ann, who has an email, has an invitation link (mail is not set up in tests, so it is shown).
    assert page.count("/auth/invitation/") == 1
    assert {message.to_address for message in db.session.scalars(select(OutgoingMail))} <= {"ann@example.org"}


def test_a_roster_of_learners_on_paper_only_needs_no_email_column(make_browser, academy):
    admin = admin_signed_in(make_browser)
    roster = f"Name,Takes part through\nOle Hansen,{UNIT}\nOle Hansen,{UNIT}\n".encode()

    response = admin.post(f"/admin/academies/{academy.id}/people/import",
                          {"roster": (__import__("io").BytesIO(roster), "roster.csv")},
                          content_type="multipart/form-data")

    assert response.status_code == 400
    assert f"Row 3: Ole Hansen ({UNIT}) is already on row 2." in text_of(response)
    assert paper_people() == []


def test_the_people_page_offers_no_link_for_a_learner_on_paper_and_refuses_one(make_browser, academy):
    admin = admin_signed_in(make_browser)
    ole = make_paper_learner("Ole Hansen")
    enrol(ole, academy)

    page = text_of(admin.get(f"/admin/academies/{academy.id}/people"))
    assert "No sign-in: on paper" in page and "New invitation link for Ole Hansen" not in page

    response = admin.post(f"/admin/academies/{academy.id}/people/{ole.id}/link")
    assert response.status_code == 302
    assert "takes part on paper, without email: there is no link to send" in text_of(admin.get(response.location))
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_the_outbox_itself_refuses_a_message_with_no_address(app):
    with app.test_request_context():
        assert outbox.enqueue("test:1", "feedback_released", None, "Subject", "Body") is False
        assert outbox.enqueue("test:2", "feedback_released", "", "Subject", "Body") is False
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_a_learner_on_paper_cannot_sign_in_with_an_empty_address(browser):
    make_paper_learner("Ole Hansen")
    make_user("Somebody Else")

    response = browser.post("/auth/login", {"email": "", "password": ""})

    assert response.status_code != 302


def test_the_academys_to_do_list_does_not_chase_a_learner_on_paper_to_accept_an_invitation(make_browser, academy):
    admin = admin_signed_in(make_browser)
    enrol(make_paper_learner("Ole Hansen"), academy)
    enrol(make_user("Wei Ling Tan", password=False), academy)

    page = text_of(admin.get(f"/admin/academies/{academy.id}"))

    assert "1 person has not accepted their invitation yet." in page
