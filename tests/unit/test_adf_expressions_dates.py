"""ADF date functions and the .NET date and time format strings they take.

ADF: https://learn.microsoft.com/azure/data-factory/control-flow-expression-language-functions
WDL: https://learn.microsoft.com/azure/logic-apps/workflow-definition-language-functions-reference
.NET custom formats: https://learn.microsoft.com/dotnet/standard/base-types/custom-date-and-time-format-strings

Rows give each example's expected result as the pages state it; where the ADF page has a typo the
row says so and uses the WDL page's (consistent) result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from insights.local.adf.dotnet_datetime import DotNetDateTime, Kind, format_datetime, parse_timestamp
from insights.local.adf.expressions import ExpressionError, Scope, evaluate, fixed_clock


def ev(expression: str, now: str = "2018-04-15T13:00:00Z") -> Any:
    return evaluate("@" + expression, Scope(clock=fixed_clock(now)))


DOC_EXAMPLES = [
    # addDays: the ADF page adds 10 days to '2018-03-15T13:00:00Z' and shows "2018-03-25T00:00:0000000Z"
    # (a typo); the WDL page's example starts at midnight.
    ("addDays('2018-03-15T13:00:00Z', 10)", "2018-03-25T13:00:00.0000000Z"),
    ("addDays('2018-03-15T00:00:00Z', 10)", "2018-03-25T00:00:00.0000000Z"),
    ("addDays('2018-03-15T00:00:00Z', -5)", "2018-03-10T00:00:00.0000000Z"),
    ("addHours('2018-03-15T00:00:00Z', 10)", "2018-03-15T10:00:00.0000000Z"),  # ADF: typo ":0000000Z"
    ("addHours('2018-03-15T15:00:00Z', -5)", "2018-03-15T10:00:00.0000000Z"),
    ("addMinutes('2018-03-15T00:10:00Z', 10)", "2018-03-15T00:20:00.0000000Z"),
    ("addMinutes('2018-03-15T00:20:00Z', -5)", "2018-03-15T00:15:00.0000000Z"),
    ("addSeconds('2018-03-15T00:00:00Z', 10)", "2018-03-15T00:00:10.0000000Z"),
    ("addSeconds('2018-03-15T00:00:30Z', -5)", "2018-03-15T00:00:25.0000000Z"),
    ("addToTime('2018-01-01T00:00:00Z', 1, 'Day')", "2018-01-02T00:00:00.0000000Z"),
    ("addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", "Tuesday, January 2, 2018"),
    # convertFromUtc: ADF shows "2018-01-01T00:00:00Z"; WDL shows the .NET result, without a zone.
    ("convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')", "2018-01-01T00:00:00.0000000"),
    ("convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", "Monday, January 1, 2018"),
    ("convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", "2018-01-01T00:00:00.0000000"),
    (
        "convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time', 'D')",
        "Monday, January 1, 2018",
    ),
    ("convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", "2018-01-01T08:00:00.0000000Z"),
    ("convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", "Monday, January 1, 2018"),
    ("dayOfMonth('2018-03-15T13:27:36Z')", 15),
    ("dayOfWeek('2018-03-15T13:27:36Z')", 4),  # WDL: 4 (a Thursday); the ADF page says 3, a typo
    ("dayOfYear('2018-03-15T13:27:36Z')", 74),
    ("formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", "2018-03-15T12:00:00"),
    ("startOfDay('2018-03-15T13:30:30Z')", "2018-03-15T00:00:00.0000000Z"),
    ("startOfHour('2018-03-15T13:30:30Z')", "2018-03-15T13:00:00.0000000Z"),
    ("startOfMonth('2018-03-15T13:30:30Z')", "2018-03-01T00:00:00.0000000Z"),
    ("startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", "2018-03-01"),  # WDL example 2
    ("subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", "2018-01-01T00:00:00.0000000Z"),  # ADF: typo ":0000000Z"
    # Both pages show "Monday, January, 1, 2018" (a stray comma); 'D' is "dddd, MMMM d, yyyy".
    ("subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')", "Monday, January 1, 2018"),
    # ticks has no example on either page: DateTime(2018, 1, 1).Ticks
    ("ticks('2018-01-01T00:00:00Z')", 636503616000000000),
]


@pytest.mark.parametrize(("expression", "expected"), DOC_EXAMPLES, ids=[e for e, _ in DOC_EXAMPLES])
def test_documented_example(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("expression", "now", "expected"),
    [
        # "Suppose today is April 15, 2018 at 1:00:00 PM."
        ("utcNow()", "2018-04-15T13:00:00Z", "2018-04-15T13:00:00.0000000Z"),
        ("utcNow('D')", "2018-04-15T13:00:00Z", "Sunday, April 15, 2018"),
        # "Suppose the current timestamp is 2018-03-01T00:00:00.0000000Z."
        ("getFutureTime(5, 'Day')", "2018-03-01T00:00:00Z", "2018-03-06T00:00:00.0000000Z"),
        ("getFutureTime(5, 'Day', 'D')", "2018-03-01T00:00:00Z", "Tuesday, March 6, 2018"),
        # "Suppose the current timestamp is 2018-02-01T00:00:00.0000000Z."
        ("getPastTime(5, 'Day')", "2018-02-01T00:00:00Z", "2018-01-27T00:00:00.0000000Z"),
        ("getPastTime(5, 'Day', 'D')", "2018-02-01T00:00:00Z", "Saturday, January 27, 2018"),
        # ADF, "Creating files dynamically": append a date to a file name
        ("concat('Test_', formatDateTime(utcnow(), 'yyyy-dd-MM'))", "2018-04-15T13:00:00Z", "Test_2018-15-04"),
        (
            "concat('Test_', convertFromUtc(utcnow(), 'Pacific Standard Time'))",
            "2018-04-15T13:00:00Z",
            "Test_2018-04-15T06:00:00.0000000",  # daylight saving time: UTC-7
        ),
    ],
)
def test_functions_reading_the_clock(expression: str, now: str, expected: str) -> None:
    assert ev(expression, now) == expected


def test_the_clock_is_pinned_per_scope() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert evaluate("@utcNow()", Scope(clock=lambda: when)) == "2024-05-06T07:08:09.1234560Z"
    real = evaluate("@utcNow()", Scope())
    assert abs(parse_timestamp(real).to_datetime() - datetime.now(UTC)).total_seconds() < 60


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("addToTime('2018-01-31T00:00:00Z', 1, 'Month')", "2018-02-28T00:00:00.0000000Z"),  # AddMonths clamps
        ("addToTime('2016-02-29T00:00:00Z', 1, 'Year')", "2017-02-28T00:00:00.0000000Z"),
        ("addToTime('2018-01-01T00:00:00Z', 2, 'week')", "2018-01-15T00:00:00.0000000Z"),
        ("subtractFromTime('2018-03-31T10:00:00Z', 1, 'Month')", "2018-02-28T10:00:00.0000000Z"),
        ("addDays('2018-03-15', 1)", "2018-03-16T00:00:00.0000000"),  # no zone in, no zone out
        ("addHours('2018-03-15T10:00:00+02:00', 1)", "2018-03-15T09:00:00.0000000Z"),  # an offset becomes UTC
        ("formatDateTime('2018-03-15T13:00:00.1234567Z')", "2018-03-15T13:00:00.1234567Z"),  # 7 digits survive
        ("formatDateTime('2018-03-15T13:00:00Z', 'yyyyMMdd')", "20180315"),
        ("formatDateTime('2018-03-15T13:00:00Z', 'yyyy/MM/dd')", "2018/03/15"),
        ("formatDateTime('2018-03-15T13:00:00Z', 'yyyy-MM-ddTHH:mm:ssZ')", "2018-03-15T13:00:00Z"),
        ("formatDateTime('Thu, 15 Mar 2018 13:00:00 GMT', 's')", "2018-03-15T13:00:00"),
        ("formatDateTime('3/5/2018 1:02:03 PM', 'HH:mm:ss')", "13:02:03"),
        ("startOfDay('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", "2018-03-15"),
        ("convertFromUtc('2018-07-01T12:00:00Z', 'W. Europe Standard Time', 'HH:mm')", "14:00"),
        (
            "convertTimeZone('2018-07-01 12:00', 'W. Europe Standard Time', 'Tokyo Standard Time')",
            "2018-07-01T19:00:00.0000000",
        ),
        ("convertTimeZone('2018-01-01T08:00:00Z', 'utc', 'pacific standard time')", "2018-01-01T00:00:00.0000000"),
        ("convertToUtc('2018-07-01T14:00:00', 'W. Europe Standard Time')", "2018-07-01T12:00:00.0000000Z"),
        # Ambiguous local time (clocks go back): .NET reads it as standard time.
        ("convertToUtc('2018-10-28T02:30:00', 'W. Europe Standard Time')", "2018-10-28T01:30:00.0000000Z"),
        ("convertFromUtc('2018-01-01T00:00:00Z', 'UTC')", "2018-01-01T00:00:00.0000000Z"),
    ],
)
def test_date_arithmetic_and_zones(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("addDays('not a date', 1)", "The function 'addDays' cannot read its timestamp: the string 'not a date'"),
        ("addDays('2018-02-30T00:00:00Z', 1)", "2018-02-30 is not a valid date"),
        ("addToTime('2018-01-01T00:00:00Z', 1, 'Fortnight')", "takes the time unit 'Second', 'Minute'"),
        ("formatDateTime('2018-01-01T00:00:00Z', 'q')", "'q' is not a standard date and time format specifier"),
        ("formatDateTime('2018-01-01T00:00:00Z', 'ffffffff')", "'ffffffff' is not a valid format specifier"),
        ("formatDateTime('2018-01-01T00:00:00Z', 'HH ''h')", "unterminated quoted literal"),
        ("convertFromUtc('2018-01-01T00:00:00Z', 'Mars Standard Time')", "'Mars Standard Time' is not a Windows"),
        ("convertToUtc('2018-03-25T02:30:00', 'W. Europe Standard Time')", "does not exist in 'W. Europe"),
        ("convertToUtc('2018-01-01T00:00:00Z', 'Pacific Standard Time')", "already names its zone"),
        ("formatDateTime(20180101)", "The function 'formatDateTime' expects a timestamp string, but got integer"),
    ],
)
def test_date_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        ev(expression)


# .NET custom format specifiers, with the examples of the .NET documentation's table.
SAMPLE = "2009-06-15T13:45:30.6175425"
DOTNET_CUSTOM = [
    ("2009-06-01T13:45:30", "%d", "1"),
    ("2009-06-15T13:45:30", "%d", "15"),
    ("2009-06-01T13:45:30", "dd", "01"),
    ("2009-06-15T13:45:30", "ddd", "Mon"),
    ("2009-06-15T13:45:30", "dddd", "Monday"),
    ("2009-06-15T13:45:30.6170000", "%f", "6"),
    ("2009-06-15T13:45:30.05", "%f", "0"),
    ("2009-06-15T13:45:30.6170000", "ff", "61"),
    ("2009-06-15T13:45:30.0050000", "ff", "00"),
    ("2009-06-15T13:45:30.617", "fff", "617"),
    ("2009-06-15T13:45:30.6175000", "ffff", "6175"),
    ("2009-06-15T13:45:30.6175400", "fffff", "61754"),
    ("2009-06-15T13:45:30.6175420", "ffffff", "617542"),
    ("2009-06-15T13:45:30.6175425", "fffffff", "6175425"),
    ("2009-06-15T13:45:30.0001150", "fffffff", "0001150"),
    ("2009-06-15T13:45:30.6170000", "%F", "6"),
    ("2009-06-15T13:45:30.0500000", "%F", ""),
    ("2009-06-15T13:45:30.6170000", "FF", "61"),
    ("2009-06-15T13:45:30.0050000", "FF", ""),
    ("2009-06-15T13:45:30.5275000", "FFFF", "5275"),
    ("2009-06-15T13:45:30.0001150", "FFFFFFF", "000115"),
    ("2009-06-15T13:45:30.6170000", "gg", "A.D."),
    ("2009-06-15T01:45:30", "%h", "1"),
    ("2009-06-15T13:45:30", "%h", "1"),
    ("2009-06-15T01:45:30", "hh", "01"),
    ("2009-06-15T13:45:30", "hh", "01"),
    ("2009-06-15T01:45:30", "%H", "1"),
    ("2009-06-15T13:45:30", "HH", "13"),
    ("2009-06-15T13:45:30", "%K", ""),  # kind Unspecified
    ("2009-06-15T13:45:30Z", "%K", "Z"),  # kind Utc
    ("2009-06-15T01:09:30", "%m", "9"),
    ("2009-06-15T01:09:30", "mm", "09"),
    ("2009-06-15T13:45:30", "%M", "6"),
    ("2009-06-15T13:45:30", "MM", "06"),
    ("2009-06-15T13:45:30", "MMM", "Jun"),
    ("2009-06-15T13:45:30", "MMMM", "June"),
    ("2009-06-15T13:45:09", "%s", "9"),
    ("2009-06-15T13:45:09", "ss", "09"),
    ("2009-06-15T13:45:30", "%t", "P"),
    ("2009-06-15T13:45:30", "tt", "PM"),
    ("0001-01-01T00:00:00", "%y", "1"),
    ("0900-01-01T00:00:00", "%y", "0"),
    ("2009-06-15T13:45:30", "%y", "9"),
    ("2019-06-15T13:45:30", "%y", "19"),
    ("0001-01-01T00:00:00", "yy", "01"),
    ("0001-01-01T00:00:00", "yyy", "001"),
    ("0900-01-01T00:00:00", "yyy", "900"),
    ("2009-06-15T13:45:30", "yyy", "2009"),
    ("0900-01-01T00:00:00", "yyyy", "0900"),
    ("0001-01-01T00:00:00", "yyyyy", "00001"),
    ("2009-06-15T13:45:30", "yyyyy", "02009"),
    ("2009-06-15T13:45:30Z", "zzz", "+00:00"),  # UTC (the .NET table's example is at -07:00)
    ("2009-06-15T13:45:30Z", "%z", "+0"),
    ("2009-06-15T13:45:30Z", "zz", "+00"),
    ("2009-06-15T13:45:30", '"arr:" h:m t', "arr: 1:45 P"),
    ("2009-06-15T13:45:30", "'arr:' h:m t", "arr: 1:45 P"),
    ("2009-06-15T13:45:30", "h \\h", "1 h"),
    ("2009-06-15T01:45:30", "arr hh:mm t", "arr 01:45 A"),
    # The decimal point before an all-zero "F" fraction is dropped.
    ("2009-06-15T13:45:30", "HH:mm:ss.FFF", "13:45:30"),
    ("2009-06-15T13:45:30.5", "HH:mm:ss.FFF", "13:45:30.5"),
    ("2009-06-15T13:45:30", "'It''s' HH", "Its 13"),  # '' closes and reopens a quote, as in .NET
]


@pytest.mark.parametrize(("timestamp", "fmt", "expected"), DOTNET_CUSTOM)
def test_dotnet_custom_format_specifiers(timestamp: str, fmt: str, expected: str) -> None:
    assert format_datetime(parse_timestamp(timestamp), fmt) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        # .NET standard format strings; culture-dependent ones as en-US, as in Microsoft's ADF examples.
        ("o", "2009-06-15T13:45:30.6175425Z"),
        ("O", "2009-06-15T13:45:30.6175425Z"),
        ("s", "2009-06-15T13:45:30"),
        ("u", "2009-06-15 13:45:30Z"),
        ("r", "Mon, 15 Jun 2009 13:45:30 GMT"),
        ("R", "Mon, 15 Jun 2009 13:45:30 GMT"),
        ("d", "6/15/2009"),
        ("D", "Monday, June 15, 2009"),
        ("f", "Monday, June 15, 2009 1:45 PM"),
        ("F", "Monday, June 15, 2009 1:45:30 PM"),
        ("g", "6/15/2009 1:45 PM"),
        ("G", "6/15/2009 1:45:30 PM"),
        ("m", "June 15"),
        ("M", "June 15"),
        ("t", "1:45 PM"),
        ("T", "1:45:30 PM"),
        ("U", "Monday, June 15, 2009 1:45:30 PM"),
        ("y", "June 2009"),
        ("Y", "June 2009"),
        ("yyyy-MM-dd", "2009-06-15"),
        ("yyyy-MM-ddTHH:mm:ss.fffffffK", "2009-06-15T13:45:30.6175425Z"),
        ("dd/MM/yyyy HH:mm", "15/06/2009 13:45"),
    ],
)
def test_dotnet_standard_format_specifiers(fmt: str, expected: str) -> None:
    assert format_datetime(parse_timestamp(SAMPLE + "Z"), fmt) == expected


def test_round_trip_format_without_a_zone_has_no_suffix() -> None:
    assert format_datetime(DotNetDateTime.from_parts(2018, 1, 1), "o") == "2018-01-01T00:00:00.0000000"
    assert format_datetime(DotNetDateTime.from_parts(2018, 1, 1, kind=Kind.UTC)) == "2018-01-01T00:00:00.0000000Z"
