"""Holidays and make-up days on top of a weekly calendar, against a brute-force scan."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar

DAY = 1440.0
WEEK = 7 * DAY
# Mon-Fri 08:00-17:00; weekends off
WEEKLY = Calendar(WEEK, [(d * DAY + 480, d * DAY + 1020) for d in range(5)])


def test_a_holiday_is_off_and_a_make_up_saturday_is_on() -> None:
    holiday = (DAY, 2 * DAY, [])  # Tuesday off
    saturday = (5 * DAY, 6 * DAY, [(5 * DAY + 480, 5 * DAY + 1020)])
    cal = DatedCalendar(WEEKLY, [holiday, saturday])
    assert cal.is_on(600) and not cal.is_on(DAY + 600) and cal.is_on(2 * DAY + 600)
    assert cal.next_on(1020) == 2 * DAY + 480  # Monday evening -> Wednesday morning
    assert cal.is_on(5 * DAY + 600) and cal.next_off(5 * DAY + 600) == 5 * DAY + 1020
    assert cal.next_on(4 * DAY + 1020) == 5 * DAY + 480  # Friday evening -> Saturday
    assert cal.next_on(5 * DAY + 1020) == WEEK + 480  # the next Monday
    assert not cal.is_always


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        DatedCalendar(WEEKLY, [(0, DAY, []), (DAY / 2, 2 * DAY, [])])


def _brute(cal: DatedCalendar, t: float, want_on: bool) -> float:
    """The first minute at or after ``t`` in the wanted state, by stepping (the windows
    and shifts of these tests lie on whole minutes)."""
    x = math.ceil(t)
    if cal.is_on(t) == want_on:
        return t
    while x < t + 6 * WEEK:
        if cal.is_on(x) == want_on:
            return float(x)
        x += 1
    return math.inf


days = st.lists(st.integers(0, 20), max_size=6, unique=True)


@settings(max_examples=60, deadline=None)
@given(holidays=days, workdays=days, t=st.integers(0, 3 * int(WEEK)))
def test_queries_agree_with_a_minute_by_minute_scan(
    holidays: list[int], workdays: list[int], t: int
) -> None:
    overrides = [(d * DAY, (d + 1) * DAY, []) for d in holidays]
    overrides += [
        (d * DAY, (d + 1) * DAY, [(d * DAY + 360, d * DAY + 600)])
        for d in workdays
        if d not in holidays
    ]
    cal = DatedCalendar(WEEKLY, overrides)
    assert cal.next_on(t) == _brute(cal, t, True)
    assert cal.next_off(t) == _brute(cal, t, False)
