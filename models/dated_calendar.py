"""A weekly calendar with dated exceptions: holidays and make-up working days.

Chinese shops work around 春节 and 国庆 with 调休: whole weeks off, and a Saturday or
Sunday worked in exchange. A :class:`DatedCalendar` takes a periodic
:class:`~models.calendar.Calendar` and *override windows* in absolute time: inside a
window the availability is the window's own on-intervals (none for a holiday, the
usual shifts for a make-up day); outside, the weekly pattern. It answers the queries
the units use (``is_on``, ``next_on``, ``next_off``) in O(log n) plus one step per
window crossed.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from models.calendar import Calendar

__all__ = ["DatedCalendar"]

_INF = math.inf

Override = tuple[float, float, Sequence[tuple[float, float]]]
"""``(start, end, on_intervals)``: within ``[start, end)`` the unit is on exactly during
``on_intervals`` (absolute times inside the window)."""


class DatedCalendar:
    """``base`` everywhere except inside the override windows.

    Parameters
    ----------
    base
        The periodic pattern (shifts, breaks, days off).
    overrides
        Non-overlapping windows ``(start, end, on_intervals)``; ``on_intervals`` are
        sorted, disjoint and inside ``[start, end)``.
    """

    __slots__ = ("_base", "_ends", "_ons", "_starts", "period")

    def __init__(self, base: Calendar, overrides: Iterable[Override]) -> None:
        windows = sorted((float(s), float(e), [(float(a), float(b)) for a, b in on])
                         for s, e, on in overrides)  # fmt: skip
        for i, (s, e, on) in enumerate(windows):
            if not s < e:
                raise ValueError(f"override window {i} [{s}, {e}) is empty")
            if i and s < windows[i - 1][1]:
                raise ValueError(f"override windows overlap at {s}")
            last = s
            for a, b in on:
                if not last <= a < b <= e:
                    raise ValueError(f"override window {i}: on interval [{a}, {b}) is invalid")
                last = b
        self._base = base
        self._starts = [s for s, _, _ in windows]
        self._ends = [e for _, e, _ in windows]
        self._ons = [on for _, _, on in windows]
        self.period = base.period

    @property
    def is_always(self) -> bool:
        return self._base.is_always and not self._starts

    def _window(self, t: float) -> int:
        """Index of the window holding ``t``, or -1."""
        i = bisect_right(self._starts, t) - 1
        return i if i >= 0 and t < self._ends[i] else -1

    def _next_window(self, t: float) -> float:
        """Start of the first window after ``t`` (inf if none)."""
        i = bisect_right(self._starts, t)
        return self._starts[i] if i < len(self._starts) else _INF

    def is_on(self, t: float) -> bool:
        i = self._window(t)
        if i < 0:
            return self._base.is_on(t)
        return any(a <= t < b for a, b in self._ons[i])

    def next_on(self, t: float) -> float:
        """The first on instant at or after ``t`` (inf if never)."""
        while t < _INF:
            i = self._window(t)
            if i >= 0:
                for a, b in self._ons[i]:
                    if t < b:
                        return max(t, a)
                t = self._ends[i]
                continue
            on = self._base.next_on(t)
            nxt = self._next_window(t)
            if on < nxt:
                return on
            t = nxt
        return _INF

    def next_off(self, t: float) -> float:
        """The first off instant at or after ``t`` (inf if never)."""
        while t < _INF:
            i = self._window(t)
            if i >= 0:
                inside = next(((a, b) for a, b in self._ons[i] if a <= t < b), None)
                if inside is None:
                    return t
                if inside[1] < self._ends[i]:
                    return inside[1]
                t = self._ends[i]  # on up to the window's end: look on from there
                continue
            if not self._base.is_on(t):
                return t
            off = self._base.next_off(t)
            nxt = self._next_window(t)
            if off < nxt:
                return off
            t = nxt
        return _INF
