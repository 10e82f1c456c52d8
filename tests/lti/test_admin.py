"""The admin's platform pages, and the frame and cookie rules for sessions begun by a launch."""
from sqlalchemy import select

from lms.core.extensions import db
from lms.lti.models import LtiContext, LtiPlatform
from tests.factories import PASSWORD, make_academy, make_user


def test_an_admin_registers_a_platform_sees_its_launches_and_turns_it_off(browser, platform):
    admin = make_user("Admin", is_admin=True)
    browser.login(admin)
    page = browser.get("/admin/lti")
    assert page.status_code == 200 and "http://localhost/lti/launch" in page.get_data(as_text=True)
    form = {"name": "Canvas", "issuer": "https://canvas.example", "client_id": "1000", "deployment_ids": "d-1\nd-2",
            "auth_url": "not an address", "token_url": "https://canvas.example/token",
            "keyset_url": "https://canvas.example/jwks"}
    refused = browser.post("/admin/lti", form)
    assert refused.status_code == 400 and "starting with https://" in refused.get_data(as_text=True)
    assert "https://canvas.example/token" in refused.get_data(as_text=True)  # what was typed stays
    response = browser.post("/admin/lti", {**form, "auth_url": "https://canvas.example/auth"})
    assert response.status_code == 302
    canvas = db.session.scalar(select(LtiPlatform).where(LtiPlatform.issuer == "https://canvas.example"))
    assert canvas.deployment_id_list == ["d-1", "d-2"] and not canvas.trusts_emails
    again = browser.post("/admin/lti", {**form, "auth_url": "https://canvas.example/auth"})
    assert again.status_code == 400 and "already registered" in again.get_data(as_text=True)

    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    learner = browser.__class__(browser.client.application.test_client())
    assert platform.launch(learner)[0].status_code == 302
    launches = browser.get(f"/admin/lti/platforms/{platform.id}").get_data(as_text=True)
    assert "let in" in launches and "ada@example.org" not in launches

    for _ in range(2):  # a double click turns it off once
        assert browser.post(f"/admin/lti/platforms/{platform.id}/enabled", {"enabled": "no"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(LtiPlatform, platform.id).enabled is False
    assert platform.login(learner).status_code == 403


def test_only_a_session_begun_by_a_launch_may_be_framed_and_only_by_its_platform(browser, platform):
    plain = browser.get("/auth/login")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"

    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    db.session.commit()
    assert platform.launch(browser)[0].status_code == 302
    page = browser.get("/learn/")
    assert f"frame-ancestors 'self' {platform.base}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    # Off over plain HTTP (SameSite=None needs Secure); over HTTPS the session cookie is SameSite=None; Secure.
    assert "SameSite=None" not in page.headers.get("Set-Cookie", "")


def test_over_https_the_launch_session_cookie_travels_in_frames_and_forms_still_need_their_token(app, platform):
    from tests.conftest import Browser
    from tests.lti.platform import Platform

    registered_id = platform.id
    platform = Platform(tool="https://localhost")
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=registered_id, context_id="course-1", academy_id=academy.id))
    registered = db.session.get(LtiPlatform, registered_id)
    registered.keyset_url, registered.auth_url = platform.keyset_url, platform.auth_url
    db.session.commit()
    secure = Browser(app.test_client())
    response, _ = platform.launch(secure)
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "SameSite=None" in session_cookie and "Secure" in session_cookie
    state_cookie = platform.login(secure).headers.getlist("Set-Cookie")
    assert any("lti1p3-" in c and "SameSite=None" in c for c in state_cookie)
    # A form without its token is still refused.
    forged = secure.client.post("https://localhost/auth/account", data={"timezone": "UTC"})
    assert forged.status_code == 400
    platform.close()

    plain = Browser(app.test_client())
    plain.get("https://localhost/auth/reset")
    user = make_user("Someone")
    signed_in = plain.post("https://localhost/auth/login", {"email": user.email, "password": PASSWORD},
                           headers={"Referer": "https://localhost/auth/login"})
    assert signed_in.status_code == 302
    assert all("SameSite=None" not in c for c in signed_in.headers.getlist("Set-Cookie"))


def test_an_admin_changes_a_platforms_settings_and_a_launch_then_follows_them(browser, platform, make_browser):
    from lms.audit.models import AuditEvent

    admin = make_user("Admin", is_admin=True)
    browser.login(admin)
    settings = f"/admin/lti/platforms/{platform.id}"
    page = browser.get(settings).get_data(as_text=True)
    assert platform.keyset_url in page and "Save the settings" in page
    form = {"name": "Our Moodle", "deployment_ids": f"{platform.deployment_id}\nsecond",
            "auth_url": platform.auth_url, "token_url": platform.token_url, "keyset_url": "moodle/jwks",
            "trusts_emails": "y"}
    refused = browser.post(settings, form)
    assert refused.status_code == 400 and "starting with https://" in refused.get_data(as_text=True)
    assert "second" in refused.get_data(as_text=True)  # what was typed stays
    assert browser.post(settings, {**form, "keyset_url": platform.keyset_url}).status_code == 302
    db.session.expire_all()
    found = db.session.get(LtiPlatform, platform.id)
    assert (found.name, found.deployment_id_list, found.trusts_emails) == (
        "Our Moodle", [platform.deployment_id, "second"], True)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lti.platform.change"))
    assert audit.detail == "deployment_ids, name, trusts_emails"

    # Emails are now trusted: a launch links to the account already here with the same address.
    academy = make_academy("Peer Mentoring")
    db.session.add(LtiContext(platform_id=platform.id, context_id="course-1", academy_id=academy.id))
    ada = make_user("Ada Here", email="ada@example.org")
    response, _ = platform.launch(make_browser())
    assert response.status_code == 302 and [e.academy_id for e in ada.enrolments] == [academy.id]


def test_only_an_admin_changes_a_platform(make_browser, platform):
    learner = make_browser()
    learner.login(make_user("Learner"))
    assert learner.post(f"/admin/lti/platforms/{platform.id}", {"name": "Mine", "trusts_emails": "y"}).status_code == 403
    assert db.session.get(LtiPlatform, platform.id).trusts_emails is False
