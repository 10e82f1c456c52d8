"""Signing in and out, one-time links, password resets, the account page and `flask lms create-admin`."""
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.accounts.models import AccountToken, User
from lms.accounts.services import issue_token
from lms.core.extensions import db, limiter
from lms.core.types import utcnow
from tests.factories import PASSWORD, make_user
from tests.helpers import html

NEW_PASSWORD = "purple walrus teaches algebra"
LONG_PASSPHRASE = ("the quiet lighthouse keeper counts every passing ship twice " * 4)[:200]
SAME_ANSWER_FOR_UNKNOWN = "That email and password do not match an account."
LINK_SPENT = "expired or was already used"


# --- helpers ---------------------------------------------------------------------------------

def path_of(response) -> str:
    return urlsplit(response.location).path


def is_signed_in(browser) -> bool:
    return browser.get("/auth/account").status_code == 200


def flashes(browser, url="/auth/login") -> list[str]:
    return re.findall(r'<p class="message[^"]*"[^>]*>(.*?)</p>', html(browser.get(url)))


def invited(name="Ingrid Solberg"):
    """A person who was added to an academy and has not chosen a password yet."""
    return make_user(name, password=False)


def link_for(user, purpose="invitation") -> str:
    token = issue_token(user, purpose)
    db.session.commit()
    return f"/auth/{purpose}/{token}" if purpose == "invitation" else f"/auth/reset/{token}"


def choose_password(browser, link, password, confirm=None):
    browser.get(link)
    return browser.post(link, {"password": password, "confirm": password if confirm is None else confirm})


def reloaded(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def create_admin(runner, email, name, password):
    return runner.invoke(args=["lms", "create-admin", "--email", email, "--name", name, "--password", password])


# --- signing in ------------------------------------------------------------------------------

def test_sign_in_ignores_case_and_spaces_in_the_email(browser):
    make_user("Ingrid Solberg")
    response = browser.login("  Ingrid.SOLBERG@example.org")
    assert path_of(response) == "/learn/"
    assert is_signed_in(browser)


def test_wrong_password_and_unknown_email_get_the_same_page(browser):
    make_user("Ingrid Solberg")

    def answer(email, password):
        text = html(browser.login(email, password)).replace(email, "EMAIL")
        return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", text)

    wrong_password = answer("ingrid.solberg@example.org", "not my password")
    unknown_email = answer("nobody@example.org", "not my password")
    assert SAME_ANSWER_FOR_UNKNOWN in wrong_password
    assert wrong_password == unknown_email
    assert not is_signed_in(browser)


def test_invited_person_without_a_password_cannot_sign_in(browser):
    person = invited()
    response = browser.login(person, PASSWORD)
    assert SAME_ANSWER_FOR_UNKNOWN in html(response)
    assert not is_signed_in(browser)


def test_deactivated_account_cannot_sign_in(browser):
    user = make_user("Ingrid Solberg")
    user.is_active_account = False
    db.session.commit()
    response = browser.login(user)
    assert SAME_ANSWER_FOR_UNKNOWN in html(response)
    assert not is_signed_in(browser)


def test_deactivating_an_account_ends_its_open_session(browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    user.is_active_account = False
    db.session.commit()
    assert browser.get("/learn/").status_code == 302


def test_sign_out_ends_the_session(browser):
    browser.login(make_user("Ingrid Solberg"))
    response = browser.logout()
    assert path_of(response) == "/auth/login"
    assert not is_signed_in(browser)


# --- where sign-in leads ---------------------------------------------------------------------

def test_sign_in_follows_a_next_path_on_this_site(browser):
    make_user("Ingrid Solberg")
    response = browser.post(
        "/auth/login", {"email": "ingrid.solberg@example.org", "password": PASSWORD, "next": "/auth/account"}
    )
    assert path_of(response) == "/auth/account"


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_in_ignores_a_next_that_leaves_the_site(browser, target):
    make_user("Ingrid Solberg")
    response = browser.post(
        "/auth/login", {"email": "ingrid.solberg@example.org", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/learn/"


def test_anonymous_visitor_is_sent_to_sign_in_and_brought_back(browser):
    make_user("Ada Admin", is_admin=True)  # an admin's home is /admin/, so coming back is visible
    response = browser.get("/learn/")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/learn/"

    login_page = html(browser.get(response.location))
    next_value = re.search(r'name="next"[^>]*value="([^"]*)"', login_page).group(1)
    assert next_value == "/learn/"
    response = browser.post(
        "/auth/login", {"email": "ada.admin@example.org", "password": PASSWORD, "next": next_value}
    )
    assert path_of(response) == "/learn/"


# --- forms need their CSRF token; GET changes nothing ----------------------------------------

def test_sign_in_without_csrf_token_is_refused(browser):
    make_user("Ingrid Solberg")
    response = browser.post(
        "/auth/login", {"email": "ingrid.solberg@example.org", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert not is_signed_in(browser)


def test_sign_out_without_csrf_token_is_refused(browser):
    browser.login(make_user("Ingrid Solberg"))
    assert browser.post("/auth/logout", csrf=False).status_code == 400
    assert is_signed_in(browser)


def test_sign_out_by_get_is_not_allowed(browser):
    browser.login(make_user("Ingrid Solberg"))
    assert browser.get("/auth/logout").status_code == 405
    assert is_signed_in(browser)


def test_signing_in_starts_a_fresh_session(browser):
    make_user("Ingrid Solberg")
    browser.get("/auth/login")
    with browser.client.session_transaction() as session:
        session["planted"] = "x"
    before = browser.client.get_cookie("session").value

    browser.login("ingrid.solberg@example.org")

    assert browser.client.get_cookie("session").value != before
    with browser.client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


# --- invitation links ------------------------------------------------------------------------

def test_invitation_link_greets_the_person_by_name(browser):
    response = browser.get(link_for(invited("Ingrid Solberg")))
    assert response.status_code == 200
    assert "Welcome, Ingrid Solberg" in html(response)
    assert "ingrid.solberg@example.org" in html(response)


def test_invitation_refuses_a_short_password(browser):
    person = invited()
    link = link_for(person)
    response = choose_password(browser, link, "7chars!")
    assert "Use at least 8 characters." in html(response)
    assert not reloaded(person).has_password
    assert browser.get(link).status_code == 200  # the link still works


@pytest.mark.parametrize("common", ["password123", "qwertyuiop"])
def test_invitation_refuses_a_common_password(browser, common):
    person = invited()
    response = choose_password(browser, link_for(person), common)
    assert "one of the most common ones" in html(response)
    assert not reloaded(person).has_password


def test_invitation_refuses_passwords_that_differ(browser):
    person = invited()
    response = choose_password(browser, link_for(person), NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert "The two passwords differ." in html(response)
    assert not reloaded(person).has_password


def test_invitation_accepts_a_long_passphrase_signs_in_and_is_then_spent(browser, make_browser):
    person = invited()
    link = link_for(person)
    response = choose_password(browser, link, LONG_PASSPHRASE)
    assert path_of(response) == "/learn/"
    assert is_signed_in(browser)

    again = browser.get(link)
    assert again.status_code == 410
    assert LINK_SPENT in html(again)

    elsewhere = make_browser()
    assert path_of(elsewhere.login(person, LONG_PASSPHRASE)) == "/learn/"


def test_expired_invitation_is_refused(browser):
    person = invited()
    link = link_for(person)
    record = db.session.scalar(select(AccountToken).where(AccountToken.user_id == person.id))
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = browser.get(link)
    assert response.status_code == 410
    assert LINK_SPENT in html(response)
    assert choose_password(browser, link, NEW_PASSWORD).status_code == 410
    assert not reloaded(person).has_password


def test_unknown_invitation_is_refused(browser):
    response = browser.get("/auth/invitation/not-a-real-token")
    assert response.status_code == 410
    assert LINK_SPENT in html(response)


def test_reset_token_does_not_work_as_an_invitation(browser):
    person = make_user("Ingrid Solberg")
    token = link_for(person, "reset").rsplit("/", 1)[1]
    response = browser.get(f"/auth/invitation/{token}")
    assert response.status_code == 410
    assert LINK_SPENT in html(response)


def test_using_a_link_spends_the_persons_other_links(browser):
    person = invited()
    first, second = link_for(person), link_for(person)
    choose_password(browser, first, NEW_PASSWORD)
    assert browser.get(second).status_code == 410


# --- asking for a reset link -----------------------------------------------------------------

def test_reset_request_answers_the_same_for_known_and_unknown_addresses(make_browser):
    person = make_user("Ingrid Solberg")
    answers = []
    for email in ("Ingrid.Solberg@example.org", "nobody@example.org"):
        browser = make_browser()
        browser.get("/auth/reset")
        response = browser.post("/auth/reset", {"email": email})
        response.close()  # as a server does once the answer is sent: the link is made then
        assert path_of(response) == "/auth/login"
        answers.append(flashes(browser))
    assert answers[0] == answers[1]
    assert "If that address has an account" in answers[0][0]
    purposes = db.session.scalars(select(AccountToken.purpose)).all()
    assert purposes == ["reset"]
    assert db.session.scalar(select(AccountToken.user_id)) == person.id


def test_reset_link_is_logged_when_mail_is_not_configured_and_works(browser, make_browser, caplog, monkeypatch):
    make_user("Ingrid Solberg")
    # conftest runs the migrations in this process, and Alembic's env.py (logging.config.fileConfig)
    # disables every logger that already exists, the mail logger included.
    caplog.set_level(logging.INFO, logger="lms.core.mail")

    browser.get("/auth/reset")
    browser.post("/auth/reset", {"email": "nobody@example.org"}).close()  # answered once the response is sent
    assert "/auth/reset/" not in caplog.text

    browser.post("/auth/reset", {"email": "ingrid.solberg@example.org"}).close()
    assert "To: ingrid.solberg@example.org" in caplog.text
    link = re.search(r"/auth/reset/[\w-]+", caplog.text).group(0)

    response = choose_password(browser, link, NEW_PASSWORD)
    assert path_of(response) == "/learn/"
    assert path_of(make_browser().login("ingrid.solberg@example.org", NEW_PASSWORD)) == "/learn/"


def test_reset_requests_are_rate_limited(app, browser, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LMS_RESET_RATE_LIMIT", "2 per hour")
    browser.get("/auth/reset")
    statuses = [browser.post("/auth/reset", {"email": "someone@example.org"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    limiter.reset()


# --- the account page ------------------------------------------------------------------------

def test_account_page_saves_name_and_time_zone(browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    browser.get("/auth/account")
    response = browser.post(
        "/auth/account", {"details-full_name": "Ingrid  M.  Solberg", "details-timezone": "Asia/Singapore"}
    )
    assert path_of(response) == "/auth/account"
    saved = html(browser.get("/auth/account"))
    assert "Your details are saved." in saved
    assert 'value="Ingrid M. Solberg"' in saved
    assert 'value="Singapore"' in saved  # the zone as people know it
    assert "Times are shown for Singapore, on the 24-hour clock." in saved
    assert (reloaded(user).full_name, reloaded(user).timezone) == ("Ingrid M. Solberg", "Asia/Singapore")


def change_password(browser, current, new):
    browser.get("/auth/account")
    return browser.post(
        "/auth/account",
        {"password-current_password": current, "password-password": new, "password-confirm": new},
    )


def test_changing_password_needs_the_current_password(browser, make_browser):
    browser.login(make_user("Ingrid Solberg"))
    response = change_password(browser, "not my password", NEW_PASSWORD)
    assert response.status_code == 200
    assert "That is not your current password." in html(response)
    assert path_of(make_browser().login("ingrid.solberg@example.org", PASSWORD)) == "/learn/"
    assert SAME_ANSWER_FOR_UNKNOWN in html(make_browser().login("ingrid.solberg@example.org", NEW_PASSWORD))


def test_changed_password_replaces_the_old_one(browser, make_browser):
    browser.login(make_user("Ingrid Solberg"))
    response = change_password(browser, PASSWORD, NEW_PASSWORD)
    assert path_of(response) == "/auth/account"
    assert "Your password is changed. You are signed out everywhere else." in flashes(browser, "/auth/account")
    assert path_of(make_browser().login("ingrid.solberg@example.org", NEW_PASSWORD)) == "/learn/"
    assert SAME_ANSWER_FOR_UNKNOWN in html(make_browser().login("ingrid.solberg@example.org", PASSWORD))


# --- admins ----------------------------------------------------------------------------------

def test_create_admin_command_makes_an_admin_who_can_open_admin(runner, browser):
    result = create_admin(runner, "Ada@Example.org", "Ada Lovelace", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "ada@example.org is an admin." in result.output
    assert path_of(browser.login("ada@example.org", NEW_PASSWORD)) == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_create_admin_command_refuses_a_short_password(runner, browser):
    result = create_admin(runner, "ada@example.org", "Ada Lovelace", "short")
    assert result.exit_code != 0
    assert "Use at least 8 characters." in result.output
    assert SAME_ANSWER_FOR_UNKNOWN in html(browser.login("ada@example.org", "short"))


def test_create_admin_command_refuses_an_unknown_time_zone(runner):
    result = runner.invoke(args=[
        "lms", "create-admin", "--email", "ada@example.org", "--name", "Ada Lovelace",
        "--password", NEW_PASSWORD, "--timezone", "Mars/Olympus_Mons",
    ])
    assert result.exit_code != 0
    assert "Mars/Olympus_Mons" in result.output


def test_create_admin_command_promotes_an_existing_person(runner, browser):
    make_user("Ingrid Solberg")
    result = create_admin(runner, "ingrid.solberg@example.org", "Ingrid Solberg", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    browser.login("ingrid.solberg@example.org", NEW_PASSWORD)
    assert browser.get("/admin/").status_code == 200


def test_learner_cannot_open_admin(browser):
    browser.login(make_user("Ingrid Solberg"))
    assert browser.get("/admin/").status_code == 403
