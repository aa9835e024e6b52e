"""Periodic availability (shifts, breaks, days off) in simulation time units.

A :class:`Calendar` repeats a pattern of half-open *on* intervals ``[start, end)``
every ``period`` (e.g. a week of 10080 minutes); ``period=inf`` makes a one-off
calendar whose intervals are absolute. The twin converts a scenario's shifts, breaks
and days off into one calendar per station; models ask it when work may proceed.
All queries are O(log n) in the number of intervals per period, and long jobs skip
whole periods, so a year-long horizon costs the same as a day.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["Calendar"]

_INF = math.inf


class Calendar:
    """Availability that repeats every ``period``.

    Parameters
    ----------
    period
        Length of one cycle (positive; ``inf`` for a non-repeating calendar).
    on_intervals
        ``(start, end)`` pairs with ``0 <= start < end <= period``; they may come in
        any order but must not overlap. Touching intervals are merged, and an interval
        ending at ``period`` runs on into one starting at 0 of the next cycle.
    """

    __slots__ = ("_always", "_ends", "_on_per_period", "_starts", "_wraps", "period")

    def __init__(self, period: float, on_intervals: Iterable[tuple[float, float]]) -> None:
        period = float(period)
        if not period > 0:
            raise ValueError(f"calendar period must be positive, got {period}")
        merged: list[list[float]] = []
        for i, (s, e) in enumerate(sorted((float(s), float(e)) for s, e in on_intervals)):
            if not 0 <= s < e <= period:
                raise ValueError(
                    f"on interval {i} (sorted) [{s}, {e}) must satisfy 0 <= start < end <= "
                    f"period {period}"
                )
            if merged and s < merged[-1][1]:
                raise ValueError(f"on intervals overlap: [{s}, {e}) starts before {merged[-1][1]}")
            if merged and s == merged[-1][1]:
                merged[-1][1] = e
            else:
                merged.append([s, e])
        self.period = period
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        self._on_per_period = sum(e - s for s, e in merged)
        self._always = len(merged) == 1 and merged[0][0] == 0 and merged[0][1] == period
        self._wraps = (
            math.isfinite(period) and bool(merged) and merged[0][0] == 0 and merged[-1][1] == period
        )

    @classmethod
    def always(cls) -> Calendar:
        """Available at every instant (the default of every unit)."""
        return cls(_INF, [(0.0, _INF)])

    @classmethod
    def from_off(cls, period: float, off_intervals: Iterable[tuple[float, float]]) -> Calendar:
        """The complement of ``off_intervals`` within one period (breaks, maintenance)."""
        on: list[tuple[float, float]] = []
        t = 0.0
        for i, (s, e) in enumerate(sorted((float(s), float(e)) for s, e in off_intervals)):
            if not 0 <= s < e <= period or s < t:
                raise ValueError(f"off interval {i} (sorted) [{s}, {e}) is invalid or overlaps")
            if s > t:
                on.append((t, s))
            t = e
        if t < period:
            on.append((t, float(period)))
        return cls(period, on)

    @property
    def is_always(self) -> bool:
        """True when never off: models skip every calendar check (the fast path)."""
        return self._always

    @property
    def on_per_period(self) -> float:
        return self._on_per_period

    def __repr__(self) -> str:
        return f"Calendar({self.period}, {list(zip(self._starts, self._ends, strict=True))})"

    def _locate(self, t: float) -> tuple[float, int]:
        """Start of the cycle holding ``t`` and the index of the last interval starting
        at or before ``t`` in it (-1 if none)."""
        period = self.period
        base = math.floor(t / period) * period if period != _INF else 0.0
        if t < base:  # t / period rounded up to the next whole cycle
            base -= period
        return base, bisect_right(self._starts, t - base) - 1

    def is_on(self, t: float) -> bool:
        """Whether ``t`` falls in an on interval (intervals are half-open)."""
        if self._always:
            return True
        base, i = self._locate(t)
        return i >= 0 and t - base < self._ends[i]

    def next_on(self, t: float) -> float:
        """The first on instant at or after ``t`` (``t`` itself if on; inf if never)."""
        if self._always:
            return t
        base, i = self._locate(t)
        if i >= 0 and t - base < self._ends[i]:
            return t
        if i + 1 < len(self._starts):
            return base + self._starts[i + 1]
        if self._starts and math.isfinite(self.period):
            return base + self.period + self._starts[0]
        return _INF

    def next_off(self, t: float) -> float:
        """The first off instant at or after ``t`` (``t`` itself if off; inf if never)."""
        if self._always:
            return _INF
        base, i = self._locate(t)
        if i < 0 or t - base >= self._ends[i]:
            return t
        if self._wraps and i == len(self._starts) - 1:
            return base + self.period + self._ends[0]
        return base + self._ends[i]

    def finish_time(self, t: float, work: float) -> float:
        """When ``work`` units of on-time, started at ``t``, are done (work pauses while
        off). ``work == 0`` finishes at ``t``; inf if the calendar never has enough."""
        if work < 0:
            raise ValueError(f"negative work {work}")
        if self._always or work == 0:
            return t + work
        t = self.next_on(t)
        if t == _INF:
            return _INF
        on = self._on_per_period
        if math.isfinite(self.period):
            whole = math.floor(work / on) - 1  # keep the last partial cycle for the loop
            if whole > 0:
                t += whole * self.period
                work -= whole * on
        while True:
            off = self.next_off(t)
            if t + work <= off:
                return t + work
            work -= off - t
            t = self.next_on(off)
            if t == _INF:
                return _INF

    def on_time(self, t0: float, t1: float) -> float:
        """Available time within ``[t0, t1)`` (for utilisation over calendar time)."""
        if t1 <= t0:
            return 0.0
        if self._always:
            return t1 - t0
        total = 0.0
        if math.isfinite(self.period):
            whole = math.floor((t1 - t0) / self.period)
            total = whole * self._on_per_period
            t0 += whole * self.period
        for s, e in self.on_windows(t0, t1):
            total += e - s
        return total

    def on_windows(self, t0: float, t1: float) -> Iterator[tuple[float, float]]:
        """The on intervals clipped to ``[t0, t1)``, in time order."""
        t = self.next_on(t0)
        while t < t1:
            off = min(self.next_off(t), t1)
            yield t, off
            t = self.next_on(off)

    def off_windows(self, t0: float, t1: float) -> Iterator[tuple[float, float]]:
        """The off intervals clipped to ``[t0, t1)``: the scheduler's unavailability
        windows for this station."""
        t = t0
        while t < t1:
            off = self.next_off(t)
            if off >= t1:
                return
            on = min(self.next_on(off), t1)
            yield off, on
            t = on
