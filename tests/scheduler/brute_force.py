"""A tiny exhaustive reference: every machine assignment times every job interleaving,
each decoded semi-actively (each operation as early as its job, machine, release,
transport, setups and windows allow; fixed starts kept when reachable).

Every feasible schedule's machine sequences are consistent with some interleaving,
and earliest-start decoding of those sequences never ends later, so the minimum over
all decodings is the optimum of any regular objective (makespan, weighted
tardiness). Only for a handful of operations (3 jobs x 2 operations x 2 machines is
2^6 * 90 decodings). Simultaneous zero-length operations on a machine are read in
index order, as the checker reads them.
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
        if q >= 0:
            setup = int(data.setup[k, fam[q], fam[o]]) if data.has_setups else 0  # type: ignore[index]
            lb = max(lb, int(end[q]) + setup)
            if d == 0 and end[q] == start[q] and q > o:
                lb = max(lb, int(start[q]) + 1)
        t = lb
        for a, b in data.windows(k):
            if (t < b and a < t + d) if d > 0 else (a < t < b):
                t = b
        fixed = int(data.fixed_start[o])  # type: ignore[index]
        if fixed >= 0:
            if t > fixed or any(
                (fixed < b and a < fixed + d) if d > 0 else (a < fixed < b)
                for a, b in data.windows(k)
            ):
                return None
            t = fixed
        start[o], end[o] = t, t + d
        mach_last[k] = o
    return Schedule(np.array(assignment, np.int64), start, end)
