"""Dispatch rules: one fast list-scheduling pass per rule, and `solve_dispatch`.

A rule builds a complete, feasible schedule in one pass of
:func:`scheduler.kernels.dispatch.dispatch_kernel` (see there for the scheme). The
rules are the classic ones a shop floor knows; the digital twin uses the same names
for its online dispatcher:

``ect``
    earliest completion time first, ties to the most work remaining.
``spt`` / ``lpt``
    shortest / longest processing time on the contested machine.
``mwkr`` / ``mor``
    most work / most operations remaining in the job. ``mwkr`` is the default: on
    Brandimarte mk01-mk10 it is the best single rule (best or tied on 8 of 10, 12 % mean
    gap to the best known makespans, against 44 % for ``ect``).
``edd``
    earliest due date (jobs without a due date last).
``fifo``
    the operation that has been ready longest (earliest release / ready time).
``random``
    a random priority per operation, drawn from ``seed`` when it becomes its job's
    next operation; the highest in the contested set goes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from scheduler.errors import SchedulerError
from scheduler.kernels.dispatch import dispatch_kernel
from scheduler.kernels.rng import make_state
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule, Status

__all__ = [
    "DEFAULT_RULE",
    "RULES",
    "PinConflictError",
    "dispatch",
    "dispatch_all",
    "lower_bound",
    "pin_machines",
    "solve_dispatch",
]

logger = logging.getLogger(__name__)

RULES: tuple[str, ...] = ("ect", "spt", "lpt", "mwkr", "mor", "edd", "fifo", "random")
DEFAULT_RULE = "mwkr"
_CODES = {name: code for code, name in enumerate(RULES)}


class PinConflictError(SchedulerError):
    """A pinned start cannot be kept: its job predecessor (or release) is too late."""


def pin_machines(data: ProblemData) -> np.ndarray:
    """``fixed_machine``, completed for pinned starts without a machine: the shortest
    eligible machine whose other pinned starts it does not overlap."""
    pin = np.array(data.fixed_machine, np.int64)
    busy: dict[int, list[tuple[int, int]]] = {}
    for o in np.flatnonzero(data.fixed_start >= 0).tolist():
        if pin[o] >= 0:
            d = dict(data.modes(o))[int(pin[o])]
            busy.setdefault(int(pin[o]), []).append((int(data.fixed_start[o]), d))
    free = np.flatnonzero((data.fixed_start >= 0) & (pin < 0)).tolist()
    for o in sorted(free, key=lambda q: int(data.fixed_start[q])):
        s = int(data.fixed_start[o])
        modes = sorted(data.modes(o), key=lambda md: (md[1], md[0]))
        clear = [
            (m, d) for m, d in modes if all(s + d <= a or a + b <= s for a, b in busy.get(m, []))
        ]
        m, d = (clear or modes)[0]
        pin[o] = m
        busy.setdefault(m, []).append((s, d))
    return pin


def rule_code(rule: str) -> int:
    """Kernel code of a rule name; a clear error for an unknown one."""
    try:
        return _CODES[rule.lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"unknown dispatch rule {rule!r} (expected one of {', '.join(RULES)})"
        ) from None


def dispatch(data: ProblemData, rule: str = DEFAULT_RULE, seed: int = 0) -> Schedule:
    """One schedule built by ``rule``; only ``random`` uses ``seed``.

    Raises
    ------
    PinConflictError
        When a pinned start (``fixed_start``) comes before its job predecessor's end
        plus transport, or before the job's release.

    With renewable resources (operator pools) the heap kernel does not apply (a
    machine's next start also waits for a unit of its pool): the rule then orders the
    operations and the decoder places them, each on its machine that completes it
    first, at the earliest time its machine, job, calendar and pool allow
    (:func:`_list_schedule`).
    """
    if data.has_resources:
        return _list_schedule(data, rule_code(rule), seed)
    machine, start, end, conflicts = dispatch_kernel(
        data.job_op_ptr,
        data.op_mode_ptr,
        data.mode_machine,
        data.mode_duration,
        data.release,
        data.due,
        data.op_family,
        data.setup,
        data.window_ptr,
        data.window_start,
        data.window_end,
        data.transport,
        pin_machines(data),
        data.fixed_start,
        rule_code(rule),
        make_state(seed),
        data.mode_calendar,
        data.mode_loads,
    )
    if conflicts:
        raise PinConflictError(
            f"{conflicts} pinned start(s) come before their job predecessor's end "
            "(plus transport) or the job's release"
        )
    return Schedule(machine, start, end)


def _list_schedule(data: ProblemData, rule: int, seed: int) -> Schedule:
    """A serial list schedule for instances with resources: operations in the order of
    (earliest possible start, the rule's priority), each on its eligible machine with
    the shortest duration, decoded with gap filling."""
    from scheduler.kernels.decode import decode, kernel_data

    n, jp = data.num_ops, data.job_op_ptr
    shortest = np.minimum.reduceat(data.mode_duration, data.op_mode_ptr[:-1])
    head = np.zeros(n, np.int64)
    work_left = np.zeros(n, np.int64)
    for j in range(data.num_jobs):
        t = int(data.release[j])
        for o in range(int(jp[j]), int(jp[j + 1])):
            head[o] = t
            t += int(shortest[o])
        left = 0
        for o in range(int(jp[j + 1]) - 1, int(jp[j]) - 1, -1):
            left += int(shortest[o])
            work_left[o] = left
    job = data.op_job
    due = np.where(data.due[job] >= 0, data.due[job], np.iinfo(np.int64).max // 4)
    ops_left = jp[job + 1] - np.arange(n)
    draw = np.random.default_rng(seed).random(n)
    key = {
        _CODES["spt"]: shortest, _CODES["lpt"]: -shortest, _CODES["mwkr"]: -work_left,
        _CODES["mor"]: -ops_left, _CODES["edd"]: due, _CODES["fifo"]: data.release[job],
        _CODES["random"]: draw, _CODES["ect"]: head + shortest,
    }[rule]  # fmt: skip
    order = np.lexsort((np.arange(n), key, head))
    ms = data.op_mode_ptr[:-1] + np.array(
        [int(np.argmin(data.mode_duration[data.op_mode_ptr[o] : data.op_mode_ptr[o + 1]]))
         for o in range(n)]
    )  # fmt: skip
    fixed = data.fixed_machine
    for o in np.flatnonzero(fixed >= 0).tolist():
        lo, hi = int(data.op_mode_ptr[o]), int(data.op_mode_ptr[o + 1])
        ms[o] = lo + int(np.flatnonzero(data.mode_machine[lo:hi] == fixed[o])[0])
    # the k-th occurrence of a job in OS is its k-th operation, whatever the order
    os_seq = np.ascontiguousarray(job[order], dtype=np.int64)
    kd = kernel_data(data)
    start, end, mach = (np.zeros(n, np.int64) for _ in range(3))
    seq = np.zeros(int(kd.mach_ptr[-1]), np.int64)
    mlen = np.zeros(data.num_machines, np.int64)
    work = np.zeros(n + data.num_jobs + data.num_machines, np.int64)
    if decode(kd, os_seq, ms.astype(np.int64), True, start, end, mach, seq, mlen, work) < 0:
        raise PinConflictError("a pinned start cannot be kept by the list schedule")
    return Schedule(mach, start, end)


def dispatch_all(
    data: ProblemData, seed: int = 0, until: float = float("inf")
) -> list[tuple[str, Schedule]]:
    """``(rule, schedule)`` for every rule in :data:`RULES` (in that order), for a
    portfolio's start. Once ``until`` (perf_counter) has passed no further rule starts
    (a pass takes about 1 s per 150,000 operations); :data:`DEFAULT_RULE` runs first,
    so a cut list always holds the best single rule."""
    done: dict[str, Schedule] = {}
    for rule in (DEFAULT_RULE, *(r for r in RULES if r != DEFAULT_RULE)):
        if done and time.perf_counter() > until:
            break
        done[rule] = dispatch(data, rule, seed)
    return [(rule, done[rule]) for rule in RULES if rule in done]


def lower_bound(
    data: ProblemData, objective: Objective = Objective.MAKESPAN, weights: tuple[int, int] = (1, 1)
) -> float:
    """A cheap valid bound: each job's release (or pinned start) plus its shortest
    remaining work; each machine's load of operations that can only run there; and
    the shortest total work spread evenly over the machines that can do any."""
    jp, op = data.job_op_ptr, data.op_mode_ptr
    min_dur = np.minimum.reduceat(data.mode_duration, op[:-1])
    # A job ends no earlier than its release, or than any pinned start, plus the
    # shortest work from there on (suffix sums of the shortest durations).
    work = np.concatenate(([0], np.cumsum(min_dur)))
    job_end = work[jp[1:]]
    completion = np.asarray(data.release, np.int64) + job_end - work[jp[:-1]]
    fixed = np.flatnonzero(data.fixed_start >= 0)
    if len(fixed):
        jobs = data.op_job[fixed]
        np.maximum.at(completion, jobs, data.fixed_start[fixed] + job_end[jobs] - work[fixed])
    single = np.diff(op) == 1
    load = np.bincount(
        data.mode_machine[op[:-1][single]],
        weights=data.mode_duration[op[:-1][single]],
        minlength=data.num_machines,
    )
    spread = -(-int(min_dur.sum()) // len(np.unique(data.mode_machine)))  # ceil
    cmax = float(max(completion.max(initial=0), load.max(initial=0), spread))
    late = np.where(data.due >= 0, np.maximum(completion - data.due, 0), 0)
    twt = float((late * data.weight).sum())
    if objective is Objective.TARDINESS:
        return twt
    if objective is Objective.WEIGHTED:
        return float(weights[0] * cmax + weights[1] * twt)
    return cmax


def solve_dispatch(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    objective: str | Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
    hint: Schedule | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    stop: threading.Event | None = None,
    rule: str = DEFAULT_RULE,
    **options: Any,
) -> Result:
    """Schedule with one rule, or with ``rule="best"`` every rule (the best by
    ``objective``, ties to the earlier rule in :data:`RULES`).

    ``workers`` and ``hint`` are accepted for the common solver signature and unused.
    A rule's single pass is never cut: its schedule is the answer, however long the
    pass (about 1 s per 150,000 operations). ``time_limit`` and ``stop`` only end
    ``best`` early, after at least one rule.
    """
    if options:
        raise ValueError(f"unknown option(s) for dispatch: {', '.join(sorted(options))}")
    del workers, hint  # a dispatch pass is sequential and builds from scratch
    obj = Objective.parse(objective)
    rules = RULES if rule == "best" else (RULES[rule_code(rule)],)
    t0 = time.perf_counter()
    bound = lower_bound(data, obj, weights)
    build = time.perf_counter() - t0
    best: tuple[float, int, str, Schedule] | None = None
    tried = 0
    longest = 0.0  # the longest pass so far: the next one is not started past the limit
    try:
        for name in rules:
            if tried and stop is not None and stop.is_set():
                logger.info("dispatch: stopped after %d of %d rules", tried, len(rules))
                break
            if tried and time.perf_counter() - t0 + longest > time_limit:
                logger.info("dispatch: time limit after %d of %d rules", tried, len(rules))
                break
            began = time.perf_counter()
            schedule = dispatch(data, name, seed)
            longest = max(longest, time.perf_counter() - began)
            tried += 1
            value = evaluate(data, schedule, obj, weights)
            key = (value, schedule.total_weighted_tardiness(data))
            if best is None or key < (best[0], best[1]):
                best = (value, key[1], name, schedule)
                if on_solution is not None:
                    on_solution(value, time.perf_counter() - t0)
    except PinConflictError as exc:
        return Result(
            Status.UNKNOWN, "dispatch", None, bound, build, time.perf_counter() - t0 - build,
            objective_name=obj.value, message=str(exc),
            stats={"rule": rule, "interrupted": stop is not None and stop.is_set()},
        )  # fmt: skip
    assert best is not None
    value, _, name, schedule = best
    optimal = obj is not Objective.LEXICOGRAPHIC and value <= bound
    return Result(
        Status.OPTIMAL if optimal else Status.FEASIBLE,
        "dispatch",
        value,
        bound,
        build,
        time.perf_counter() - t0 - build,
        schedule,
        objective_name=obj.value,
        stats={
            "rule": name,
            "rules_tried": tried,
            "interrupted": stop is not None and stop.is_set(),
        },
    )
