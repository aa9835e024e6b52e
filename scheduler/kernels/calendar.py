"""Calendar placement on a machine's sorted, disjoint unavailability windows (numba).

The semantics of each kind (``mode_calendar`` of a mode) are in
:mod:`scheduler.calendar`, whose plain-Python functions are these kernels' reference.
Times may be integers (decoding, dispatch) or floats (Monte Carlo): each function
compiles once per type. ``lo:hi`` is the machine's slice of the window arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

__all__ = ["BLOCK", "FREE", "LOADS", "RESUME", "RUN", "first_after", "loads_end", "on_time",
           "place", "setup_done", "work_end"]  # fmt: skip

BLOCK, RESUME, RUN, FREE, LOADS = 0, 1, 2, 3, 4

T = Any  # a time: int64 when decoding and dispatching, float64 in Monte Carlo


@njit(cache=True, nogil=True)
def first_after(t: T, lo: int, hi: int, window_end: np.ndarray) -> int:
    """Index of the first window of ``lo:hi`` that ends after ``t`` (``hi`` if none):
    a binary search, so a year of shifts costs a few steps per placement."""
    while lo < hi:
        mid = (lo + hi) // 2
        if window_end[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def on_time(t: T, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray) -> T:
    """The first time at or after ``t`` outside every window (windows are disjoint and
    never touch, so one step suffices)."""
    w = first_after(t, lo, hi, window_end)
    if w < hi and window_start[w] <= t:
        return window_end[w] + (t - t)  # keeps t's type (int or float)
    return t


@njit(cache=True, nogil=True)
def work_end(s: T, p: T, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray) -> T:
    """When ``p`` units of work begun at ``s`` (outside every window) are done, the
    work pausing inside windows. Work that completes as a window opens ends there."""
    cur = s
    rem = p
    for w in range(first_after(s, lo, hi, window_end), hi):
        ws = window_start[w]
        if ws >= cur + rem:
            break
        rem -= ws - cur
        cur = window_end[w] + (s - s)
    return cur + rem


@njit(cache=True, nogil=True)
def loads_end(
    s: T, each: T, loads: int, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray
) -> T:
    """When ``loads`` loads of ``each``, the first begun at ``s`` (outside every
    window), are done: each starts outside a window and runs through; the loads that
    start before a window opens run as one span."""
    left = loads
    t = s
    while left > 0:
        t = on_time(t, lo, hi, window_start, window_end)
        w = first_after(t, lo, hi, window_end)
        n = left
        if w < hi and each > 0:
            n = min(left, max(1, math.ceil((window_start[w] - t) / each)))
        t = t + n * each
        left -= n
    return t


@njit(cache=True, nogil=True)
def place(
    t: T, p: T, kind: int, loads: int, lo: int, hi: int, window_start: np.ndarray,
    window_end: np.ndarray,
) -> tuple[T, T]:  # fmt: skip
    """(start, end) of a positive-length ``RESUME``, ``RUN``, ``FREE`` or ``LOADS`` run
    placed at the earliest at ``t`` (``BLOCK`` runs and zero-length ones keep their
    callers' rules)."""
    if kind == FREE or lo == hi:
        return t, t + p
    s = on_time(t, lo, hi, window_start, window_end)
    if kind == RUN:
        return s, s + p
    if kind == LOADS:  # integer times: the duration is a whole number of loads
        return s, loads_end(s, p // loads, loads, lo, hi, window_start, window_end)
    return s, work_end(s, p, lo, hi, window_start, window_end)


@njit(cache=True, nogil=True)
def setup_done(t: T, g: T, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray) -> T:
    """When a setup of ``g`` begun at the earliest at ``t`` is done (setups pause
    inside windows); ``t + g`` without windows."""
    if g <= 0 or lo == hi:
        return t + g
    return work_end(on_time(t, lo, hi, window_start, window_end), g, lo, hi, window_start,
                    window_end)  # fmt: skip
