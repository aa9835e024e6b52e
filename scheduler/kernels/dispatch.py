"""List-scheduling kernel behind the dispatch rules (numba, arrays and scalars only).

One pass builds a complete schedule. Each machine is filled append-only (a dispatch
rule never inserts into a gap). Every job's next operation holds a candidate: its
earliest-completion machine, start and end; then at each step


- ``ect``: the operation that completes first is placed (ties: most work remaining);
- any other rule (Giffler-Thompson): ``C*`` is the earliest completion and ``m*`` its
  machine; among the operations whose best machine is ``m*`` and that could start
  before ``C*`` (the conflict set), the rule's priority picks one (ties: earlier
  completion, then lower operation index).

Operations with a fixed start are pinned before the pass: other operations on their
machine fit before them (setup included) or go after them. Their job predecessors
must end in time; when one does not, the kernel counts a conflict and still keeps the
pin, so the caller can report the plan as not feasible.

Cost: candidates live in one list per machine. Placing an operation on ``m`` can only
delay the candidates on ``m`` (the others stay valid and optimal), so a step refreshes
those, about ``jobs / machines`` of them, and scans the machines for the earliest
completion: O(jobs / machines x flexibility + machines) per operation. Sequence-
dependent setups can make a machine cheaper after a change, so with setups every job
that could use ``m`` is refreshed as well.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.montecarlo import skip_windows, uniform

__all__ = [
    "RULE_ECT",
    "RULE_EDD",
    "RULE_FIFO",
    "RULE_LPT",
    "RULE_MOR",
    "RULE_MWKR",
    "RULE_RANDOM",
    "RULE_SPT",
    "dispatch_kernel",
]

RULE_ECT = 0
RULE_SPT = 1
RULE_LPT = 2
RULE_MWKR = 3
RULE_MOR = 4
RULE_EDD = 5
RULE_FIFO = 6
RULE_RANDOM = 7


@njit(cache=True)
def _setup(setup: np.ndarray, m: int, a: int, b: int) -> int:
    if setup.shape[0] == 0 or a < 0:
        return 0
    return int(setup[m, a, b])


@njit(cache=True)
def _earliest_start(
    o: int,
    m: int,
    d: int,
    est: int,
    op_family: np.ndarray,
    setup: np.ndarray,
    mach_free: np.ndarray,
    mach_last: np.ndarray,
    mach_last_start: np.ndarray,
    win_next: np.ndarray,
    window_ptr: np.ndarray,
    window_start: np.ndarray,
    window_end: np.ndarray,
    res_next: np.ndarray,
    res_ptr: np.ndarray,
    res_op: np.ndarray,
    res_dur: np.ndarray,
    fixed_start: np.ndarray,
) -> tuple[int, int]:
    """Earliest feasible start of ``o`` appended on machine ``m``, and the index of the
    first pinned operation still after it (``res_next[m]`` once ``o`` is placed)."""
    fam = op_family[o]
    last = mach_last[m]
    t = est
    if last >= 0:
        t = max(t, mach_free[m] + _setup(setup, m, op_family[last], fam))
    k = res_next[m]
    while True:
        t = int(skip_windows(t, d, win_next[m], window_ptr[m + 1], window_start, window_end))
        # The checker orders equal zero-length operations by index: keep that order.
        if (
            d == 0
            and last >= 0
            and last > o
            and mach_free[m] == t
            and mach_last_start[m] == t
            and k == res_next[m]
        ):
            t += 1
            continue
        if k < res_ptr[m + 1]:
            r = res_op[k]
            sr = fixed_start[r]
            if t + d + _setup(setup, m, fam, op_family[r]) <= sr:
                return t, k
            t = max(est, sr + res_dur[k] + _setup(setup, m, op_family[r], fam))
            k += 1
            continue
        return t, k


@njit(cache=True)
def _static_priorities(
    job_op_ptr: np.ndarray, op_mode_ptr: np.ndarray, mode_duration: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Work (sum of shortest durations) and operations remaining, self included."""
    n_ops = op_mode_ptr.shape[0] - 1
    work_left = np.empty(n_ops, np.int64)
    ops_left = np.empty(n_ops, np.int64)
    for j in range(job_op_ptr.shape[0] - 1):
        acc = 0
        for o in range(job_op_ptr[j + 1] - 1, job_op_ptr[j] - 1, -1):
            acc += mode_duration[op_mode_ptr[o] : op_mode_ptr[o + 1]].min()
            work_left[o] = acc
            ops_left[o] = job_op_ptr[j + 1] - o
    return work_left, ops_left


@njit(cache=True)
def _pinned(
    op_mode_ptr: np.ndarray,
    mode_machine: np.ndarray,
    mode_duration: np.ndarray,
    pin_machine: np.ndarray,
    fixed_start: np.ndarray,
    n_mach: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Duration on the pinned machine per operation, and the pinned starts per machine
    as CSR (``res_ptr``, ``res_op`` sorted by start then index, ``res_dur``)."""
    n_ops = op_mode_ptr.shape[0] - 1
    pin_dur = np.full(n_ops, -1, np.int64)
    count = np.zeros(n_mach + 1, np.int64)
    for o in range(n_ops):
        for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
            if mode_machine[i] == pin_machine[o]:
                pin_dur[o] = mode_duration[i]
        if fixed_start[o] >= 0:
            count[pin_machine[o] + 1] += 1
    res_ptr = np.cumsum(count)
    res_op = np.empty(res_ptr[n_mach], np.int64)
    fill = res_ptr[:n_mach].copy()
    for o in range(n_ops):
        if fixed_start[o] >= 0:
            res_op[fill[pin_machine[o]]] = o
            fill[pin_machine[o]] += 1
    for m in range(n_mach):
        seg = res_op[res_ptr[m] : res_ptr[m + 1]]
        res_op[res_ptr[m] : res_ptr[m + 1]] = seg[np.argsort(fixed_start[seg], kind="mergesort")]
    return pin_dur, res_ptr, res_op, pin_dur[res_op]


@njit(cache=True)
def _before(j: int, k: int, by_work: bool, cand_c: np.ndarray, work: np.ndarray) -> bool:
    """Does job ``j``'s candidate come before ``k``'s: earlier completion, then (for
    ``ect``) more work remaining, then lower job index."""
    if k < 0 or cand_c[j] != cand_c[k]:
        return k < 0 or cand_c[j] < cand_c[k]
    if by_work and work[j] != work[k]:
        return work[j] > work[k]
    return j < k


@njit(cache=True)
def _remove(j: int, m: int, members: np.ndarray, count: np.ndarray, pos: np.ndarray) -> None:
    """Swap-remove job ``j`` from machine ``m``'s candidate list."""
    last = members[m, count[m] - 1]
    members[m, pos[j]] = last
    pos[last] = pos[j]
    count[m] -= 1
    pos[j] = -1


@njit(cache=True)
def dispatch_kernel(
    job_op_ptr: np.ndarray,
    op_mode_ptr: np.ndarray,
    mode_machine: np.ndarray,
    mode_duration: np.ndarray,
    release: np.ndarray,
    due: np.ndarray,
    op_family: np.ndarray,
    setup: np.ndarray,
    window_ptr: np.ndarray,
    window_start: np.ndarray,
    window_end: np.ndarray,
    transport: np.ndarray,
    pin_machine: np.ndarray,
    fixed_start: np.ndarray,
    rule: int,
    rng_state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Build one schedule with ``rule``; returns machine, start, end per operation and
    the number of pinned starts that their job predecessors made impossible.

    ``pin_machine[o]`` (``-1`` = free) restricts ``o`` to one machine; every operation
    with ``fixed_start[o] >= 0`` must have a pinned machine. ``rng_state`` (uint64[1],
    nonzero) is advanced in place by the ``random`` rule only.
    """
    n_jobs = job_op_ptr.shape[0] - 1
    n_ops = op_mode_ptr.shape[0] - 1
    n_mach = window_ptr.shape[0] - 1
    has_transport = transport.shape[0] > 0
    work_left, ops_left = _static_priorities(job_op_ptr, op_mode_ptr, mode_duration)
    pin_dur, res_ptr, res_op, res_dur = _pinned(
        op_mode_ptr, mode_machine, mode_duration, pin_machine, fixed_start, n_mach
    )

    machine = np.full(n_ops, -1, np.int64)
    start = np.zeros(n_ops, np.int64)
    end = np.zeros(n_ops, np.int64)
    mach_free = np.zeros(n_mach, np.int64)
    mach_last = np.full(n_mach, -1, np.int64)
    mach_last_start = np.zeros(n_mach, np.int64)
    win_next = window_ptr[:n_mach].copy()
    res_next = res_ptr[:n_mach].copy()

    next_op = job_op_ptr[:n_jobs].copy()
    ready = release.copy()  # job ready time, before transport
    cand_m = np.full(n_jobs, -1, np.int64)
    cand_s = np.zeros(n_jobs, np.int64)
    cand_c = np.zeros(n_jobs, np.int64)
    cand_k = np.zeros(n_jobs, np.int64)
    cand_work = np.zeros(n_jobs, np.int64)
    # Candidate lists per machine (members, count, position of each job, best member).
    members = np.empty((n_mach, n_jobs), np.int64)
    count = np.zeros(n_mach, np.int64)
    pos = np.full(n_jobs, -1, np.int64)
    best = np.full(n_mach, -1, np.int64)
    rescan = np.zeros(n_mach, np.bool_)
    stale = np.empty(n_jobs, np.int64)
    n_stale = 0
    buf = np.empty(n_jobs, np.int64)
    by_work = rule == RULE_ECT
    conflicts = 0
    done = 0

    for j in range(n_jobs):
        stale[n_stale] = j
        n_stale += 1
    while True:
        # Place pinned starts at the head of stale jobs, then refresh their candidates.
        for idx in range(n_stale):
            j = stale[idx]
            while next_op[j] < job_op_ptr[j + 1] and fixed_start[next_op[j]] >= 0:
                o = next_op[j]
                m = pin_machine[o]
                lag = 0
                if has_transport and o > job_op_ptr[j]:
                    lag = transport[machine[o - 1], m]
                if ready[j] + lag > fixed_start[o]:
                    conflicts += 1
                machine[o] = m
                start[o] = fixed_start[o]
                end[o] = fixed_start[o] + pin_dur[o]
                ready[j] = end[o]
                next_op[j] += 1
                done += 1
            o = next_op[j]
            if o >= job_op_ptr[j + 1]:
                continue
            cand_c[j] = -1
            prev_m = machine[o - 1] if o > job_op_ptr[j] else -1
            for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                m = mode_machine[i]
                if pin_machine[o] >= 0 and m != pin_machine[o]:
                    continue
                d = mode_duration[i]
                est = ready[j]
                if has_transport and prev_m >= 0:
                    est += transport[prev_m, m]
                if d > 0 and win_next[m] == window_ptr[m + 1] and res_next[m] == res_ptr[m + 1]:
                    # Fast path (nothing left to skip on m): after the last operation.
                    s, k = est, res_next[m]
                    if mach_last[m] >= 0:
                        gap = _setup(setup, m, op_family[mach_last[m]], op_family[o])
                        s = max(s, mach_free[m] + gap)
                else:
                    s, k = _earliest_start(
                        o, m, d, est, op_family, setup, mach_free, mach_last, mach_last_start,
                        win_next, window_ptr, window_start, window_end, res_next, res_ptr,
                        res_op, res_dur, fixed_start,
                    )  # fmt: skip
                if cand_c[j] < 0 or s + d < cand_c[j] or (s + d == cand_c[j] and s < cand_s[j]):
                    cand_m[j] = m
                    cand_s[j] = s
                    cand_c[j] = s + d
                    cand_k[j] = k
            cand_work[j] = work_left[o]
            m = cand_m[j]
            members[m, count[m]] = j
            pos[j] = count[m]
            count[m] += 1
            if not rescan[m] and _before(j, best[m], by_work, cand_c, cand_work):
                best[m] = j
        n_stale = 0
        if done == n_ops:
            break

        # The earliest completion over all machines' best candidates.
        first = -1
        for m in range(n_mach):
            if rescan[m]:
                rescan[m] = False
                best[m] = -1
                for idx in range(count[m]):
                    if _before(members[m, idx], best[m], by_work, cand_c, cand_work):
                        best[m] = members[m, idx]
            if count[m] > 0 and _before(best[m], first, by_work, cand_c, cand_work):
                first = best[m]
        m_star = cand_m[first]
        pick = first
        if rule != RULE_ECT:
            # The conflict set on m*, in job order (the random rule draws in that order).
            n_buf = 0
            for idx in range(count[m_star]):
                j = members[m_star, idx]
                if cand_s[j] < cand_c[first] or j == first:
                    buf[n_buf] = j
                    n_buf += 1
            buf[:n_buf].sort()
            best_pri = 0.0
            pick = -1
            for idx in range(n_buf):
                j = buf[idx]
                pri = _priority(
                    rule, cand_c[j] - cand_s[j], work_left[next_op[j]], ops_left[next_op[j]],
                    due[j], ready[j], rng_state,
                )  # fmt: skip
                if (
                    pick < 0
                    or pri > best_pri
                    or (pri == best_pri and cand_c[j] < cand_c[pick])
                    or (pri == best_pri and cand_c[j] == cand_c[pick] and j < pick)
                ):
                    pick = j
                    best_pri = pri

        # Place the pick; every candidate on m* may have moved: refresh them all.
        o = next_op[pick]
        machine[o] = m_star
        start[o] = cand_s[pick]
        end[o] = cand_c[pick]
        mach_free[m_star] = cand_c[pick]
        mach_last[m_star] = o
        mach_last_start[m_star] = cand_s[pick]
        res_next[m_star] = cand_k[pick]
        while (
            win_next[m_star] < window_ptr[m_star + 1]
            and window_end[win_next[m_star]] <= mach_free[m_star]
        ):
            win_next[m_star] += 1
        ready[pick] = cand_c[pick]
        next_op[pick] += 1
        done += 1
        for idx in range(count[m_star]):
            j = members[m_star, idx]
            pos[j] = -1
            stale[n_stale] = j
            n_stale += 1
        count[m_star] = 0
        best[m_star] = -1
        if setup.shape[0] > 0:
            for j in range(n_jobs):
                q = next_op[j]
                if pos[j] < 0 or q >= job_op_ptr[j + 1]:
                    continue
                for i in range(op_mode_ptr[q], op_mode_ptr[q + 1]):
                    if mode_machine[i] == m_star:
                        rescan[cand_m[j]] |= best[cand_m[j]] == j
                        _remove(j, cand_m[j], members, count, pos)
                        stale[n_stale] = j
                        n_stale += 1
                        break
    return machine, start, end, conflicts


@njit(cache=True)
def _priority(
    rule: int, d: int, work: int, ops: int, due: int, ready: int, rng_state: np.ndarray
) -> float:
    """The rule's priority of a candidate (higher goes first)."""
    if rule == RULE_SPT:
        return -float(d)
    if rule == RULE_LPT:
        return float(d)
    if rule == RULE_MWKR:
        return float(work)
    if rule == RULE_MOR:
        return float(ops)
    if rule == RULE_EDD:
        return -float(due) if due >= 0 else -np.inf
    if rule == RULE_FIFO:
        return -float(ready)
    return uniform(rng_state)
