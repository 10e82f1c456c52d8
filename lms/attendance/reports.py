"""Reading Zoom and Microsoft Teams attendance reports, and matching their join rows to people."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
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
    email: str  # trimmed and case-folded; "" when the report has none (guests, phones)
    joined_at: datetime  # aware, UTC
    left_at: datetime  # aware, UTC
    is_guest: bool
    is_host: bool


@dataclass
class AttendanceReport:
    platform: str  # "zoom" or "teams"
    meeting_title: str  # "" when the file does not say
    meeting_start: datetime | None  # aware, UTC; None when the file does not say
    rows: list[JoinRow]
    # The older Teams attendance list (one row per join or leave) says only names, and stops when it
    # is downloaded: who had not left by then, and the last time in it.
    event_list: bool = False
    still_in: int = 0
    last_event: datetime | None = None

EVENT_LIST = "an older Teams attendance list (Full Name, User Action, Timestamp)"


# --- reading the file ------------------------------------------------------------------------

def parse_report(data: bytes, file_timezone: str) -> AttendanceReport:
    """Read a Zoom or Teams report; its wall-clock times are read in `file_timezone` and returned in UTC.

    A report without a single participant row is refused: saving it would mark every learner absent.
    """
    if not is_valid_zone(file_timezone):
        raise DomainError(f"Unknown time zone: {file_timezone}", field="timezone")
    rows, header_index, table = _rows_header_and_table(_decode(data))
    header_line, header = rows[header_index]
    header_keys = [_key(cell) for cell in header]
    zone = ZoneInfo(file_timezone)
    if _is_event_header(header_keys):
        return _event_list(table, header, header_keys, zone)
    columns = _columns(header_keys, header_line)
    day_first = _dates_are_day_first(table, [columns["joined"], columns["left"]])
    # Only Zoom's "Name (Original Name)" column puts a second name in parentheses; elsewhere
    # parentheses are part of the name a person chose, such as "Wei Ling Tan (she/her)".
    has_original_name = header_keys[columns["name"]] == "name (original name)"
    join_rows = [
        _join_row(line, cells, header, columns, has_original_name, zone, day_first) for line, cells in table
    ]

    is_teams = "first join" in header_keys or any(_is_section_heading(cells) for _, cells in rows)
    return AttendanceReport(
        platform="teams" if is_teams else "zoom",
        meeting_title=_meeting_value(rows[:header_index], "meeting title", "title", "topic"),
        meeting_start=_meeting_start(rows[:header_index], zone, day_first),
        rows=join_rows,
    )


def _rows_header_and_table(text: str) -> tuple[list[tuple[int, list[str]]], int, list[tuple[int, list[str]]]]:
    """The file's rows (line number, cells), the index of the attendance table's header, and its rows."""
    # Zoom writes commas and Teams writes tabs, but a report re-saved from a spreadsheet may use
    # either; the right separator is the one that finds the table's header row.
    for delimiter in ("\t", ","):
        rows = _read_rows(text, delimiter)
        headers = _find_headers(rows)
        if not headers:
            continue
        for header_index in headers:
            table = _table(rows, header_index)
            if table:
                return rows, header_index, table
        header_line = rows[headers[0]][0]
        raise AttendanceFileError(
            f"This report lists no participants: there is nothing under its column headings on line "
            f"{header_line}. Saving it would mark every learner absent, so it was not read. Download the "
            "report again once the meeting has ended, and check that it is the report of the right meeting.",
            line=header_line,
        )
    raise AttendanceFileError(
        f"This does not look like {EXPECTED}: no column named 'Join Time' (or 'First Join' and 'Last Leave', "
        f"or 'User Action' and 'Timestamp') was found. The file starts with: {_preview(rows)}"
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
    """The rows under the header: until a blank row or the next numbered section ("3. In-Meeting Activities").

    Blank rows straight after the header are skipped: a spreadsheet may leave one there.
    """
    table = []
    for line, cells in rows[header_index + 1:]:
        if _is_section_heading(cells) or (not any(cells) and table):
            break
        if any(cells):
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


def _find_headers(rows: list[tuple[int, list[str]]]) -> list[int]:
    """The indexes of the join tables' header rows, the best first.

    Zoom's participants table and Teams' "In-Meeting Activities" list every join separately, so a
    reconnection's gap is not counted. Teams' "Participants" section only has each person's first
    join and last leave, so it is used only when the activities section is missing or empty.
    """
    per_join, per_person = [], []
    for index, (_, cells) in enumerate(rows):
        text = " ".join(cells).casefold()
        if "join" not in text and "timestamp" not in text:
            continue  # most rows are people, not headers: looked at as text first, cheaply
        keys = {_key(cell) for cell in cells}
        if {"join time", "leave time"} <= keys or _is_event_header(keys):
            per_join.append(index)
        elif {"first join", "last leave"} <= keys:
            per_person.append(index)
    return per_join + per_person


def _is_event_header(keys) -> bool:
    """The older Teams attendance list: "Full Name", "User Action" (Joined, Left), "Timestamp"."""
    return {"user action", "timestamp"} <= set(keys) and bool({"full name", "name"} & set(keys))


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


def _meeting_value(rows: list[tuple[int, list[str]]], *names: str) -> str:
    """A value of the meeting itself: from Teams' summary ("Meeting title", value) or Zoom's meeting
    block (a header row, such as "Topic", over a row of values); "" when the file does not say."""
    for index, (_, cells) in enumerate(rows):
        keys = [_key(cell) for cell in cells]
        if len(cells) >= 2 and keys[0] in names:
            return cells[1]
        for name in names:
            if name in keys and index + 1 < len(rows):
                values = rows[index + 1][1]
                if keys.index(name) < len(values):
                    return values[keys.index(name)]
    return ""


def _meeting_start(rows: list[tuple[int, list[str]]], zone: ZoneInfo, day_first: bool) -> datetime | None:
    """When the meeting started, if the file says so in a way this importer can read."""
    written = _meeting_value(rows, "start time", "meeting start time")
    moment = _datetime_from_text(written, day_first) if written else None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


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
        email=email_key(cell("email")),
        joined_at=joined_at,
        left_at=left_at,
        is_guest="guest" in markers or cell("guest").lower() == "yes",
        # A co-host may be a learner the host promoted, so only the host's own row is set aside.
        is_host="host" in markers or cell("role").lower() == "organizer",
    )


# --- the older Teams attendance list: one row per join or leave ----------------------------------

_JOINS = {"joined", "joined before"}  # "Joined before": already there when the organiser's list began
_LEAVES = {"left"}


def _event_list(table, header: list[str], header_keys: list[str], zone: ZoneInfo) -> AttendanceReport:
    """Pair each person's joins and leaves into stays, in the order people first appear.

    A person on two devices at once joins twice before leaving twice: they are in the meeting while
    any device is (reconnections become separate stays; overlaps count once later, in merge_minutes).
    A leave with no join before it means they were there when the list began: from its first time.
    Who never left had not left when the list was downloaded: counted until its last time, and said.
    """
    name_column = _column(header_keys, "full name", "name")
    action_column, time_column = header_keys.index("user action"), header_keys.index("timestamp")
    day_first = _dates_are_day_first(table, [time_column])
    events = []
    for line, cells in table:
        action = _key(_cell(cells, action_column))
        if action not in _JOINS | _LEAVES:
            raise AttendanceFileError(
                f"Line {line}: '{_cell(cells, action_column)}' in the 'User Action' column is neither 'Joined' "
                "nor 'Left'.",
                line=line,
            )
        display_name, _, markers = _split_name(_cell(cells, name_column), has_original_name=False)
        moment = _read_time(_cell(cells, time_column), header[time_column], line, zone, day_first)
        events.append(_Event(name_key(display_name), moment, line, action in _JOINS, display_name, "guest" in markers))
    first, last = min(event.moment for event in events), max(event.moment for event in events)
    by_person: dict[str, list[_Event]] = {}
    for event in events:
        by_person.setdefault(event.person, []).append(event)
    rows, still_in = [], 0
    for person_events in by_person.values():
        person_events.sort(key=lambda event: (event.moment, event.line))
        inside, since = 0, person_events[0]
        for event in person_events:
            if event.is_join:
                if inside == 0:
                    since = event
                inside += 1
            elif inside == 0:
                rows.append(_stay(event, first, event.moment))
            else:
                inside -= 1
                if inside == 0:
                    rows.append(_stay(since, since.moment, event.moment))
        if inside:
            still_in += 1
            rows.append(_stay(since, since.moment, last))
    rows.sort(key=lambda row: row.line)
    return AttendanceReport(platform="teams", meeting_title="", meeting_start=None, rows=rows, event_list=True,
                            still_in=still_in, last_event=last)


@dataclass(frozen=True)
class _Event:
    person: str  # the name, as compared
    moment: datetime
    line: int
    is_join: bool
    display_name: str
    is_guest: bool


def _stay(event: _Event, joined_at: datetime, left_at: datetime) -> JoinRow:
    """A stay from `joined_at` to `left_at`, found at the line of `event` (its join, or the leave without one)."""
    return JoinRow(line=event.line, display_name=event.display_name, original_name=event.display_name, email="",
                   joined_at=joined_at, left_at=left_at, is_guest=event.is_guest, is_host=False)


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


# --- times and durations ---------------------------------------------------------------------

_CLOCKS = ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M")
_MONTH_FIRST = [f"{day} {clock}" for day in ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d") for clock in _CLOCKS]
_DAY_FIRST = [f"{day} {clock}" for day in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d") for clock in _CLOCKS]
_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/")


def _dates_are_day_first(table: list[tuple[int, list[str]]], indexes: list[int | None]) -> bool:
    """Whether the file writes 17/04/2025 rather than 04/17/2025.

    One value is not enough to tell (02/05/2025 could be either), so the whole file decides: a first
    number above 12 can only be a day. A file whose every date is ambiguous is read month first,
    the order both Zoom and Teams use unless the account is set to another region.
    """
    for _, cells in table:
        for index in indexes:
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
    if match := _SLASHED_TIME.fullmatch(text):
        return _slashed(match, day_first)
    if _ISO.match(text):
        try:
            return datetime.fromisoformat(text)  # also reads an explicit offset such as Z or +02:00
        except ValueError:
            pass  # "2025-05-02 09:58:12 AM" is not ISO; the patterns below read it
    patterns = _DAY_FIRST if day_first else _MONTH_FIRST
    # A file writes every time the same way: the pattern that read the last one is tried first.
    for pattern in (_last_pattern[day_first], *patterns):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        _last_pattern[day_first] = pattern
        return moment
    return None


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}")
# 04/17/2025 09:51:02 AM, 5/2/25 9:58, 17/04/2025 10:00:05: read without strptime, which is slow enough to
# be most of the time a 10,000-row report takes. Anything else goes to the patterns above.
_SLASHED_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ([AaPp][Mm]))?")


def _slashed(match: re.Match, day_first: bool) -> datetime | None:
    first, second, year, hour, minute, second_of_minute, half = match.groups()
    month, day = (int(second), int(first)) if day_first else (int(first), int(second))
    year = int(year) if len(year) == 4 else int(year) + (2000 if int(year) < 69 else 1900)  # as strptime's %y
    hour = int(hour)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(year, month, day, hour, int(minute), int(second_of_minute or 0))
    except ValueError:
        return None
_last_pattern = {True: _DAY_FIRST[0], False: _MONTH_FIRST[0]}


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
#
# The rules, also stated on the preview page and in the README:
# 1. An email (trimmed, any case) that belongs to exactly one person decides who the row is, unless
#    the row's name is someone else's: then a person decides.
# 2. An email that belongs to no one in the academy never yields to the name: a person decides.
# 3. Without an email, a name is only ever "likely", however exact: a person confirms it. Names are
#    compared as a person reads them: the same letters whether typed composed or decomposed (NFC or
#    NFD), in any case, with or without accents, spaces, hyphens or apostrophes.
# 4. A row that fits several people, or no one, is left for a person to decide.

# Why a row matched as it did, or why a person must decide; the preview says it in words.
REASONS = (
    "email", "facilitator", "guest", "same_name", "written_differently", "similar_name",
    "unknown_email", "email_of_other", "several", "no_match",
)


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    email: str
    role: str = "learner"  # or "facilitator": listed when found in a report, never recorded


@dataclass
class MatchedAttendee:
    person_id: int | None  # who the rows are ("email"), probably are ("likely"), or a suggestion ("none")
    kind: str  # "email", "likely" (a person confirms it), "none" (a person decides) or "facilitator"
    reason: str  # one of REASONS
    display_name: str
    email: str
    rows: list[JoinRow]
    candidates: tuple[int, ...] = ()  # the people the rows could be, offered first to whoever decides


def email_key(email: str) -> str:
    return email.strip().casefold()


def name_key(name: str) -> str:
    """A name compared exactly as a person reads it: NFC and NFD alike, any case, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


# Letters that carry no accent to strip but that people still write plainly: Søren is Soren.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def name_words(name: str) -> list[str]:
    """A name's words without accents, case or punctuation: "Jean-François Côté" -> jean francois cote."""
    name = re.sub(r"\(guest\)", " ", name, flags=re.IGNORECASE)
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", " ", without_accents.translate(_PLAIN_LETTERS)).split()


class PeopleIndex:
    """Every person's email and name, indexed once: matching a report is one look-up per row, not one per
    row and person (a 10,000-row report against 2,000 learners would otherwise compare 20 million names)."""

    def __init__(self, people: list[Person]):
        self.people = {person.id: person for person in people}
        self._email: dict[str, list[Person]] = defaultdict(list)
        self._exact: dict[str, list[Person]] = defaultdict(list)
        self._joined: dict[str, list[Person]] = defaultdict(list)  # the words run together: "jeanfrancoiscote"
        self._word: dict[str, list[Person]] = defaultdict(list)
        self._first_names_and_initial: dict[tuple, list[Person]] = defaultdict(list)
        self._words: dict[int, frozenset[str]] = {}
        for person in people:
            if person.email.strip():
                self._email[email_key(person.email)].append(person)
            self._exact[name_key(person.full_name)].append(person)
            words = name_words(person.full_name)
            self._words[person.id] = frozenset(words)
            if not words:
                continue
            self._joined["".join(words)].append(person)
            for word in set(words):
                self._word[word].append(person)
            for count in range(1, len(words)):  # "Marcus B" for Marcus Boudreaux
                self._first_names_and_initial[(tuple(words[:count]), words[-1][0])].append(person)
        self._by_names: dict[tuple[str, ...], tuple[list[Person], str]] = {}

    def by_email(self, email: str) -> list[Person]:
        return self._email.get(email_key(email), [])

    def by_name(self, *names: str) -> tuple[list[Person], str]:
        """The people these names fit, and how ("same_name", "written_differently", "similar_name")."""
        key = tuple(names)
        if key not in self._by_names:
            self._by_names[key] = self._fit(names)
        return self._by_names[key]

    def _fit(self, names: tuple[str, ...]) -> tuple[list[Person], str]:
        names = tuple(name for name in names if name.strip())
        tiers = (
            ("same_name", lambda name: self._exact.get(name_key(name), [])),
            ("written_differently", lambda name: self._joined.get("".join(name_words(name)), [])),
            ("similar_name", self._similar),
        )
        for how, look_up in tiers:
            found: dict[int, Person] = {}
            for name in names:
                found.update((person.id, person) for person in look_up(name))
            if found:
                return list(found.values()), how
        return [], ""

    def _similar(self, name: str) -> list[Person]:
        """People whose name holds every word of this one ("Wei Ling"), or first names and an initial ("Marcus B.")."""
        words = name_words(name)
        if not words:
            return []
        postings = [self._word.get(word, []) for word in set(words)]
        fewest = min(postings, key=len)
        found = {person.id: person for person in fewest if set(words) <= self._words[person.id]}
        if len(words) > 1 and len(words[-1]) == 1:
            for person in self._first_names_and_initial.get((tuple(words[:-1]), words[-1]), []):
                found[person.id] = person
        return list(found.values())


def match_rows(rows: list[JoinRow], people: list[Person] | PeopleIndex) -> list[MatchedAttendee]:
    """Group the join rows by the person they belong to, in the order people first appear in the report.

    A person can come back in two groups when some rows matched surely (email) and others only as
    "likely": the likely rows still need a person to confirm them. Rows left for a person to decide are
    grouped by email, or by name when there is no email.
    """
    index = people if isinstance(people, PeopleIndex) else PeopleIndex(people)
    groups: dict[tuple, MatchedAttendee] = {}
    for row in rows:
        if row.is_host:
            continue  # the organiser's own account, not a participant
        person_id, kind, reason, candidates = _match(row, index)
        if kind == "none":
            key = ("none", email_key(row.email) or name_key(row.display_name))
        else:
            key = (kind, person_id)
        if key not in groups:
            groups[key] = MatchedAttendee(
                person_id=person_id, kind=kind, reason=reason, display_name=row.display_name,
                email=row.email, rows=[], candidates=candidates,
            )
        attendee = groups[key]
        attendee.rows.append(row)
        if not attendee.email:
            attendee.email = row.email
    return list(groups.values())


def _match(row: JoinRow, index: PeopleIndex) -> tuple[int | None, str, str, tuple[int, ...]]:
    """(person id, kind, reason, candidates) for one row; see the rules above."""
    named, how = index.by_name(row.display_name, row.original_name)
    if row.email:
        owners = index.by_email(row.email)
        if len(owners) == 1:
            owner = owners[0]
            if named and owner not in named:
                # The email is one person's and the name another's: which is right is for a person to say.
                return None, "none", "email_of_other", (owner.id, *(person.id for person in named))
            return owner.id, ("facilitator" if owner.role == "facilitator" else "email"), owner.role, ()
        # An email no one here has (or, by a data error, several have): the name does not overrule it.
        learners = [person for person in named if person.role == "learner"]
        suggestion = learners[0].id if len(learners) == 1 else None
        candidates = tuple(person.id for person in owners + learners)
        return suggestion, "none", "unknown_email" if not owners else "several", candidates
    if len(named) == 1:
        (person,) = named
        if person.role == "facilitator":
            return person.id, "facilitator", "facilitator", ()
        # A guest types any name when joining, and a name alone proves nothing: only "likely".
        return person.id, "likely", "guest" if row.is_guest else how, (person.id,)
    if named:
        return None, "none", "several", tuple(person.id for person in named)
    return None, "none", "no_match", ()
