"""Who a report row is: an email decides, a name only suggests, and nothing is matched without a reason.

Through the attendance pages and the command line, with the Peer Support Circle's report files
(tests/attendance/reports/), which differ from the samples in names, zone, clock and shape.
"""
from __future__ import annotations

import re
import unicodedata

import pytest

from tests.attendance.conftest import AN, JOSE, KARI, LIV, OSLO, SIOBHAN, SOREN, ZOE
from tests.attendance.pages import (
    REPORTS,
    confirm,
    decision_for,
    decision_keys,
    flashed,
    matched,
    nothing_saved,
    report_error,
    saved,
    upload,
)
from tests.helpers import html, text_of

ZOOM_OSLO = REPORTS / "circle-one-zoom-oslo.csv"


def test_an_email_decides_and_a_name_only_suggests(browser, oda, circle):
    preview = upload(browser, circle.one, ZOOM_OSLO, file_timezone=OSLO)

    assert preview.status_code == 200
    rows = matched(preview)
    # " SOREN.ODEGARD@Example.NET " is Søren's email, trimmed and in another case; Zoë's name is
    # written decomposed (NFD) in the file and matched by her email all the same.
    assert set(rows) == {SOREN, ZOE}
    assert rows[SOREN][1:] == ("Email address", "90", "Present")
    assert rows[ZOE][1:] == ("Email address", "89", "Present")
    labels = decision_keys(preview)
    assert len(labels) == 4
    reasons = {label.split("”")[0].lstrip("“"): label for label in labels}
    # An email no one in the academy has never yields to the name, even José's exact name.
    assert reasons[JOSE].endswith(f"No one in this academy has this email; the name is {JOSE}’s")
    # Kari's email on a row with Siobhán's name: which one it is, is for a person to say.
    assert reasons[SIOBHAN].endswith(f"The email is {KARI}’s, but the name is {SIOBHAN}’s")
    # A name alone, even written without accents, is only likely.
    assert reasons["nguyen van an"].endswith(f"The same name, written differently. Probably {AN}")
    assert reasons["Room 3 — Oslo prison"].endswith("No match")
    assert "Facilitators in the report, not recorded: Liv Berg." in text_of(preview)
    assert nothing_saved()


def test_the_preview_states_the_matching_rules(browser, oda, circle):
    page = text_of(upload(browser, circle.one, ZOOM_OSLO, file_timezone=OSLO))

    assert "An email in the report decides who a row is" in page
    assert "A name alone is never enough" in page


def test_rows_whose_email_points_elsewhere_are_never_saved_without_a_decision(browser, oda, circle):
    preview = upload(browser, circle.one, ZOOM_OSLO, file_timezone=OSLO)

    refused = confirm(browser, circle.one, preview)

    assert refused.status_code == 400
    assert ("Nothing was saved: Decide who these participants are, or ignore them: José Núñez, Siobhán O'Neill, "
            "nguyen van an, Room 3 — Oslo prison.") in flashed(refused)
    assert nothing_saved()

    ignored = {decision_for(preview, name): "ignore" for name in (JOSE, SIOBHAN, "nguyen van an",
                                                                    "Room 3 — Oslo prison")}
    assert confirm(browser, circle.one, preview, ignored).status_code == 302

    state = saved(circle.one)
    assert state[SOREN] == ("present", 90, "zoom")
    assert state[ZOE] == ("present", 89, "zoom")
    # Ignored rows are no one's: José, Siobhán and Kari are not made present by a name or an email.
    for name in (JOSE, SIOBHAN, KARI, AN):
        assert state[name] == ("absent", 0, "zoom"), name
    assert LIV not in state


def test_a_person_deciding_a_row_records_it(browser, oda, circle):
    preview = upload(browser, circle.one, ZOOM_OSLO, file_timezone=OSLO)
    assert f'<option value="{circle.id(JOSE)}" >Yes, this is {JOSE}</option>' in html(preview)

    response = confirm(browser, circle.one, preview, {
        decision_for(preview, JOSE): str(circle.id(JOSE)),
        decision_for(preview, SIOBHAN): str(circle.id(SIOBHAN)),
        decision_for(preview, "nguyen van an"): str(circle.id(AN)),
        decision_for(preview, "Room 3 — Oslo prison"): "ignore",
    })

    assert response.status_code == 302
    state = saved(circle.one)
    assert state[JOSE] == ("present", 90, "zoom")
    assert state[SIOBHAN] == ("present", 80, "zoom")
    assert state[AN] == ("present", 90, "zoom")
    assert state[KARI] == ("absent", 0, "zoom")  # her email was on Siobhán's row, not her attendance


def test_names_written_composed_or_decomposed_are_the_same_name(browser, oda, circle):
    """A name-only row in NFD against a learner stored in NFC, and one in another case without accents."""
    def report(*names: str) -> bytes:
        lines = ["Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"]
        lines += [f"{name},,2025-06-17 18:00:00,2025-06-17 19:30:00,90,No" for name in names]
        return ("\n".join(lines) + "\n").encode("utf-8")

    decomposed = unicodedata.normalize("NFD", AN)
    assert decomposed != AN
    preview = upload(browser, circle.one, report(decomposed, "SØREN ØDEGÅRD", "Zoe Ni Bhriain"), file_timezone=OSLO,
                     filename="names.csv")

    labels = {label.split("”")[0].lstrip("“"): label for label in decision_keys(preview)}
    assert labels[decomposed].endswith(f"The same name, but the report has no email. Probably {AN}")
    assert labels["SØREN ØDEGÅRD"].endswith(f"The same name, but the report has no email. Probably {SOREN}")
    assert labels["Zoe Ni Bhriain"].endswith(f"The same name, written differently. Probably {ZOE}")
    assert matched(preview) == {}  # nothing is sure without an email


# --- reports without participants ------------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("circle-one-header-only.csv", "This report lists no participants: there is nothing under its column headings "
                                   "on line 1."),
    ("circle-one-teams-empty.csv", "This report lists no participants: there is nothing under its column headings "
                                   "on line 11."),
    ("circle-one-host-only.csv", "This report lists only the meeting's host, no participants."),
], ids=["header only", "blank line after each header", "only the host"])
def test_a_report_without_participants_is_refused_with_a_plain_reason(browser, oda, circle, runner, name, message):
    response = upload(browser, circle.one, REPORTS / name, file_timezone=OSLO)

    assert response.status_code == 400
    error = report_error(response)
    assert error is not None and error.startswith(message), error
    assert "would mark every learner absent" in error
    assert nothing_saved()

    command = runner.invoke(args=["lms", "import-attendance", "--session", str(circle.one.id),
                                  "--file", str(REPORTS / name), "--timezone", OSLO, "--yes"])
    assert command.exit_code == 1, command.output
    assert re.search(rf"Error: {re.escape(message)}", command.output)
    assert nothing_saved()


def test_the_command_never_takes_an_unknown_email_for_a_likely_match(runner, circle):
    """--accept-likely takes names alone; rows whose email points elsewhere still wait for a person."""
    result = runner.invoke(args=["lms", "import-attendance", "--session", str(circle.one.id), "--file", str(ZOOM_OSLO),
                                 "--timezone", OSLO, "--yes", "--accept-likely"])

    assert result.exit_code == 3, result.output
    assert "Not saved: 3 rows await a decision:" in result.output
    assert (f'"{JOSE}" <jose.nunez.home@mail.example>, line 8, 90.0 min: No one in this academy has this email; '
            f"the name is {JOSE}’s") in result.output
    assert (f'"{SIOBHAN}" <kari.nordmann@example.net>, line 9, 80.0 min: The email is {KARI}’s, but the name is '
            f"{SIOBHAN}’s") in result.output
    assert '"Room 3 — Oslo prison", line 11, 90.0 min: No match' in result.output
    assert "nguyen van an" not in result.output.split("Not saved:")[1]  # the likely one was accepted
    assert nothing_saved()

    decided = runner.invoke(args=["lms", "import-attendance", "--session", str(circle.one.id), "--file", str(ZOOM_OSLO),
                                  "--timezone", OSLO, "--yes", "--accept-likely",
                                  "--assign", f"{JOSE}=jose.nunez@example.net",
                                  "--assign", "kari.nordmann@example.net=Siobhán O'Neill",
                                  "--assign", "Room 3 — Oslo prison=ignore"])
    assert decided.exit_code == 0, decided.output
    state = saved(circle.one)
    assert (state[JOSE], state[SIOBHAN], state[KARI], state[AN]) == (
        ("present", 90, "zoom"), ("present", 80, "zoom"), ("absent", 0, "zoom"), ("present", 90, "zoom"))
