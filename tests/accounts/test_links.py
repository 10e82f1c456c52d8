"""Every outstanding invitation or reset link stops working when the password changes, however it changes."""
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import issue_token
from lms.core.extensions import db
from lms.notifications.models import OutgoingMail
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "purple walrus teaches algebra"


def reset_link(user) -> str:
    token = issue_token(db.session.get(User, user.id), "reset")
    db.session.commit()
    return f"/auth/reset/{token}"


def test_a_reset_link_stops_working_when_the_password_is_changed_on_the_account_page(browser, make_browser):
    user = make_user("Ingrid Solberg")
    link = reset_link(user)  # asked for, then the person remembered their password
    browser.login(user)
    browser.get("/auth/account")
    response = browser.post("/auth/account", {"password-current_password": PASSWORD,
                                              "password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert response.status_code == 302

    attacker = make_browser()
    assert attacker.get(link).status_code == 410
    assert attacker.post(link, {"password": "taken over at last", "confirm": "taken over at last"}).status_code == 410
    assert make_browser().login(user, NEW_PASSWORD).status_code == 302


def test_links_stop_working_when_create_admin_sets_the_password(runner, make_browser):
    user = make_user("Ingrid Solberg")
    link = reset_link(user)
    signed_in = make_browser()
    signed_in.login(user)

    result = runner.invoke(args=["lms", "create-admin", "--email", user.email, "--name", user.full_name,
                                 "--password", NEW_PASSWORD])

    assert result.exit_code == 0, result.output
    assert make_browser().get(link).status_code == 410
    assert signed_in.get("/learn/").status_code == 302  # whoever knew the old password is signed out


def test_an_invitation_stops_working_once_a_reset_link_sets_the_password(browser, make_browser):
    user = make_user("Ingrid Solberg", password=False)
    invitation_token = issue_token(user, "invitation")
    db.session.commit()
    link = reset_link(user)
    browser.get(link)
    assert browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert make_browser().get(f"/auth/invitation/{invitation_token}").status_code == 410


def test_a_link_still_waiting_in_the_outbox_is_not_sent_once_the_password_changed(app, browser):
    user = make_user("Ingrid Solberg")
    from lms.accounts.services import send_account_link

    with app.test_request_context("/"):
        send_account_link(db.session.get(User, user.id), issue_token(db.session.get(User, user.id), "reset"),
                          "reset", send_now=False)
    assert [m.status for m in db.session.scalars(select(OutgoingMail))] == ["pending"]

    browser.login(user)
    browser.get("/auth/account")
    browser.post("/auth/account", {"password-current_password": PASSWORD,
                                   "password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})

    db.session.expire_all()
    assert db.session.scalars(select(OutgoingMail)).all() == []
