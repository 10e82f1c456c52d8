"""The "form expired" page gives back what was typed, but never a password, whatever its field is called."""
import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField

from lms.accounts.services import issue_token
from lms.core.extensions import db
from tests.factories import PASSWORD, make_user
from tests.helpers import html

NEW_PASSWORD = "purple walrus teaches algebra"


def test_an_expired_set_password_form_shows_neither_password(browser):
    person = make_user("Ingrid Solberg", password=False)
    token = issue_token(person, "invitation")
    db.session.commit()
    link = f"/auth/invitation/{token}"
    browser.get(link)
    # The second field is called "confirm": no "password" in its name.
    response = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, csrf=False,
                            headers={"Referer": f"http://localhost{link}"})
    assert response.status_code == 400
    assert "Nothing was saved yet" in html(response)
    assert NEW_PASSWORD not in html(response)


def test_an_expired_password_change_shows_none_of_the_three(browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    response = browser.post("/auth/account", {
        "password-current_password": PASSWORD, "password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD,
    }, csrf=False, headers={"Referer": "http://localhost/auth/account"})
    assert response.status_code == 400
    assert 'action="/auth/account"' in html(response)  # offered to send again, without the secrets
    assert NEW_PASSWORD not in html(response) and PASSWORD not in html(response)


class HostPinForm(FlaskForm):
    """A form of a host app, with a password field named like nothing secret."""

    pin = PasswordField("PIN")


@pytest.mark.parametrize("name", ["pin", "login-pin"])
def test_a_password_field_of_any_form_is_never_echoed_whatever_its_name(browser, name):
    assert HostPinForm.pin  # defined: its field's name is what counts
    browser.login(make_user("Ingrid Solberg"))
    response = browser.post("/auth/account", {name: "2468-secret", "details-full_name": "Ingrid"}, csrf=False,
                            headers={"Referer": "http://localhost/auth/account"})
    assert response.status_code == 400
    assert "2468-secret" not in html(response)
    assert 'value="Ingrid"' in html(response)  # what is not secret comes back
