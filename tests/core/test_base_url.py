"""The public address (LMS_BASE_URL), as a security review found it was needed: production does not start
without it, and mailed links never use the host a request named."""
import pytest

from lms import create_app
from lms.config import ProductionConfig, TestingConfig
from tests.factories import enrol, make_academy, make_user


def test_production_refuses_to_start_without_the_public_address():
    class Config(ProductionConfig):
        SECRET_KEY = "set"
        LMS_DATA_KEY = TestingConfig.LMS_DATA_KEY
        LMS_BASE_URL = ""
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="LMS_BASE_URL"):
        create_app(Config)


def test_mailed_links_never_use_the_host_the_request_named(app, monkeypatch):
    from lms.core import mail

    monkeypatch.setitem(app.config, "LMS_BASE_URL", "https://academy.example.org")
    with app.test_request_context("/auth/reset", headers={"Host": "attacker.example.net"}):
        assert mail.absolute_url("lms.accounts.reset_password", token="t") == "https://academy.example.org/auth/reset/t"
    monkeypatch.setitem(app.config, "LMS_BASE_URL", "")
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with app.test_request_context("/auth/reset", headers={"Host": "attacker.example.net"}):
        with pytest.raises(RuntimeError, match="LMS_BASE_URL"):
            mail.absolute_url("lms.accounts.reset_password", token="t")


def test_a_calendar_file_links_to_the_public_address_not_the_host_the_request_named(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_BASE_URL", "https://academy.example.org")
    learner = make_user("Wei Ling Tan")
    academy = make_academy()
    enrol(learner, academy)
    browser.login(learner)
    # The signed-in browser, sending a Host header of the attacker's choosing (e.g. through a proxy that passes it).
    browser.client.set_cookie("session", browser.client.get_cookie("session").value, domain="attacker.example.net")

    response = browser.get(f"/learn/sessions/{academy.live_sessions[0].id}.ics",
                           headers={"Host": "attacker.example.net"})

    assert response.status_code == 200
    unfolded = response.get_data(as_text=True).replace("\r\n ", "")  # iCalendar folds long lines
    assert "Programme page: https://academy.example.org/learn/" in unfolded
    assert "attacker.example.net" not in unfolded
