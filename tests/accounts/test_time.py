"""A person's own time: the zone confirmed when they accept their invitation, typed as a city or a country,
and the 12- or 24-hour clock, by default their country's habit."""
import re
from datetime import timedelta

import pytest

from lms.accounts.models import User
from lms.accounts.services import issue_token
from lms.core.extensions import db
from lms.core.types import utcnow
from tests.factories import aware, enrol, make_academy, make_user
from tests.helpers import html, path_of, text_of


def reloaded(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def invited():
    """Marcus, whom the admin guessed was in London; he lives in New Orleans (America/Chicago)."""
    user = make_user("Marcus Boudreaux", timezone="Europe/London", password=False)
    token = issue_token(user, "invitation")
    db.session.commit()
    user.link = f"/auth/invitation/{token}"
    return user


def accept(browser, link, **fields):
    browser.get(link)
    return browser.post(link, {"password": "bayou lantern harbour", "confirm": "bayou lantern harbour", **fields})


def checked_clock(page) -> str:
    found = re.search(r'<input[^>]*checked[^>]*name="(?:details-)?clock"[^>]*value="(\d+)"'
                      r'|<input[^>]*name="(?:details-)?clock"[^>]*value="(\d+)"[^>]*checked', html(page))
    assert found, "no clock is chosen on the page"
    return found.group(1) or found.group(2)


def test_the_invitation_asks_to_confirm_the_zone_the_admin_guessed(browser, invited):
    page = browser.get(invited.link)
    body = html(page)
    assert "Your time" in text_of(page) and "Please check it is where you live." in text_of(page)
    box = re.search(r'<input[^>]*name="timezone"[^>]*>', body).group(0)
    assert 'value="London, United Kingdom"' in box
    assert 'list="zone-options"' in box and "data-from-device" in box  # the script fills in the device's zone
    # Suggestions to search by city and by country, without a script.
    assert '<option value="New York, United States">Eastern (most areas)</option>' in body
    assert '<option value="Oslo, Norway"></option>' in body
    assert "America/New_York" not in body
    assert checked_clock(page) == "24"  # the United Kingdom's habit
    assert "It is " in text_of(page) and " there now." in text_of(page)
    assert '<script src="/static/lms/timezone.js" defer></script>' in body


def test_accepting_with_a_city_sets_and_confirms_the_zone_and_the_clock_follows_it(browser, invited):
    # He types his city over the guess, and leaves the clock as the page showed it (London's 24 hours).
    response = accept(browser, invited.link, timezone="Chicago", clock="24", clock_shown="24")
    assert path_of(response.location) == "/learn/"
    user = reloaded(invited)
    assert (user.timezone, user.timezone_confirmed, user.clock) == ("America/Chicago", True, "")
    assert user.clock_format == "12"  # the United States' habit, since he did not choose otherwise

    academy = make_academy(first_start=aware(2030, 4, 17, 14, 0))  # 9:00 AM in Chicago
    enrol(user, academy)
    page = text_of(browser.get("/learn/"))
    assert "Wednesday 17 April 2030, 9:00 AM your time" in page
    assert "Times are shown for Chicago, United States, on the 12-hour clock." in page


def test_a_clock_chosen_by_hand_is_kept(browser, invited):
    accept(browser, invited.link, timezone="New York, United States", clock="24", clock_shown="12")
    user = reloaded(invited)
    assert (user.timezone, user.clock, user.clock_format) == ("America/New_York", "24", "24")


@pytest.mark.parametrize(("typed", "zone"), [
    ("Norway", "Europe/Oslo"), ("oslo", "Europe/Oslo"), ("Paris, France", "Europe/Paris"), ("UK", "Europe/London"),
    ("Singapore", "Asia/Singapore"), ("sao paulo", "America/Sao_Paulo"), ("Montreal", "America/Toronto"),
    ("Asia/Calcutta", "Asia/Kolkata"), ("India", "Asia/Kolkata"), ("Europe/Oslo", "Europe/Oslo"),
])
def test_a_zone_can_be_typed_as_a_city_a_country_or_its_name(browser, invited, typed, zone):
    accept(browser, invited.link, timezone=typed)
    assert reloaded(invited).timezone == zone


def test_a_country_with_several_zones_asks_for_the_nearest_city_and_keeps_what_was_typed(browser, invited):
    response = accept(browser, invited.link, timezone="United States", clock="12")
    page = text_of(response)
    message = ("United States has several time zones: type the nearest city, for example New York, "
               "Chicago, Denver, Los Angeles, Anchorage or Honolulu.")
    assert page.count(message) == 2  # in the summary at the top, and beside the box
    assert 'href="#timezone"' in html(response)
    assert re.search(r'<input[^>]*name="timezone"[^>]*value="United States"', html(response))
    assert not reloaded(invited).has_password
    assert browser.get(invited.link).status_code == 200  # the link still works


def test_a_place_that_is_not_found_is_explained(browser, invited):
    response = accept(browser, invited.link, timezone="Atlantis")
    assert ("No time zone was found for “Atlantis”. Type a city or a country, for example Oslo or "
            "Norway") in text_of(response)
    assert not reloaded(invited).timezone_confirmed


def test_the_account_page_changes_zone_and_clock(browser):
    user = make_user("Wei Ling Tan", timezone="Asia/Singapore")
    browser.login(user)
    page = browser.get("/auth/account")
    assert 'value="Singapore"' in html(page) and checked_clock(page) == "24"
    assert "data-from-device" in html(page)  # not confirmed yet: the device may know better
    browser.post("/auth/account", {"details-full_name": "Wei Ling Tan", "details-timezone": "Sydney",
                                   "details-clock": "12", "details-clock_shown": "24"})
    user = reloaded(user)
    assert (user.timezone, user.timezone_confirmed, user.clock) == ("Australia/Sydney", True, "12")
    page = browser.get("/auth/account")
    assert checked_clock(page) == "12" and "data-from-device" not in html(page)
    assert "Times are shown for Sydney, Australia, on the 12-hour clock." in text_of(page)


def test_a_refused_zone_on_the_account_page_keeps_what_was_typed(browser):
    user = make_user("Wei Ling Tan", timezone="Asia/Singapore")
    browser.login(user)
    browser.get("/auth/account")
    response = browser.post("/auth/account", {"details-full_name": "Wei Ling", "details-timezone": "Nowhere town"})
    assert "No time zone was found for “Nowhere town”" in text_of(response)
    assert 'value="Nowhere town"' in html(response) and 'value="Wei Ling"' in html(response)
    assert reloaded(user).timezone == "Asia/Singapore"


def test_until_the_zone_is_confirmed_the_dashboard_asks_to_check_it(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=3))
    user = make_user("Aisha Rahman", timezone="Europe/London")
    enrol(user, academy)
    browser.login(user)
    steps = text_of(browser.get("/learn/"))
    assert ("Check the times: they are shown for London, United Kingdom. If you live somewhere else, change your "
            "time zone") in steps
    browser.post("/auth/account", {"details-full_name": "Aisha Rahman", "details-timezone": "London, United Kingdom"})
    assert "Check the times" not in text_of(browser.get("/learn/"))


def test_twelve_hour_times_read_as_people_write_them(browser):
    academy = make_academy(first_start=aware(2030, 4, 17, 4, 5))  # 12:05 AM in New York
    user = make_user("Dana Whitfield", timezone="America/New_York")
    enrol(user, academy)
    browser.login(user)
    page = text_of(browser.get("/learn/"))
    assert "Wednesday 17 April 2030, 12:05 AM" in page
    user.clock = "24"
    db.session.commit()
    assert "Wednesday 17 April 2030, 00:05" in text_of(browser.get("/learn/"))
