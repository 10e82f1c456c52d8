"""The app starts, migrates, and serves the sign-in page."""
from tests.factories import make_user


def test_sign_in_page_renders(browser):
    response = browser.get("/auth/login")
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)


def test_learner_can_sign_in(browser):
    user = make_user("Ingrid Solberg")
    response = browser.login(user)
    assert response.status_code == 302
    assert response.location.endswith("/learn/")
    assert "Hello, Ingrid Solberg" in browser.get("/learn/").get_data(as_text=True)
