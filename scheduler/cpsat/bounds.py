"""Cheap valid bounds: earliest starts (heads), remaining work (tails), a makespan
lower bound and a safe horizon.

They tighten variable domains and are reported as the lower bound when CP-SAT's own
is weaker, so each must hold for every feasible schedule.
"""

from __future__ import annotations

import numpy as np

from scheduler.cpsat.instance import Instance
from scheduler.problem import IntArray

__all__ = ["heads", "horizon_bound", "makespan_lower_bound", "tails"]


def _min_lag(inst: Instance, p: int, o: int) -> int:
    if not inst.data.has_transport:
        return 0
    return min(
        inst.lag(inst.machine(a), inst.machine(b)) for a in inst.modes[p] for b in inst.modes[o]
    )


def heads(inst: Instance) -> IntArray:
    """Earliest possible start of each operation (release, job predecessors with their
    shortest modes and lags, fixed starts), ignoring machine capacity."""
    head = np.zeros(inst.num_ops, np.int64)
    for o in range(inst.num_ops):
        p = int(inst.job_pred[o])
        if p < 0:
            head[o] = inst.release[inst.data.op_job[o]]
        else:
            head[o] = head[p] + inst.min_dur[p] + _min_lag(inst, p, o)
        if inst.fixed_start[o] >= 0:
            head[o] = max(head[o], inst.fixed_start[o])
    return head


def tails(inst: Instance) -> IntArray:
    """Least time from each operation's start to its job's end (own duration included)."""
    tail = inst.min_dur.copy()
    for o in range(inst.num_ops - 1, -1, -1):
        succ = o + 1
        if succ < inst.num_ops and inst.job_pred[succ] == o:
            tail[o] += _min_lag(inst, o, succ) + tail[succ]
    return tail


def makespan_lower_bound(inst: Instance) -> int:
    """max of: each job's head + tail; per machine, the operations that can only run
    there (earliest head + their total work); total shortest work spread over all
    machines (ceil)."""
    data = inst.data
    head, tail = heads(inst), tails(inst)
    bound = int((head + tail).max()) if data.num_ops else 0
    only: dict[int, list[int]] = {}
    for o, modes in enumerate(inst.modes):
        if len(modes) == 1:
            only.setdefault(inst.machine(modes[0]), []).append(o)
    for ops in only.values():
        work = sum(inst.duration(inst.modes[o][0]) for o in ops)
        bound = max(bound, int(min(head[o] for o in ops)) + work)
    total = int(inst.min_dur.sum())
    return max(bound, -(-total // data.num_machines))


def horizon_bound(inst: Instance) -> int:
    """An end time no left-shifted schedule exceeds: after the last release, window end
    and fixed operation, each operation adds at most its longest duration, setup and
    transport to the chain that ends last."""
    data = inst.data
    t0 = int(inst.release.max()) if data.num_jobs else 0
    if data.has_windows:
        t0 = max(t0, int(np.max(data.window_end)))
    fixed = np.flatnonzero(inst.fixed_start >= 0)
    if len(fixed):
        t0 = max(t0, int((inst.fixed_start[fixed] + inst.max_dur[fixed]).max()))
    step = int(inst.setup.max()) if data.has_setups else 0
    step += int(inst.transport.max()) if data.has_transport else 0
    return t0 + int(inst.max_dur.sum()) + step * data.num_ops
