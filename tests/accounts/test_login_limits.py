"""Failed sign-ins are also limited per account across addresses, without letting an attacker lock a person out:
the guessing addresses are stopped, the person's own computer and any other address still sign in."""
import pytest

from lms.core.extensions import limiter
from tests.factories import make_user
from tests.helpers import html

ATTACKER, ELSEWHERE = "203.0.113.66", "198.51.100.7"
PROTECTED = "There have been many failed sign-ins to this account"


@pytest.fixture
def limits(app, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LMS_LOGIN_ACCOUNT_RATE_LIMIT", "5 per hour")
    yield
    limiter.reset()


def from_address(make_browser, address):
    browser = make_browser()
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def guess(make_browser, email, times, address=ATTACKER):
    browser = from_address(make_browser, address)
    return [browser.login(email, f"guess number {n}").status_code for n in range(times)]


def test_guesses_from_one_address_stop_being_checked_past_the_account_limit(make_browser, limits):
    user = make_user("Ingrid Solberg")
    assert guess(make_browser, user.email, 7) == [200] * 5 + [429] * 2
    # Past the limit the password is not even looked at: the right one gets the same answer.
    response = from_address(make_browser, ATTACKER).login(user)
    assert response.status_code == 429 and PROTECTED in html(response)


def test_the_right_password_from_another_address_is_not_refused_because_of_someone_elses_guesses(make_browser,
                                                                                                  limits):
    user = make_user("Ingrid Solberg")
    guess(make_browser, user.email, 10)
    assert from_address(make_browser, ELSEWHERE).login(user).status_code == 302


def test_guesses_spread_over_many_addresses_get_one_each(make_browser, limits):
    user = make_user("Ingrid Solberg")
    guess(make_browser, user.email, 5)
    for number in range(3):
        assert guess(make_browser, user.email, 2, address=f"203.0.113.{100 + number}") == [200, 429]


def test_the_persons_own_computer_signs_in_even_from_the_guessing_address(make_browser, limits):
    """A room that shares one address: someone there guesses; the person's usual browser still signs in."""
    user = make_user("Ingrid Solberg")
    own = from_address(make_browser, ATTACKER)
    assert own.login(user).status_code == 302  # an earlier sign-in on this computer
    own.logout()
    guess(make_browser, user.email, 10)

    assert own.login(user).status_code == 302
    assert own.get("/learn/").status_code == 200


def test_an_unknown_email_is_treated_alike(make_browser, limits):
    assert guess(make_browser, "nobody@example.org", 7) == [200] * 5 + [429] * 2


def test_other_accounts_are_not_affected(make_browser, limits):
    user, other = make_user("Ingrid Solberg"), make_user("Marcus Boudreaux")
    guess(make_browser, user.email, 10)
    assert from_address(make_browser, ATTACKER).login(other).status_code == 302
