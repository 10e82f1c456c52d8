"""Attendance reports: reading the Zoom and Teams samples, merging joins into minutes, and matching people."""
from __future__ import annotations

import csv
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from lms.attendance.reports import (
    AttendanceFileError,
    JoinRow,
    Person,
    match_rows,
    merge_minutes,
    outcome,
    parse_duration,
    parse_report,
)
from tests.helpers import SAMPLES

ZOOM = SAMPLES / "zoom-participants-session-one.csv"
TEAMS = SAMPLES / "teams-attendance-session-two.csv"
ZONE = "America/New_York"

# 10:00-11:30 in New York (EDT, UTC-4) on both dates.
SESSION_ONE = (datetime(2025, 4, 17, 14, 0, tzinfo=UTC), datetime(2025, 4, 17, 15, 30, tzinfo=UTC))
SESSION_TWO = (datetime(2025, 5, 2, 14, 0, tzinfo=UTC), datetime(2025, 5, 2, 15, 30, tzinfo=UTC))


def roster_people() -> list[Person]:
    """The learners of roster.csv. Dana Whitfield and Are Nilsen are facilitators, so they are left
    out on purpose: Dana's rows in the reports must come back unmatched."""
    with (SAMPLES / "roster.csv").open(encoding="utf-8", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["role"] == "learner"]
    return [Person(id=number, full_name=row["full_name"], email=row["email"]) for number, row in enumerate(rows, 1)]


PEOPLE = roster_people()
ID = {person.full_name: person.id for person in PEOPLE}


def minutes_of(attendee, window) -> float:
    return merge_minutes([(row.joined_at, row.left_at) for row in attendee.rows], *window)


def by_person(attendees) -> dict[int, object]:
    return {attendee.person_id: attendee for attendee in attendees if attendee.person_id is not None}


def unmatched(attendees) -> dict[str, object]:
    return {attendee.display_name: attendee for attendee in attendees if attendee.kind == "none"}


def zoom_csv(*rows: str) -> bytes:
    """A small Zoom participants export without the meeting block."""
    header = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
    return (header + "".join(row + "\r\n" for row in rows)).encode("utf-8")


# --- the README's table, from the real sample files -------------------------------------------

def test_session_one_zoom_report_reads_the_meeting_block_and_every_join():
    report = parse_report(ZOOM.read_bytes(), ZONE)

    assert report.platform == "zoom"
    assert report.meeting_title == "Learning Academy: Peer Mentoring and Peer Support - Session One"
    assert len(report.rows) == 8
    host = report.rows[0]
    assert (host.display_name, host.is_host, host.line) == ("ICPA Academy", True, 5)
    marcus = report.rows[2]
    assert (marcus.display_name, marcus.original_name) == ("Marcus B", "Marcus Boudreaux")
    # 10:02:15 AM in New York in April is 14:02:15 UTC.
    assert marcus.joined_at == datetime(2025, 4, 17, 14, 2, 15, tzinfo=UTC)
    iphone = report.rows[4]
    assert (iphone.display_name, iphone.email, iphone.is_guest) == ("Aisha's iPhone", "", True)
    assert report.rows[6].email == "weiling.tan@example.org"  # WeiLing.Tan@Example.org in the file


def test_session_one_matches_the_readme():
    attendees = match_rows(parse_report(ZOOM.read_bytes(), ZONE).rows, PEOPLE)
    people = by_person(attendees)

    assert all(attendee.display_name != "ICPA Academy" for attendee in attendees)  # the host is left out
    assert minutes_of(people[ID["Ingrid Solberg"]], SESSION_ONE) == pytest.approx(90)
    marcus = people[ID["Marcus Boudreaux"]]
    assert (marcus.kind, len(marcus.rows)) == ("email", 2)
    assert minutes_of(marcus, SESSION_ONE) == pytest.approx(84.3, abs=0.1)
    assert minutes_of(people[ID["Jean-François Côté"]], SESSION_ONE) == pytest.approx(89.9, abs=0.1)
    wei_ling = people[ID["Wei Ling Tan"]]
    assert wei_ling.kind == "email"  # WeiLing.Tan@Example.org matched weiling.tan@example.org
    assert minutes_of(wei_ling, SESSION_ONE) == pytest.approx(89)
    for name in ("Ingrid Solberg", "Marcus Boudreaux", "Jean-François Côté", "Wei Ling Tan"):
        assert outcome(minutes_of(people[ID[name]], SESSION_ONE), 90) == "present", name

    # Aisha's phone joined as a guest without email: nobody can be matched, a person resolves it.
    assert ID["Aisha Rahman"] not in people
    iphone = unmatched(attendees)["Aisha's iPhone"]
    assert minutes_of(iphone, SESSION_ONE) == pytest.approx(15)
    # Dana is a facilitator, not in the people list: her row comes back unmatched, not dropped.
    assert unmatched(attendees)["Dana Whitfield"].email == "dana.whitfield@example.org"
    assert len(attendees) == 6


def test_session_two_teams_report_prefers_the_per_join_activities():
    report = parse_report(TEAMS.read_bytes(), ZONE)

    assert report.platform == "teams"
    assert report.meeting_title == "Learning Academy: Peer Mentoring and Peer Support - Session Two"
    # The "In-Meeting Activities" section, one row per join; the organiser is not listed there.
    assert [row.display_name for row in report.rows] == [
        "Ingrid Solberg", "Marcus Boudreaux", "Aisha Rahman", "Aisha Rahman", "Jean-François Côté", "Dana Whitfield",
    ]
    assert report.rows[0].line == 20
    aisha = report.rows[2]
    assert (aisha.is_guest, aisha.email) == (True, "")
    assert aisha.joined_at == datetime(2025, 5, 2, 14, 5, tzinfo=UTC)


def test_session_two_matches_the_readme():
    attendees = match_rows(parse_report(TEAMS.read_bytes(), ZONE).rows, PEOPLE)
    people = by_person(attendees)

    assert outcome(minutes_of(people[ID["Ingrid Solberg"]], SESSION_TWO), 90) == "present"
    assert outcome(minutes_of(people[ID["Marcus Boudreaux"]], SESSION_TWO), 90) == "present"
    # "Aisha Rahman (Guest)": her exact name, but typed by a guest, so only likely; two joins.
    aisha = people[ID["Aisha Rahman"]]
    assert (aisha.kind, len(aisha.rows)) == ("likely", 2)
    assert minutes_of(aisha, SESSION_TWO) == pytest.approx(79, abs=0.1)
    assert outcome(minutes_of(aisha, SESSION_TWO), 90) == "present"  # once a person confirms her
    jean_francois = people[ID["Jean-François Côté"]]
    assert minutes_of(jean_francois, SESSION_TWO) == pytest.approx(25)
    assert outcome(minutes_of(jean_francois, SESSION_TWO), 90) == "absent"
    assert ID["Wei Ling Tan"] not in people  # not in the report: absent
    assert list(unmatched(attendees)) == ["Dana Whitfield"]


def test_only_ingrid_and_marcus_attend_both_sessions_without_a_hand_resolved_match():
    present = []
    for path, window in ((ZOOM, SESSION_ONE), (TEAMS, SESSION_TWO)):
        attendees = match_rows(parse_report(path.read_bytes(), ZONE).rows, PEOPLE)
        present.append({
            attendee.person_id
            for attendee in attendees
            if attendee.kind == "email" and outcome(minutes_of(attendee, window), 90) == "present"
        })
    both = present[0] & present[1]
    assert both == {ID["Ingrid Solberg"], ID["Marcus Boudreaux"]}


# --- the same reports, saved differently ------------------------------------------------------

def rows_of(data: bytes) -> list[tuple]:
    return [
        (row.display_name, row.original_name, row.email, row.joined_at, row.left_at, row.is_guest, row.is_host)
        for row in parse_report(data, ZONE).rows
    ]


def test_zoom_without_the_meeting_block_reads_the_same_rows():
    lines = ZOOM.read_bytes().split(b"\r\n")
    without_block = b"\r\n".join(lines[3:])  # meeting header, meeting row, blank line

    assert rows_of(without_block) == rows_of(ZOOM.read_bytes())
    report = parse_report(without_block, ZONE)
    assert (report.platform, report.meeting_title, report.rows[1].line) == ("zoom", "", 3)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: text.replace("\r\n", "\n").encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: "\ufeff".encode("utf-16-be") + text.encode("utf-16-be"),
    ],
    ids=["utf-8 without BOM", "utf-8 LF line ends", "utf-16", "utf-16 BE"],
)
def test_zoom_in_other_encodings_reads_the_same_rows(encode):
    text = ZOOM.read_bytes().decode("utf-8-sig")
    assert rows_of(encode(text)) == rows_of(ZOOM.read_bytes())


def test_teams_re_encoded_as_utf8_with_tabs_reads_the_same_rows():
    text = TEAMS.read_bytes().decode("utf-16")
    assert "\t" in text
    assert rows_of(text.encode("utf-8")) == rows_of(TEAMS.read_bytes())
    assert rows_of(text.encode("utf-8-sig")) == rows_of(TEAMS.read_bytes())


def test_teams_re_saved_with_commas_reads_the_same_rows():
    text = TEAMS.read_bytes().decode("utf-16")
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    with_commas = "".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) + "\n" for row in rows)
    assert rows_of(with_commas.encode("utf-8")) == rows_of(TEAMS.read_bytes())


def test_teams_without_activities_uses_first_join_and_last_leave():
    text = TEAMS.read_bytes().decode("utf-16")
    participants_only = text.split("3. In-Meeting Activities")[0]
    report = parse_report(participants_only.encode("utf-16"), ZONE)

    assert report.platform == "teams"
    organiser = report.rows[0]
    assert (organiser.display_name, organiser.is_host) == ("ICPA Academy", True)
    assert [row.display_name for row in report.rows if row.is_guest] == ["Aisha Rahman"]
    # One row from her first join to her last leave: the gap between her joins is counted.
    aisha = match_rows(report.rows, PEOPLE)[2]
    assert minutes_of(aisha, SESSION_TWO) == pytest.approx(84)


# --- times and durations ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "written",
    [
        "05/02/2025 09:58:12 AM",
        "5/2/2025 9:58:12 am",
        "5/2/25, 9:58:12 AM",
        "5/2/25, 9:58:12",
        "5/2/25 09:58:12",
        "05/02/2025 09:58:12",
        "2025-05-02 09:58:12",
        "2025-05-02T09:58:12",
        "2025-05-02 09:58:12 AM",
        "2025-05-02T13:58:12Z",  # an explicit offset wins over the file's zone
    ],
)
def test_times_with_12_and_24_hour_clocks(written):
    report = parse_report(zoom_csv(f'Ingrid Solberg,i@example.org,"{written}",2025-05-02 11:30,92,No'), ZONE)
    assert report.rows[0].joined_at == datetime(2025, 5, 2, 13, 58, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["05/02/2025 09:58", "5/2/25, 9:58", "2025-05-02 09:58", "5/2/2025 9:58 AM", "5/2/25 9:58 am"]
)
def test_times_without_seconds(written):
    report = parse_report(zoom_csv(f'Ingrid Solberg,i@example.org,"{written}",2025-05-02 11:30,92,No'), ZONE)
    assert report.rows[0].joined_at == datetime(2025, 5, 2, 13, 58, tzinfo=UTC)


@pytest.mark.parametrize(("written", "expected"), [
    ("05/02/2025 12:30:00 AM", datetime(2025, 5, 2, 4, 30, tzinfo=UTC)),  # half past midnight
    ("05/02/2025 12:30 PM", datetime(2025, 5, 2, 16, 30, tzinfo=UTC)),
    ("5/2/25 0:05", datetime(2025, 5, 2, 4, 5, tzinfo=UTC)),
    ("5/2/99 23:59:59", datetime(1999, 5, 3, 3, 59, 59, tzinfo=UTC)),  # as strptime reads %y
])
def test_slashed_times_at_the_edges_of_the_clock(written, expected):
    report = parse_report(zoom_csv(f'Ingrid Solberg,i@example.org,"{written}",2025-05-02 23:59,1,No'), ZONE)
    assert report.rows[0].joined_at == expected


@pytest.mark.parametrize("written", ["05/02/2025 13:00 PM", "05/02/2025 0:30 AM", "02/30/2025 10:00", "5/2/25 24:00"])
def test_impossible_slashed_times_are_refused(written):
    with pytest.raises(AttendanceFileError) as refused:
        parse_report(zoom_csv(f'Ingrid Solberg,i@example.org,"{written}",2025-05-02 23:59,1,No'), ZONE)
    assert f"'{written}' in the 'Join Time' column is not a date and time" in refused.value.message


def test_a_pm_time_and_a_winter_date_use_the_zones_offset_on_that_day():
    report = parse_report(zoom_csv("Ingrid Solberg,i@example.org,01/15/2025 02:00:00 PM,01/15/2025 15:30,90,No"), ZONE)
    assert report.rows[0].joined_at == datetime(2025, 1, 15, 19, 0, tzinfo=UTC)  # EST, UTC-5
    assert report.rows[0].left_at == datetime(2025, 1, 15, 20, 30, tzinfo=UTC)


def test_a_file_with_a_day_above_12_is_read_day_first_throughout():
    report = parse_report(
        zoom_csv(
            "Ingrid Solberg,i@example.org,02/05/2025 09:58,02/05/2025 11:30,92,No",
            "Marcus B (Marcus Boudreaux),m@example.org,17/04/2025 10:00,17/04/2025 11:00,60,No",
        ),
        ZONE,
    )
    assert report.rows[0].joined_at == datetime(2025, 5, 2, 13, 58, tzinfo=UTC)  # 2 May, not 5 February
    assert report.rows[1].joined_at == datetime(2025, 4, 17, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1h 31m 38s", timedelta(hours=1, minutes=31, seconds=38)),
        ("45m 2s", timedelta(minutes=45, seconds=2)),
        ("38s", timedelta(seconds=38)),
        ("25m 0s", timedelta(minutes=25)),
        ("2h", timedelta(hours=2)),
        ("93", timedelta(minutes=93)),
        (" 1.5 ", timedelta(minutes=1, seconds=30)),
    ],
)
def test_durations(written, expected):
    assert parse_duration(written) == expected


@pytest.mark.parametrize("written", ["", "soon", "1h 31", "-5", "1:31:38"])
def test_unreadable_durations(written):
    with pytest.raises(ValueError):
        parse_duration(written)


def test_a_blank_leave_time_is_the_join_time_plus_the_duration():
    report = parse_report(zoom_csv("Ingrid Solberg,i@example.org,05/02/2025 10:00 AM,,45,No"), ZONE)
    assert report.rows[0].left_at - report.rows[0].joined_at == timedelta(minutes=45)


# --- merging joins into minutes ---------------------------------------------------------------

def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 5, 2, hour, minute, tzinfo=UTC)


WINDOW = (at(14), at(15, 30))


@pytest.mark.parametrize(
    ("intervals", "minutes"),
    [
        ([], 0),
        ([(at(14), at(15, 30))], 90),
        ([(at(14, 10), at(14, 40)), (at(14, 50), at(15, 20))], 60),  # a reconnection: the gap does not count
        ([(at(14, 10), at(14, 40)), (at(14, 30), at(15))], 50),  # two devices at once: counted once
        ([(at(14, 30), at(15)), (at(14, 10), at(14, 40))], 50),  # in any order
        ([(at(14), at(15, 30)), (at(14, 20), at(14, 30))], 90),  # one join inside another
        ([(at(14, 10), at(14, 40)), (at(14, 40), at(15))], 50),  # back to back
        ([(at(13, 30), at(14, 15))], 15),  # early arrival: only time inside the window
        ([(at(15, 15), at(16, 30))], 15),  # staying late
        ([(at(13), at(17))], 90),
        ([(at(12), at(13, 59)), (at(15, 31), at(16))], 0),  # entirely outside
    ],
)
def test_merge_minutes(intervals, minutes):
    assert merge_minutes(intervals, *WINDOW) == pytest.approx(minutes)


def test_outcome_is_present_from_three_quarters_of_the_scheduled_time():
    assert outcome(67.5, 90) == "present"
    assert outcome(67.4, 90) == "absent"
    assert outcome(45, 90, share=0.5) == "present"


# --- matching rows to people ------------------------------------------------------------------

def join_row(display_name: str, original_name: str = "", email: str = "", guest: bool = False, host: bool = False):
    return JoinRow(
        line=2,
        display_name=display_name,
        original_name=original_name or display_name,
        email=email,
        joined_at=at(14),
        left_at=at(15),
        is_guest=guest,
        is_host=host,
    )


def kind_and_person(row: JoinRow, people: list[Person] = PEOPLE) -> tuple[str, int | None]:
    [attendee] = match_rows([row], people)
    return attendee.kind, attendee.person_id


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (join_row("Anything", email="marcus.b@example.org"), ("email", ID["Marcus Boudreaux"])),
        # Without an email, even the exact name is only likely: a person confirms it.
        (join_row("  ingrid   SOLBERG "), ("likely", ID["Ingrid Solberg"])),
        (join_row("Marcus B", original_name="Marcus Boudreaux"), ("likely", ID["Marcus Boudreaux"])),
        (join_row("Aisha Rahman", guest=True), ("likely", ID["Aisha Rahman"])),
        (join_row("Jean-Francois Cote"), ("likely", ID["Jean-François Côté"])),
        (join_row("jean francois côté"), ("likely", ID["Jean-François Côté"])),
        (join_row("Marcus B."), ("likely", ID["Marcus Boudreaux"])),
        (join_row("Wei Ling"), ("likely", ID["Wei Ling Tan"])),
        (join_row("Aisha's iPhone", guest=True), ("none", None)),
        (join_row("Call-in user 3"), ("none", None)),
    ],
    ids=lambda value: value.display_name if isinstance(value, JoinRow) else None,
)
def test_match_kinds(row, expected):
    assert kind_and_person(row) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # An email no one has is never overruled by the name, however exact: a person decides.
        (join_row("Ingrid Solberg", email="ingrid@home.example"), ("none", "unknown_email", ID["Ingrid Solberg"])),
        (join_row("Someone", email="someone@home.example"), ("none", "unknown_email", None)),
        # Marcus's email with Ingrid's name: which one is right is for a person to say.
        (join_row("Ingrid Solberg", email="marcus.b@example.org"), ("none", "email_of_other", None)),
        # The email decides when the name is only a display name, or agrees with it.
        (join_row("Marcus on the train", email="MARCUS.B@example.org "), ("email", "learner", ID["Marcus Boudreaux"])),
        (join_row("Marcus B", email="marcus.b@example.org"), ("email", "learner", ID["Marcus Boudreaux"])),
        # NFD and NFC of one name are the same name; so are other cases and spacing.
        (join_row(unicodedata.normalize("NFD", "Jean-François Côté")), ("likely", "same_name", ID["Jean-François Côté"])),
        (join_row("JEAN-FRANÇOIS  CÔTÉ"), ("likely", "same_name", ID["Jean-François Côté"])),
        (join_row("Jean Francois Cote"), ("likely", "written_differently", ID["Jean-François Côté"])),
        (join_row("WeiLing Tan"), ("likely", "written_differently", ID["Wei Ling Tan"])),
        (join_row("Aisha Rahman", guest=True), ("likely", "guest", ID["Aisha Rahman"])),
    ],
    ids=lambda value: f"{value.display_name} <{value.email}>" if isinstance(value, JoinRow) else None,
)
def test_match_reasons(row, expected):
    [attendee] = match_rows([row], PEOPLE)
    assert (attendee.kind, attendee.reason, attendee.person_id) == expected


def test_a_row_with_another_persons_email_offers_both_people():
    [attendee] = match_rows([join_row("Ingrid Solberg", email="marcus.b@example.org")], PEOPLE)
    assert attendee.candidates == (ID["Marcus Boudreaux"], ID["Ingrid Solberg"])


def test_letters_without_accents_to_strip_are_compared_plainly():
    people = [Person(id=1, full_name="Søren Ødegård", email="s@example.net"),
              Person(id=2, full_name="Łucja Wałęsa", email="l@example.net")]
    assert kind_and_person(join_row("Soren Odegard"), people) == ("likely", 1)
    assert kind_and_person(join_row("lucja walesa"), people) == ("likely", 2)


def test_a_facilitators_email_or_name_is_listed_as_a_facilitator():
    people = PEOPLE + [Person(id=50, full_name="Dana Whitfield", email="dana.whitfield@example.org", role="facilitator")]
    assert kind_and_person(join_row("Dana", email="dana.whitfield@example.org"), people) == ("facilitator", 50)
    assert kind_and_person(join_row("Dana Whitfield"), people) == ("facilitator", 50)
    # A learner's name on the facilitator's account: a person decides.
    assert kind_and_person(join_row("Ingrid Solberg", email="dana.whitfield@example.org"), people) == ("none", None)


def test_a_likely_match_that_fits_two_people_is_no_match():
    people = PEOPLE + [Person(id=99, full_name="Marcus Bell", email="marcus.bell@example.org")]
    assert kind_and_person(join_row("Marcus B"), people) == ("none", None)


def test_rows_of_one_person_are_grouped_and_hosts_left_out():
    rows = [
        join_row("Marcus B", email="marcus.b@example.org"),
        join_row("Academy", email="academy@icpa.example", host=True),
        join_row("Aisha's iPhone", guest=True),
        join_row("Marcus on phone", email="marcus.b@example.org"),
        join_row("Aisha's iPhone", guest=True),
        join_row("Marcus Boudreaux"),
    ]
    attendees = match_rows(rows, PEOPLE)

    assert [(attendee.kind, attendee.display_name, len(attendee.rows)) for attendee in attendees] == [
        ("email", "Marcus B", 2),
        ("none", "Aisha's iPhone", 2),
        ("likely", "Marcus Boudreaux", 1),  # by name alone, so kept apart for a person to confirm
    ]


# --- files that are not attendance reports ----------------------------------------------------

@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b" \r\n\r\n", "The file is empty"),
        (b"\xef\xbb\xbf", "The file is empty"),
        ((SAMPLES / "roster.csv").read_bytes(), "no column named 'Join Time'"),
        (b"date,amount\n2025-01-01,12\n", "no column named 'Join Time'"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "not a text (CSV) file"),
        (bytes(range(256)) * 4, "not a text (CSV) file"),
    ],
    ids=["empty", "blank lines", "only a BOM", "roster", "random csv", "png", "random bytes"],
)
def test_files_that_are_not_reports_are_refused_with_a_plain_message(data, message):
    with pytest.raises(AttendanceFileError) as refused:
        parse_report(data, ZONE)
    assert message in refused.value.message
    assert "Zoom participants export or a Microsoft Teams attendance report" in refused.value.message


def test_the_roster_is_refused_showing_what_the_file_starts_with():
    with pytest.raises(AttendanceFileError) as refused:
        parse_report((SAMPLES / "roster.csv").read_bytes(), ZONE)
    assert "full_name, email, role, timezone, group" in refused.value.message


def test_an_unreadable_time_names_its_line_and_value():
    data = ZOOM.read_bytes().replace(b"04/17/2025 10:44:30 AM", b'"17 April, quarter to eleven"')
    with pytest.raises(AttendanceFileError) as refused:
        parse_report(data, ZONE)
    assert "Line 8" in refused.value.message
    assert "'17 April  quarter to eleven'" not in refused.value.message  # the value as written
    assert "'17 April, quarter to eleven'" in refused.value.message
    assert refused.value.line == 8


def test_an_empty_join_time_names_its_line():
    with pytest.raises(AttendanceFileError) as refused:
        parse_report(zoom_csv("Ingrid Solberg,i@example.org,,05/02/2025 11:30 AM,90,No"), ZONE)
    assert refused.value.message == "Line 2: the 'Join Time' time is empty."
