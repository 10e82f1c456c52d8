"""Dates and times as people read them: the one place a stored UTC instant becomes text."""
from __future__ import annotations

import calendar
from datetime import UTC, datetime

from lms.core.timezones import zone


def clock_text(local: datetime, clock: str = "24") -> str:
    """'22:00' on the 24-hour clock, '10:00 PM' on the 12-hour one."""
    if clock != "12":
        return f"{local:%H:%M}"
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def format_local(moment: datetime, zone_name: str, style: str = "long", clock: str = "24") -> str:
    """`moment` as a clock and calendar in `zone_name` show it, on the 24-hour clock or (`clock` "12") the 12-hour one.

    long   'Thursday 17 April 2025, 22:00'   date  'Thursday 17 April 2025'
    short  'Thu 17 Apr, 22:00'               time  '22:00'
    day    '17 April 2025' (certificates: the days of the sessions, the day of issue)
    12-hour: 'Thursday 17 April 2025, 10:00 PM', 'Thu 17 Apr, 10:00 PM', '10:00 PM'.
    """
    local = moment.astimezone(zone(zone_name))
    clock = clock_text(local, clock)
    if style == "time":
        return clock
    if style == "day":
        return f"{local.day} {local:%B %Y}"
    if style == "date":
        return f"{local:%A} {local.day} {local:%B %Y}"
    if style == "short":
        return f"{local:%a} {local.day} {local:%b}, {clock}"
    return f"{local:%A} {local.day} {local:%B %Y}, {clock}"


def utc_stamp(moment: datetime | None) -> str:
    """'2025-04-17T20:00:00Z': for files other programs read (CSV exports); "" for no time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter: 31 Jan + 1 -> 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
