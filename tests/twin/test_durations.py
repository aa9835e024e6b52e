"""Human durations, clock times and weekly shift intervals (twin.scenario.durations)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.scenario.durations import (
    MINUTES_PER_WEEK,
    DurationError,
    format_duration,
    parse_clock,
    parse_duration,
    parse_weekday,
    rotate_intervals,
    week_on_intervals,
)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("90s", "min", 1.5),
        ("12min", "min", 12.0),
        ("1.5h", "min", 90.0),
        ("2d", "min", 2880.0),
        ("1w", "min", 10080.0),
        ("1h 30min", "min", 90.0),
        ("1.5h", "s", 5400.0),
        ("30min", "h", 0.5),
        (" 45 min ", "min", 45.0),
        ("2 hours", "min", 120.0),
        (".5h", "min", 30.0),
    ],
)
def test_strings_with_units_convert_to_the_base_unit(text: str, unit: str, expected: float) -> None:
    """A unit in the string wins; the result is in the scenario's base unit."""
    assert parse_duration(text, unit) == pytest.approx(expected)


def test_numbers_and_bare_numeric_strings_are_already_in_the_base_unit() -> None:
    """12 means 12 base units, whatever the unit is; so does "12"."""
    assert parse_duration(12, "s") == 12.0
    assert parse_duration(2.5, "h") == 2.5
    assert parse_duration("12", "min") == 12.0
    assert parse_duration(0, "min") == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        -5,
        -0.1,
        "-3min",
        "abc",
        "",
        "h",
        "5 parsecs",
        "1h-2min",
        True,
        None,
        float("nan"),
        float("inf"),
        [1],
        "1..5h",
    ],
)
def test_negative_or_malformed_durations_are_rejected_with_the_value(bad: object) -> None:
    """The message says what was expected and echoes what was given."""
    with pytest.raises(DurationError, match=r'expected a duration like "120h".*got'):
        parse_duration(bad, "min")


def test_the_error_message_quotes_strings_and_shows_numbers_plainly() -> None:
    """`got -5` for a number, `got "abc"` for a string (the documented shape)."""
    with pytest.raises(DurationError) as info:
        parse_duration(-5, "min")
    assert str(info.value) == 'expected a duration like "120h", got -5'
    with pytest.raises(DurationError) as info:
        parse_duration("abc", "min")
    assert str(info.value) == 'expected a duration like "120h", got "abc"'


def test_an_unknown_base_unit_is_rejected() -> None:
    """Only s, min, h, d, w are units."""
    with pytest.raises(DurationError, match="unknown time unit"):
        parse_duration(5, "fortnight")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (90, "min", "1.5h"),
        (45, "min", "45min"),
        (2880, "min", "2d"),
        (0.5, "min", "30s"),
        (100, "min", "100min"),
        (10080, "min", "1w"),
        (0, "min", "0"),
        (5400, "s", "1.5h"),
    ],
)
def test_format_duration_picks_the_largest_readable_unit(
    value: float, unit: str, text: str
) -> None:
    """90 min reads "1.5h", not "90min" or "5400s"."""
    assert format_duration(value, unit) == text


@given(
    value=st.floats(min_value=0, max_value=8e4, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["s", "min", "h"]),
)
def test_format_then_parse_gives_the_value_back(value: float, unit: str) -> None:
    """format_duration writes strings parse_duration reads back (to 6 digits); 80,000 h
    is within the ten-year bound."""
    back = parse_duration(format_duration(value, unit), unit)
    assert math.isclose(back, value, rel_tol=1e-5, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        (87_601, "h"),
        ("87601h", "min"),
        ("3651d", "s"),
        (1e308, "min"),
        (10**400, "s"),
        ("1e400h", "h"),
    ],
)
def test_durations_beyond_ten_years_are_refused_with_the_bound(value: object, unit: str) -> None:
    """No shop duration exceeds ten years; beyond, the scheduler's integer grid and the
    clock would overflow, so the message names the bound instead."""
    with pytest.raises(DurationError, match=r"at most 10 years|expected a duration"):
        parse_duration(value, unit)
    assert parse_duration("87600h", unit) * {"s": 1, "min": 60, "h": 3600}[unit] == 87600 * 3600


def test_clock_times_are_minutes_after_midnight() -> None:
    """ "06:00" is 360; "24:00" closes a day; seconds are allowed."""
    assert parse_clock("06:00") == 360
    assert parse_clock("6:30") == 390
    assert parse_clock("24:00") == 1440
    assert parse_clock("00:00:30") == 0.5
    for bad in ("25:00", "06:60", "6h", 360, "24:01"):
        with pytest.raises(DurationError, match="clock time"):
            parse_clock(bad)


def test_weekdays_accept_short_and_full_names() -> None:
    """mon..sun, Monday..Sunday, any case."""
    assert parse_weekday("mon") == 0
    assert parse_weekday("Sunday") == 6
    assert parse_weekday("SAT") == 5
    with pytest.raises(DurationError, match="weekday"):
        parse_weekday("sonday")


def _total(intervals: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in intervals)


def test_two_shifts_with_breaks_on_weekdays_give_75_hours_a_week() -> None:
    """5 days x (16 h of shifts - 1 h of breaks) = 4500 min, Monday starts at 06:00."""
    on = week_on_intervals([(360, 840), (840, 1320)], [(600, 630), (1080, 1110)], [5, 6])
    assert _total(on) == 4500
    assert on[:3] == [(360, 600), (630, 1080), (1110, 1320)]
    assert all(b <= MINUTES_PER_WEEK for _, b in on)
    assert all(a1 < b1 <= a2 for (a1, b1), (a2, _) in itertools.pairwise(on))


def test_a_night_shift_belongs_to_the_day_it_starts_and_wraps_the_week() -> None:
    """22:00-06:00 on Sunday ends Monday 06:00: folded onto the start of the week."""
    on = week_on_intervals([(1320, 360)], [], [])
    assert _total(on) == 7 * 480
    assert on[0] == (0, 360)
    assert on[-1] == (6 * 1440 + 1320, MINUTES_PER_WEEK)
    no_weekend = week_on_intervals([(1320, 360)], [], [5, 6])
    assert _total(no_weekend) == 5 * 480
    assert no_weekend[0] == (1320, 1800)  # Monday night, nothing before Monday 22:00


def test_rotating_intervals_moves_the_origin_and_keeps_the_total() -> None:
    """Seen from Monday 06:00, the first shift starts at time 0."""
    on = week_on_intervals([(360, 840)], [], [5, 6])
    turned = rotate_intervals(on, 360, MINUTES_PER_WEEK)
    assert turned[0] == (0, 480)
    assert _total(turned) == _total(on)
    assert rotate_intervals([(0, 10), (100, 200)], 150, 1000) == [(0, 50), (850, 860), (950, 1000)]
