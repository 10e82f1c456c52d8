"""Login sessions: a new one at sign-in, and logout or a new password ends every other one."""
from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.core.extensions import db
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"


def session_cookie(browser):
    cookie = browser.client.get_cookie("session")
    return cookie.value if cookie else None


def replay(browser, value):
    browser.client.set_cookie("session", value)


def test_a_replayed_cookie_is_refused_after_logout(browser, make_browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    assert browser.get("/learn/").status_code == 200
    stolen = session_cookie(browser)

    other_device = make_browser()
    other_device.login(user)
    browser.logout()

    attacker = make_browser()
    replay(attacker, stolen)
    assert attacker.get("/learn/").status_code == 302  # sent to sign in
    # Logging out on one device ends the sessions on the others too.
    assert other_device.get("/learn/").status_code == 302


def test_changing_the_password_ends_other_sessions_but_not_this_one(browser, make_browser):
    user = make_user("Ingrid Solberg")
    other_device = make_browser()
    other_device.login(user)
    browser.login(user)
    browser.get("/auth/account")
    response = browser.post("/auth/account", {
        "password-current_password": PASSWORD, "password-password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert browser.get("/learn/").status_code == 200
    assert other_device.get("/learn/").status_code == 302


def test_a_reset_link_ends_every_session(browser, make_browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    token = accounts.issue_token(db.session.get(User, user.id), "reset")
    db.session.commit()
    other = make_browser()
    other.get(f"/auth/reset/{token}")
    other.post(f"/auth/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert browser.get("/learn/").status_code == 302
    assert other.get("/learn/").status_code == 200


def test_session_cookie_flags(app, browser):
    user = make_user("Ingrid Solberg")
    response = browser.login(user)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_cookies_are_secure():
    from lms.config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_security_headers_on_pages_errors_and_static(browser):
    for url in ("/auth/login", "/no-such-page", "/static/lms/style.css"):
        response = browser.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_private_pages_are_not_cached(browser):
    user = make_user("Ingrid Solberg")
    browser.login(user)
    assert browser.get("/learn/").headers["Cache-Control"] == "no-store"
    assert browser.get("/auth/account").headers["Cache-Control"] == "no-store"
    assert "no-store" not in browser.get("/static/lms/style.css").headers.get("Cache-Control", "")


def test_failed_sign_ins_are_rate_limited_without_revealing_anything(app, make_browser, monkeypatch):
    from lms.core.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "LMS_LOGIN_RATE_LIMIT", "3 per minute")
    user = make_user("Ingrid Solberg")
    browser = make_browser()
    statuses = [browser.login(user, "wrong password").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many tries" in browser.login(user, PASSWORD).get_data(as_text=True)
    # The same limit for an unknown address: the answer does not tell which emails exist.
    unknown = [make_browser().login("nobody@example.org", "wrong").status_code for _ in range(4)]
    assert unknown == [200, 200, 200, 429]
    # Someone else signing in from the same address is not locked out by those tries.
    assert make_browser().login(make_user("Marcus Boudreaux")).status_code == 302
    limiter.reset()
    assert make_browser().login(user).status_code == 302


def test_successful_sign_ins_do_not_count(app, make_browser, monkeypatch):
    from lms.core.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "LMS_LOGIN_RATE_LIMIT", "2 per minute")
    user = make_user("Ingrid Solberg")
    assert [make_browser().login(user).status_code for _ in range(4)] == [302] * 4
    limiter.reset()


def test_a_forged_form_is_not_one_click_from_going_through(browser):
    """A POST without a token from elsewhere shows what it carried, but offers no form to resend it."""
    from lms.academies.models import Enrolment
    from lms.core.extensions import db as database
    from tests.factories import make_academy

    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy()
    browser.login(admin)
    forged = {"full_name": "Eve", "email": "eve@attacker.example", "role": "facilitator", "timezone": "UTC"}
    response = browser.post(f"/admin/academies/{academy.id}/people/add", forged, csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "eve@attacker.example" in html  # shown, to copy
    assert f'action="/admin/academies/{academy.id}/people/add"' not in html  # but no form to send it
    assert database.session.query(Enrolment).count() == 0


def test_an_expired_form_from_our_own_page_can_be_sent_again(browser):
    from tests.factories import make_academy

    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy()
    browser.login(admin)
    page = f"http://localhost/admin/academies/{academy.id}/people"
    response = browser.post(f"/admin/academies/{academy.id}/people/add",
                            {"full_name": "Wei Ling Tan", "email": "weiling@example.org"}, csrf=False,
                            headers={"Referer": page})
    html = response.get_data(as_text=True)
    assert f'action="/admin/academies/{academy.id}/people/add"' in html
    assert 'value="weiling@example.org"' in html and 'type="hidden" name="email"' not in html
