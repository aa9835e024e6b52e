"""List-scheduling kernel behind the dispatch rules (numba, arrays and scalars only).

One pass builds a complete schedule. Each machine is filled append-only (a dispatch
rule never inserts into a gap), so every step costs O(jobs x flexibility) plus the
windows and pinned operations it has to skip. At each step every job's next
operation gets its earliest-completion machine; then

- ``ect``: the operation that completes first is placed (ties: most work remaining);
- any other rule (Giffler-Thompson): ``C*`` is the earliest completion and ``m*`` its
  machine; among the operations whose best machine is ``m*`` and that could start
  before ``C*`` (the conflict set), the rule's priority picks one (ties: earlier
  completion, then lower operation index).

Operations with a fixed start are pinned before the pass: other operations on their
machine fit before them (setup included) or go after them. Their job predecessors
must end in time; when one does not, the kernel counts a conflict and still keeps the
pin, so the caller can report the plan as not feasible.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.montecarlo import uniform

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
def _skip_windows(
    t: int, d: int, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray
) -> int:
    """Earliest time >= ``t`` at which ``[t, t + d)`` meets no window of ``lo:hi``
    (a zero-length operation may touch a window's edges, not sit strictly inside)."""
    for w in range(lo, hi):
        ws = window_start[w]
        we = window_end[w]
        if we <= t:
            continue
        if (d > 0 and t + d <= ws) or (d == 0 and t <= ws):
            break
        t = we
    return t


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
        t = _skip_windows(t, d, win_next[m], window_ptr[m + 1], window_start, window_end)
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
    has_setup = setup.shape[0] > 0

    # Static priorities: minimal duration, work and operations remaining (self included).
    min_dur = np.empty(n_ops, np.int64)
    for o in range(n_ops):
        best = mode_duration[op_mode_ptr[o]]
        for i in range(op_mode_ptr[o] + 1, op_mode_ptr[o + 1]):
            best = min(best, mode_duration[i])
        min_dur[o] = best
    work_left = np.empty(n_ops, np.int64)
    ops_left = np.empty(n_ops, np.int64)
    for j in range(n_jobs):
        acc = 0
        for o in range(job_op_ptr[j + 1] - 1, job_op_ptr[j] - 1, -1):
            acc += min_dur[o]
            work_left[o] = acc
            ops_left[o] = job_op_ptr[j + 1] - o

    # Duration of each operation on its pinned machine.
    pin_dur = np.full(n_ops, -1, np.int64)
    for o in range(n_ops):
        if pin_machine[o] >= 0:
            for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                if mode_machine[i] == pin_machine[o]:
                    pin_dur[o] = mode_duration[i]

    # Pinned starts per machine, sorted by start (CSR).
    res_count = np.zeros(n_mach + 1, np.int64)
    for o in range(n_ops):
        if fixed_start[o] >= 0:
            res_count[pin_machine[o] + 1] += 1
    res_ptr = np.cumsum(res_count)
    res_op = np.empty(res_ptr[n_mach], np.int64)
    fill = res_ptr[:n_mach].copy()
    for o in range(n_ops):
        if fixed_start[o] >= 0:
            res_op[fill[pin_machine[o]]] = o
            fill[pin_machine[o]] += 1
    for m in range(n_mach):
        seg = res_op[res_ptr[m] : res_ptr[m + 1]]
        res_op[res_ptr[m] : res_ptr[m + 1]] = seg[np.argsort(fixed_start[seg], kind="mergesort")]
    res_dur = np.empty(res_op.shape[0], np.int64)
    for k in range(res_op.shape[0]):
        res_dur[k] = pin_dur[res_op[k]]

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
    stale = np.ones(n_jobs, np.bool_)
    conflicts = 0
    done = 0

    # Pinned starts at the head of a job are placed right away.
    for j in range(n_jobs):
        while next_op[j] < job_op_ptr[j + 1] and fixed_start[next_op[j]] >= 0:
            o = next_op[j]
            m = pin_machine[o]
            if o > job_op_ptr[j]:
                lag = transport[machine[o - 1], m] if has_transport else 0
                if ready[j] + lag > fixed_start[o]:
                    conflicts += 1
            elif release[j] > fixed_start[o]:
                conflicts += 1
            machine[o] = m
            start[o] = fixed_start[o]
            end[o] = fixed_start[o] + pin_dur[o]
            ready[j] = end[o]
            next_op[j] += 1
            done += 1

    while done < n_ops:
        # Refresh the best machine of every job whose candidate may have moved.
        for j in range(n_jobs):
            o = next_op[j]
            if o >= job_op_ptr[j + 1] or not stale[j]:
                continue
            stale[j] = False
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

        # Earliest completion over all jobs.
        first = -1
        for j in range(n_jobs):
            if next_op[j] >= job_op_ptr[j + 1]:
                continue
            if (
                first < 0
                or cand_c[j] < cand_c[first]
                or (
                    cand_c[j] == cand_c[first]
                    and (rule == RULE_ECT and work_left[next_op[j]] > work_left[next_op[first]])
                )
            ):
                first = j
        pick = first
        if rule != RULE_ECT:
            c_star = cand_c[first]
            m_star = cand_m[first]
            best_pri = 0.0
            pick = -1
            for j in range(n_jobs):
                o = next_op[j]
                if o >= job_op_ptr[j + 1] or cand_m[j] != m_star:
                    continue
                if cand_s[j] >= c_star and j != first:
                    continue
                d = cand_c[j] - cand_s[j]
                if rule == RULE_SPT:
                    pri = -float(d)
                elif rule == RULE_LPT:
                    pri = float(d)
                elif rule == RULE_MWKR:
                    pri = float(work_left[o])
                elif rule == RULE_MOR:
                    pri = float(ops_left[o])
                elif rule == RULE_EDD:
                    pri = -float(due[j]) if due[j] >= 0 else -np.inf
                elif rule == RULE_FIFO:
                    pri = -float(ready[j])
                else:
                    pri = uniform(rng_state)
                if (
                    pick < 0
                    or pri > best_pri
                    or (pri == best_pri and cand_c[j] < cand_c[pick])
                    or (pri == best_pri and cand_c[j] == cand_c[pick] and o < next_op[pick])
                ):
                    pick = j
                    best_pri = pri

        # Place the picked operation and mark the candidates it may have moved.
        j = pick
        o = next_op[j]
        m = cand_m[j]
        machine[o] = m
        start[o] = cand_s[j]
        end[o] = cand_c[j]
        mach_free[m] = cand_c[j]
        mach_last[m] = o
        mach_last_start[m] = cand_s[j]
        res_next[m] = cand_k[j]
        while win_next[m] < window_ptr[m + 1] and window_end[win_next[m]] <= mach_free[m]:
            win_next[m] += 1
        ready[j] = cand_c[j]
        next_op[j] += 1
        done += 1
        while next_op[j] < job_op_ptr[j + 1] and fixed_start[next_op[j]] >= 0:
            p = next_op[j]
            lag = transport[machine[p - 1], pin_machine[p]] if has_transport else 0
            if ready[j] + lag > fixed_start[p]:
                conflicts += 1
            machine[p] = pin_machine[p]
            start[p] = fixed_start[p]
            end[p] = fixed_start[p] + pin_dur[p]
            ready[j] = end[p]
            next_op[j] += 1
            done += 1
        # Another machine's candidate stays valid, and machine m only got later for
        # the others, unless a setup can shrink (non-metric setups): rescan those.
        stale[j] = True
        for jj in range(n_jobs):
            q = next_op[jj]
            if stale[jj] or q >= job_op_ptr[jj + 1]:
                continue
            if cand_m[jj] == m:
                stale[jj] = True
            elif has_setup:
                for i in range(op_mode_ptr[q], op_mode_ptr[q + 1]):
                    if mode_machine[i] == m:
                        stale[jj] = True
                        break
    return machine, start, end, conflicts
