"""Time-zone names and conversion between a zone's wall clock and stored UTC."""
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from lms.core.exceptions import DomainError


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """Every IANA zone a person might live in, without the legacy aliases (EST5EDT, Etc/...)."""
    return tuple(
        sorted(
            name
            for name in available_timezones()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
        )
        + ["UTC"]
    )


def is_offered_zone(name: str) -> bool:
    """One of the zones the pages offer, so a person's zone is always selected in their account form."""
    return name in all_zone_names()


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def is_valid_zone(name: str) -> bool:
    """A name in the time-zone database (legacy aliases included), checked against its list of names:
    ZoneInfo itself would open any path it is given, and fails with an OSError on a folder such as
    "America" or a name too long for a file."""
    return name in _known_zones()


def zone(name: str) -> ZoneInfo:
    if not is_valid_zone(name):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def wall_clock_to_utc(wall_clock: datetime, zone_name: str) -> datetime:
    """A time as read on a clock in `zone_name` (naive) -> the same instant in UTC.

    A wall-clock time that does not exist (skipped by a spring-forward change) is refused,
    because storing it would silently move the session by an hour.
    """
    if not is_valid_zone(zone_name):
        raise DomainError(f"Unknown time zone: {zone_name}", field="timezone")
    local_zone = ZoneInfo(zone_name)
    aware = wall_clock.replace(tzinfo=local_zone)
    try:
        round_trip = aware.astimezone(UTC).astimezone(local_zone).replace(tzinfo=None)
    except OverflowError:  # 31 December 9999 in New York is already the year 10000 in UTC
        raise DomainError(f"{wall_clock:%Y-%m-%d %H:%M} is too far in the past or future. Check the year.") from None
    if round_trip != wall_clock.replace(tzinfo=None):
        raise DomainError(
            f"{wall_clock:%Y-%m-%d %H:%M} does not exist in {zone_name} "
            "(the clocks change that night). Choose another time."
        )
    return aware.astimezone(UTC)


def utc_to_wall_clock(moment: datetime, zone_name: str) -> datetime:
    """A stored instant -> naive wall-clock time in `zone_name`, for filling a form."""
    return moment.astimezone(zone(zone_name)).replace(tzinfo=None)


def city_name(zone_name: str) -> str:
    """'America/New_York' -> 'New York', for labels beside a time."""
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")
