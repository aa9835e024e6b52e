"""A tiny exhaustive reference: every machine assignment times every job interleaving,
each decoded semi-actively (each operation as early as its job, machine, release,
transport, setups and windows allow; fixed starts kept when reachable).

Every feasible schedule's machine sequences are consistent with some interleaving,
and earliest-start decoding of those sequences never ends later, so the minimum over
all decodings is the optimum of any regular objective (makespan, weighted
tardiness). Only for a handful of operations (3 jobs x 2 operations x 2 machines is
2^6 * 90 decodings). Simultaneous zero-length operations on a machine are read in
index order, as the checker reads them.

Calendars are stepped one time unit at a time (own code, not the scheduler's): a
setup and a ``RESUME`` operation count only units outside windows; ``RESUME`` and
``RUN`` operations start outside windows; ``FREE`` ones ignore them. A partial hold
(``mode_hold_head``/``mode_hold_tail``) holds the pool over the first and last units of
the operation only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from scheduler import ProblemData, Schedule

__all__ = ["brute_force"]


def brute_force(data: ProblemData, objective: str = "makespan") -> tuple[int, Schedule] | None:
    """(optimal value, an optimal schedule), or ``None`` when nothing is feasible.

    ``objective``: ``"makespan"`` or ``"tardiness"`` (total weighted tardiness).
    """
    best: tuple[int, Schedule] | None = None
    for assignment in _assignments(data):
        for sequence in _interleavings(data):
            schedule = _decode(data, assignment, sequence)
            if schedule is None:
                continue
            value = (
                schedule.makespan
                if objective == "makespan"
                else schedule.total_weighted_tardiness(data)
            )
            if best is None or value < best[0]:
                best = (value, schedule)
    return best


def _assignments(data: ProblemData) -> Iterator[tuple[int, ...]]:
    choices = []
    for o in range(data.num_ops):
        machines = [m for m, _ in data.modes(o)]
        fixed = int(data.fixed_machine[o])  # type: ignore[index]
        choices.append([fixed] if fixed >= 0 else machines)
    return itertools.product(*choices)


def _interleavings(data: ProblemData) -> Iterator[list[int]]:
    """Distinct orders of job ids, each job appearing once per operation."""
    tokens = [
        j for j in range(data.num_jobs) for _ in range(data.job_op_ptr[j + 1] - data.job_op_ptr[j])
    ]
    seen: set[tuple[int, ...]] = set()
    for perm in itertools.permutations(tokens):
        if perm not in seen:
            seen.add(perm)
            yield list(perm)


def _decode(data: ProblemData, assignment: tuple[int, ...], jobs: list[int]) -> Schedule | None:
    n, m = data.num_ops, data.num_machines
    start = np.zeros(n, np.int64)
    end = np.zeros(n, np.int64)
    nxt = [int(p) for p in data.job_op_ptr[:-1]]
    mach_last = [-1] * m
    fam = data.op_family
    held: list[tuple[list[tuple[int, int]], int, int]] = []  # (segments, resource, units)
    for j in jobs:
        o = nxt[j]
        nxt[j] += 1
        k = assignment[o]
        d = dict(data.modes(o))[k]
        lb = int(data.release[j])  # type: ignore[index]
        if o > data.job_op_ptr[j]:
            lag = int(data.transport[assignment[o - 1], k]) if data.has_transport else 0  # type: ignore[index]
            lb = max(lb, int(end[o - 1]) + lag)
        q = mach_last[k]
        windows = data.windows(k)
        if q >= 0:
            setup = int(data.setup[k, fam[q], fam[o]]) if data.has_setups else 0  # type: ignore[index]
            lb = max(lb, _after_work(int(end[q]), setup, windows))
            if d == 0 and end[q] == start[q] and q > o:
                lb = max(lb, int(start[q]) + 1)
        mode = int(data.op_mode_ptr[o]) + [mm for mm, _ in data.modes(o)].index(k)
        kind = (
            int(data.mode_calendar[mode]) if d > 0 else (3 if data.mode_calendar[mode] == 3 else 0)
        )  # type: ignore[index]
        fixed = int(data.fixed_start[o])  # type: ignore[index]
        t = lb
        if kind == 0:
            for a, b in windows:
                if (t < b and a < t + d) if d > 0 else (a < t < b):
                    t = b
            if fixed >= 0 and any(
                (fixed < b and a < fixed + d) if d > 0 else (a < fixed < b) for a, b in windows
            ):
                return None
        elif kind in (1, 2, 4):
            while _inside(t, windows):
                t += 1
            if fixed >= 0 and _inside(fixed, windows):
                return None
        if fixed >= 0:
            if t > fixed:
                return None
            t = fixed
        end_o = t + d
        if kind == 1:
            end_o = _after_work(t, d, windows)
        elif kind == 4:  # equal loads, each begun outside windows, run through
            end_o, each = t, d // int(data.mode_loads[mode])  # type: ignore[index]
            for _ in range(int(data.mode_loads[mode])):  # type: ignore[index]
                while _inside(end_o, windows):
                    end_o += 1
                end_o += each
        r = int(data.mode_resource[mode])  # type: ignore[index]
        units = int(data.mode_demand[mode]) if r >= 0 else 0  # type: ignore[index]
        while (
            units
            and end_o > t
            and _overloaded(data, held, r, units, _segments(data, mode, t, end_o, windows))
        ):
            if fixed >= 0:
                return None
            t += 1  # the earliest start at which the pool has the units free
            later = _end_at(data, kind, mode, t, d, windows)
            while later is None:
                t += 1
                later = _end_at(data, kind, mode, t, d, windows)
            end_o = later
        start[o], end[o] = t, end_o
        if units and end_o > t:
            held.append((_segments(data, mode, t, end_o, windows), r, units))
        mach_last[k] = o
    return Schedule(np.array(assignment, np.int64), start, end)


def _inside(t: int, windows: list[tuple[int, int]]) -> bool:
    return any(a <= t < b for a, b in windows)


def _after_work(t: int, work: int, windows: list[tuple[int, int]]) -> int:
    """When ``work`` units done one by one from ``t`` on, skipping window units, end."""
    while work > 0:
        if not _inside(t, windows):
            work -= 1
        t += 1
    return t


def _overloaded(
    data: ProblemData, held: list[tuple[list[tuple[int, int]], int, int]], r: int, q: int,
    segments: list[tuple[int, int]],
) -> bool:  # fmt: skip
    cap = int(data.resource_capacity[r])  # type: ignore[index]
    return any(
        q + sum(u for segs, rr, u in held if rr == r for a, b in segs if a <= x < b) > cap
        for s, e in segments
        for x in range(s, e)
    )


def _segments(
    data: ProblemData, mode: int, s: int, e: int, windows: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Where the operation holds its pool: its span, or its first and last units."""
    head = int(data.mode_hold_head[mode])  # type: ignore[index]
    tail = int(data.mode_hold_tail[mode])  # type: ignore[index]
    if head == 0 and tail == 0:
        return [(s, e)]
    return [(s, s + head), (e - tail, e)]


def _end_at(
    data: ProblemData, kind: int, mode: int, t: int, d: int, windows: list[tuple[int, int]]
) -> int | None:
    """End of the operation started at ``t``, or None if it may not start there."""
    if kind == 0:
        if any((t < b and a < t + d) if d > 0 else (a < t < b) for a, b in windows):
            return None
        return t + d
    if kind in (1, 2, 4) and _inside(t, windows):
        return None
    if kind == 1:
        return _after_work(t, d, windows)
    if kind == 4:
        end_o, each = t, d // int(data.mode_loads[mode])  # type: ignore[index]
        for _ in range(int(data.mode_loads[mode])):  # type: ignore[index]
            while _inside(end_o, windows):
                end_o += 1
            end_o += each
        return end_o
    return t + d
