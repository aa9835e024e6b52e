"""How an operation meets its machine's unavailability windows: the four calendar kinds.

A machine's windows are the time it does not work: off shift, breaks, holidays,
planned stops, a repair. Each mode (an operation on one machine) says how it meets
them, in ``ProblemData.mode_calendar``:

- ``BLOCK`` (0, the default): not preemptive; the operation must fit between windows.
- ``RESUME`` (1): attended work. It starts outside a window, pauses inside every
  window it meets and resumes at its end, so its elapsed span ``end - start`` is its
  duration plus the windows it spans, and depends on where it starts (456 minutes of
  work starting at 14:00 on a 07:00-16:00 shift ends the next morning).
- ``RUN`` (2): started by an operator, then unattended (a print build, lights-out
  machining): it starts outside a window and runs through the next ones.
- ``FREE`` (3): ignores the windows (an unattended machine whose work needs nobody).
- ``LOADS`` (4): ``mode_loads`` equal fixture loads, back to back; each starts outside
  a window and runs through (the operator loads a CNC machine only on shift, and the
  cycle under way finishes over the break). The loads that start before a window
  opens run as one span; the next one waits for the window's end.

Setups always pause inside windows: the next operation on a machine starts once
``setup`` units of time outside windows have passed since the previous one ended.
Zero-length operations keep the ``BLOCK`` rule (not strictly inside a window) unless
``FREE``.

Why this model: PyJobShop's break-aware tasks and CP Optimizer's intensity functions
both stretch an interval over breaks by a step function of time. The shop's own
semantics are simpler than a general intensity (work is either done or paused), so the
kinds keep the solvers' placements exact and cheap: a placement is a binary search and
a walk over the windows an operation spans (:mod:`scheduler.kernels.calendar`), and
CP-SAT models ``RESUME`` by one literal per window the operation may span, in the
same "work clock" (time outside windows) that makes setups pause.

These plain-Python functions are the reference of the numba kernels and are used by
the Python parts of the scheduler (compaction, the CP-SAT hint). The feasibility
checker (:mod:`scheduler.check`) does not use them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["BLOCK", "FREE", "KINDS", "LOADS", "RESUME", "RUN", "hold_segments", "holds_shift",
           "loads_end", "on_time", "place", "setup_done", "work_end",
           "worked"]  # fmt: skip

BLOCK, RESUME, RUN, FREE, LOADS = 0, 1, 2, 3, 4
KINDS = {"block": BLOCK, "resume": RESUME, "run": RUN, "free": FREE, "loads": LOADS}

Windows = Sequence[tuple[int, int]]


def _first_after(t: float, windows: Windows) -> int:
    """Index of the first window that ends after ``t``."""
    return bisect.bisect_right([e for _, e in windows], t)


def on_time(t: int, windows: Windows) -> int:
    """The first time at or after ``t`` outside every window."""
    w = _first_after(t, windows)
    if w < len(windows) and windows[w][0] <= t:
        return windows[w][1]
    return t


def work_end(s: int, p: int, windows: Windows) -> int:
    """When ``p`` units of work begun at ``s`` (outside every window) are done, pausing
    inside windows; work that completes as a window opens ends there."""
    cur, rem = s, p
    for ws, we in windows[_first_after(s, windows) :]:
        if ws >= cur + rem:
            break
        rem -= ws - cur
        cur = we
    return cur + rem


def loads_end(s: int, p: int, loads: int, windows: Windows) -> int:
    """When ``loads`` equal loads of ``p`` in all, the first begun at ``s`` (outside
    every window), are done: each starts outside a window and runs through."""
    each, left, t = p // loads, loads, s
    while left > 0:
        t = on_time(t, windows)
        w = _first_after(t, windows)
        n = left if w == len(windows) else min(left, max(1, -(-(windows[w][0] - t) // each)))
        t += n * each
        left -= n
    return t


def place(t: int, p: int, kind: int, windows: Windows, loads: int = 1) -> tuple[int, int]:
    """(start, end) of an operation of duration ``p`` and calendar ``kind`` (``loads``
    equal loads for ``LOADS``) placed at the earliest at ``t`` on a machine with
    ``windows`` (sorted, disjoint)."""
    if kind == FREE or not windows:
        return t, t + p
    if kind == BLOCK or p == 0:
        span = max(p, 1)
        for ws, we in windows:
            if t < we and t + span > ws:
                t = we
        return t, t + p
    s = on_time(t, windows)
    if kind == RUN:
        return s, s + p
    if kind == LOADS:
        return s, loads_end(s, p, loads, windows)
    return s, work_end(s, p, windows)


def setup_done(t: int, g: int, windows: Windows) -> int:
    """When a setup of ``g`` begun at the earliest at ``t`` is done (it pauses inside
    windows)."""
    if g <= 0 or not windows:
        return t + g
    return work_end(on_time(t, windows), g, windows)


def worked(a: int, b: int, windows: Windows) -> int:
    """Time outside windows in ``[a, b)``."""
    out = max(0, b - a)
    for ws, we in windows:
        out -= max(0, min(b, we) - max(a, ws))
    return out


def hold_segments(s: int, e: int, head: int, tail: int) -> list[tuple[int, int]]:
    """Where an operation placed at ``[s, e)`` holds its resource: its whole span, or
    with a partial hold its first ``head`` and last ``tail`` units (see
    :class:`scheduler.ProblemData`); a zero-length operation holds nothing."""
    if e <= s:
        return []
    if head <= 0 and tail <= 0:
        return [(s, e)]
    return ([(s, s + head)] if head > 0 else []) + ([(e - tail, e)] if tail > 0 else [])


def holds_shift(kind: int, windows: Windows) -> bool:
    """Whether a later start moves every held segment by as much (no window can stretch
    the span): then a clash at an instant rules out every start until a holder there
    ends, and a solver may jump there instead of trying one start after another."""
    return not windows or kind in (BLOCK, RUN, FREE)
