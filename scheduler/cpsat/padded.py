"""Padded setups: the model without circuits, for instances whose circuits are too large.

Each mode's interval in its machine's no-overlap is lengthened by its *pad*, the
largest setup from its operation's family to any family that machine serves (and
to at least one time unit, so zero-length operations are ordered too). Whatever
follows an operation on its machine then starts after its end plus a setup at
least as long as the one it needs: every schedule of the padded model is feasible.
It may miss the best ones, and is only used when :func:`scheduler.cpsat.size.plan`
finds the circuits too large for the time limit.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np

from scheduler.compact import earliest_start
from scheduler.cpsat.instance import Instance
from scheduler.problem import IntArray
from scheduler.result import Schedule

__all__ = ["padded_lengths", "padded_schedule"]


def padded_lengths(inst: Instance) -> IntArray:
    """Per mode: its duration plus its pad, at least 1 (0 for modes not in the model)."""
    data = inst.data
    out = np.zeros(len(data.mode_machine), np.int64)
    families: dict[int, set[int]] = {}
    for o, modes in enumerate(inst.modes):
        for a in modes:
            families.setdefault(inst.machine(a), set()).add(int(inst.family[o]))
    for o, modes in enumerate(inst.modes):
        f = int(inst.family[o])
        for a in modes:
            m = inst.machine(a)
            pad = max(int(inst.setup[m, f, b]) for b in families[m]) if data.has_setups else 0
            out[a] = max(inst.duration(a) + pad, 1)
    return out


def padded_schedule(inst: Instance, schedule: Schedule, length: IntArray) -> Schedule:
    """``schedule``'s machines and sequences, each operation as early as the padded
    model allows (after its job predecessor, transport and release; its machine
    predecessor's padded length after that one's start; its padded length clear of
    windows): a complete hint for the padded model. ``schedule`` must be feasible."""
    data = inst.data
    n = data.num_ops
    mach = np.asarray(schedule.machine, np.int64)
    mode = np.empty(n, np.int64)
    for o, modes in enumerate(inst.modes):
        mode[o] = next(a for a in modes if inst.machine(a) == mach[o])
    dur = data.mode_duration[mode]
    plen = length[mode]
    mach_pred = np.full(n, -1, np.int64)
    order = np.lexsort((np.arange(n), schedule.end, schedule.start, mach)).tolist()
    for a, b in itertools.pairwise(order):
        if mach[a] == mach[b]:
            mach_pred[b] = a
    succs: list[list[int]] = [[] for _ in range(n)]
    indeg = np.zeros(n, np.int64)
    for o in range(n):
        for p in (int(inst.job_pred[o]), int(mach_pred[o])):
            if p >= 0:
                succs[p].append(o)
                indeg[o] += 1
    start = np.zeros(n, np.int64)
    ready = deque(np.flatnonzero(indeg == 0).tolist())
    while ready:
        o = ready.popleft()
        m = int(mach[o])
        p, q = int(inst.job_pred[o]), int(mach_pred[o])
        lb = int(inst.release[data.op_job[o]]) if p < 0 else 0
        if p >= 0:
            lb = max(lb, int(start[p] + dur[p]) + inst.lag(int(mach[p]), m))
        if q >= 0:
            lb = max(lb, int(start[q] + plen[q]))
        start[o] = earliest_start(data, m, int(plen[o]), lb)
        for s in succs[o]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return Schedule(mach, start, start + dur)
