"""Admin pages through the web client: academies, live sessions, readings, people, invitations and mail."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import AccountToken, User
from lms.core.extensions import db
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection
from tests.factories import enrol, make_academy, make_reading, make_user
from tests.helpers import SmtpServer, count, free_port, html, path_of, sign_in_admin

INVITATION_LINK = re.compile(r'value="(https?://[^"]*/auth/invitation/[^"]+)"')


# --- helpers ---------------------------------------------------------------------------------

def form_key(response) -> str:
    """The one-time key in the page's hidden `form_key` input."""
    tag = re.search(r'<input[^>]*name="form_key"[^>]*>', html(response))
    assert tag, "the page has no form_key input"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    assert value and value.group(1), "the form_key input is empty"
    return value.group(1)


def field_error(response, field_id: str) -> str | None:
    """The error text shown next to a field (the macro puts it in <p id="<field>-error">)."""
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html(response), re.S)
    return unescape(found.group(1)) if found else None


def academy_form(**overrides) -> dict:
    values = {
        "title": "Peer Support Foundations",
        "description": "Six weeks on peer support.",
        "organiser": "ICPA",
        "home_timezone": "America/New_York",
        "reference_timezones": "America/New_York Europe/London",
    }
    values.update(overrides)
    return values


def session_form(**overrides) -> dict:
    values = {"title": "Kick-off", "starts_local": "2025-04-17T10:00", "duration_minutes": "90",
              "join_url": "https://meet.example.org/kickoff"}
    values.update(overrides)
    return values


def reading_form(**overrides) -> dict:
    values = {"title": "Lived experience", "body_markdown": "Some *careful* words.", "external_url": "",
              "estimated_minutes": "10", "reflection_prompt": "What stayed with you?", "min_words": "",
              "max_words": "", "opens_local": "", "closes_local": ""}
    values.update(overrides)
    return values


def person_form(**overrides) -> dict:
    values = {"full_name": "Dana Whitfield", "email": "Dana.Whitfield@Example.ORG", "role": "learner",
              "timezone": "America/New_York", "group": "Blue"}
    values.update(overrides)
    return values


def post_new(browser, page_url: str, values: dict, key: str | None = None):
    """GET the create form (for its CSRF token and one-time key), then send it."""
    if key is None:
        key = form_key(browser.get(page_url))
    return browser.post(page_url, {**values, "form_key": key})


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def admin(browser):
    return sign_in_admin(browser)


@pytest.fixture
def smtp_inbox(app):
    """A real SMTP server on 127.0.0.1; the app is pointed at it and put back afterwards."""
    servers = SmtpServer()
    inbox = servers.start()
    port = inbox.port
    names = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME")
    saved = {name: app.config[name] for name in names}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME="")
    try:
        yield inbox
    finally:
        app.config.update(saved)
        servers.stop()


# --- academies -------------------------------------------------------------------------------

def test_admin_creates_an_academy_that_is_listed_on_the_admin_home(browser, admin):
    response = post_new(browser, "/admin/academies/new", academy_form())

    assert response.status_code == 302
    created = db.session.scalar(select(Academy))
    assert created.title == "Peer Support Foundations"
    assert created.organiser == "ICPA"
    assert created.home_timezone == "America/New_York"
    assert path_of(response.location) == f"/admin/academies/{created.id}"
    assert "Peer Support Foundations" in html(browser.get("/admin/"))


def test_the_new_academy_form_defaults_to_the_admins_time_zone(browser, admin):
    page = html(browser.get("/admin/academies/new"))
    assert re.search(r'<option[^>]*selected[^>]*value="Europe/London"|<option[^>]*value="Europe/London"[^>]*selected',
                     page)


def test_a_form_whose_work_failed_unexpectedly_can_be_sent_again(browser, admin, monkeypatch):
    from lms.academies import services

    key = form_key(browser.get("/admin/academies/new"))
    real = services.create_academy

    def fails_once(*args, **kwargs):
        monkeypatch.setattr(services, "create_academy", real)
        raise RuntimeError("the disk was full")

    monkeypatch.setattr(services, "create_academy", fails_once)
    with pytest.raises(RuntimeError):  # the test app raises what the site would show as its error page
        browser.post("/admin/academies/new", {**academy_form(), "form_key": key})
    assert count(Academy) == 0
    again = browser.post("/admin/academies/new", {**academy_form(), "form_key": key})
    assert again.status_code == 302 and count(Academy) == 1  # saved now, not "already sent"


def test_sending_the_same_academy_form_twice_creates_one_academy(browser, admin):
    key = form_key(browser.get("/admin/academies/new"))

    first = browser.post("/admin/academies/new", {**academy_form(), "form_key": key})
    second = browser.post("/admin/academies/new", {**academy_form(), "form_key": key})

    assert first.status_code == second.status_code == 302
    assert count(Academy) == 1
    assert second.location == first.location
    assert "already sent" in html(browser.get(path_of(second.location)))


def test_an_academy_form_refused_by_the_service_can_be_corrected_and_sent_with_the_same_key(browser, admin):
    key = form_key(browser.get("/admin/academies/new"))

    refused = browser.post("/admin/academies/new",
                           {**academy_form(reference_timezones="Europe/London Mars/Olympus"), "form_key": key})
    assert refused.status_code in (200, 400)
    assert "Mars/Olympus" in field_error(refused, "reference_timezones")
    assert count(Academy) == 0

    corrected = browser.post("/admin/academies/new", {**academy_form(), "form_key": key})
    assert corrected.status_code == 302
    assert count(Academy) == 1


def test_an_overlong_form_key_does_not_crash_the_create_form(browser, admin):
    browser.get("/admin/academies/new")

    response = browser.post("/admin/academies/new", {**academy_form(), "form_key": "k" * 100})

    assert response.status_code in (302, 400)


def test_an_academy_without_a_title_is_refused_next_to_the_field_keeping_what_was_typed(browser, admin):
    response = post_new(browser, "/admin/academies/new",
                        academy_form(title="", organiser="Nordic Peer Network", description="Keep this text"))

    assert response.status_code in (200, 400)
    assert field_error(response, "title") == "Give the academy a title."
    page = html(response)
    assert 'value="Nordic Peer Network"' in page
    assert "Keep this text" in page
    assert count(Academy) == 0


def test_editing_an_academy_changes_its_title(browser, admin, academy):
    browser.get(f"/admin/academies/{academy.id}/edit")
    response = browser.post(f"/admin/academies/{academy.id}/edit", academy_form(title="Peer Mentoring, Spring"))

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Academy, academy.id).title == "Peer Mentoring, Spring"
    assert "Peer Mentoring, Spring" in html(browser.get(f"/admin/academies/{academy.id}"))


# --- live sessions ---------------------------------------------------------------------------

def test_a_session_entered_in_the_home_zone_is_stored_in_utc_and_edited_in_the_home_zone(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/sessions/new", session_form())

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(select(LiveSession).where(LiveSession.title == "Kick-off"))
    assert stored.starts_at.tzinfo is not None
    assert stored.starts_at == datetime(2025, 4, 17, 14, 0, tzinfo=UTC)  # 10:00 EDT is 14:00 UTC
    assert stored.starts_at.utcoffset() == timedelta(0)

    edit_page = html(browser.get(f"/admin/sessions/{stored.id}/edit"))
    assert 'value="2025-04-17T10:00"' in edit_page


def test_a_local_time_skipped_by_the_clock_change_is_refused(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/sessions/new",
                        session_form(starts_local="2025-03-09T02:30"))

    assert response.status_code in (200, 400)
    message = field_error(response, "starts_local")
    assert message and "does not exist in America/New_York" in message
    assert count(LiveSession) == 2  # only the academy's own two


@pytest.mark.parametrize("join_url", ["ftp://x", "not a link"])
def test_a_joining_link_that_is_not_a_web_address_is_refused(browser, admin, academy, join_url):
    response = post_new(browser, f"/admin/academies/{academy.id}/sessions/new", session_form(join_url=join_url))

    assert response.status_code in (200, 400)
    assert field_error(response, "join_url") == "Enter a full web address starting with https://"
    assert count(LiveSession) == 2


def test_editing_a_session_saves_the_new_time(browser, admin, academy):
    moved = academy.live_sessions[1]
    browser.get(f"/admin/sessions/{moved.id}/edit")

    response = browser.post(f"/admin/sessions/{moved.id}/edit", session_form(title="Session Two, moved"))

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(LiveSession, moved.id)
    assert stored.title == "Session Two, moved"
    assert stored.starts_at == datetime(2025, 4, 17, 14, 0, tzinfo=UTC)


def test_deleting_a_session(browser, admin, academy):
    doomed = academy.live_sessions[1]
    browser.get(f"/admin/sessions/{doomed.id}/edit")

    response = browser.post(f"/admin/sessions/{doomed.id}/delete")

    assert response.status_code == 302
    assert path_of(response.location) == f"/admin/academies/{academy.id}"
    assert count(LiveSession) == 1


def test_sending_the_same_session_form_twice_adds_one_session(browser, admin, academy):
    url = f"/admin/academies/{academy.id}/sessions/new"
    key = form_key(browser.get(url))

    first = browser.post(url, {**session_form(), "form_key": key})
    second = browser.post(url, {**session_form(), "form_key": key})

    assert first.status_code == second.status_code == 302
    assert count(LiveSession) == 3  # the academy's two, plus one


# --- readings --------------------------------------------------------------------------------

def test_a_reading_without_dates_opens_after_the_first_session_and_closes_at_the_second(browser, admin):
    academy = make_academy(first_start=datetime(2025, 5, 6, 14, 0, tzinfo=UTC), gap_days=14)

    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new", reading_form())

    assert response.status_code == 302
    db.session.expire_all()
    reading = db.session.scalar(select(Reading))
    assert reading.opens_at is None and reading.closes_at is None
    assert reading.effective_opens_at == datetime(2025, 5, 6, 15, 30, tzinfo=UTC)  # first session ends
    assert reading.effective_closes_at == datetime(2025, 5, 20, 14, 0, tzinfo=UTC)  # second session starts


def test_explicit_reading_dates_in_the_home_zone_are_stored_in_utc(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                        reading_form(opens_local="2025-04-20T09:00", closes_local="2025-04-27T17:30"))

    assert response.status_code == 302
    db.session.expire_all()
    reading = db.session.scalar(select(Reading))
    assert reading.opens_at == datetime(2025, 4, 20, 13, 0, tzinfo=UTC)
    assert reading.closes_at == datetime(2025, 4, 27, 21, 30, tzinfo=UTC)

    edit_page = html(browser.get(f"/admin/readings/{reading.id}/edit"))
    assert 'value="2025-04-20T09:00"' in edit_page
    assert 'value="2025-04-27T17:30"' in edit_page


def test_a_reading_that_closes_before_it_opens_is_refused(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                        reading_form(opens_local="2025-04-27T09:00", closes_local="2025-04-20T09:00"))

    assert response.status_code in (200, 400)
    assert field_error(response, "closes_local") == "The reading must close after it opens."
    assert count(Reading) == 0


def test_a_reading_whose_least_words_exceed_the_most_is_refused(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                        reading_form(min_words="300", max_words="100"))

    assert response.status_code in (200, 400)
    assert field_error(response, "max_words") == "The least number of words is more than the most."
    assert count(Reading) == 0


def test_a_reading_opening_at_a_skipped_local_time_is_refused(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                        reading_form(opens_local="2025-03-09T02:30", closes_local="2025-03-20T09:00"))

    assert response.status_code in (200, 400)
    assert "2025-03-09 02:30 does not exist in America/New_York" in unescape(html(response))
    assert count(Reading) == 0


def test_a_skipped_opening_time_is_shown_next_to_the_opens_field(browser, admin, academy):
    response = post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                        reading_form(opens_local="2025-03-09T02:30"))

    assert "does not exist" in (field_error(response, "opens_local") or "")


def test_reading_markdown_is_rendered_and_sanitised(browser, admin, academy):
    body = "Some *careful* words.\n\n<script>alert('stolen')</script>\n\n<p onclick=\"evil()\">Click</p>"
    assert post_new(browser, f"/admin/academies/{academy.id}/readings/new",
                    reading_form(body_markdown=body)).status_code == 302
    reading = db.session.scalar(select(Reading))

    response = browser.get(f"/learn/readings/{reading.id}")

    assert response.status_code == 200
    article = re.search(r'<article class="reading-body">(.*?)</article>', html(response), re.S).group(1)
    assert "<em>careful</em>" in article
    assert "<script" not in article.lower()
    assert "onclick" not in article
    assert "alert(" not in html(response)


def test_deleting_a_reading_twice_is_harmless(browser, admin, academy):
    reading = make_reading(academy)
    reading_id = reading.id
    browser.get(f"/admin/readings/{reading_id}/edit")

    first = browser.post(f"/admin/readings/{reading_id}/delete")
    second = browser.post(f"/admin/readings/{reading_id}/delete")

    assert first.status_code == 302
    assert path_of(first.location) == f"/admin/academies/{academy.id}"
    assert count(Reading) == 0
    assert second.status_code == 302
    assert "already deleted" in html(browser.get(path_of(second.location)))


def test_deleting_a_reading_deletes_learners_progress_and_reflections(browser, admin, academy, make_browser):
    reading = make_reading(academy)
    reading_id = reading.id
    learner = make_user("Wei Ling Tan")
    enrol(learner, academy)
    learner_browser = make_browser()
    learner_browser.login(learner)
    learner_browser.get(f"/learn/readings/{reading_id}")
    assert learner_browser.post(f"/learn/readings/{reading_id}/reflection",
                                {"body": "A first thought.", "action": "draft"}).status_code == 302
    assert count(ReadingProgress) == count(Reflection) == 1
    browser.get(f"/admin/readings/{reading_id}/edit")

    response = browser.post(f"/admin/readings/{reading_id}/delete")

    assert response.status_code == 302
    assert count(Reading) == count(ReadingProgress) == count(Reflection) == 0


# --- access ----------------------------------------------------------------------------------

def _admin_pages(academy_id: int) -> list[str]:
    return ["/admin/", "/admin/academies/new", f"/admin/academies/{academy_id}",
            f"/admin/academies/{academy_id}/people"]


@pytest.mark.parametrize("role", ["learner", "facilitator"])
def test_learners_and_facilitators_are_refused_every_admin_page(browser, academy, role):
    person = make_user(f"Some {role.capitalize()}")
    enrol(person, academy, role=role)
    browser.login(person)

    for url in _admin_pages(academy.id):
        assert browser.get(url).status_code == 403, url
    browser.get("/learn/")  # a page of their own, for a form token
    response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())
    assert response.status_code == 403
    assert count(User) == 1


def test_anonymous_visitors_are_sent_to_sign_in(browser, academy):
    for url in _admin_pages(academy.id):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert path_of(response.location) == "/auth/login", url
    response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())
    assert response.status_code == 302
    assert path_of(response.location) == "/auth/login"
    assert count(User) == 0


@pytest.mark.parametrize("url", [
    "/admin/academies/999999",
    "/admin/academies/999999/edit",
    "/admin/academies/999999/people",
    "/admin/academies/999999/sessions/new",
    "/admin/academies/999999/readings/new",
    "/admin/sessions/999999/edit",
    "/admin/readings/999999/edit",
])
def test_a_missing_academy_session_or_reading_is_not_found(browser, admin, url):
    assert browser.get(url).status_code == 404


# --- people ----------------------------------------------------------------------------------

def test_adding_a_person_creates_an_invited_account_and_shows_the_link_when_mail_is_off(
        browser, admin, academy, make_browser):
    browser.get(f"/admin/academies/{academy.id}/people")
    response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())

    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "dana.whitfield@example.org"))
    assert user is not None and user.full_name == "Dana Whitfield"
    assert user.password_hash is None
    assert user.timezone == "America/New_York"
    enrolment = user.enrolment_in(academy.id)
    assert (enrolment.role, enrolment.group_name) == ("learner", "Blue")

    page = html(response)
    assert "Mail is not set up" in page
    links = INVITATION_LINK.findall(page)
    assert len(links) == 1

    invitee = make_browser()
    set_password = invitee.get(path_of(unescape(links[0])))
    assert set_password.status_code == 200
    assert "Choose a password" in html(set_password)
    assert "dana.whitfield@example.org" in html(set_password)


def test_adding_someone_who_can_already_sign_in_enrols_them_without_an_invitation(browser, admin, academy):
    make_user("Dana Whitfield")
    browser.get(f"/admin/academies/{academy.id}/people")

    response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())

    assert response.status_code == 200
    assert not INVITATION_LINK.search(html(response))
    assert count(Enrolment) == 1


def test_adding_the_same_email_in_another_case_does_not_duplicate_the_person(browser, admin, academy):
    browser.get(f"/admin/academies/{academy.id}/people")
    browser.post(f"/admin/academies/{academy.id}/people/add", person_form(email="dana.whitfield@example.org"))
    response = browser.post(f"/admin/academies/{academy.id}/people/add",
                            person_form(email="DANA.WHITFIELD@EXAMPLE.ORG"))

    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(False))) == 1
    assert count(Enrolment) == 1
    assert "already enrolled" in html(response)
    assert not INVITATION_LINK.search(html(response))


def test_a_bad_email_is_refused_next_to_the_field_keeping_the_name(browser, admin, academy):
    browser.get(f"/admin/academies/{academy.id}/people")
    response = browser.post(f"/admin/academies/{academy.id}/people/add",
                            person_form(full_name="Marcus Boudreaux", email="marcus at example"))

    assert response.status_code == 400
    assert "not a valid email address" in field_error(response, "email")
    assert 'value="Marcus Boudreaux"' in html(response)
    assert count(User) == 1
    assert count(Enrolment) == 0


def test_a_new_invitation_link_is_shown_when_mail_is_off(browser, admin, academy, make_browser):
    invited = make_user("Wei Ling Tan", password=False)
    enrol(invited, academy)
    browser.get(f"/admin/academies/{academy.id}/people")

    response = browser.post(f"/admin/academies/{academy.id}/people/{invited.id}/link")

    assert response.status_code == 200
    links = INVITATION_LINK.findall(html(response))
    assert len(links) == 1
    assert make_browser().get(path_of(unescape(links[0]))).status_code == 200


def test_a_new_link_for_someone_outside_the_academy_is_not_found(browser, admin, academy):
    elsewhere = make_academy(title="Another Academy")
    outsider = make_user("Are Nilsen", password=False)
    enrol(outsider, elsewhere)
    browser.get(f"/admin/academies/{academy.id}/people")

    response = browser.post(f"/admin/academies/{academy.id}/people/{outsider.id}/link")

    assert response.status_code == 404
    assert count(AccountToken) == 0


def test_adding_a_person_mails_the_invitation_over_smtp(browser, admin, academy, smtp_inbox, make_browser):
    browser.get(f"/admin/academies/{academy.id}/people")
    response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())

    assert response.status_code == 200
    assert len(smtp_inbox.envelopes) == 1
    assert smtp_inbox.envelopes[0].rcpt_tos == ["dana.whitfield@example.org"]
    message = smtp_inbox.messages[0]
    assert message["To"] == "dana.whitfield@example.org"
    body = message.get_content()
    link = re.search(r"https?://\S+/auth/invitation/\S+", body)
    assert link, body
    assert academy.title in body

    page = html(response)
    assert "/auth/invitation/" not in page
    assert "Invitations were sent by mail." in page
    assert make_browser().get(path_of(link.group(0))).status_code == 200


def test_when_the_mail_server_cannot_be_reached_the_link_is_shown_instead(app, browser, admin, academy):
    saved = {name: app.config[name] for name in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    try:
        browser.get(f"/admin/academies/{academy.id}/people")
        response = browser.post(f"/admin/academies/{academy.id}/people/add", person_form())
    finally:
        app.config.update(saved)

    assert response.status_code == 200
    page = html(response)
    assert "could not be sent by mail" in page
    assert len(INVITATION_LINK.findall(page)) == 1
    assert count(Enrolment) == 1
