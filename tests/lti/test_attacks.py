"""Launches the tool refuses, each with the page that says why, never a 500, and a log entry for the admin."""
import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.lti.models import LtiContext, LtiLaunch, LtiPlatform
from tests.factories import make_academy
from tests.lti.platform import ADMINISTRATOR, LEARNER, new_private_key


@pytest.fixture(autouse=True)
def tied_course(platform):
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    return academy


def _refused(response, status, words):
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:400]
    assert words in text
    assert "/learn/" not in response.headers.get("Location", "")


def _last_outcome():
    return db.session.scalars(select(LtiLaunch.outcome).order_by(LtiLaunch.id.desc())).first()


def test_a_replayed_launch_is_refused(platform, browser):
    response, posted = platform.launch(browser)
    assert response.status_code == 302
    response, _ = platform.launch(browser, replay=posted)
    _refused(response, 400, "already used")
    assert _last_outcome() == "nonce"


def test_a_token_signed_by_a_key_the_platform_does_not_publish_is_refused(platform, browser):
    response, _ = platform.launch(browser, signing_key=new_private_key())
    _refused(response, 400, "could not be checked")
    assert _last_outcome() == "unknown_key"


def test_a_rotated_platform_key_is_fetched_again(platform, browser):
    assert platform.launch(browser)[0].status_code == 302
    new_key = new_private_key()
    platform.published_keys = [new_key]
    # Past the refetch pause: the cached set lacks the new key, so the tool asks the platform again.
    db.session.get(LtiPlatform, platform.id).keyset_fetched_at = None
    db.session.commit()
    response, _ = platform.launch(browser, signing_key=new_key)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert platform.keyset_requests == 2


def test_a_token_for_another_tool_is_refused(platform, browser):
    response, _ = platform.launch(browser, extra_claims={"aud": "someone-else", "azp": "someone-else"})
    _refused(response, 400, "not connected")
    assert _last_outcome() == "unknown_platform"


def test_an_unknown_client_id_is_refused_at_login(platform, browser):
    response = platform.login(browser, client_id="not-registered")
    _refused(response, 400, "not connected")


def test_a_wrong_deployment_is_refused(platform, browser):
    response, _ = platform.launch(browser, extra_claims={
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deploy-unknown"})
    _refused(response, 400, "deployment id")
    assert _last_outcome() == "deployment"
    # Shown in the platform's frame, where the link was clicked; a disabled or unknown platform's is not framed.
    assert f"frame-ancestors 'self' {platform.base}" in response.headers["Content-Security-Policy"]


def test_an_expired_token_is_refused(platform, browser):
    response, _ = platform.launch(browser, expires_in=-60)
    _refused(response, 400, "run out")
    assert _last_outcome() == "expired"


def test_a_disabled_platform_is_refused_at_login_and_at_launch(platform, browser):
    db.session.get(LtiPlatform, platform.id).enabled = False
    db.session.commit()
    _refused(platform.login(browser), 403, "switched off")

    # Switched off between the login and the launch.
    db.session.get(LtiPlatform, platform.id).enabled = True
    db.session.commit()
    from urllib.parse import parse_qsl, urlsplit

    from tests.lti.platform import _Config, _Launch

    answer = platform.login(browser)
    preflight = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    db.session.get(LtiPlatform, platform.id).enabled = False
    db.session.commit()
    message = _Launch(preflight, _Config(registration=platform._registration()))
    message.set_user_data("u-1", LEARNER, email_address="ada@example.org")
    message.set_launch_context_claim("course-1")
    message.set_resource_link_claim("link-1")
    form = message.lti_launch()
    response = browser.client.post("/lti/launch", data={"id_token": form["id_token"], "state": form["state"]})
    _refused(response, 403, "switched off")
    assert _last_outcome() == "disabled"


def test_an_administrator_role_alone_gets_no_place_and_no_admin_rights(platform, browser):
    response, _ = platform.launch(browser, roles=ADMINISTRATOR)
    _refused(response, 403, "no place here")
    assert browser.get("/admin/").status_code in (302, 403)


def test_forged_custom_claims_and_an_extra_administrator_role_give_no_admin_rights(platform, browser):
    response, _ = platform.launch(browser, roles=LEARNER + ADMINISTRATOR,
                                  custom={"is_admin": "true", "role": "admin", "lms_role": "facilitator"},
                                  extra_claims={"is_admin": True})
    assert response.status_code == 302
    assert browser.get("/admin/").status_code == 403
    from lms.accounts.models import User

    ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert not ada.is_admin and [e.role for e in ada.enrolments] == ["learner"]


def test_an_account_made_an_admin_here_is_no_longer_signed_in_by_a_launch(platform, browser, make_browser):
    from lms.accounts.models import User

    assert platform.launch(browser)[0].status_code == 302  # let in
    ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    ada.is_admin = True
    db.session.commit()
    _refused(platform.launch(make_browser())[0], 403, "Administrators sign in here")
    assert _last_outcome() == "admin_account"
    ada.is_admin, ada.is_active_account = False, False
    db.session.commit()
    _refused(platform.launch(make_browser())[0], 403, "switched off")
    assert _last_outcome() == "inactive"


def test_a_launch_without_the_state_cookie_offers_a_new_window(platform, browser):
    response, posted = platform.launch(browser)
    assert response.status_code == 302
    fresh = browser.__class__(browser.client.application.test_client())  # a frame whose cookie was refused
    login = platform.login(fresh)
    from urllib.parse import parse_qsl, urlsplit

    state = dict(parse_qsl(urlsplit(login.headers["Location"]).query))["state"]
    blocked = browser.__class__(browser.client.application.test_client())
    response = blocked.client.post("/lti/launch", data={"id_token": posted["id_token"], "state": state})
    _refused(response, 400, "new window")
    # The refusal shows inside the platform's frame (where cookies get refused): that platform may frame it.
    assert f"frame-ancestors 'self' {platform.base}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert 'target="_blank"' in response.get_data(as_text=True)
    assert "/lti/login?" in response.get_data(as_text=True)


def test_garbage_is_refused_plainly(browser, platform):
    _refused(browser.client.post("/lti/launch", data={}), 400, "did not work")
    _refused(browser.client.post("/lti/launch", data={"id_token": "a.b.c", "state": "x"}), 400, "")
    _refused(browser.get("/lti/login"), 400, "did not work")
