"""Calendar arithmetic: shifts, breaks, days off, wrap-around nights."""

from __future__ import annotations

import math

import pytest

from models.calendar import Calendar

H = 1.0  # hours as the time unit
WEEK = 168 * H
# Monday..Friday 08:00-16:00, weekend off
DAY_SHIFT = Calendar(WEEK, [(d * 24 + 8, d * 24 + 16) for d in range(5)])


def test_is_on_half_open() -> None:
    """An on interval includes its start and excludes its end."""
    assert not DAY_SHIFT.is_on(7.999)
    assert DAY_SHIFT.is_on(8)
    assert not DAY_SHIFT.is_on(16)
    assert DAY_SHIFT.is_on(WEEK + 8)
    assert not DAY_SHIFT.is_on(5 * 24 + 10)  # Saturday


def test_next_on_and_next_off() -> None:
    """next_on/next_off return t itself when already there, else the next boundary."""
    assert DAY_SHIFT.next_on(0) == 8
    assert DAY_SHIFT.next_on(10) == 10
    assert DAY_SHIFT.next_on(16) == 32
    assert DAY_SHIFT.next_on(4 * 24 + 17) == WEEK + 8  # Friday evening -> Monday
    assert DAY_SHIFT.next_off(10) == 16
    assert DAY_SHIFT.next_off(3) == 3


def test_finish_time_across_weekend() -> None:
    """Work started Friday 14:00 pauses over the weekend and ends Monday 11:00."""
    assert DAY_SHIFT.finish_time(4 * 24 + 14, 5) == WEEK + 8 + 3


def test_finish_time_many_weeks() -> None:
    """121 hours of work from Monday 08:00 take three 40-hour weeks plus one hour."""
    assert DAY_SHIFT.finish_time(8, 121) == 3 * WEEK + 9
    assert DAY_SHIFT.finish_time(8, 120) == 2 * WEEK + 4 * 24 + 16


def test_finish_time_starts_at_next_on() -> None:
    """Work handed over at night starts with the shift; zero work ends at once."""
    assert DAY_SHIFT.finish_time(2, 3) == 11
    assert DAY_SHIFT.finish_time(2, 0) == 2


def test_night_shift_wraps_midnight() -> None:
    """A 22:00-06:00 shift is one stretch across the period boundary."""
    night = Calendar(24, [(22, 24), (0, 6)])
    assert night.is_on(23) and night.is_on(24) and night.is_on(29)
    assert night.next_off(23) == 30
    assert night.finish_time(23, 4) == 27
    assert night.finish_time(5, 3) == 24  # 1 h until 06:00, then 22:00-24:00
    assert night.finish_time(5, 4) == 25
    assert night.on_time(0, 48) == 16


def test_from_off_is_the_complement() -> None:
    """Breaks given as off intervals leave the rest of the period on."""
    cal = Calendar.from_off(100, [(40, 50), (90, 100)])
    assert cal.next_off(10) == 40
    assert cal.next_on(45) == 50
    assert cal.next_off(95) == 95
    assert cal.next_on(95) == 100
    assert cal.on_time(0, 200) == 160
    assert list(cal.off_windows(0, 150)) == [(40, 50), (90, 100), (140, 150)]


def test_always_and_one_off() -> None:
    """always() never goes off; an infinite period gives a one-off calendar."""
    always = Calendar.always()
    assert always.is_always and always.next_off(1e9) == math.inf
    assert always.finish_time(3, 4) == 7
    once = Calendar(math.inf, [(10, 20)])
    assert once.next_on(5) == 10 and once.next_on(25) == math.inf
    assert once.finish_time(15, 4) == 19
    assert once.finish_time(15, 10) == math.inf
    assert list(once.on_windows(0, 100)) == [(10, 20)]


def test_adjacent_intervals_merge() -> None:
    """Touching intervals act as one."""
    cal = Calendar(10, [(2, 4), (4, 6)])
    assert cal.next_off(3) == 6


@pytest.mark.parametrize(
    ("period", "on", "match"),
    [
        (0, [], "period must be positive"),
        (10, [(5, 3)], r"on interval 0 \(sorted\) \[5.0, 3.0\)"),
        (10, [(0, 11)], "period 10"),
        (10, [(0, 5), (4, 8)], "overlap"),
    ],
)
def test_bad_calendars(period: float, on: list[tuple[float, float]], match: str) -> None:
    """Invalid periods and intervals are refused with the culprit named."""
    with pytest.raises(ValueError, match=match):
        Calendar(period, on)
