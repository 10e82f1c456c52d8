"""Time-zone names, zones as people know them (city and country, the clock they read), and conversion
between a zone's wall clock and stored UTC."""
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
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


# --- zones as people know them: a city in a country ------------------------------------------
#
# The IANA database ships zone.tab (each zone's country and a note such as "Eastern (most areas)") and
# iso3166.tab (country names) beside the zones themselves, in the tzdata package this project depends on.
# Only a few of its short country names read oddly to an international audience; they are replaced here.

COUNTRY_NAMES = {
    "GB": "United Kingdom", "KR": "South Korea", "KP": "North Korea", "AS": "American Samoa",
    "VI": "US Virgin Islands", "VG": "British Virgin Islands", "CD": "Congo (Kinshasa)",
    "CG": "Congo (Brazzaville)", "BQ": "Caribbean Netherlands", "PS": "Palestine",
}
# Other names people type for a country.
COUNTRY_ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "britain": "GB",
    "great britain": "GB", "usa": "US", "us": "US", "america": "US", "united states of america": "US",
    "holland": "NL", "korea": "KR", "czechia": "CZ", "turkiye": "TR", "uae": "AE", "ivory coast": "CI",
}
# Countries whose everyday clock is the 12-hour one (4:30 PM), after the Unicode CLDR's time-format
# preferences ("h" preferred); everywhere else the default is the 24-hour clock (16:30). A person can choose.
TWELVE_HOUR_COUNTRIES = frozenset(
    "US CA AU NZ IN PK BD PH MY EG SA AE JO KW QA OM BH IQ SY LB YE SD LY DZ TN MR SO DJ ER "
    "CO SV HN NI PR GU VI AS MP UM JM TT BS BB AG DM GD KN LC VC GY KY BM TC VG FJ PG SB VU WS TO KI "
    "FM MH PW GH GM LR SL ZM MW LS SZ NA".split()
)


@dataclass(frozen=True)
class Zone:
    name: str  # "America/New_York"
    city: str  # "New York"
    country_code: str  # "US" ("" for UTC)
    country: str  # "United States"
    note: str  # "Eastern (most areas)", "" when the country has one zone
    order: int = 0  # its place in zone.tab, where each country's main zone comes first

    @property
    def label(self) -> str:
        """'New York, United States': what the pages show and the zone box accepts."""
        if not self.country or self.country == self.city:
            return self.city
        return f"{self.city}, {self.country}"


def _data_lines(name: str) -> list[list[str]]:
    try:
        text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # no tzdata package: the system's copy
        text = (Path("/usr/share/zoneinfo") / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def zone_table() -> dict[str, Zone]:
    """Every zone a person lives in, by IANA name, in the order the picker lists them (country, then city)."""
    countries = {code: COUNTRY_NAMES.get(code, name) for code, name, *_ in _data_lines("iso3166.tab")}
    zones = [
        Zone(row[2], city_name(row[2]), row[0], countries.get(row[0], row[0]), row[3] if len(row) > 3 else "", order)
        for order, row in enumerate(_data_lines("zone.tab"))
    ]
    zones.append(Zone("UTC", "UTC", "", "", "Coordinated Universal Time"))
    zones.sort(key=lambda zone: (_folded(zone.country), _folded(zone.city)))
    return {zone.name: zone for zone in zones}


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old or alternative names -> the zone they stand for ('Asia/Calcutta' -> 'Asia/Kolkata')."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    return {parts[2]: parts[1] for parts in (line.split() for line in text.splitlines()) if parts[:1] == ["L"]}


@lru_cache(maxsize=1)
def _cities() -> dict[str, list[str]]:
    """Folded city name -> zones: each zone's own city, and the old city names the database keeps as links
    ('Montreal' -> Toronto's zone, 'Calcutta' -> Kolkata's, 'Kiev' -> Kyiv's)."""
    table = zone_table()
    cities: dict[str, list[str]] = {}
    for zone in table.values():
        cities.setdefault(_folded(zone.city), []).append(zone.name)
    for alias, target in _links().items():
        if "/" in alias and alias not in table and target in table and not alias.startswith(("Etc/", "US/", "SystemV/")):
            names = cities.setdefault(_folded(city_name(alias)), [])
            if target not in names:
                names.append(target)
    return cities


def zone_info(name: str) -> Zone | None:
    """The zone as people know it; an old name (US/Eastern, Asia/Calcutta) gives the zone it stands for."""
    table = zone_table()
    return table.get(name) or table.get(_links().get(name, ""))


def zone_label(name: str) -> str:
    """'Oslo, Norway' for 'Europe/Oslo'; a name the table does not know is shown as it is."""
    found = zone_info(name)
    return found.label if found is not None else name


def uses_12_hour_clock(zone_name: str) -> bool:
    """Whether people in this zone's country usually read a 12-hour clock."""
    found = zone_info(zone_name)
    return found is not None and found.country_code in TWELVE_HOUR_COUNTRIES


def default_clock(zone_name: str) -> str:
    """'12' or '24': the clock people in this zone's country usually read."""
    return "12" if uses_12_hour_clock(zone_name) else "24"


def _folded(text: str) -> str:
    """Lower case without accents or punctuation, so 'sao paulo' finds 'São Paulo' and 'Sao_Paulo'."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    for mark in "'’.":
        plain = plain.replace(mark, "")
    return " ".join(plain.replace("_", " ").replace("-", " ").lower().split())


# Cities to suggest for the countries with several zones where most people live in a few of them.
EXAMPLE_CITIES = {
    "US": ["New York", "Chicago", "Denver", "Los Angeles", "Anchorage", "Honolulu"],
    "CA": ["Toronto", "Halifax", "Winnipeg", "Edmonton", "Vancouver"],
    "AU": ["Sydney", "Melbourne", "Brisbane", "Adelaide", "Perth"],
    "BR": ["Sao Paulo", "Manaus", "Recife", "Rio Branco"],
    "MX": ["Mexico City", "Cancun", "Chihuahua", "Tijuana"],
    "RU": ["Moscow", "Yekaterinburg", "Novosibirsk", "Vladivostok"],
    "ID": ["Jakarta", "Makassar", "Jayapura"],
}


def _examples(zones: list[Zone]) -> str:
    cities = EXAMPLE_CITIES.get(zones[0].country_code) or [
        zone.city for zone in sorted(zones, key=lambda zone: zone.order)][:5]
    return ", ".join(cities[:-1]) + " or " + cities[-1] if len(cities) > 1 else cities[0]


def find_zone(typed: str) -> str:
    """The IANA zone for what a person typed: a city, a country with one zone, 'City, Country', or an IANA name.

    Refuses (DomainError on the "timezone" field) with a message that says what to type instead.
    """
    text = " ".join((typed or "").split())
    if not text:
        raise DomainError("Type a city or a country, for example Oslo or Norway.", field="timezone")
    table = zone_table()
    # An IANA name: kept as it is when the pages offer it; an old name gives the zone it stands for.
    if text in table or (is_offered_zone(text) and text not in _links()):
        return text
    if text in _links() and _links()[text] in table:
        return _links()[text]
    wanted = _folded(text)
    zones = list(table.values())
    for zone in zones:
        if wanted in (_folded(zone.label), _folded(zone.name)):
            return zone.name
    city, _, country = (part.strip() for part in wanted.partition(","))
    by_city = [table[name] for name in _cities().get(city, [])]
    if country:
        by_city = [zone for zone in by_city if _folded(zone.country).startswith(country)] or by_city
    if len(by_city) == 1:
        return by_city[0].name
    code = COUNTRY_ALIASES.get(wanted) or next(
        (zone.country_code for zone in zones if zone.country and _folded(zone.country) == wanted), None)
    in_country = [zone for zone in zones if code and zone.country_code == code]
    if len(in_country) == 1:
        return in_country[0].name
    # "most of Germany", "most of New Zealand": the country's name stands for that zone.
    most = [zone for zone in in_country if zone.note.lower().startswith("most of")]
    if len(most) == 1:
        return most[0].name
    if in_country:
        raise DomainError(
            f"{in_country[0].country} has several time zones: type the nearest city, "
            f"for example {_examples(in_country)}.",
            field="timezone",
        )
    raise DomainError(
        f"No time zone was found for “{text[:80]}”. Type a city or a country, "
        "for example Oslo or Norway; a big city nearby works too.",
        field="timezone",
    )
