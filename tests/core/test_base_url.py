"""The public address (LMS_BASE_URL), as a security review found it was needed: production does not start
without it, and mailed links never use the host a request named."""
import pytest

from lms import create_app
from lms.config import ProductionConfig


def test_production_refuses_to_start_without_the_public_address():
    class Config(ProductionConfig):
        SECRET_KEY = "set"
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
