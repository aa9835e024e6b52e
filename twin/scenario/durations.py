"""Human durations, time units and shift clocks.

A scenario counts time in one base unit (``time_unit``: ``s``, ``min`` or ``h``). Numbers
are already in that unit; strings such as ``"90s"``, ``"12min"``, ``"1.5h"``, ``"2d"``,
``"1w"`` or ``"1h 30min"`` carry their own unit and are converted. Results are floats:
the scheduler rounds to its integer grid, the simulation keeps them exact.

Shift calendars are written with wall-clock times (``"06:00"``) and weekday names; they
become periodic on-intervals of one week (:func:`week_on_intervals`).

The pydantic field types :data:`Duration`, :data:`Seconds`, :data:`Clock` and
:data:`Weekday` wrap these parsers for the scenario schema; ``Duration`` reads the base
unit set by :func:`base_unit` while a scenario validates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from twin.scenario.bounds import MAX_DURATION_SECONDS

__all__ = [
    "MINUTES_PER_WEEK",
    "TIME_UNITS",
    "UNIT_SECONDS",
    "WEEKDAYS",
    "Clock",
    "Duration",
    "DurationError",
    "Seconds",
    "Weekday",
    "base_unit",
    "field_error",
    "format_duration",
    "parse_clock",
    "parse_duration",
    "parse_weekday",
    "rotate_intervals",
    "to_base_unit",
    "week_on_intervals",
]

#: Seconds per unit; ``TIME_UNITS`` are the ones a scenario may use as its base unit.
UNIT_SECONDS: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
TIME_UNITS = ("s", "min", "h")
_ALIASES = {
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "wk": "w",
    "week": "w",
    "weeks": "w",
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*([A-Za-z]*)")
_NUMBER = re.compile(r"\s*[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_WEEK = 7 * 24 * 60

Interval = tuple[float, float]


class DurationError(ValueError):
    """A duration, clock time or weekday cannot be understood; the message says what
    was expected and what was given (the scenario loader adds file and field path)."""


def _shown(value: object) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_unit(unit: str) -> float:
    if unit not in UNIT_SECONDS:
        raise DurationError(f"unknown time unit {unit!r}; use one of {', '.join(UNIT_SECONDS)}")
    return UNIT_SECONDS[unit]


def parse_duration(value: object, unit: str = "min") -> float:
    """A non-negative duration in ``unit``.

    Parameters
    ----------
    value
        A number (already in ``unit``) or a string with units (``"1.5h"``, ``"90s"``,
        ``"1h 30min"``); a bare numeric string counts in ``unit``.
    unit
        The base unit (``s``, ``min``, ``h``, ``d`` or ``w``).

    Raises
    ------
    DurationError
        Negative, non-finite, malformed, boolean or other non-duration input.
    """
    per_unit = _check_unit(unit)
    expected = f'expected a duration like "120h", got {_shown(value)}'
    if isinstance(value, bool) or value is None:
        raise DurationError(expected)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            raise DurationError(expected) from None
        if not math.isfinite(number) or number < 0:
            raise DurationError(expected)
        return _bounded(number, unit, value)
    if not isinstance(value, str):
        raise DurationError(expected)
    text = value.strip()
    if _NUMBER.fullmatch(text):
        number = float(text)
        if not math.isfinite(number) or number < 0:
            raise DurationError(expected)
        return _bounded(number, unit, value)
    seconds, pos = 0.0, 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.end() == pos or not match.group(2):
            raise DurationError(expected)
        name = _ALIASES.get(match.group(2).lower())
        if name is None:
            raise DurationError(
                f'expected a duration like "120h" (units s, min, h, d, w), got {_shown(value)}'
            )
        number = float(match.group(0).strip()[: -len(match.group(2))])
        seconds += number * UNIT_SECONDS[name]
        pos = match.end()
    if pos == 0 or not math.isfinite(seconds):
        raise DurationError(expected)
    return _bounded(seconds / per_unit, unit, value)


def _bounded(number: float, unit: str, value: object) -> float:
    """``number`` (in ``unit``) if within :data:`MAX_DURATION_SECONDS`."""
    limit = MAX_DURATION_SECONDS / UNIT_SECONDS[unit]
    if number > limit:
        raise DurationError(
            f"expected a duration of at most 10 years ({limit:g} {unit}), got {_shown(value)}"
        )
    return number


def format_duration(value: float, unit: str = "min") -> str:
    """The shortest readable string for ``value`` (in ``unit``) that
    :func:`parse_duration` reads back: ``90`` min -> ``"1.5h"``, ``45`` -> ``"45min"``."""
    per_unit = _check_unit(unit)
    if not math.isfinite(value) or value < 0:
        raise DurationError(f"cannot format duration {value!r}")
    if value == 0:
        return "0"
    seconds = value * per_unit
    for name in ("w", "d", "h", "min", "s"):
        amount = seconds / UNIT_SECONDS[name]
        if amount >= 1 and math.isclose(amount, round(amount, 2), rel_tol=1e-9, abs_tol=1e-9):
            return f"{round(amount, 2):g}{name}"
    return f"{seconds:.6g}s"


def parse_clock(value: object) -> float:
    """Minutes after midnight of a wall-clock time ``"HH:MM"`` or ``"HH:MM:SS"``
    (``"24:00"`` allowed as an end of day)."""
    match = (
        re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
        if isinstance(value, str)
        else None
    )
    if match is None:
        raise DurationError(
            f'expected a clock time like "06:00" (quoted in YAML), got {_shown(value)}'
        )
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    total = hours * 60 + minutes + seconds / 60
    if minutes >= 60 or seconds >= 60 or total > 24 * 60:
        raise DurationError(
            f'expected a clock time between "00:00" and "24:00", got {_shown(value)}'
        )
    return total


def parse_weekday(value: object) -> int:
    """0 (Monday) .. 6 (Sunday) from ``"mon"``, ``"Monday"``, ``"SUN"``, ..."""
    if isinstance(value, str):
        key = value.strip().lower()
        for index, name in enumerate(_DAY_NAMES):
            if key in (name[:3], name):
                return index
    raise DurationError(f"expected a weekday ({', '.join(WEEKDAYS)}), got {_shown(value)}")


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _wrap(intervals: Iterable[Interval], period: float) -> list[Interval]:
    """Fold intervals onto ``[0, period)`` (each shorter than one period)."""
    out: list[Interval] = []
    for start, end in intervals:
        shift = math.floor(start / period) * period
        start, end = start - shift, end - shift
        if end <= period:
            out.append((start, end))
        else:
            out += [(start, period), (0.0, min(end - period, start))]
    return _merge(out)


def _subtract(keep: list[Interval], remove: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in keep:
        cursor = start
        for r_start, r_end in remove:
            if r_end <= cursor or r_start >= end:
                continue
            if r_start > cursor:
                out.append((cursor, r_start))
            cursor = max(cursor, r_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def week_on_intervals(
    shifts: Sequence[Interval], breaks: Sequence[Interval], days_off: Iterable[int]
) -> list[Interval]:
    """On-intervals in minutes of one week (Monday 00:00 = 0), sorted and disjoint.

    A shift (start, end) in minutes after midnight runs on every day that is not off;
    ``end <= start`` means it runs past midnight (it belongs to the day it starts).
    Breaks are taken every day wherever they overlap a shift.
    """
    off = set(days_off)
    day = 24 * 60

    def span(start: float, end: float) -> Interval:
        return (start, end + day if end <= start else end)

    on = [
        (d * day + a, d * day + b)
        for d in range(7)
        if d not in off
        for a, b in (span(*s) for s in shifts)
    ]
    pauses = [(d * day + a, d * day + b) for d in range(7) for a, b in (span(*s) for s in breaks)]
    return _subtract(_wrap(on, MINUTES_PER_WEEK), _wrap(pauses, MINUTES_PER_WEEK))


def day_on_intervals(shifts: Sequence[Interval], breaks: Sequence[Interval]) -> list[Interval]:
    """On-intervals in minutes of one working day alone ([0, 1440)): its shifts minus its
    breaks, a shift past midnight cut at midnight (a dated day stands on its own)."""
    day = 24 * 60

    def within(intervals: Sequence[Interval]) -> list[Interval]:
        return _merge((a, min(b if b > a else b + day, day)) for a, b in intervals)

    return _subtract(within(shifts), within(breaks))


def rotate_intervals(intervals: Sequence[Interval], offset: float, period: float) -> list[Interval]:
    """Periodic intervals seen from a clock that starts ``offset`` into the period:
    interval ``(s, e)`` becomes ``(s - offset, e - offset)`` folded onto ``[0, period)``."""
    return _wrap(((s - offset, e - offset) for s, e in intervals), period)


# -- pydantic field types -------------------------------------------------------------
# The base unit of the scenario being validated: Duration fields read it while the
# top-level model validates (set with ``base_unit``; "min" for a model used alone).
_base_unit: ContextVar[str] = ContextVar("time_unit", default="min")


@contextmanager
def base_unit(unit: str) -> Iterator[None]:
    """Within this block, :data:`Duration` fields count plain numbers in ``unit``."""
    token = _base_unit.set(unit if unit in TIME_UNITS else "min")
    try:
        yield
    finally:
        _base_unit.reset(token)


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*[A-Za-z]*"
            r"(\s*(\d+(\.\d*)?|\.\d+)\s*[A-Za-z]+)*\s*$",
        },
    ],
    "description": (
        'a number in time_unit, or a string with a unit: "90s", "12min", "1.5h", "2d", "1w"'
    ),
}


def field_error(kind: str, message: str) -> PydanticCustomError:
    """A pydantic error whose message is exactly ``message`` (no "Value error, ")."""
    return PydanticCustomError(kind, "{message}", {"message": message})


def to_base_unit(value: object) -> float:
    """A duration in the current base unit (see :func:`base_unit`), as a field error."""
    try:
        return parse_duration(value, _base_unit.get())
    except DurationError as exc:
        raise field_error("duration", str(exc)) from None


def _seconds(value: object) -> float:
    try:
        return parse_duration(value, "s")
    except DurationError as exc:
        raise field_error("duration", str(exc).replace('"120h"', '"10s"')) from None


def _clock(value: object) -> str:
    try:
        parse_clock(value)
    except DurationError as exc:
        raise field_error("clock", str(exc)) from None
    return str(value).strip()


def _weekday(value: object) -> str:
    try:
        return WEEKDAYS[parse_weekday(value)]
    except DurationError as exc:
        raise field_error("weekday", str(exc)) from None


Duration = Annotated[float, BeforeValidator(to_base_unit), WithJsonSchema(_DURATION_SCHEMA)]
Seconds = Annotated[
    float,
    BeforeValidator(_seconds),
    WithJsonSchema({**_DURATION_SCHEMA, "description": "wall-clock seconds, or e.g. '2min'"}),
]
Clock = Annotated[
    str,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$"}),
]
Weekday = Annotated[str, BeforeValidator(_weekday), WithJsonSchema({"enum": list(WEEKDAYS)})]
