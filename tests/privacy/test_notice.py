"""The privacy notice: public, made from the registry, linked from every page and the invitation."""
from lms.accounts import services as accounts
from lms.core.extensions import db
from lms.privacy.registry import declarations
from tests.factories import make_user
from tests.helpers import signed_in, text_of


def test_anyone_can_read_the_notice_and_it_lists_every_kind_of_personal_data(browser):
    response = browser.get("/privacy")
    assert response.status_code == 200
    page = text_of(response)
    for table in declarations():
        for column in table.personal:
            for text in (column.what, column.purpose, column.retention):
                assert text[:1].upper() + text[1:] in page, f"{table.table}.{column.name}"


def test_the_notice_says_who_sees_reflections_and_how_long_things_are_kept(browser):
    page = text_of(browser.get("/privacy"))
    assert "Only you (the author), that academy's facilitators, and administrators." in page
    assert "Other learners never see your reflections" in page
    assert "for a number of months after its last live session (12 unless the organiser chose otherwise)" in page
    assert "Then they are deleted automatically; your dashboard shows the date" in page
    assert "it is valid and that the holder's name is withheld" in page
    assert "Uploaded attendance reports are also deleted as soon as they are saved" in page


def test_the_notice_gives_the_configured_contact(app, browser):
    assert "ask the organiser of your academy" in text_of(browser.get("/privacy"))
    app.config["LMS_PRIVACY_CONTACT"] = "Data protection, Example Trust, privacy@example.org"
    try:
        page = text_of(browser.get("/privacy"))
    finally:
        app.config["LMS_PRIVACY_CONTACT"] = ""
    assert "Data protection, Example Trust, privacy@example.org" in page


def test_every_page_links_to_the_notice(browser, make_browser):
    assert 'href="/privacy"' in browser.get("/verify").get_data(as_text=True)
    learner = make_user("Lena Learner")
    response = signed_in(make_browser, learner).get("/auth/account")
    assert response.status_code == 200
    assert 'href="/privacy"' in response.get_data(as_text=True)


def test_the_invitation_page_links_to_the_notice(browser):
    user = make_user("Ivy Invited", password=False)
    token = accounts.issue_token(user, "invitation")
    db.session.commit()
    body = browser.get(f"/auth/invitation/{token}").get_data(as_text=True)
    assert "what we keep about you, why, and who sees it" in body
    assert body.count('href="/privacy"') == 2  # the page's own link, and the footer's


def test_a_contact_with_markup_is_shown_as_text(app, browser):
    app.config["LMS_PRIVACY_CONTACT"] = "<script>alert(1)</script>"
    try:
        body = browser.get("/privacy").get_data(as_text=True)
    finally:
        app.config["LMS_PRIVACY_CONTACT"] = ""
    assert "<script>alert(1)</script>" not in body
