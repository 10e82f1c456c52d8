"""Roster import: uploading a CSV through the people page, all or nothing, and parse_roster's line numbers."""
from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.academies.models import Enrolment
from lms.accounts import services as accounts
from lms.accounts.models import AccountToken, User
from lms.accounts.services import parse_roster
from lms.core.exceptions import RosterError
from lms.core.extensions import db
from tests.factories import make_user
from tests.helpers import SAMPLES, count, html, sign_in_admin

SAMPLE = SAMPLES / "roster.csv"
HEADER = "full_name,email,role,timezone,group\n"


# --- helpers ---------------------------------------------------------------------------------

def people_count() -> int:
    """Users other than the signed-in admin."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(False)))


def problems_of(response) -> list[str]:
    """The lines of the 'Nothing was imported' list on the people page."""
    summary = re.search(r"Nothing was imported.*?<ul>(.*?)</ul>", response.get_data(as_text=True), re.S)
    assert summary, "the page shows no list of roster problems"
    return [unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)]


def upload(browser, academy, data: bytes, filename: str = "roster.csv"):
    return browser.post(
        f"/admin/academies/{academy.id}/people/import",
        data={"roster": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def problems(data: bytes, default_timezone: str = "Europe/London") -> list[tuple[int, str]]:
    with pytest.raises(RosterError) as refused:
        parse_roster(data, default_timezone)
    return refused.value.problems


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def admin(browser, academy):
    """An admin, signed in and looking at the academy's people page."""
    user = sign_in_admin(browser)
    assert browser.get(f"/admin/academies/{academy.id}/people").status_code == 200
    return user


# --- importing the sample roster -------------------------------------------------------------

def test_the_sample_roster_enrols_everyone_with_their_role_group_and_time_zone(browser, admin, academy):
    response = upload(browser, academy, SAMPLE.read_bytes())

    assert response.status_code == 200
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.academy_id == academy.id)).all()
    roles = [enrolment.role for enrolment in enrolments]
    assert roles.count("learner") == 5
    assert roles.count("facilitator") == 2
    with SAMPLE.open(encoding="utf-8", newline="") as sample:
        rows = list(csv.DictReader(sample))
    assert people_count() == len(rows) == 7
    for row in rows:
        user = db.session.scalar(select(User).where(User.email == row["email"]))
        assert user is not None, row["email"]
        assert (user.full_name, user.timezone) == (row["full_name"], row["timezone"])
        enrolment = user.enrolment_in(academy.id)
        assert (enrolment.role, enrolment.group_name) == (row["role"], row["group"])
    assert "7 people added" in unescape(html(response))
    assert len(re.findall(r'value="https?://[^"]*/auth/invitation/', unescape(html(response)))) == 7


def test_importing_the_same_roster_again_changes_nothing(browser, admin, academy):
    upload(browser, academy, SAMPLE.read_bytes())
    before = (count(User), count(Enrolment), count(AccountToken))

    again = upload(browser, academy, SAMPLE.read_bytes())

    assert again.status_code == 200
    assert (count(User), count(Enrolment), count(AccountToken)) == before
    assert "7 already enrolled, unchanged" in unescape(html(again))


def test_an_existing_account_is_enrolled_not_duplicated(browser, admin, academy):
    ingrid = make_user("Ingrid Solberg", email="ingrid.solberg@example.org", timezone="Europe/Oslo")

    response = upload(browser, academy, SAMPLE.read_bytes())

    assert response.status_code == 200
    assert people_count() == 7
    assert db.session.get(User, ingrid.id).enrolment_in(academy.id).group_name == "Oslo"
    page = unescape(html(response))
    assert "6 people added" in page
    assert "1 person who already had an account enrolled: Ingrid Solberg" in page


def test_an_email_that_differs_only_in_case_finds_the_existing_account(browser, admin, academy):
    ingrid = make_user("Ingrid Solberg", email="ingrid.solberg@example.org")

    response = upload(browser, academy, (HEADER + "Ingrid Solberg,Ingrid.Solberg@Example.ORG,learner,Europe/Oslo,Oslo\n")
                      .encode())

    assert response.status_code == 200
    assert people_count() == 1
    assert db.session.get(User, ingrid.id).enrolment_in(academy.id) is not None


# --- all or nothing --------------------------------------------------------------------------

def test_a_roster_with_bad_rows_imports_nobody_and_names_every_bad_row(browser, admin, academy):
    roster = (
        HEADER  # line 1
        + "Ann Good,ann@example.org,learner,Europe/London,A\n"  # line 2
        + "Bad Email,not-an-email,learner,Europe/London,A\n"  # line 3
        + "Cal Good,cal@example.org,facilitator,Europe/Oslo,\n"  # line 4
        + "Mars Person,mars@example.org,learner,Mars/Olympus,A\n"  # line 5
        + "Ann Again,ANN@example.org,learner,Europe/London,B\n"  # line 6: line 2's email
    )

    response = upload(browser, academy, roster.encode())

    assert response.status_code == 400
    listed = problems_of(response)
    assert len(listed) == 3
    assert listed[0].startswith("Row 3:") and "not-an-email is not a valid email address" in listed[0]
    assert listed[1].startswith("Row 5:") and "No time zone was found for “Mars/Olympus”" in listed[1]
    assert listed[2] == "Row 6: ann@example.org is already on row 2."
    assert people_count() == 0
    assert count(Enrolment) == 0
    assert count(AccountToken) == 0


def test_a_roster_without_an_email_column_is_refused_with_a_clear_message(browser, admin, academy):
    response = upload(browser, academy, b"full_name,role,timezone\nAnn Good,learner,Europe/London\n")

    assert response.status_code == 400
    [message] = problems_of(response)
    assert message.startswith("Row 1:")
    assert "none is called Email" in message
    assert people_count() == 0


def test_an_empty_roster_is_refused_with_a_clear_message(browser, admin, academy):
    response = upload(browser, academy, b"")

    assert response.status_code == 400
    assert problems_of(response) == ["The file is empty."]


def test_a_roster_with_a_header_but_no_people_is_refused(browser, admin, academy):
    response = upload(browser, academy, HEADER.encode())

    assert response.status_code == 400
    assert problems_of(response) == ["The file has a first row of headings but no people."]


def test_a_roster_that_is_not_utf8_asks_for_csv_utf8(browser, admin, academy):
    latin1 = (HEADER + "Jean-François Côté,jf.cote@example.org,learner,America/Toronto,Montréal\n").encode("latin-1")

    response = upload(browser, academy, latin1)

    assert response.status_code == 400
    [message] = problems_of(response)
    assert "not UTF-8" in message
    assert "CSV UTF-8" in message
    assert people_count() == 0


def test_a_utf8_roster_with_a_byte_order_mark_is_imported(browser, admin, academy):
    with_bom = ("\ufeff" + HEADER + "Jean-François Côté,jf.cote@example.org,learner,America/Toronto,Montréal\n")

    response = upload(browser, academy, with_bom.encode("utf-8"))

    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "jf.cote@example.org"))
    assert user.full_name == "Jean-François Côté"
    assert user.enrolment_in(academy.id).group_name == "Montréal"


def test_a_semicolon_separated_roster_is_imported(browser, admin, academy):
    roster = "full_name;email;role;timezone;group\nSolberg, Ingrid;ingrid@example.org;facilitator;Europe/Oslo;Oslo\n"

    response = upload(browser, academy, roster.encode())

    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "ingrid@example.org"))
    assert (user.full_name, user.timezone) == ("Solberg, Ingrid", "Europe/Oslo")
    assert user.enrolment_in(academy.id).role == "facilitator"


def test_an_unknown_role_is_reported_with_its_row(browser, admin, academy):
    roster = HEADER + "Ann Good,ann@example.org,learner,Europe/London,\nGus Guest,gus@example.org,guest,Europe/London,\n"

    response = upload(browser, academy, roster.encode())

    assert response.status_code == 400
    assert problems_of(response) == ["Row 3: Role must be learner or facilitator, not guest."]
    assert people_count() == 0


def test_sending_no_file_is_refused_next_to_the_field(browser, admin, academy):
    response = browser.post(f"/admin/academies/{academy.id}/people/import", data={},
                            content_type="multipart/form-data")

    assert response.status_code == 400
    assert "Choose a CSV file to import." in unescape(html(response))


# --- parse_roster: rows are numbered as a spreadsheet numbers them, the headings being row 1 -----

def test_parse_roster_reads_people_in_order_with_defaults():
    people = parse_roster((HEADER + "Ann Good,ANN@Example.org,,,\nBo Bright,bo@example.org,Facilitator,Asia/Singapore,"
                           " Team  Two \n").encode(), "America/Chicago")

    assert [(p.full_name, p.email, p.role, p.timezone, p.group) for p in people] == [
        ("Ann Good", "ann@example.org", "learner", "America/Chicago", ""),
        ("Bo Bright", "bo@example.org", "facilitator", "Asia/Singapore", "Team Two"),
    ]


def test_parse_roster_numbers_the_first_person_line_2():
    assert problems((HEADER + "Ann Good,nope,learner,Europe/London,\n").encode())[0][0] == 2


def test_parse_roster_counts_blank_rows_so_numbers_match_the_spreadsheet():
    data = (HEADER + "Ann Good,ann@example.org,,,\n\n\nBo Bright,bo@example,,,\n").encode()
    assert [line for line, _ in problems(data)] == [5]


def test_parse_roster_counts_windows_line_endings_like_any_others():
    data = (HEADER + "Ann Good,ann@example.org,,,\nBo Bright,,,,\n").replace("\n", "\r\n").encode()
    assert problems(data) == [(3, "Enter an email address, or, for a learner without email who takes part on "
                                  "paper, the organisation or unit they take part through.")]


def test_parse_roster_counts_a_cell_of_several_lines_as_one_row_like_a_spreadsheet():
    data = (HEADER + '"Ann\nGood",ann@example.org,,,\nBo Bright,bo@example.org,wizard,,\n').encode()
    assert [line for line, _ in problems(data)] == [3]


def test_parse_roster_lists_every_bad_row_in_file_order():
    data = (
        HEADER
        + ",nameless@example.org,,,\n"  # 2: no name
        + "Ann Good,ann@example.org,,,\n"  # 3: fine
        + "Bo Bright,bo@example.org,learner,Europe/London,A,extra\n"  # 4: too many values
        + "Cy Clone,ANN@example.org,,,\n"  # 5: line 3's email
        + "Di Dial,di@example.org,,Moon/Base,\n"  # 6: unknown zone
    ).encode()

    found = problems(data)

    assert [line for line, _ in found] == [2, 4, 5, 6]
    assert found[0][1] == "Enter the person's full name."
    assert found[1][1] == "This row has 6 values, but the first row names only 5 columns."
    assert found[2][1] == "ann@example.org is already on row 3."
    assert "Moon/Base" in found[3][1]


def test_parse_roster_reports_a_missing_column_on_row_1_and_says_which_headings_it_knows():
    assert problems(b"Participant number,email\n12,ann@example.org\n") == [
        (1, "The first row must name the columns; none is called Name. Headings understood: Name or Full name or "
            "Full_name; Email or E-mail or Email address; Role; Time zone or Timezone or Zone; Group or Group name; "
            "Takes part on paper through or Takes part through or On paper through.")
    ]


@pytest.mark.parametrize("headings", [
    "Name,Email,Role,Time zone,Group",
    "Full name,E-mail,role,TIME ZONE,group",
    "full_name,Email address,Role,timezone,Group",
    "Name;E-mail address;Role;Time-zone;Group",
    "Group,Time zone,Role,Email,Name",  # any order
])
def test_parse_roster_accepts_the_headings_people_use(headings):
    delimiter = ";" if ";" in headings else ","
    columns = [heading.strip().lower() for heading in headings.split(delimiter)]
    values = {"name": "Ann Good", "email": "ann@example.org", "role": "Facilitator", "zone": "Oslo", "group": "Blue"}
    def value(heading):
        for key in ("name", "mail", "role", "zone", "group"):
            if key in heading:
                return values["email" if key == "mail" else key]
        raise AssertionError(heading)
    row = delimiter.join(value(heading) for heading in columns)
    [person] = parse_roster(f"{headings}\n{row}\n".encode(), "UTC")
    assert (person.full_name, person.email, person.role, person.timezone, person.group) == (
        "Ann Good", "ann@example.org", "facilitator", "Europe/Oslo", "Blue")


def test_parse_roster_leaves_other_columns_out_and_refuses_one_column_named_twice():
    [person] = parse_roster(b"Name,Notes,Email\nAnn Good,met in Oslo,ann@example.org\n", "UTC")
    assert (person.full_name, person.email) == ("Ann Good", "ann@example.org")
    assert problems(b"Name,Full name,Email\nAnn,Ann Good,ann@example.org\n") == [
        (1, "Two columns of the first row are both Name: keep one.")]


def test_parse_roster_accepts_spreadsheet_style_headers():
    people = parse_roster(b"Full Name,Email,Role\nAnn Good,ann@example.org,learner\n", "UTC")
    assert [(p.full_name, p.email) for p in people] == [("Ann Good", "ann@example.org")]


def test_parse_roster_reports_whole_file_problems_as_line_0():
    assert problems(b"") == [(0, "The file is empty.")]
    assert problems(b"  \n\n") == [(0, "The file is empty.")]
    assert problems("full_name,email\nJosé,jose@example.org\n".encode("latin-1"))[0][0] == 0


def test_parse_roster_reads_doubled_quotes_in_a_quoted_name_as_excel_writes_them():
    people = parse_roster(b'full_name,email\n"Jean ""JJ"" Smith",jj@example.org\n', "UTC")
    assert people[0].full_name == 'Jean "JJ" Smith'


def test_a_legacy_zone_name_in_a_roster_gives_the_zone_it_stands_for():
    data = b"full_name,email,role,timezone\nIngrid Solberg,ingrid@example.org,learner,US/Eastern\n"
    [person] = accounts.parse_roster(data, "Europe/London")
    assert person.timezone == "America/New_York"


def test_the_people_page_says_which_headings_a_roster_may_use(browser, admin, academy):
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", html(browser.get(f"/admin/academies/{academy.id}/people")))).split())
    assert "The first row names the columns. These headings are understood, in any order:" in page
    for heading in ("Name (or Full name): needed", "Email (or E-mail, Email address): needed",
                    "Role : learner or facilitator", "Time zone : a city or a country", "Group : optional"):
        assert heading in page
    assert "full_name" not in page
