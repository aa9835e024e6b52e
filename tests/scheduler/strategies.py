"""Hypothesis strategies for small, valid and always feasible `ProblemData`.

``problems(max_jobs=3, max_machines=3, max_ops=3, extras=True)`` draws an instance;
with ``extras`` it may add release dates, due dates and weights, sequence-dependent
setups, unavailability windows (and calendar kinds of the modes), transport times and
fixed operations. Fixed
operations are drawn so that the instance stays feasible: at most one per machine,
each the first operation of its job, starting at the job's release, and no window
meets it. Durations may be 0 (as in orb7) unless ``min_duration`` says otherwise.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from scheduler import ProblemData

__all__ = ["problems"]


@st.composite
def _problem(
    draw: st.DrawFn,
    max_jobs: int,
    max_machines: int,
    max_ops: int,
    extras: bool,
    min_duration: int,
    max_duration: int,
    loads: bool,
) -> ProblemData:
    m = draw(st.integers(1, max_machines))
    n_jobs = draw(st.integers(1, max_jobs))
    dur = st.integers(min_duration, max_duration)
    jobs = []
    for _ in range(n_jobs):
        n_ops = draw(st.integers(1, max_ops))
        job = []
        for _ in range(n_ops):
            machines = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
            job.append([(k, draw(dur)) for k in machines])
        jobs.append(job)
    if not extras:
        return ProblemData.from_jobs(jobs, num_machines=m)
    n_ops_total = sum(len(job) for job in jobs)
    optional: dict[str, object] = {}
    if draw(st.booleans()):
        optional["release"] = draw(st.lists(st.integers(0, 10), min_size=n_jobs, max_size=n_jobs))
    if draw(st.booleans()):
        optional["due"] = draw(st.lists(st.integers(-1, 30), min_size=n_jobs, max_size=n_jobs))
        optional["weight"] = draw(st.lists(st.integers(0, 4), min_size=n_jobs, max_size=n_jobs))
    if draw(st.booleans()):
        n_fam = draw(st.integers(1, 3))
        setup = draw(_int_array((m, n_fam, n_fam), 0, 4))
        optional["setup"] = setup
        optional["op_family"] = draw(
            st.lists(st.integers(0, n_fam - 1), min_size=n_ops_total, max_size=n_ops_total)
        )
    if draw(st.booleans()):
        optional["transport"] = draw(_int_array((m, m), 0, 3))
    fixed = draw(_fixed(jobs, m, optional.get("release"))) if draw(st.booleans()) else {}
    if fixed:
        fm = np.full(n_ops_total, -1, np.int64)
        fs = np.full(n_ops_total, -1, np.int64)
        for o, (k, s, _) in fixed.items():
            fm[o], fs[o] = k, s
        optional["fixed_machine"], optional["fixed_start"] = fm, fs
    if draw(st.booleans()):
        optional.update(draw(_windows(m, [(k, s, e) for k, s, e in fixed.values()])))
        if draw(st.booleans()):  # calendar kinds: block, resume, run, free, loads
            durations = [d for job in jobs for op in job for _, d in op]
            kinds = draw(st.lists(st.integers(0, 4 if loads else 3), min_size=len(durations),
                                  max_size=len(durations)))  # fmt: skip
            loads = [
                draw(st.sampled_from([c for c in range(1, d + 1) if d % c == 0] or [1]))
                if k == 4 else 1
                for k, d in zip(kinds, durations, strict=True)
            ]  # fmt: skip
            optional["mode_calendar"], optional["mode_loads"] = kinds, loads
    return ProblemData.from_jobs(jobs, num_machines=m, **optional)


def _int_array(shape: tuple[int, ...], lo: int, hi: int) -> st.SearchStrategy[np.ndarray]:
    size = int(np.prod(shape))
    return st.lists(st.integers(lo, hi), min_size=size, max_size=size).map(
        lambda values: np.asarray(values, np.int64).reshape(shape)
    )


@st.composite
def _fixed(
    draw: st.DrawFn, jobs: list[list[list[tuple[int, int]]]], m: int, release: object
) -> dict[int, tuple[int, int, int]]:
    """{operation: (machine, start, end)} for a few first operations, one per machine."""
    rel = [0] * len(jobs) if release is None else list(release)  # type: ignore[call-overload]
    out: dict[int, tuple[int, int, int]] = {}
    used: set[int] = set()
    first = 0
    for j, job in enumerate(jobs):
        if draw(st.booleans()):
            k, d = draw(st.sampled_from(job[0]))
            if k not in used:
                used.add(k)
                out[first] = (k, int(rel[j]), int(rel[j]) + d)
        first += len(job)
    return out


@st.composite
def _windows(draw: st.DrawFn, m: int, fixed: list[tuple[int, int, int]]) -> dict[str, list[int]]:
    """Up to two windows per machine, dropping any that would meet a fixed operation
    once ProblemData has merged windows that overlap or touch (a zero-length operation
    may sit between two touching windows only until they become one)."""
    ptr, starts, ends = [0], [], []
    for k in range(m):
        drawn: list[list[int]] = []
        for _ in range(draw(st.integers(0, 2))):
            a = draw(st.integers(0, 25))
            drawn.append([a, a + draw(st.integers(1, 6))])
        merged: list[list[int]] = []
        for a, b in sorted(drawn):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for a, b in merged:
            clash = any(
                mk == k and ((s < b and a < e) if e > s else (a < s < b)) for mk, s, e in fixed
            )
            if not clash:
                starts.append(a)
                ends.append(b)
        ptr.append(len(starts))
    return {"window_ptr": ptr, "window_start": starts, "window_end": ends}


def problems(
    max_jobs: int = 3,
    max_machines: int = 3,
    max_ops: int = 3,
    extras: bool = True,
    *,
    min_duration: int = 0,
    max_duration: int = 9,
    loads: bool = True,
) -> st.SearchStrategy[ProblemData]:
    """Small valid, feasible instances; ``extras`` adds release/due/setups/windows/
    transport/fixed operations, each present or not; ``loads=False`` leaves out the
    LOADS calendar kind (which CP-SAT declines)."""
    return _problem(max_jobs, max_machines, max_ops, extras, min_duration, max_duration, loads)
