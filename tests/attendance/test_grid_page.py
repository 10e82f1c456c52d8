"""The attendance page as an organiser meets it: a session still to come offers no marking; on a phone every
box keeps a visible label (the layout itself is checked in Chromium: tests/e2e/test_layout.py)."""
import re
from datetime import timedelta

from lms.core.types import utcnow
from tests.factories import enrol, make_academy, make_user
from tests.helpers import html, sign_in_admin, text_of


def test_a_session_still_to_come_offers_no_marking(browser):
    academy = make_academy(first_start=utcnow() + timedelta(days=2), home_timezone="Europe/London")
    enrol(make_user("Ingrid Solberg"), academy, group="Oslo")
    sign_in_admin(browser)

    response = browser.get(f"/admin/sessions/{academy.live_sessions[0].id}/attendance")

    assert response.status_code == 200
    page = text_of(response)
    assert "Session One has not taken place yet: it starts" in page
    assert "(London time). Attendance can be recorded once it begins, here or from the Zoom or Teams report." in page
    assert "Ingrid Solberg (Oslo)" in page
    body = html(response)
    for offered in ("Mark everyone present", "Mark everyone not yet recorded absent", "Save attendance",
                    "Preview the import", "/attendance/bulk", "<select"):
        assert offered not in body


def test_a_session_that_has_begun_offers_marking_with_a_label_for_phones_on_every_box(browser):
    academy = make_academy()  # Session One ended yesterday
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    sign_in_admin(browser)

    body = html(browser.get(f"/admin/sessions/{academy.live_sessions[0].id}/attendance"))

    assert "Mark everyone present" in body and "Save attendance" in body
    for control, words in (("status", "Attendance"), ("minutes", "Minutes attended")):
        label = re.search(rf'<label for="{control}-{learner.id}"[^>]*>(.*?)</label>', body, re.S).group(1)
        assert f'<span class="label-on-phone">{words}</span>' in label  # shown where the headings are not
    assert '<span class="label-on-phone">Recorded: </span>not yet' in body
