"""Timestamps the way ADF's .NET runtime sees them: parsing, arithmetic, format strings, Windows zones.

ADF's date functions take timestamps as strings and hand them back as strings, formatted with .NET
date and time format strings. This module holds the part of .NET that those functions need:

- ``DotNetDateTime``: a point in time counted in 100-nanosecond ticks since 0001-01-01 (as
  ``System.DateTime``), with its kind: UTC (the input named a zone) or unspecified (it did not).
- ``parse_timestamp``: ISO 8601 and the US-style ``MM/dd/yyyy HH:mm:ss`` strings Microsoft's examples use.
- ``format_datetime``: .NET standard format specifiers (``o``, ``s``, ``u``, ``D``...) and custom ones
  (``yyyy-MM-ddTHH:mm:ss.fffffffK``...). Culture-dependent patterns follow en-US, as the examples
  in Microsoft's documentation show.
- ``convert_time_zone``: Windows time zone names (``Pacific Standard Time``) via the CLDR mapping to
  IANA zones, so ``zoneinfo`` does the daylight-saving arithmetic.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TICKS_PER_MICROSECOND = 10
TICKS_PER_SECOND = 10_000_000
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE
TICKS_PER_DAY = 24 * TICKS_PER_HOUR
MAX_TICKS = 3_155_378_975_999_999_999  # DateTime.MaxValue: 9999-12-31T23:59:59.9999999


class DateTimeError(ValueError):
    """A timestamp, a format string or a time zone that .NET would reject."""


class Kind(Enum):
    """``DateTimeKind``: only UTC and Unspecified occur (a zone in the input is normalised to UTC)."""

    UNSPECIFIED = "Unspecified"
    UTC = "Utc"


@dataclass(frozen=True)
class DotNetDateTime:
    """A ``System.DateTime``: ticks since 0001-01-01T00:00:00 and a kind."""

    ticks: int
    kind: Kind = Kind.UNSPECIFIED

    def __post_init__(self) -> None:
        if not 0 <= self.ticks <= MAX_TICKS:
            raise DateTimeError("the resulting date is outside the range 0001-01-01 to 9999-12-31")

    @classmethod
    def from_parts(
        cls,
        year: int,
        month: int,
        day: int,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        fraction_ticks: int = 0,
        kind: Kind = Kind.UNSPECIFIED,
    ) -> DotNetDateTime:
        try:
            days = date(year, month, day).toordinal() - 1
        except ValueError as exc:
            raise DateTimeError(f"{year:04d}-{month:02d}-{day:02d} is not a valid date") from exc
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
            raise DateTimeError(f"{hour:02d}:{minute:02d}:{second:02d} is not a valid time of day")
        ticks = (
            days * TICKS_PER_DAY
            + hour * TICKS_PER_HOUR
            + minute * TICKS_PER_MINUTE
            + second * TICKS_PER_SECOND
            + fraction_ticks
        )
        return cls(ticks, kind)

    @classmethod
    def from_datetime(cls, value: datetime) -> DotNetDateTime:
        """A Python datetime; an aware one is converted to UTC, a naive one stays unspecified."""
        kind = Kind.UNSPECIFIED
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
            kind = Kind.UTC
        return cls.from_parts(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond * TICKS_PER_MICROSECOND,
            kind,
        )

    # -- components ----------------------------------------------------------------------------------
    @property
    def date(self) -> date:
        return date.fromordinal(self.ticks // TICKS_PER_DAY + 1)

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def month(self) -> int:
        return self.date.month

    @property
    def day(self) -> int:
        return self.date.day

    @property
    def time_of_day(self) -> int:
        return self.ticks % TICKS_PER_DAY

    @property
    def hour(self) -> int:
        return self.time_of_day // TICKS_PER_HOUR

    @property
    def minute(self) -> int:
        return self.time_of_day % TICKS_PER_HOUR // TICKS_PER_MINUTE

    @property
    def second(self) -> int:
        return self.time_of_day % TICKS_PER_MINUTE // TICKS_PER_SECOND

    @property
    def fraction(self) -> int:
        """The sub-second part, in ticks (0 to 9,999,999)."""
        return self.ticks % TICKS_PER_SECOND

    @property
    def day_of_week(self) -> int:
        """.NET ``DayOfWeek``: Sunday is 0."""
        return (self.ticks // TICKS_PER_DAY + 1) % 7

    @property
    def day_of_year(self) -> int:
        return self.date.timetuple().tm_yday

    def to_datetime(self) -> datetime:
        """A Python datetime (microsecond precision): aware in UTC for a UTC kind, naive otherwise."""
        d = self.date
        tod = self.time_of_day
        value = datetime(d.year, d.month, d.day) + timedelta(microseconds=tod // TICKS_PER_MICROSECOND)
        return value.replace(tzinfo=UTC) if self.kind is Kind.UTC else value

    # -- arithmetic ----------------------------------------------------------------------------------
    def add_ticks(self, ticks: int) -> DotNetDateTime:
        return DotNetDateTime(self.ticks + ticks, self.kind)

    def add_months(self, months: int) -> DotNetDateTime:
        """``DateTime.AddMonths``: the day is clamped to the last day of the target month."""
        total = self.year * 12 + (self.month - 1) + months
        year, month = divmod(total, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise DateTimeError("the resulting date is outside the range 0001-01-01 to 9999-12-31")
        day = min(self.day, calendar.monthrange(year, month)[1])
        days = date(year, month, day).toordinal() - 1
        return DotNetDateTime(days * TICKS_PER_DAY + self.time_of_day, self.kind)

    def with_kind(self, kind: Kind) -> DotNetDateTime:
        return DotNetDateTime(self.ticks, kind)

    def start_of_day(self) -> DotNetDateTime:
        return DotNetDateTime(self.ticks - self.time_of_day, self.kind)

    def start_of_hour(self) -> DotNetDateTime:
        return DotNetDateTime(self.ticks - self.ticks % TICKS_PER_HOUR, self.kind)

    def start_of_month(self) -> DotNetDateTime:
        return DotNetDateTime.from_parts(self.year, self.month, 1, kind=self.kind)


# ----------------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------------
_ISO = re.compile(
    r"""^\s*(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})
    (?:[Tt ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?
    \s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.VERBOSE,
)
_US = re.compile(
    r"""^\s*(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})
    (?:[Tt ]\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?
    \s*(?P<ampm>[AaPp][Mm])?)?
    \s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.VERBOSE,
)
_RFC1123 = re.compile(
    r"""^\s*(?:[A-Za-z]{3},\s*)?(?P<day>\d{1,2})\s+(?P<mon>[A-Za-z]{3})\s+(?P<year>\d{4})
    \s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+(?:GMT|UTC|Z)\s*$""",
    re.VERBOSE,
)

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def parse_timestamp(text: str) -> DotNetDateTime:
    """Parse a timestamp string as ADF does (ISO 8601 first, then en-US ``M/d/yyyy H:mm:ss``).

    A timestamp with ``Z`` or an offset is converted to UTC and gets the UTC kind (formatted back
    with ``Z``); one without a zone stays unspecified (formatted back without one).
    """
    if not isinstance(text, str):
        raise DateTimeError(f"expected a timestamp string, got {type(text).__name__}")
    match = _ISO.match(text) or _US.match(text)
    if match:
        parts = match.groupdict()
        hour = int(parts["hour"] or 0)
        if parts.get("ampm"):
            if not 1 <= hour <= 12:
                raise DateTimeError(f"the timestamp '{text}' has an hour {hour} with AM/PM")
            hour = hour % 12 + (12 if parts["ampm"].upper() == "PM" else 0)
        fraction = (parts["fraction"] or "")[:7].ljust(7, "0")
        value = DotNetDateTime.from_parts(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
        )
        zone = parts["zone"]
        if zone is None:
            return value
        if zone in ("Z", "z"):
            return value.with_kind(Kind.UTC)
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * TICKS_PER_HOUR + int(digits[2:4] or 0) * TICKS_PER_MINUTE)
        return DotNetDateTime(value.ticks - offset, Kind.UTC)
    match = _RFC1123.match(text)
    if match:
        parts = match.groupdict()
        months = [m[:3].lower() for m in MONTH_NAMES]
        if parts["mon"].lower() not in months:
            raise DateTimeError(f"the string '{text}' is not a valid timestamp")
        return DotNetDateTime.from_parts(
            int(parts["year"]),
            months.index(parts["mon"].lower()) + 1,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            kind=Kind.UTC,
        )
    raise DateTimeError(
        f"the string '{text}' is not a valid timestamp "
        "(expected ISO 8601, such as 2018-03-15T13:00:00Z, or MM/dd/yyyy HH:mm:ss)"
    )


# ----------------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------------
ROUND_TRIP = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK"
# Standard format specifiers. Culture-dependent ones follow en-US (the culture of Microsoft's examples:
# formatDateTime(..., 'D') -> "Monday, January 1, 2018"); the others are culture-invariant by definition.
STANDARD_FORMATS = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "o": ROUND_TRIP,
    "O": ROUND_TRIP,
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, MMMM d, yyyy h:mm:ss tt",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}
_PATTERN_LETTERS = set("dfFghHKmMstyz")


def format_datetime(value: DotNetDateTime, fmt: str | None = None) -> str:
    """``DateTime.ToString(fmt)``: a standard specifier (one character) or a custom pattern.

    No format, or an empty one, means ``o`` (round trip), ADF's default.
    """
    if not fmt:
        fmt = "o"
    if len(fmt) == 1:
        if fmt not in STANDARD_FORMATS:
            raise DateTimeError(f"'{fmt}' is not a standard date and time format specifier")
        # 'U' is universal full date/time: the value is converted to UTC; unspecified values are
        # treated as UTC already (the local time zone of ADF's machines and of this executor is UTC).
        return _format_custom(value, STANDARD_FORMATS[fmt])
    return _format_custom(value, fmt)


def _digits(number: int, width: int) -> str:
    return str(number).zfill(width)


def _format_custom(value: DotNetDateTime, fmt: str) -> str:
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        ch = fmt[i]
        if ch in _PATTERN_LETTERS:
            run = 1
            while i + run < n and fmt[i + run] == ch:
                run += 1
            if ch == "K":
                run = 1  # every K stands alone
            out.append(_format_token(value, ch, run, out))
            i += run
        elif ch in ("'", '"'):
            literal, i = _quoted(fmt, i)
            out.append(literal)
        elif ch == "%":
            if i + 1 >= n or fmt[i + 1] == "%":
                raise DateTimeError(f"the format string '{fmt}' has a '%' not followed by a specifier")
            nxt = fmt[i + 1]
            out.append(_format_token(value, nxt, 1, out) if nxt in _PATTERN_LETTERS else nxt)
            i += 2
        elif ch == "\\":
            if i + 1 >= n:
                raise DateTimeError(f"the format string '{fmt}' ends with an escape character")
            out.append(fmt[i + 1])
            i += 2
        else:
            # ':' and '/' are the (invariant and en-US) time and date separators; anything else is literal.
            out.append(ch)
            i += 1
    return "".join(out)


def _quoted(fmt: str, start: int) -> tuple[str, int]:
    quote = fmt[start]
    i = start + 1
    literal: list[str] = []
    while i < len(fmt):
        ch = fmt[i]
        if ch == quote:
            return "".join(literal), i + 1
        if ch == "\\" and i + 1 < len(fmt):
            literal.append(fmt[i + 1])
            i += 2
            continue
        literal.append(ch)
        i += 1
    raise DateTimeError(f"the format string '{fmt}' has an unterminated quoted literal")


def _format_token(value: DotNetDateTime, ch: str, run: int, out: list[str]) -> str:
    if ch == "d":
        if run <= 2:
            return _digits(value.day, run)
        name = DAY_NAMES[value.day_of_week]
        return name[:3] if run == 3 else name
    if ch == "M":
        if run <= 2:
            return _digits(value.month, run)
        name = MONTH_NAMES[value.month - 1]
        return name[:3] if run == 3 else name
    if ch == "y":
        return _digits(value.year % 100, run) if run <= 2 else _digits(value.year, run)
    if ch == "h":
        return _digits(value.hour % 12 or 12, min(run, 2))
    if ch == "H":
        return _digits(value.hour, min(run, 2))
    if ch == "m":
        return _digits(value.minute, min(run, 2))
    if ch == "s":
        return _digits(value.second, min(run, 2))
    if ch in "fF":
        if run > 7:
            raise DateTimeError(f"'{ch * run}' is not a valid format specifier (at most seven)")
        digits = _digits(value.fraction // 10 ** (7 - run), run)
        if ch == "f":
            return digits
        digits = digits.rstrip("0")
        if not digits and out and out[-1].endswith("."):
            out[-1] = out[-1][:-1]  # .NET drops the decimal point before an empty 'F' fraction
        return digits
    if ch == "t":
        designator = "AM" if value.hour < 12 else "PM"
        return designator[0] if run == 1 else designator
    if ch == "g":
        return "A.D."
    if ch == "K":
        return "Z" if value.kind is Kind.UTC else ""
    if ch == "z":
        # UTC values have offset zero; unspecified ones are read as local time, which is UTC here.
        return "+0" if run == 1 else "+00" if run == 2 else "+00:00"
    raise AssertionError(ch)  # pragma: no cover - _PATTERN_LETTERS lists exactly the cases above


# ----------------------------------------------------------------------------------------------------
# Time zones: Windows names (what ADF takes) -> IANA names (what zoneinfo knows), from CLDR windowsZones
# (territory 001). Names are matched case-insensitively.
# ----------------------------------------------------------------------------------------------------
WINDOWS_TIME_ZONES = {
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11",
    "Aleutian Standard Time": "America/Adak",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "Alaskan Standard Time": "America/Anchorage",
    "UTC-09": "Etc/GMT+9",
    "Pacific Standard Time (Mexico)": "America/Tijuana",
    "UTC-08": "Etc/GMT+8",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Mountain Standard Time": "America/Denver",
    "Yukon Standard Time": "America/Whitehorse",
    "Central America Standard Time": "America/Guatemala",
    "Central Standard Time": "America/Chicago",
    "Easter Island Standard Time": "Pacific/Easter",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "Canada Central Standard Time": "America/Regina",
    "SA Pacific Standard Time": "America/Bogota",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Eastern Standard Time": "America/New_York",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Atlantic Standard Time": "America/Halifax",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Eastern Standard Time": "America/Cayenne",
    "Argentina Standard Time": "America/Argentina/Buenos_Aires",
    "Greenland Standard Time": "America/Nuuk",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "UTC": "Etc/UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "Jordan Standard Time": "Asia/Amman",
    "GTB Standard Time": "Europe/Bucharest",
    "Middle East Standard Time": "Asia/Beirut",
    "Egypt Standard Time": "Africa/Cairo",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "South Africa Standard Time": "Africa/Johannesburg",
    "FLE Standard Time": "Europe/Kyiv",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Sudan Standard Time": "Africa/Juba",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Turkey Standard Time": "Europe/Istanbul",
    "Arab Standard Time": "Asia/Riyadh",
    "Belarus Standard Time": "Europe/Minsk",
    "Russian Standard Time": "Europe/Moscow",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Iran Standard Time": "Asia/Tehran",
    "Arabian Standard Time": "Asia/Dubai",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Pakistan Standard Time": "Asia/Karachi",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "India Standard Time": "Asia/Kolkata",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu",
    "Central Asia Standard Time": "Asia/Bishkek",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon",
    "SE Asia Standard Time": "Asia/Bangkok",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "China Standard Time": "Asia/Shanghai",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Singapore Standard Time": "Asia/Singapore",
    "W. Australia Standard Time": "Australia/Perth",
    "Taipei Standard Time": "Asia/Taipei",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "Tokyo Standard Time": "Asia/Tokyo",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Korea Standard Time": "Asia/Seoul",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "E. Australia Standard Time": "Australia/Brisbane",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "West Pacific Standard Time": "Pacific/Port_Moresby",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}
_ZONES_BY_LOWER_NAME = {name.lower(): iana for name, iana in WINDOWS_TIME_ZONES.items()}


def time_zone(name: str) -> ZoneInfo:
    """The zone for a Windows time zone name such as ``Pacific Standard Time`` (case-insensitive)."""
    if not isinstance(name, str):
        raise DateTimeError(f"a time zone name must be a string, got {type(name).__name__}")
    iana = _ZONES_BY_LOWER_NAME.get(name.strip().lower())
    if iana is None:
        raise DateTimeError(
            f"'{name}' is not a Windows time zone name; ADF takes names such as 'UTC', "
            "'W. Europe Standard Time' or 'Pacific Standard Time' (see Microsoft's Default Time Zones list)"
        )
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - depends on the machine's tz database
        raise DateTimeError(f"the time zone '{name}' ({iana}) is not in this machine's tz database") from exc


def is_utc_zone(name: str) -> bool:
    return isinstance(name, str) and _ZONES_BY_LOWER_NAME.get(name.strip().lower()) == "Etc/UTC"


def utc_to_zone(value: DotNetDateTime, zone_name: str) -> DotNetDateTime:
    """``TimeZoneInfo.ConvertTimeFromUtc``: the wall-clock time in the zone (kind Utc only for UTC)."""
    zone = time_zone(zone_name)
    instant = DotNetDateTime(value.ticks, Kind.UTC).to_datetime()
    offset = instant.astimezone(zone).utcoffset() or timedelta(0)
    offset_ticks = int(offset.total_seconds()) * TICKS_PER_SECOND
    kind = Kind.UTC if is_utc_zone(zone_name) else Kind.UNSPECIFIED
    return DotNetDateTime(value.ticks + offset_ticks, kind)


def zone_to_utc(value: DotNetDateTime, zone_name: str) -> DotNetDateTime:
    """``TimeZoneInfo.ConvertTimeToUtc``: a wall-clock time in the zone, as UTC.

    As in .NET, an ambiguous time (the hour repeated when daylight saving ends) is read as standard
    time, and a time that does not exist (skipped when daylight saving starts) is an error.
    """
    zone = time_zone(zone_name)
    wall = DotNetDateTime(value.ticks, Kind.UNSPECIFIED).to_datetime()
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    offset_first, offset_second = first.utcoffset(), second.utcoffset()
    chosen = first
    if offset_first != offset_second:
        # Either ambiguous (both round-trip) or invalid (neither does).
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            raise DateTimeError(
                f"{format_datetime(value, 's')} does not exist in '{zone_name}' (skipped by daylight saving)"
            )
        # Standard time is the one with the smaller offset.
        chosen = first if offset_first <= offset_second else second  # type: ignore[operator]
    offset = chosen.utcoffset() or timedelta(0)
    offset_ticks = int(offset.total_seconds()) * TICKS_PER_SECOND
    return DotNetDateTime(value.ticks - offset_ticks, Kind.UTC)
