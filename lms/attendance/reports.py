"""Reading Zoom and Microsoft Teams attendance reports, and matching their join rows to people."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lms.core.exceptions import DomainError
from lms.core.timezones import is_valid_zone

EXPECTED = "a Zoom participants export or a Microsoft Teams attendance report"


class AttendanceFileError(DomainError):
    """An attendance report was refused; the message says what was expected, or which line is wrong."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class JoinRow:
    """One stay in the meeting, from joining to leaving, as the report lists it."""

    line: int  # the line in the file, so a person can find the row
    display_name: str
    original_name: str  # Zoom's registered name in parentheses; the display name when there is none
    email: str  # lower-cased; "" when the report has none (guests, phones)
    joined_at: datetime  # aware, UTC
    left_at: datetime  # aware, UTC
    is_guest: bool
    is_host: bool


@dataclass
class AttendanceReport:
    platform: str  # "zoom" or "teams"
    meeting_title: str  # "" when the file does not say
    rows: list[JoinRow]


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    email: str


@dataclass
class MatchedAttendee:
    person_id: int | None  # None when kind is "none"
    kind: str  # "email", "name", "likely" (a person must confirm it) or "none"
    display_name: str
    email: str
    rows: list[JoinRow]


# --- reading the file ------------------------------------------------------------------------

def parse_report(data: bytes, file_timezone: str) -> AttendanceReport:
    """Read a Zoom or Teams report; its wall-clock times are read in `file_timezone` and returned in UTC."""
    if not is_valid_zone(file_timezone):
        raise DomainError(f"Unknown time zone: {file_timezone}", field="timezone")
    rows, header_index = _rows_and_header(_decode(data))
    header_line, header = rows[header_index]
    header_keys = [_key(cell) for cell in header]
    columns = _columns(header_keys, header_line)
    table = _table(rows, header_index)
    zone = ZoneInfo(file_timezone)
    day_first = _dates_are_day_first(table, columns)
    # Only Zoom's "Name (Original Name)" column puts a second name in parentheses; elsewhere
    # parentheses are part of the name a person chose, such as "Wei Ling Tan (she/her)".
    has_original_name = header_keys[columns["name"]] == "name (original name)"
    join_rows = [
        _join_row(line, cells, header, columns, has_original_name, zone, day_first) for line, cells in table
    ]

    is_teams = "first join" in header_keys or any(_is_section_heading(cells) for _, cells in rows)
    return AttendanceReport(
        platform="teams" if is_teams else "zoom",
        meeting_title=_meeting_title(rows[:header_index]),
        rows=join_rows,
    )


def _rows_and_header(text: str) -> tuple[list[tuple[int, list[str]]], int]:
    """The file's rows (line number, cells) and the index of the attendance table's header row."""
    # Zoom writes commas and Teams writes tabs, but a report re-saved from a spreadsheet may use
    # either; the right separator is the one that finds the table's header row.
    for delimiter in ("\t", ","):
        rows = _read_rows(text, delimiter)
        header_index = _find_header(rows)
        if header_index is not None:
            return rows, header_index
    raise AttendanceFileError(
        f"This does not look like {EXPECTED}: no column named 'Join Time' "
        f"(or 'First Join' and 'Last Leave') was found. The file starts with: {_preview(rows)}"
    )


def _columns(header_keys: list[str], header_line: int) -> dict[str, int | None]:
    """Where each value is in a row, by the names Zoom and Teams give their columns; None when absent."""
    columns = {
        "name": _column(header_keys, "name (original name)", "name", "full name"),
        "email": _column(header_keys, "user email", "email"),
        "joined": _column(header_keys, "join time", "first join"),
        "left": _column(header_keys, "leave time", "last leave"),
        "duration": _column(header_keys, "duration (minutes)", "duration", "in-meeting duration"),
        "guest": _column(header_keys, "guest"),
        "role": _column(header_keys, "role"),
    }
    if columns["name"] is None:
        raise AttendanceFileError(
            f"The table that starts on line {header_line} has no 'Name' column.", line=header_line
        )
    if columns["left"] is None:
        raise AttendanceFileError(
            f"The table that starts on line {header_line} has no 'Leave Time' column.", line=header_line
        )
    return columns


def _table(rows: list[tuple[int, list[str]]], header_index: int) -> list[tuple[int, list[str]]]:
    """The rows under the header: until a blank row or the next numbered section ("3. In-Meeting Activities")."""
    table = []
    for line, cells in rows[header_index + 1:]:
        if not any(cells) or _is_section_heading(cells):
            break
        table.append((line, cells))
    return table


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # the byte-order mark says which byte comes first; Teams writes LE
    else:
        encoding = "utf-8-sig"  # drops Zoom's byte-order mark, and reads plain UTF-8 as well
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = None
    # NUL characters mean binary data, or UTF-16 saved without its byte-order mark.
    if text is None or "\x00" in text:
        raise AttendanceFileError(
            f"This file is not a text (CSV) file. Expected {EXPECTED}, downloaded as CSV."
        )
    if not text.strip():
        raise AttendanceFileError(f"The file is empty. Expected {EXPECTED}.")
    return text


def _read_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every row of the file with its line number, cells trimmed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(reader.line_num, [cell.strip() for cell in cells]) for cells in reader]
    except csv.Error:
        return []  # not CSV at all; the caller reports that no header was found


def _key(cell: str) -> str:
    """A column name compared without case or extra spaces: 'Join time' is 'Join Time'."""
    return " ".join(cell.casefold().split())


def _column(header_keys: list[str], *names: str) -> int | None:
    for name in names:
        if name in header_keys:
            return header_keys.index(name)
    return None


def _find_header(rows: list[tuple[int, list[str]]]) -> int | None:
    """The index of the header row of the join table.

    Zoom's participants table and Teams' "In-Meeting Activities" list every join separately, so a
    reconnection's gap is not counted. Teams' "Participants" section only has each person's first
    join and last leave, so it is used only when the activities section is missing.
    """
    per_person = None
    for index, (_, cells) in enumerate(rows):
        keys = {_key(cell) for cell in cells}
        if {"join time", "leave time"} <= keys:
            return index
        if per_person is None and {"first join", "last leave"} <= keys:
            per_person = index
    return per_person


def _is_section_heading(cells: list[str]) -> bool:
    """Teams' "1. Summary", "2. Participants", "3. In-Meeting Activities" rows."""
    filled = [cell for cell in cells if cell]
    return len(filled) == 1 and re.match(r"\d+\.\s+\S", filled[0]) is not None


def _preview(rows: list[tuple[int, list[str]]]) -> str:
    for _, cells in rows:
        if any(cells):
            text = ", ".join(cell for cell in cells if cell)
            return f"'{text[:100]}…'" if len(text) > 100 else f"'{text}'"
    return "(nothing readable)"


def _meeting_title(rows: list[tuple[int, list[str]]]) -> str:
    """The title from Teams' summary ("Meeting title", value) or Zoom's meeting block ("Topic" column)."""
    for index, (_, cells) in enumerate(rows):
        keys = [_key(cell) for cell in cells]
        if len(cells) >= 2 and keys[0] in ("meeting title", "title"):
            return cells[1]
        if "topic" in keys and index + 1 < len(rows):
            values = rows[index + 1][1]
            position = keys.index("topic")
            if position < len(values):
                return values[position]
    return ""


_MARKER = re.compile(r"\s*\((host|co-host|guest)\)\s*$", re.IGNORECASE)
_ORIGINAL_NAME = re.compile(r"(.+?)\s*\(([^()]+)\)")


def _split_name(name: str, has_original_name: bool) -> tuple[str, str, set[str]]:
    """(display name, original name, markers such as 'host' or 'guest') from the report's name cell."""
    markers = set()
    while match := _MARKER.search(name):
        markers.add(match.group(1).lower())
        name = name[: match.start()]
    display_name = original_name = name
    if has_original_name and (match := _ORIGINAL_NAME.fullmatch(name)):
        display_name, original_name = match.group(1), match.group(2).strip()
    return display_name, original_name, markers


def _left_from_duration(joined_at: datetime, duration: str, line: int) -> datetime:
    if not duration:
        raise AttendanceFileError(f"Line {line}: the leave time is empty.", line=line)
    # A report downloaded while someone was still in the meeting has no leave time yet,
    # but it does have the duration so far.
    try:
        return joined_at + parse_duration(duration)
    except (ValueError, OverflowError):  # OverflowError: a duration of more days than a calendar holds
        raise AttendanceFileError(
            f"Line {line}: the leave time is empty and the duration '{duration}' cannot be read.",
            line=line,
        ) from None


def _join_row(
    line: int,
    cells: list[str],
    header: list[str],
    columns: dict[str, int | None],
    has_original_name: bool,
    zone: ZoneInfo,
    day_first: bool,
) -> JoinRow:
    def cell(column: str) -> str:
        index = columns[column]
        return cells[index] if index is not None and index < len(cells) else ""

    display_name, original_name, markers = _split_name(cell("name"), has_original_name)
    joined_at = _read_time(cell("joined"), header[columns["joined"]], line, zone, day_first)
    if cell("left"):
        left_at = _read_time(cell("left"), header[columns["left"]], line, zone, day_first)
    else:
        left_at = _left_from_duration(joined_at, cell("duration"), line)
    if left_at < joined_at:
        raise AttendanceFileError(f"Line {line}: the leave time is before the join time.", line=line)

    return JoinRow(
        line=line,
        display_name=display_name,
        original_name=original_name,
        email=cell("email").lower(),
        joined_at=joined_at,
        left_at=left_at,
        is_guest="guest" in markers or cell("guest").lower() == "yes",
        # A co-host may be a learner the host promoted, so only the host's own row is set aside.
        is_host="host" in markers or cell("role").lower() == "organizer",
    )


# --- times and durations ---------------------------------------------------------------------

_CLOCKS = ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M")
_MONTH_FIRST = [f"{day} {clock}" for day in ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d") for clock in _CLOCKS]
_DAY_FIRST = [f"{day} {clock}" for day in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d") for clock in _CLOCKS]
_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/")


def _dates_are_day_first(table: list[tuple[int, list[str]]], columns: dict[str, int | None]) -> bool:
    """Whether the file writes 17/04/2025 rather than 04/17/2025.

    One value is not enough to tell (02/05/2025 could be either), so the whole file decides: a first
    number above 12 can only be a day. A file whose every date is ambiguous is read month first,
    the order both Zoom and Teams use unless the account is set to another region.
    """
    for _, cells in table:
        for column in ("joined", "left"):
            index = columns[column]
            if index is not None and index < len(cells):
                match = _SLASHED_DATE.match(cells[index])
                if match and int(match.group(1)) > 12:
                    return True
    return False


def _read_time(value: str, column: str, line: int, zone: ZoneInfo, day_first: bool) -> datetime:
    """A report's time -> an aware UTC datetime. Times without an offset are wall-clock times in `zone`."""
    if not value:
        raise AttendanceFileError(f"Line {line}: the '{column}' time is empty.", line=line)
    moment = _datetime_from_text(value, day_first)
    if moment is None:
        raise AttendanceFileError(
            f"Line {line}: '{value}' in the '{column}' column is not a date and time this importer can read "
            "(such as 04/17/2025 09:51:02 AM, 5/2/25, 9:58 or 2025-05-02 09:58:12).",
            line=line,
        )
    if moment.tzinfo is None:
        # An hour that happens twice when the clocks go back is read as the first of the two.
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 31 December 9999 in New York is already the year 10000 in UTC
        raise AttendanceFileError(f"Line {line}: '{value}' is not a date a meeting can have.", line=line) from None


def _datetime_from_text(value: str, day_first: bool) -> datetime | None:
    # Teams writes "5/2/25, 9:58:12 AM": the comma is only punctuation.
    text = " ".join(value.replace(",", " ").split())
    if re.match(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}", text):
        try:
            return datetime.fromisoformat(text)  # also reads an explicit offset such as Z or +02:00
        except ValueError:
            pass  # "2025-05-02 09:58:12 AM" is not ISO; the patterns below read it
    for pattern in _DAY_FIRST if day_first else _MONTH_FIRST:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


_HOURS_MINUTES_SECONDS = re.compile(r"(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?")


def parse_duration(value: str) -> timedelta:
    """Teams' "1h 31m 38s", "45m 2s" or "38s", or Zoom's plain minutes ("93"). Raises ValueError."""
    text = value.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(minutes=float(text))
    match = _HOURS_MINUTES_SECONDS.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"Not a duration: {value!r}")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def merge_minutes(
    intervals: list[tuple[datetime, datetime]], window_start: datetime, window_end: datetime
) -> float:
    """Minutes inside the window covered by at least one interval: overlaps and reconnections count once."""
    counted = timedelta(0)
    counted_until = window_start  # nothing before the window counts
    for start, end in sorted(intervals):
        start = max(start, counted_until)  # time already counted is not counted again
        end = min(end, window_end)
        if end > start:
            counted += end - start
            counted_until = end
    return counted.total_seconds() / 60


def outcome(minutes: float, scheduled_minutes: int, share: float = 0.75) -> str:
    return "present" if minutes >= share * scheduled_minutes else "absent"


# --- matching rows to people -----------------------------------------------------------------

def match_rows(rows: list[JoinRow], people: list[Person]) -> list[MatchedAttendee]:
    """Group the join rows by the person they belong to, in the order people first appear in the report.

    A person can come back in two groups when some rows matched surely (email, name) and others only
    as "likely": the likely rows still need a person to confirm them. Rows that match nobody are
    grouped by email, or by display name when there is no email.
    """
    groups: dict[tuple, MatchedAttendee] = {}
    for row in rows:
        if row.is_host:
            continue  # the organiser's own account, not a participant
        person, kind = _match(row, people)
        if person is not None:
            key = ("person", person.id, kind)
        else:
            key = ("unmatched", row.email or _plain(row.display_name))
        if key not in groups:
            groups[key] = MatchedAttendee(
                person_id=person.id if person else None,
                kind=kind,
                display_name=row.display_name,
                email=row.email,
                rows=[],
            )
        attendee = groups[key]
        attendee.rows.append(row)
        if not attendee.email:
            attendee.email = row.email
    return list(groups.values())


def _match(row: JoinRow, people: list[Person]) -> tuple[Person | None, str]:
    """The one person this row belongs to and how sure that is; two candidates are no match."""
    if row.email:
        found = [person for person in people if person.email.strip().lower() == row.email]
        if len(found) == 1:
            return found[0], "email"

    names = {_plain(row.display_name), _plain(row.original_name)} - {""}
    found = [person for person in people if _plain(person.full_name) in names]
    if len(found) == 1:
        # A guest types any name when joining, so even an exact name is unverified: it is only
        # "likely" until a person confirms it (the README's "Aisha Rahman (Guest)" in Teams).
        return found[0], "likely" if row.is_guest else "name"

    found = [person for person in people if _looks_like(row, person)]
    if len(found) == 1:
        return found[0], "likely"
    return None, "none"


def _plain(name: str) -> str:
    """A name for exact comparison: same letters, any case, spaces trimmed and collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _words(name: str) -> list[str]:
    """A name's words without accents, case or punctuation: "Jean-François Côté" -> jean francois cote."""
    name = re.sub(r"\(guest\)", " ", name, flags=re.IGNORECASE)
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", " ", without_accents).split()


def _looks_like(row: JoinRow, person: Person) -> bool:
    """Whether the row's name could be the person's: a guess that a person has to confirm."""
    person_words = _words(person.full_name)
    for name in (row.display_name, row.original_name):
        words = _words(name)
        if not words or not person_words:
            continue
        # Every word belongs to the person's name: "Wei Ling" or "jean francois cote".
        if set(words) <= set(person_words):
            return True
        # First name(s) and the last name's initial: "Marcus B" or "Marcus B.".
        first_names, initial = words[:-1], words[-1]
        if (
            first_names
            and len(initial) == 1
            and len(person_words) > len(first_names)
            and first_names == person_words[: len(first_names)]
            and person_words[-1].startswith(initial)
        ):
            return True
    return False
