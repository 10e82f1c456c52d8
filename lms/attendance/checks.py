"""Whether a report can be right for the session it is imported into: its title and date, who was connected
during the session's time, and times that fit only once moved by whole hours (a wrong time zone)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lms.attendance.reports import name_words
from lms.core.dates import format_local
from lms.core.timezones import all_zone_names, city_name

# A meeting that started further than this from the session's start was another day's meeting.
SAME_MEETING = timedelta(hours=12)
# The file's times fit the session this much better moved by whole hours: the zone is probably wrong.
MUCH_BETTER = 0.8
# Report zones run from UTC-12 to UTC+14, so a wrong choice is off by at most 26 hours either way.
HOURS = sorted(range(-26, 27), key=abs)[1:]


@dataclass(frozen=True)
class Block:
    """A reason to think the file is not this session's report; the admin may still import it, explicitly."""

    code: str  # "title", "date", "nobody", "few", "zone"
    text: str
    better_zone: str = ""  # for "zone": the time zone in which the times would fit


def check_report(
    title: str,
    meeting_start: datetime | None,
    people: list[list[tuple[datetime, datetime]]],
    everyone: list[tuple[datetime, datetime]],
    live_session,
    usual_present: int | None,
    file_timezone: str,
    likely_zones: list[str],
    display_zone: str,
) -> list[Block]:
    """Every reason to think the file is not the report of `live_session`, the strongest first.

    `people` holds each participant's stays (facilitators left out), `everyone` every stay in the
    file but the host's, `usual_present` how many learners are present at the academy's other sessions.
    A wrong time zone also moves the meeting's start: once its hours are known, the date is checked
    as it would read in the right zone.
    """
    hours = _whole_hours_off(everyone, live_session.starts_at, live_session.ends_at)
    if meeting_start is not None:
        meeting_start += timedelta(hours=hours)
    blocks = _wrong_session(title, meeting_start, live_session, live_session.academy.live_sessions, display_zone)
    blocks += _outside_the_window(people, everyone, live_session, usual_present, display_zone)
    if hours:
        blocks.append(_zone_block(hours, file_timezone, likely_zones, live_session.starts_at))
    return blocks


def _wrong_session(title: str, meeting_start: datetime | None, live_session, sessions, display_zone: str) -> list[Block]:
    """The report's own title or start naming another session of the academy, or another day."""
    blocks = []
    named = _sessions_named(title, sessions)
    if named and live_session not in named:
        others = " or ".join(f"“{other.title}” ({_day(other.starts_at, display_zone)})" for other in named)
        blocks.append(Block("title", f"The report's title, “{title}”, names {others}, not “{live_session.title}”."))
    if meeting_start is not None and abs(meeting_start - live_session.starts_at) > SAME_MEETING:
        started = format_local(meeting_start, display_zone)
        that_day = [other for other in sessions if abs(meeting_start - other.starts_at) <= SAME_MEETING]
        if that_day:
            blocks.append(Block("date", (
                f"The meeting in the report started on {started} ({city_name(display_zone)} time), the day of "
                f"“{that_day[0].title}”, not of “{live_session.title}” ({_day(live_session.starts_at, display_zone)})."
            )))
        else:
            blocks.append(Block("date", (
                f"The meeting in the report started on {started} ({city_name(display_zone)} time), but "
                f"“{live_session.title}” was on {_day(live_session.starts_at, display_zone)}."
            )))
    return blocks


def _sessions_named(title: str, sessions) -> list:
    """The sessions whose title appears, word for word, in the report's title; the most specific only
    ("Session One: follow-up" rather than "Session One" when both appear)."""
    words = name_words(title)
    named = [session for session in sessions if _contains(words, name_words(session.title))]
    return [
        session for session in named
        if not any(other is not session and len(name_words(other.title)) > len(name_words(session.title))
                   and _contains(name_words(other.title), name_words(session.title)) for other in named)
    ]


def _contains(words: list[str], part: list[str]) -> bool:
    if not part or len(part) > len(words):
        return False
    return any(words[index:index + len(part)] == part for index in range(len(words) - len(part) + 1))


def _day(moment: datetime, zone_name: str) -> str:
    return format_local(moment, zone_name, "date")


def _outside_the_window(
    people: list[list[tuple[datetime, datetime]]],
    everyone: list[tuple[datetime, datetime]],
    live_session,
    usual_present: int | None,
    display_zone: str,
) -> list[Block]:
    """Nobody, or far fewer people than in the file or than usual, connected during the session."""
    start, end = live_session.starts_at, live_session.ends_at
    window = (f"{format_local(start, display_zone, 'time')}–{format_local(end, display_zone, 'time')} "
              f"{city_name(display_zone)} time, {_day(start, display_zone)}")
    connected = sum(1 for stays in people if any(left > start and joined < end for joined, left in stays))
    blocks = []
    if not any(left > start and joined < end for joined, left in everyone):
        blocks.append(Block("nobody", (
            f"No one in this file was connected during the session's scheduled time ({window}). Check that the "
            "file is for this session and that its time zone is right."
        )))
    elif len(people) >= 4 and connected < len(people) / 2:
        blocks.append(Block("few", (
            f"Only {connected} of the {len(people)} people in this file were connected during the session's "
            f"scheduled time ({window})."
        )))
    elif usual_present is not None and usual_present >= 4 and connected < usual_present / 2:
        blocks.append(Block("few", (
            f"Only {connected} {'person' if connected == 1 else 'people'} in this file "
            f"{'was' if connected == 1 else 'were'} connected during the session's scheduled time ({window}); "
            f"at this academy's other sessions, usually {usual_present} learners were present."
        )))
    return blocks


def _whole_hours_off(stays: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> int:
    """By how many whole hours the stays would have to move to fit the session much better; 0 when they fit.

    A wrong zone moves every stay alike: those that fit the session now fit it at least as well once moved.
    When moving them would lose the people who are in the session now (another meeting in the same
    room later that day), it is not a time zone.
    """
    spans = [(joined.timestamp(), left.timestamp()) for joined, left in stays]
    first, last = start.timestamp(), end.timestamp()

    def inside(shift: float, some=spans) -> float:
        return sum(max(0.0, min(left + shift, last) - max(joined + shift, first)) for joined, left in some)

    here = inside(0)
    at_most = sum(min(left - joined, last - first) for joined, left in spans)
    if at_most == 0 or here >= MUCH_BETTER * at_most:
        return 0  # they fit about as well as they possibly could (the usual case: one pass, no search)
    in_session_now = [(joined, left) for joined, left in spans if left > first and joined < last]
    best_hours, best = 0, here
    for hours in HOURS:  # nearest first, so a tie goes to the smaller mistake
        covered = inside(hours * 3600)
        if covered > best and inside(hours * 3600, in_session_now) >= inside(0, in_session_now):
            best_hours, best = hours, covered
    return best_hours if here < MUCH_BETTER * best else 0


def _zone_block(hours: int, file_timezone: str, likely_zones: list[str], at: datetime) -> Block:
    # Times read in zone Z were moved by Z's offset; they fit once moved by `hours`, so the file's real
    # zone is `hours` behind Z's offset: Chicago (UTC-5) read for New York (UTC-4) is one hour late.
    wanted = ZoneInfo(file_timezone).utcoffset(at) - timedelta(hours=hours)
    fitting = [name for name in dict.fromkeys([*likely_zones, *all_zone_names()])
               if name != file_timezone and ZoneInfo(name).utcoffset(at) == wanted]
    # Moving the stays later (hours > 0) makes them fit: as read, they come before the session.
    direction = "before" if hours > 0 else "after"
    amount = f"{abs(hours)} hour{'s' if abs(hours) != 1 else ''}"
    moved = (f"With the file's times read as {city_name(file_timezone)} time ({file_timezone}), most of the time "
             f"people were connected falls {amount} {direction} the session's scheduled time.")
    if not fitting:
        return Block("zone", f"{moved} Check the time zone the file was downloaded in.")
    zone = fitting[0]
    return Block("zone", (
        f"{moved} They fit the session in {city_name(zone)} time ({zone}): the file may have been downloaded "
        "in that time zone."
    ), better_zone=zone)


def usual_present(present_counts: list[int]) -> int | None:
    """How many learners are usually present, from the counts at the academy's other sessions."""
    counted = [number for number in present_counts if number > 0]
    return round(statistics.median(counted)) if counted else None
