"""`left_shift`: move every operation of a feasible schedule to its earliest start.

Each operation keeps its machine, each machine keeps its sequence (the order by
(start, end, index), as the checker reads it) and each job its order; an operation
then starts as soon as its job predecessor has ended and been transported, its
machine predecessor has ended and the setup is done (setups pause in windows), its
job is released, and it meets the unavailability windows as its calendar kind allows
(:mod:`scheduler.calendar`: an attended operation that now starts earlier may span
other breaks, so its end is placed anew, never later). Fixed starts stay. The result is
semi-active: this is how the digital twin replays a plan, so a solver that returns
left-shifted schedules predicts the twin's makespan exactly.

By induction over a topological order every new start is at most the old one (the
old start satisfied all the same lower bounds and avoided the windows), so no end,
makespan or tardiness grows.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np

from scheduler import calendar
from scheduler.problem import IntArray, ProblemData
from scheduler.result import Schedule

__all__ = ["earliest_start", "left_shift", "placement"]


def left_shift(data: ProblemData, schedule: Schedule) -> Schedule:
    """The semi-active schedule with the same machines and sequences as ``schedule``.

    Raises
    ------
    ValueError
        If the sizes differ or the machine and job orders form a cycle (the input
        was not a feasible schedule).
    """
    n = data.num_ops
    if len(schedule) != n:
        raise ValueError(f"schedule has {len(schedule)} operations, the problem has {n}")
    mach = np.asarray(schedule.machine, np.int64)
    modes = chosen_modes(data, mach)
    dur = data.mode_duration[modes]  # work; the elapsed span follows from the calendar
    mach_pred = np.full(n, -1, np.int64)
    order = np.lexsort((np.arange(n), schedule.end, schedule.start, mach)).tolist()
    for a, b in itertools.pairwise(order):
        if mach[a] == mach[b]:
            mach_pred[b] = a
    job_pred = np.arange(-1, n - 1, dtype=np.int64)
    job_pred[data.job_op_ptr[:-1]] = -1
    start = np.zeros(n, np.int64)
    end = np.zeros(n, np.int64)
    if data.has_resources:
        # in the old start order (topological too), so that each operation finds its
        # pool as the old schedule left it or freer: no start grows (a serial schedule)
        _topological(n, job_pred, mach_pred)  # refuses cycles
        holders: dict[int, list[tuple[int, int, int, int]]] = {}
        if data.has_partial_holds:
            # an operation moved earlier moves its tail too, maybe onto a later one's
            # head: the operations not yet placed keep their old holds reserved, so the
            # old start of each stays free for it (the holds stay feasible throughout)
            for o in range(n):
                _reserve(data, o, int(modes[o]), int(schedule.start[o]), int(schedule.end[o]),
                         holders)  # fmt: skip
        by_start = np.lexsort((np.arange(n), schedule.end, schedule.start)).tolist()
        for o in by_start:
            lb_start, lb_end = _place(data, o, int(modes[o]), start, end, dur, job_pred,
                                      mach_pred, mach)  # fmt: skip
            start[o], end[o] = _with_pool(data, o, int(modes[o]), lb_start, lb_end, holders)
        return Schedule(mach, start, end)
    for o in _topological(n, job_pred, mach_pred):
        start[o], end[o] = _place(data, o, int(modes[o]), start, end, dur, job_pred, mach_pred,
                                  mach)  # fmt: skip
    return Schedule(mach, start, end)


def _with_pool(
    data: ProblemData, o: int, mode: int, s: int, e: int,
    holders: dict[int, list[tuple[int, int, int, int]]],
) -> tuple[int, int]:  # fmt: skip
    """The earliest placement from ``s`` at which the mode's pool has its units free
    wherever it holds them (a fixed start stays where it is)."""
    r, q = int(data.mode_resource[mode]), int(data.mode_demand[mode])
    if r < 0 or q <= 0:
        return s, e
    cap = int(data.resource_capacity[r]) - q
    held = holders.setdefault(r, [])  # (start, end, units, operation) of each segment
    held[:] = [h for h in held if h[3] != o]  # its own old holds, if reserved
    fixed = data.fixed_start[o] >= 0
    head, tail = int(data.mode_hold_head[mode]), int(data.mode_hold_tail[mode])
    while e > s and not fixed:
        wait = _clash(_segments(data, mode, s, e), held, cap)
        if wait is None:
            break
        if head <= 0 and tail <= 0:  # the whole span: no start before a unit frees fits
            later = min(b for a, b, _, _ in held if b > s and a < e)
        elif calendar.holds_shift(
            int(data.mode_calendar[mode]), data.windows(int(data.mode_machine[mode]))
        ):
            later = s + wait
        else:
            later = s + 1
        s, e = placement(data, mode, later)
    _reserve(data, o, mode, s, e, holders)
    return s, e


def _segments(data: ProblemData, mode: int, s: int, e: int) -> list[tuple[int, int]]:
    return calendar.hold_segments(
        s, e, int(data.mode_hold_head[mode]), int(data.mode_hold_tail[mode])
    )


def _reserve(
    data: ProblemData, o: int, mode: int, s: int, e: int,
    holders: dict[int, list[tuple[int, int, int, int]]],
) -> None:  # fmt: skip
    r, q = int(data.mode_resource[mode]), int(data.mode_demand[mode])
    if r >= 0 and q > 0:
        holders.setdefault(r, []).extend((a, b, q, o) for a, b in _segments(data, mode, s, e))


def _clash(
    segments: list[tuple[int, int]], held: list[tuple[int, int, int, int]], cap: int
) -> int | None:
    """``None`` when the segments fit beside ``held`` within ``cap`` units; else how long
    every holder at an overloaded instant still lasts (no shift by less fits)."""
    for a, b in segments:
        near = [(x, y, u) for x, y, u, _ in held if x < b and y > a]
        for at in [a] + [x for x, _, _ in near if a < x]:
            covering = [(y, u) for x, y, u in near if x <= at < y]
            if sum(u for _, u in covering) > cap:
                return min(y for y, _ in covering) - at
    return None


def chosen_modes(data: ProblemData, mach: IntArray) -> IntArray:
    """The mode index of each operation on its machine in ``mach``.

    Raises
    ------
    ValueError
        If an operation runs on a machine it has no mode for.
    """
    match = data.mode_machine == mach[data.mode_op]
    modes = np.full(data.num_ops, -1, np.int64)
    modes[data.mode_op[match]] = np.flatnonzero(match)
    if np.any(modes < 0):
        o = int(np.flatnonzero(modes < 0)[0])
        raise ValueError(f"operation {o}: machine {mach[o]} is not eligible")
    return modes


def _topological(n: int, job_pred: IntArray, mach_pred: IntArray) -> list[int]:
    """Kahn's algorithm on the (at most two) predecessor arcs of each operation."""
    succs: list[list[int]] = [[] for _ in range(n)]
    indeg = np.zeros(n, np.int64)
    for o in range(n):
        for p in (int(job_pred[o]), int(mach_pred[o])):
            if p >= 0:
                succs[p].append(o)
                indeg[o] += 1
    ready = deque(np.flatnonzero(indeg == 0).tolist())
    out: list[int] = []
    while ready:
        o = ready.popleft()
        out.append(o)
        for s in succs[o]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if len(out) != n:
        raise ValueError("machine and job orders form a cycle: the schedule is not feasible")
    return out


def _place(
    data: ProblemData,
    o: int,
    mode: int,
    start: IntArray,
    end: IntArray,
    dur: IntArray,
    job_pred: IntArray,
    mach_pred: IntArray,
    mach: IntArray,
) -> tuple[int, int]:
    m = int(mach[o])
    fixed = int(data.fixed_start[o])
    if fixed >= 0:
        return fixed, _end_from(data, mode, fixed)
    j = int(data.op_job[o])
    lb = int(data.release[j])
    p = int(job_pred[o])
    if p >= 0:
        lag = int(data.transport[mach[p], m]) if data.has_transport else 0
        lb = max(lb, int(end[p]) + lag)
    q = int(mach_pred[o])
    if q >= 0:
        setup = 0
        if data.has_setups:
            fam = data.op_family
            setup = int(data.setup[m, fam[q], fam[o]])
        lb = max(lb, calendar.setup_done(int(end[q]), setup, data.windows(m)))
        if dur[o] == 0 and dur[q] == 0 and q > o:
            # Two zero-length operations at one instant are read in index order;
            # keep q strictly before o so the sequence (and its setups) is unchanged.
            lb = max(lb, int(start[q]) + 1)
    return placement(data, mode, lb)


def _end_from(data: ProblemData, mode: int, s: int) -> int:
    """End of ``mode`` started at ``s`` (a fixed start)."""
    d = int(data.mode_duration[mode])
    kind = int(data.mode_calendar[mode])
    if d > 0 and data.has_windows and kind in (calendar.RESUME, calendar.LOADS):
        windows = data.windows(int(data.mode_machine[mode]))
        return calendar.place(s, d, kind, windows, int(data.mode_loads[mode]))[1]
    return s + d


def placement(data: ProblemData, mode: int, lower: int) -> tuple[int, int]:
    """(start, end) of ``mode`` placed at the earliest at ``lower`` on its machine, as
    its calendar kind meets the machine's windows (``BLOCK``: :func:`earliest_start`)."""
    m, d = int(data.mode_machine[mode]), int(data.mode_duration[mode])
    kind = int(data.mode_calendar[mode])
    if not data.has_windows or kind == calendar.FREE:
        return lower, lower + d
    if kind == calendar.BLOCK or d == 0:
        s = earliest_start(data, m, d, lower)
        return s, s + d
    return calendar.place(lower, d, kind, data.windows(m), int(data.mode_loads[mode]))


def earliest_start(data: ProblemData, machine: int, duration: int, lower: int) -> int:
    """Earliest ``t >= lower`` where an operation of ``duration`` on ``machine`` meets
    no unavailability window (zero length: not strictly inside one)."""
    t = lower
    for a, b in data.windows(machine):
        hit = (t < b and a < t + duration) if duration > 0 else (a < t < b)
        if hit:
            t = b
    return t
