"""Where operations hold renewable resources, and whether one more fits.

A mode holds ``mode_demand`` units of its resource over its whole span, or with a
partial hold over its first ``head`` and last ``tail`` units (a robot loading and
unloading a machine: see :class:`scheduler.ProblemData`). The decoder
keeps each resource's held segments in its own CSR slice of three arrays
(``seg_a``/``seg_b``/``seg_q``: start, end, units), sorted by start, with the longest
segment's length, so that the segments meeting an interval are a binary search away
(short holds stay cheap however many are held), and asks these
kernels where a candidate placement clashes. The plain-Python reference of the layout is
:func:`scheduler.calendar.hold_segments`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.calendar import LOADS, RESUME
from scheduler.problem import IntArray, ProblemData

__all__ = ["MAX_SEGMENTS", "hold_segments", "hold_slots", "holds_shift", "insert_segments",
           "pattern_clash", "span_clash"]  # fmt: skip

INF = np.int64(2**62)


#: the most segments one placement holds (a head and a tail)
MAX_SEGMENTS = 2


def hold_slots(data: ProblemData) -> IntArray:
    """CSR pointers giving each resource room for the segments of every operation that
    may hold it."""
    r = len(data.resource_capacity)
    held = (data.mode_resource >= 0) & (data.mode_demand > 0)
    part = (data.mode_hold_head > 0) & (data.mode_hold_tail > 0)
    per_mode = np.where(held, np.where(part, 2, 1), 0).astype(np.int64)
    counts = np.zeros(r, np.int64)
    if r and held.any():
        key = data.mode_op[held] * r + data.mode_resource[held]
        order = np.argsort(key, kind="stable")
        key, segs = key[order], per_mode[held][order]
        first = np.concatenate(([True], key[1:] != key[:-1]))
        most = np.maximum.reduceat(segs, np.flatnonzero(first))  # per (op, resource)
        counts = np.bincount(key[first] % r, weights=most, minlength=r).astype(np.int64)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


@njit(cache=True, nogil=True)
def holds_shift(kind: int, lo: int, hi: int) -> bool:
    """Whether a later start moves every held segment by as much (see
    :func:`scheduler.calendar.holds_shift`)."""
    if lo == hi:
        return True
    return kind != RESUME and kind != LOADS  # BLOCK, RUN and FREE spans do not stretch


@njit(cache=True, nogil=True)
def hold_segments(s: int, e: int, head: int, tail: int, out_a: IntArray, out_b: IntArray) -> int:
    """Write the segments an operation placed at ``[s, e)`` holds into ``out_a/out_b``
    (sorted by start); return how many."""
    if e <= s:
        return 0
    if head <= 0 and tail <= 0:
        out_a[0] = s
        out_b[0] = e
        return 1
    c = 0
    if head > 0:
        out_a[c] = s
        out_b[c] = s + head
        c += 1
    if tail > 0:
        out_a[c] = e - tail
        out_b[c] = e
        c += 1
    return c


@njit(cache=True, nogil=True)
def insert_segments(
    at: int, count: int, n: int, seg_a: IntArray, seg_b: IntArray, seg_q: IntArray, q: int,
    new_a: IntArray, new_b: IntArray,
) -> None:  # fmt: skip
    """Merge ``n`` new segments (sorted by start) of ``q`` units into the ``count`` held
    ones at ``at`` (sorted by start), from the back: O(count + n)."""
    i = at + count - 1
    j = n - 1
    w = at + count + n - 1
    while j >= 0:
        if i >= at and seg_a[i] > new_a[j]:
            seg_a[w], seg_b[w], seg_q[w] = seg_a[i], seg_b[i], seg_q[i]
            i -= 1
        else:
            seg_a[w], seg_b[w], seg_q[w] = new_a[j], new_b[j], q
            j -= 1
        w -= 1


@njit(cache=True, nogil=True)
def _near(
    a: int, b: int, seg_a: IntArray, seg_b: IntArray, base: int, count: int, longest: int,
    near: IntArray,
) -> int:  # fmt: skip
    """Gather into ``near`` the held segments meeting ``[a, b)`` (sorted by start, none
    longer than ``longest``: only those starting after ``a - longest`` can); return how
    many."""
    lo, hi = base, base + count
    x = a - longest + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if seg_a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    k = 0
    for y in range(lo, base + count):
        if seg_a[y] >= b:
            break
        if seg_b[y] > a:
            near[k] = y
            k += 1
    return k


@njit(cache=True, nogil=True)
def span_clash(
    cap: int, t: int, e: int, seg_a: IntArray, seg_b: IntArray, seg_q: IntArray, base: int,
    count: int, longest: int, near: IntArray,
) -> int:  # fmt: skip
    """``t`` when ``cap`` units (the capacity less the candidate's demand) are not
    exceeded over ``[t, e)`` by the held segments; else the earliest end after ``t`` of
    a segment meeting ``[t, e)`` (the next time a unit may come free: try from there).
    A candidate holding its whole span covers its own start, so no start before that
    end can fit."""
    k = _near(t, e, seg_a, seg_b, base, count, longest, near)
    for x in range(k + 1):  # the load only rises where a segment starts
        at = t if x == k else seg_a[near[x]]
        if at < t:
            continue
        load = 0
        for z in range(k):
            y = near[z]
            if seg_a[y] <= at < seg_b[y]:
                load += seg_q[y]
        if load > cap:
            first_free = int(INF)
            for z in range(k):
                first_free = min(first_free, seg_b[near[z]])
            return first_free
    return t


@njit(cache=True, nogil=True)
def pattern_clash(
    cap: int, cand_a: IntArray, cand_b: IntArray, nc: int, seg_a: IntArray, seg_b: IntArray,
    seg_q: IntArray, base: int, count: int, longest: int, near: IntArray,
) -> int:  # fmt: skip
    """0 when the candidate's segments fit beside the held ones within ``cap``; else
    ``delta > 0``: at an overloaded instant ``x`` every holder there lasts at least until
    ``x + delta``, so every start less than ``delta`` later clashes as well (when the
    layout shifts with the start). ``near`` is scratch of length >= ``count``."""
    for c in range(nc):
        a, b = cand_a[c], cand_b[c]
        if b <= a:
            continue
        k = _near(a, b, seg_a, seg_b, base, count, longest, near)
        for x in range(k + 1):
            at = a if x == k else max(a, seg_a[near[x]])
            load = 0
            least = int(INF)
            for z in range(k):
                y = near[z]
                if seg_a[y] <= at < seg_b[y]:
                    load += seg_q[y]
                    least = min(least, seg_b[y] - at)
            if load > cap:
                return least
    return 0
