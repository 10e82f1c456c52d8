"""LTI Dynamic Registration: an admin's one-time address lets a platform register the tool in one step."""
import re

from sqlalchemy import select

from lms.core.extensions import db
from lms.lti.models import LtiPlatform
from tests.factories import make_user


def test_a_platform_registers_the_tool_from_the_admins_one_time_address(platform, browser, make_browser):
    browser.login(make_user("Admin", is_admin=True))
    page = browser.post("/admin/lti/registration-links")
    link = re.search(r"<code>(http://localhost/lti/register/[^<]+)</code>", page.get_data(as_text=True)).group(1)
    path = link.removeprefix("http://localhost")
    query = f"?openid_configuration={platform.base}/openid-configuration&registration_token=reg-token"

    visitor = make_browser()  # the platform's admin, in the platform's window: not signed in here
    done = visitor.get(path + query)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "lti-registered.js" in done.get_data(as_text=True)
    registered = db.session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == "dyn-client"))
    assert registered.issuer == platform.base and registered.deployment_id_list == ["dyn-deploy"]
    assert registered.keyset_url == platform.keyset_url and not registered.trusts_emails
    sent = platform.tool_registration
    assert sent["initiate_login_uri"] == "http://localhost/lti/login"
    assert sent["redirect_uris"] == ["http://localhost/lti/launch"]
    assert sent["jwks_uri"] == "http://localhost/lti/jwks"

    again = visitor.get(path + query)  # the address works once
    assert again.status_code == 400 and "run out or was used" in again.get_data(as_text=True)


def test_a_made_up_address_registers_nothing(platform, browser):
    query = f"?openid_configuration={platform.base}/openid-configuration&registration_token=reg-token"
    response = browser.get("/lti/register/made-up" + query)
    assert response.status_code == 400
    assert platform.tool_registration is None
    assert db.session.scalars(select(LtiPlatform)).all() == [db.session.get(LtiPlatform, platform.id)]
