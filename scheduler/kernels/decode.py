"""Decode an (OS, MS) pair into a schedule: active (gap insertion) or semi-active.

OS is a job-repetition sequence (the k-th occurrence of job ``j`` is its k-th
operation), MS holds one absolute mode index per operation. Operations with a fixed
start are placed first, at that start, on the machine their MS gene names; the rest
are placed in OS order at the earliest time allowed by their job predecessor (plus
transport), the job release, the setups to and from their machine neighbours and the
machine's unavailability windows. Per-machine sequences are kept as sorted CSR arrays
(capacity per machine = number of modes on it), so the decoder also hands the machine
sequences to the graph kernels without a sort.

:func:`decode_search` is the local search for what the graph search cannot model
exactly (setups, transport, windows, fixed starts, tardiness): every candidate is a
full decode, so every schedule it keeps is feasible by construction.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from scheduler.kernels.calendar import BLOCK, FREE, LOADS, RESUME, place, setup_done
from scheduler.kernels.holds import (
    MAX_SEGMENTS,
    hold_segments,
    hold_slots,
    holds_shift,
    insert_segments,
    pattern_clash,
    span_clash,
)
from scheduler.kernels.rng import rand_below
from scheduler.problem import IntArray, ProblemData

__all__ = [
    "KernelData",
    "decode",
    "decode_many",
    "decode_search",
    "kernel_data",
    "machine_capacity",
    "objective_value",
    "push_past_windows",
]

INF = np.int64(2**62)


class KernelData(NamedTuple):
    """The problem as the flat int64 arrays every kernel takes (a tuple numba accepts)."""

    job_op_ptr: IntArray
    op_job: IntArray
    op_mode_ptr: IntArray
    mode_machine: IntArray
    mode_duration: IntArray
    release: IntArray
    op_family: IntArray
    setup: IntArray  # (m, F, F) or (0, 0, 0)
    window_ptr: IntArray
    window_start: IntArray
    window_end: IntArray
    transport: IntArray  # (m, m) or (0, 0)
    fixed_start: IntArray
    mach_ptr: IntArray  # capacity CSR: machine k owns slots mach_ptr[k]:mach_ptr[k+1]
    mode_calendar: IntArray  # how each mode meets the windows (scheduler.calendar)
    mode_loads: IntArray  # equal fixture loads of a LOADS mode
    resource_capacity: IntArray  # renewable resources (operator pools): units each
    mode_resource: IntArray  # the resource a mode holds over its span (-1 = none)
    mode_demand: IntArray  # how many units of it
    mode_hold_head: IntArray  # a partial hold: units of its span's start it holds
    mode_hold_tail: IntArray  # ... and of its end
    res_slot_ptr: IntArray  # segment slots: resource r owns res_slot_ptr[r]:res_slot_ptr[r+1]


def machine_capacity(data: ProblemData) -> IntArray:
    """CSR pointers giving each machine room for every operation that may run on it."""
    counts = np.bincount(data.mode_machine, minlength=data.num_machines)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


def kernel_data(data: ProblemData) -> KernelData:
    """Gather the arrays of ``data`` in kernel order (all int64, contiguous)."""
    return KernelData(
        data.job_op_ptr,
        np.ascontiguousarray(data.op_job),
        data.op_mode_ptr,
        data.mode_machine,
        data.mode_duration,
        data.release,
        data.op_family,
        data.setup,
        data.window_ptr,
        data.window_start,
        data.window_end,
        data.transport,
        data.fixed_start,
        machine_capacity(data),
        data.mode_calendar,
        data.mode_loads,
        data.resource_capacity,
        data.mode_resource,
        data.mode_demand,
        data.mode_hold_head,
        data.mode_hold_tail,
        hold_slots(data),
    )


@njit(cache=True, nogil=True)
def push_past_windows(
    t: int, p: int, k: int, window_ptr: IntArray, window_start: IntArray, window_end: IntArray
) -> int:
    """Earliest start >= ``t`` at which a run of length ``p`` on machine ``k`` meets no
    unavailability window (a zero-length run is kept out of window interiors too)."""
    span = p if p > 0 else 1
    for w in range(window_ptr[k], window_ptr[k + 1]):
        if t < window_end[w] and t + span > window_start[w]:
            t = window_end[w]
    return t


@njit(cache=True, nogil=True, inline="always")
def _placed(kd: KernelData, k: int, mode: int, p: int, t: int) -> tuple[int, int]:
    """(start, end) of ``mode`` (duration ``p``) on machine ``k`` from ``t`` on: past the
    windows it may not meet, stretched over those it pauses in."""
    kind = kd.mode_calendar[mode]
    if kind == FREE:
        return t, t + p
    if kind == BLOCK or p == 0:
        t = push_past_windows(t, p, k, kd.window_ptr, kd.window_start, kd.window_end)
        return t, t + p
    lo, hi = kd.window_ptr[k], kd.window_ptr[k + 1]
    s, e = place(t, p, kind, kd.mode_loads[mode], lo, hi, kd.window_start, kd.window_end)
    return s, e


@njit(cache=True, nogil=True, inline="always")
def _after_setup(kd: KernelData, k: int, t: int, gap: int, has_win: bool) -> int:
    """When a setup of ``gap`` begun at ``t`` on ``k`` is done (it pauses in windows)."""
    if not has_win or gap <= 0:
        return t + gap
    return setup_done(t, gap, kd.window_ptr[k], kd.window_ptr[k + 1], kd.window_start,
                      kd.window_end)  # fmt: skip


@njit(cache=True, nogil=True)
def _hold(
    kd: KernelData, mode: int, k: int, s: int, e: int, seg_a: IntArray, seg_b: IntArray,
    seg_q: IntArray, scount: IntArray, longest: IntArray, cand_a: IntArray, cand_b: IntArray,
) -> None:  # fmt: skip
    """Record the segments over which an operation placed in ``mode`` at ``[s, e)`` on
    machine ``k`` holds its resource."""
    r = kd.mode_resource[mode]
    q = kd.mode_demand[mode]
    if r < 0 or q <= 0 or e <= s:
        return
    n = hold_segments(s, e, kd.mode_hold_head[mode], kd.mode_hold_tail[mode], cand_a, cand_b)
    insert_segments(kd.res_slot_ptr[r], scount[r], n, seg_a, seg_b, seg_q, q, cand_a, cand_b)
    scount[r] += n
    for c in range(n):
        longest[r] = max(longest[r], cand_b[c] - cand_a[c])


@njit(cache=True, nogil=True)
def _pool_wait(
    kd: KernelData, mode: int, k: int, t: int, e: int, seg_a: IntArray, seg_b: IntArray,
    seg_q: IntArray, scount: IntArray, longest: IntArray, cand_a: IntArray, cand_b: IntArray,
    near: IntArray,
) -> int:  # fmt: skip
    """``t`` when the mode's resource has its units free where a placement at
    ``[t, e)`` holds them; else a later time from which to try again, passing over no
    start that could fit."""
    r = kd.mode_resource[mode]
    q = kd.mode_demand[mode]
    base = kd.res_slot_ptr[r]
    cap = kd.resource_capacity[r] - q
    head, tail = kd.mode_hold_head[mode], kd.mode_hold_tail[mode]
    if head <= 0 and tail <= 0:
        return span_clash(cap, t, e, seg_a, seg_b, seg_q, base, scount[r], longest[r], near)
    nc = hold_segments(t, e, head, tail, cand_a, cand_b)
    delta = pattern_clash(cap, cand_a, cand_b, nc, seg_a, seg_b, seg_q, base, scount[r],
                          longest[r], near)  # fmt: skip
    if delta == 0:
        return t
    shifts = holds_shift(kd.mode_calendar[mode], kd.window_ptr[k], kd.window_ptr[k + 1])
    return t + (delta if shifts else 1)


@njit(cache=True, nogil=True, inline="always")
def _insert(seq: IntArray, base: int, length: int, i: int, v: int) -> None:
    for x in range(base + length, base + i, -1):
        seq[x] = seq[x - 1]
    seq[base + i] = v


@njit(cache=True, nogil=True)
def _latest_ends(kd: KernelData, ms: IntArray, mach: IntArray, latest: IntArray) -> None:
    """Latest end of every operation that precedes a fixed one in its job (INF if none)."""
    jp = kd.job_op_ptr
    has_tr = kd.transport.shape[0] > 0
    for j in range(jp.shape[0] - 1):
        bound = INF
        for o in range(jp[j + 1] - 1, jp[j] - 1, -1):
            latest[o] = bound
            if kd.fixed_start[o] >= 0:
                bound = kd.fixed_start[o]
            elif bound < INF:
                bound -= kd.mode_duration[ms[o]]
            if o > jp[j] and bound < INF and has_tr:
                bound -= kd.transport[mach[o - 1], mach[o]]


@njit(cache=True, nogil=True)
def decode(
    kd: KernelData,
    os_seq: IntArray,
    ms: IntArray,
    active: bool,
    start: IntArray,
    end: IntArray,
    mach: IntArray,
    seq: IntArray,
    mlen: IntArray,
    work: IntArray,
) -> int:
    """Fill ``start``/``end``/``mach`` and the machine sequences ``seq``/``mlen``.

    ``work`` is scratch of length >= ``n_ops + n_jobs + n_machines``. Returns the
    makespan, or -1 when an operation cannot end before the fixed start of a later
    operation of its job (the caller must repair the hint or give up on this order).
    """
    jp = kd.job_op_ptr
    n = kd.op_job.shape[0]
    n_jobs = jp.shape[0] - 1
    m = kd.mach_ptr.shape[0] - 1
    fam = kd.op_family
    has_tr = kd.transport.shape[0] > 0
    has_win = kd.window_start.shape[0] > 0
    has_setup = kd.setup.shape[0] > 0
    latest = work[:n]
    next_op = work[n : n + n_jobs]
    last_pos = work[n + n_jobs : n + n_jobs + m]
    for k in range(m):
        mlen[k] = 0
        last_pos[k] = -1
    has_res = kd.res_slot_ptr[-1] > 0
    n_slots = kd.res_slot_ptr[-1]
    seg_a = np.empty(n_slots, np.int64)  # the held segments, per resource (CSR)
    seg_b = np.empty(n_slots, np.int64)
    seg_q = np.empty(n_slots, np.int64)
    scount = np.zeros(kd.resource_capacity.shape[0], np.int64)
    longest = np.zeros(kd.resource_capacity.shape[0], np.int64)  # the longest segment held
    cand_a = np.empty(MAX_SEGMENTS, np.int64)  # a candidate's segments
    cand_b = np.empty(MAX_SEGMENTS, np.int64)
    near = np.empty(n_slots, np.int64)
    has_fixed = False
    for o in range(n):
        mach[o] = kd.mode_machine[ms[o]]
        if kd.fixed_start[o] >= 0:
            has_fixed = True
    for j in range(n_jobs):
        next_op[j] = jp[j]
    if has_fixed:
        _latest_ends(kd, ms, mach, latest)
    # fixed operations first, at their fixed start
    for o in range(n if has_fixed else 0):
        if kd.fixed_start[o] >= 0:
            k = mach[o]
            start[o] = kd.fixed_start[o]
            end[o] = start[o] + kd.mode_duration[ms[o]]
            kind = kd.mode_calendar[ms[o]]
            if has_win and (kind == RESUME or kind == LOADS) and end[o] > start[o]:  # noqa: SIM109
                end[o] = place(start[o], kd.mode_duration[ms[o]], kind, kd.mode_loads[ms[o]],
                               kd.window_ptr[k], kd.window_ptr[k + 1], kd.window_start,
                               kd.window_end)[1]  # fmt: skip
            base = kd.mach_ptr[k]
            i = 0
            while i < mlen[k] and start[seq[base + i]] <= start[o]:
                i += 1
            _insert(seq, base, mlen[k], i, o)
            mlen[k] += 1
            if has_res:
                _hold(kd, ms[o], k, start[o], end[o], seg_a, seg_b, seg_q, scount, longest, cand_a,
                      cand_b)  # fmt: skip
    makespan = 0
    append_only = not active and not has_fixed and not has_setup and not has_win and not has_res
    for g in range(os_seq.shape[0]):
        j = os_seq[g]
        o = next_op[j]
        next_op[j] += 1
        if kd.fixed_start[o] < 0:
            k = mach[o]
            p = kd.mode_duration[ms[o]]
            ready = kd.release[j]
            if o > jp[j]:
                ready = max(ready, end[o - 1])
                if has_tr:
                    ready = max(ready, end[o - 1] + kd.transport[mach[o - 1], k])
            base = kd.mach_ptr[k]
            if append_only:  # semi-active without setups, windows or pins: append
                i = mlen[k]
                t = ready
                if i > 0:
                    t = max(t, end[seq[base + i - 1]])
                start[o] = t
                end[o] = t + p
                seq[base + i] = o
                mlen[k] = i + 1
                makespan = max(makespan, t + p)
                continue
            # no gap ending before ready + p can hold o: binary-search past them
            lo = 0 if active else last_pos[k] + 1
            hi = mlen[k]
            while lo < hi:
                mid = (lo + hi) // 2
                if start[seq[base + mid]] < ready + p:
                    lo = mid + 1
                else:
                    hi = mid
            i = lo
            t = ready
            e = ready + p
            while True:
                t = ready
                if i > 0:
                    prev = seq[base + i - 1]
                    gap = kd.setup[k, fam[prev], fam[o]] if has_setup else 0
                    t = max(t, _after_setup(kd, k, end[prev], gap, has_win))
                if has_win:
                    t, e = _placed(kd, k, ms[o], p, t)
                else:
                    e = t + p
                r = kd.mode_resource[ms[o]]
                if has_res and r >= 0 and kd.mode_demand[ms[o]] > 0 and e > t:
                    free = _pool_wait(kd, ms[o], k, t, e, seg_a, seg_b, seg_q, scount, longest,
                                      cand_a, cand_b, near)  # fmt: skip
                    if free > t:  # the pool is busy then: try from its next release
                        ready = free
                        continue
                if i == mlen[k]:
                    break
                nxt = seq[base + i]
                gap = kd.setup[k, fam[o], fam[nxt]] if has_setup else 0
                if _after_setup(kd, k, e, gap, has_win) <= start[nxt]:
                    break
                i += 1
            if has_fixed and e > latest[o]:
                return -1
            start[o] = t
            end[o] = e
            _insert(seq, base, mlen[k], i, o)
            mlen[k] += 1
            last_pos[k] = i
            if has_res:
                _hold(kd, ms[o], k, t, e, seg_a, seg_b, seg_q, scount, longest, cand_a, cand_b)
        makespan = max(makespan, end[o])
    return makespan


@njit(cache=True, nogil=True)
def objective_value(
    job_op_ptr: IntArray, due: IntArray, weight: IntArray, code: int, w0: int, w1: int,
    end: IntArray, makespan: int,
) -> int:  # fmt: skip
    """Makespan (``code`` 0), total weighted tardiness (1) or ``w0 Cmax + w1 TWT`` (2)."""
    if code == 0:
        return makespan
    twt = 0
    for j in range(job_op_ptr.shape[0] - 1):
        c = end[job_op_ptr[j + 1] - 1]
        if due[j] >= 0 and c > due[j]:
            twt += weight[j] * (c - due[j])
    return twt if code == 1 else w0 * makespan + w1 * twt


@njit(cache=True, nogil=True, inline="always")
def _shift_gene(os_seq: IntArray, i: int, j: int) -> None:
    """Move the gene at ``i`` to index ``j`` (the genes between shift by one)."""
    g = os_seq[i]
    if i < j:
        for x in range(i, j):
            os_seq[x] = os_seq[x + 1]
    else:
        for x in range(i, j, -1):
            os_seq[x] = os_seq[x - 1]
    os_seq[j] = g


@njit(cache=True, nogil=True)
def decode_search(
    kd: KernelData,
    due: IntArray,
    weight: IntArray,
    code: int,
    w0: int,
    w1: int,
    mode_lo: IntArray,
    mode_hi: IntArray,
    cur_os: IntArray,
    cur_ms: IntArray,
    best_os: IntArray,
    best_ms: IntArray,
    history: IntArray,
    state: IntArray,
    rng: np.ndarray,
    iters: int,
    start: IntArray,
    end: IntArray,
    mach: IntArray,
    seq: IntArray,
    mlen: IntArray,
    work: IntArray,
) -> int:
    """Late-acceptance hill climbing on (OS, MS), every candidate decoded (active).

    Moves: swap two OS genes, move one OS gene, change one operation's mode. A
    candidate is kept when it is no worse than the current value or than the value
    ``len(history)`` iterations ago. ``state`` = [iteration, best, current]; a best < 0
    starts the run from ``cur_os``/``cur_ms``. Returns the best objective value.
    """
    n = cur_os.shape[0]
    hl = history.shape[0]
    jp = kd.job_op_ptr
    if state[1] < 0:
        c = decode(kd, cur_os, cur_ms, True, start, end, mach, seq, mlen, work)
        state[2] = objective_value(jp, due, weight, code, w0, w1, end, c)
        state[1] = state[2]
        best_os[:] = cur_os
        best_ms[:] = cur_ms
        history[:] = state[2]
    for _ in range(iters):
        it = state[0]
        state[0] = it + 1
        kind = rand_below(rng, 3)
        i = rand_below(rng, n)
        j = rand_below(rng, n)
        old = cur_ms[i]
        if kind == 0:
            cur_os[i], cur_os[j] = cur_os[j], cur_os[i]
        elif kind == 1:
            _shift_gene(cur_os, i, j)
        else:
            width = mode_hi[i] - mode_lo[i]
            if width < 2:
                continue
            cur_ms[i] = mode_lo[i] + (old - mode_lo[i] + 1 + rand_below(rng, width - 1)) % width
        c = decode(kd, cur_os, cur_ms, True, start, end, mach, seq, mlen, work)
        value = objective_value(jp, due, weight, code, w0, w1, end, c) if c >= 0 else -1
        slot = it % hl
        if value >= 0 and (value <= state[2] or value <= history[slot]):
            state[2] = value
            if value < state[1]:
                state[1] = value
                best_os[:] = cur_os
                best_ms[:] = cur_ms
        elif kind == 0:
            cur_os[i], cur_os[j] = cur_os[j], cur_os[i]
        elif kind == 1:
            _shift_gene(cur_os, j, i)
        else:
            cur_ms[i] = old
        if state[2] < history[slot]:
            history[slot] = state[2]
    return state[1]


@njit(cache=True, nogil=True)
def decode_many(
    kd: KernelData,
    os_rows: IntArray,
    ms_rows: IntArray,
    active: bool,
    makespans: IntArray,
    start: IntArray,
    end: IntArray,
    mach: IntArray,
    seq: IntArray,
    mlen: IntArray,
    work: IntArray,
) -> None:
    """Decode a population (one OS and MS row per individual) into ``makespans``,
    in one call: no per-decode dispatch cost."""
    for i in range(os_rows.shape[0]):
        makespans[i] = decode(kd, os_rows[i], ms_rows[i], active, start, end, mach, seq, mlen, work)
