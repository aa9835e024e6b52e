"""The disjunctive graph on arrays: heads, tails, makespan, critical path and blocks.

A solution is the mode of every operation (hence its machine ``mach`` and duration
``p``) plus one sequence per machine, stored as CSR slots ``seq[mach_ptr[k] :
mach_ptr[k] + mlen[k]]`` with ``pos[v]`` the index of ``v`` in its machine's sequence.
Job arcs are implicit: operations are numbered in job order, so ``v - 1`` is the job
predecessor of ``v`` when both belong to the same job. Every node has at most two
predecessors, so Kahn's algorithm gives a topological order in O(n) and detects cycles
for free. Heads are the semi-active starts (release dates included); tails exclude
the operation's own duration.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.rng import rand_below
from scheduler.problem import IntArray

__all__ = ["critical_blocks", "critical_path", "heads_tails", "positions"]


@njit(cache=True, nogil=True)
def positions(seq: IntArray, mach_ptr: IntArray, mlen: IntArray, pos: IntArray) -> None:
    """Fill ``pos[v]`` with the index of ``v`` in its machine sequence."""
    for k in range(mlen.shape[0]):
        base = mach_ptr[k]
        for i in range(mlen[k]):
            pos[seq[base + i]] = i


@njit(cache=True, nogil=True)
def heads_tails(
    op_job: IntArray,
    release: IntArray,
    p: IntArray,
    mach: IntArray,
    seq: IntArray,
    mach_ptr: IntArray,
    mlen: IntArray,
    pos: IntArray,
    r: IntArray,
    q: IntArray,
    order: IntArray,
    indeg: IntArray,
) -> int:
    """Compute heads ``r`` and tails ``q``; return the makespan, or -1 on a cycle."""
    n = p.shape[0]
    tail = 0
    for v in range(n):
        d = 0
        if v > 0 and op_job[v - 1] == op_job[v]:
            d += 1
        if pos[v] > 0:
            d += 1
        indeg[v] = d
        if d == 0:
            order[tail] = v
            tail += 1
    head = 0
    while head < tail:
        v = order[head]
        head += 1
        if v + 1 < n and op_job[v + 1] == op_job[v]:
            indeg[v + 1] -= 1
            if indeg[v + 1] == 0:
                order[tail] = v + 1
                tail += 1
        k = mach[v]
        if pos[v] + 1 < mlen[k]:
            s = seq[mach_ptr[k] + pos[v] + 1]
            indeg[s] -= 1
            if indeg[s] == 0:
                order[tail] = s
                tail += 1
    if tail < n:
        return -1
    for idx in range(n):
        v = order[idx]
        rv = release[op_job[v]]
        if v > 0 and op_job[v - 1] == op_job[v]:
            rv = max(rv, r[v - 1] + p[v - 1])
        if pos[v] > 0:
            u = seq[mach_ptr[mach[v]] + pos[v] - 1]
            rv = max(rv, r[u] + p[u])
        r[v] = rv
    makespan = 0
    for idx in range(n - 1, -1, -1):
        v = order[idx]
        qv = 0
        if v + 1 < n and op_job[v + 1] == op_job[v]:
            qv = max(qv, p[v + 1] + q[v + 1])
        k = mach[v]
        if pos[v] + 1 < mlen[k]:
            s = seq[mach_ptr[k] + pos[v] + 1]
            qv = max(qv, p[s] + q[s])
        q[v] = qv
        makespan = max(makespan, r[v] + p[v] + qv)
    return makespan


@njit(cache=True, nogil=True)
def critical_path(
    op_job: IntArray,
    p: IntArray,
    mach: IntArray,
    seq: IntArray,
    mach_ptr: IntArray,
    pos: IntArray,
    r: IntArray,
    makespan: int,
    path: IntArray,
    via_machine: IntArray,
    rng: np.ndarray,
) -> int:
    """Write one critical path (source to sink) into ``path``; return its length.

    The last operation is drawn at random among those ending at the makespan (when
    ``rng`` has a state; the lowest index otherwise); stepping back prefers the machine
    predecessor on ties, so blocks come out as long as possible. ``via_machine[i]`` is
    1 when ``path[i - 1] -> path[i]`` is a machine arc.
    """
    n = p.shape[0]
    v = -1
    seen = 0
    for x in range(n):
        if r[x] + p[x] == makespan:
            seen += 1
            if v < 0 or (rng.shape[0] > 0 and rand_below(rng, seen) == 0):
                v = x
    length = 0
    while v >= 0:
        path[length] = v
        length += 1
        nxt = -1
        flag = 0
        if pos[v] > 0:
            u = seq[mach_ptr[mach[v]] + pos[v] - 1]
            if r[u] + p[u] == r[v]:
                nxt = u
                flag = 1
        if nxt < 0 and v > 0 and op_job[v - 1] == op_job[v] and r[v - 1] + p[v - 1] == r[v]:
            nxt = v - 1
        via_machine[length - 1] = flag
        v = nxt
    # reverse into source-to-sink order; each flag then describes its incoming arc
    for i in range(length // 2):
        a = path[i]
        path[i] = path[length - 1 - i]
        path[length - 1 - i] = a
        f = via_machine[i]
        via_machine[i] = via_machine[length - 1 - i]
        via_machine[length - 1 - i] = f
    return length


@njit(cache=True, nogil=True)
def critical_blocks(
    via_machine: IntArray, length: int, block_lo: IntArray, block_hi: IntArray
) -> int:
    """Split a critical path into maximal machine blocks ``path[block_lo[b]:block_hi[b]]``
    (singletons included); return the number of blocks."""
    nb = 0
    i = 0
    while i < length:
        j = i + 1
        while j < length and via_machine[j] == 1:
            j += 1
        block_lo[nb] = i
        block_hi[nb] = j
        nb += 1
        i = j
    return nb
