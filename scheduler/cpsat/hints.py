"""A greedy first schedule (earliest completion time dispatch) and the complete
CP-SAT hint made from any feasible schedule.

CP-SAT keeps a hint only if it is complete: every variable hinted exactly once,
presence literals that are 0 included (partial hints are dropped by presolve; a
variable hinted twice makes the model invalid). Negated literals (the self-loops of
the setup circuits) are never hinted, only the variables behind them.
"""

from __future__ import annotations

import itertools

import numpy as np

from scheduler import calendar
from scheduler.compact import placement
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.model import Variables
from scheduler.result import Schedule

__all__ = ["GREEDY_MAX_PAIRS", "add_complete_hint", "greedy_schedule"]

# The greedy below costs O(jobs x operations) Python steps (8 s at 270 jobs and 2,160
# operations); above this many pairs the default dispatch rule (numba, O(n log n),
# and 10 % shorter than earliest completion first on large generated instances) gives
# the start instead. Every benchmark instance (at most 20 x 387) stays below.
GREEDY_MAX_PAIRS = 20_000


def greedy_schedule(inst: Instance) -> Schedule | None:
    """Earliest-completion-time dispatch: repeatedly append the (next operation of a
    job, machine) pair that finishes first, ties to the job with the most work left.

    Returns ``None`` when operations are fixed: appending cannot promise to leave
    their slots free, and the model then uses the safe horizon instead. Large
    instances (more than ``GREEDY_MAX_PAIRS`` jobs x operations) get the default
    dispatch rule's schedule.
    """
    data = inst.data
    if np.any(inst.fixed_start >= 0):
        return None
    if data.num_jobs * data.num_ops > GREEDY_MAX_PAIRS or data.has_resources:
        # (with pools, the dispatch module's list schedule respects them)
        from scheduler.dispatch import DEFAULT_RULE, dispatch  # numba: loaded when needed

        return dispatch(data, DEFAULT_RULE)
    n, m = data.num_ops, data.num_machines
    nxt = data.job_op_ptr[:-1].astype(np.int64).copy()
    last = data.job_op_ptr[1:]
    job_end = inst.release.astype(np.int64).copy()
    job_mach = np.full(data.num_jobs, -1, np.int64)
    mach_free = np.zeros(m, np.int64)
    mach_last = np.full(m, -1, np.int64)
    work_left = np.array(
        [int(inst.min_dur[data.job_op_ptr[j] : last[j]].sum()) for j in range(data.num_jobs)]
    )
    machine = np.zeros(n, np.int64)
    start = np.zeros(n, np.int64)
    end = np.zeros(n, np.int64)
    for _ in range(n):
        best: tuple[int, int, int, int, int, int] | None = None
        for j in np.flatnonzero(nxt < last).tolist():
            o = int(nxt[j])
            for a in inst.modes[o]:
                k, d = inst.machine(a), inst.duration(a)
                lb = int(job_end[j])
                if job_mach[j] >= 0:
                    lb += inst.lag(int(job_mach[j]), k)
                q = int(mach_last[k])
                if q >= 0:
                    gap = inst.setup_time(k, q, o)
                    lb = max(lb, calendar.setup_done(int(mach_free[k]), gap, data.windows(k)))
                    if d == 0 and end[q] == start[q] and q > o:
                        lb = max(lb, int(start[q]) + 1)
                s, c = placement(data, a, lb)
                key = (c, s, -int(work_left[j]), j, k, d)
                if best is None or key < best:
                    best = key
        if best is None:  # unreachable: some job has an operation left
            raise RuntimeError("greedy dispatch found no ready operation")
        c, s, _, j, k, d = best
        o = int(nxt[j])
        machine[o], start[o], end[o] = k, s, c
        job_end[j], job_mach[j] = c, k
        mach_free[k], mach_last[k] = c, o
        work_left[j] -= int(inst.min_dur[o])
        nxt[j] += 1
    return Schedule(machine, start, end)


def add_complete_hint(v: Variables, schedule: Schedule) -> None:
    """Hint every variable of ``v`` from ``schedule`` (which should be feasible)."""
    model, inst, data = v.model, v.inst, v.inst.data
    model.clear_hints()
    mach, start, end = schedule.machine, schedule.start, schedule.end
    for o in range(inst.num_ops):
        v.clock.tick()
        model.add_hint(v.start[o], int(start[o]))
        if o in v.end_var:
            model.add_hint(v.end_var[o], int(end[o]))
    for a, lit in v.present.items():
        model.add_hint(lit, bool(mach[data.mode_op[a]] == inst.machine(a)))
    model.add_hint(v.makespan, schedule.makespan)
    completion = end[data.job_op_ptr[1:] - 1]
    for j, t in v.tardiness.items():
        model.add_hint(t, max(0, int(completion[j] - inst.due[j])))
    for a, var in v.length.items():
        o = int(data.mode_op[a])
        chosen = mach[o] == inst.machine(a)
        model.add_hint(var, int(end[o] - start[o]) if chosen else inst.duration(a))
    for var, o, at_start, value in v.crossings:
        model.add_hint(var, value(int(start[o] if at_start else end[o])))
    for z in v.zero_pairs:
        bound = z.lo if z.other < 0 else int(start[z.other])
        model.add_hint(z.literal, bool(start[z.op] <= bound))
    if v.arcs or v.circuit_empty:
        _hint_circuits(v, schedule)


def _hint_circuits(v: Variables, schedule: Schedule) -> None:
    chosen: set[tuple[int, int, int]] = set()
    for m, seq in enumerate(schedule.machine_sequences(v.inst.data.num_machines)):
        path = [-1, *seq, -1]
        chosen.update((m, a, b) for a, b in itertools.pairwise(path))
    used = {(m, a, b) for m, a, b in chosen if a >= 0 or b >= 0}
    for arc in v.arcs:
        v.clock.tick()
        v.model.add_hint(arc.literal, (arc.machine, arc.tail, arc.head) in used)
    for m, empty in v.circuit_empty.items():
        v.model.add_hint(empty, (m, -1, -1) in chosen)
