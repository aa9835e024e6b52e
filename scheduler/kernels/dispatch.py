"""List-scheduling kernel behind the dispatch rules (numba, arrays and scalars only).

One pass builds a complete schedule. Each machine is filled append-only (a dispatch
rule never inserts into a gap). Every job's next operation has a candidate: its
earliest-completion machine, start and end (ties: earlier start, then the first
mode); then at each step

- ``ect``: the operation that completes first is placed (ties: most work remaining,
  then lower job index);
- any other rule (Giffler-Thompson): ``C*`` is the earliest completion and ``m*`` its
  machine; among the operations whose best machine is ``m*`` and that could start
  before ``C*`` (the conflict set), the rule's priority picks one (ties: earlier
  completion, then lower job index).

Operations with a fixed start are pinned before the pass: other operations on their
machine fit before them (setup included) or go after them. Their job predecessors
must end in time; when one does not, the kernel counts a conflict and still keeps the
pin, so the caller can report the plan as not feasible.

Cost, O(n log n) in practice (20,000 jobs on 10 machines, 150,000 operations: about
1 s, where storing every job's candidate took minutes). Candidates are not stored per
job, since a backlog of B jobs per machine then costs O(B) refreshes per step.
Instead each mode (an operation's eligible machine) lives in heaps of its machine,
and a job's best machine is evaluated only when the job comes up:

- A mode is *backlog* once its earliest start ``a`` (job ready time plus transport)
  is at most its machine's free time ``F``. From then on its start is ``F`` pushed
  past the setup, windows and pins: the same for every backlog mode of its setup
  family, so within a family its completion and its start grow with its duration.
  Per machine and family, backlog modes sit in a heap by (duration, tie-break, job),
  whose top completes first, and in one by (priority, duration, job), whose top is
  the conflict-set pick unless that job's best machine is elsewhere.
- Such a job is *parked* when the instance has no setups and its better machine
  ``m2`` no window or pin left: m* cannot become its best before ``F(m2) - F(m*)``
  reaches the difference of its durations on m* and m2, and placing on ``m2`` wakes
  it then (LPT had ~23 set-asides per step without this). Otherwise it is set aside
  for the step.
- Modes not yet backlog sit in a heap by ``a`` (they join the backlog as ``F`` passes
  ``a``) and in one by ``a + d``, a lower bound of their completion, searched lazily.
  Zero-length modes (whose start also depends on the operation index) are scanned.

``random`` draws one priority per operation when it becomes its job's next one (in
job order at the start, then after each placement), from ``rng_state``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.calendar import BLOCK, FREE, LOADS, RESUME, place, setup_done
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

# States of a mode (an operation's eligible machine).
_NEW = 0  # its operation is not its job's next one yet
_PENDING = 1  # the job is ready after the machine is free: in the pending heaps
_BACKLOG = 2  # in its machine's backlog heaps (or zero-length list)
_DONE = 3  # its operation is placed (or the mode is not allowed)

# Parking keeps one heap per machine pair: above this many machines jobs are set aside
# instead (the pair offsets alone would take 8 bytes x machines**2).
PARK_MAX_MACHINES = 1024

# Rows of the machine state array.
_FREE, _LAST, _LAST_START, _WIN, _RES = 0, 1, 2, 3, 4


@njit(cache=True)
def _setup(setup: np.ndarray, m: int, a: int, b: int) -> int:
    if setup.shape[0] == 0 or a < 0:
        return 0
    return int(setup[m, a, b])


@njit(cache=True)
def _earliest_start(
    o: int, i: int, m: int, d: int, est: int, ms: np.ndarray, sd: tuple
) -> tuple[int, int, int]:
    """Earliest feasible start and end of ``o`` (mode ``i``) appended on machine ``m``,
    and the index of the first pinned operation still after it (the machine's next pin
    once ``o`` is placed). ``ms`` is the machine state (rows ``_FREE`` ...), ``sd`` the
    static side data. Setups pause in windows; the mode's calendar kind says how the
    operation meets them (:mod:`scheduler.calendar`)."""
    (op_family, setup, window_ptr, window_start, window_end, res_ptr, res_op, res_end, fixed,
     mode_calendar, mode_loads) = sd  # fmt: skip
    fam = op_family[o]
    last = ms[_LAST, m]
    lo, hi = ms[_WIN, m], window_ptr[m + 1]
    t = est
    if last >= 0:
        gap = _setup(setup, m, op_family[last], fam)
        t = max(t, setup_done(ms[_FREE, m], gap, lo, hi, window_start, window_end))
    k = ms[_RES, m]
    if d > 0 and lo == hi and k == res_ptr[m + 1]:
        return t, t + d, k  # fast path: nothing left to skip on m
    kind = mode_calendar[i]
    blocks = kind == BLOCK or (d == 0 and kind != FREE)
    while True:
        if blocks:
            t = int(skip_windows(t, d, lo, hi, window_start, window_end))
            e = t + d
        else:
            t, e = place(t, d, kind, mode_loads[i], lo, hi, window_start, window_end)
        # The checker orders equal zero-length operations by index: keep that order.
        if (
            d == 0
            and last >= 0
            and last > o
            and ms[_FREE, m] == t
            and ms[_LAST_START, m] == t
            and k == ms[_RES, m]
        ):
            t += 1
            continue
        if k < res_ptr[m + 1]:
            r = res_op[k]
            sr = fixed[r]
            # before the pin, unless both are zero-length at one instant and the pin has
            # the lower index: the checker then orders the pin first
            tie = d == 0 and t == sr and res_end[k] == sr and r < o
            if not tie and setup_done(e, _setup(setup, m, fam, op_family[r]), lo, hi,
                                      window_start, window_end) <= sr:  # fmt: skip
                return t, e, k
            t = max(est, setup_done(res_end[k], _setup(setup, m, op_family[r], fam), lo, hi,
                                    window_start, window_end))  # fmt: skip
            k += 1
            continue
        return t, e, k


@njit(cache=True)
def _best_of(
    o: int, op_mode_ptr: np.ndarray, mode_machine: np.ndarray, mode_duration: np.ndarray,
    state: np.ndarray, a_of: np.ndarray, ms: np.ndarray, sd: tuple,
) -> tuple[int, int, int, int]:  # fmt: skip
    """The candidate of ``o`` (its job's next operation): mode, start, end and next pin
    of its earliest-completion machine (ties: earlier start, then the first mode)."""
    bi, bs, bc, bk = -1, 0, 0, 0
    for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
        if state[i] != _PENDING and state[i] != _BACKLOG:
            continue
        s, e, k = _earliest_start(o, i, mode_machine[i], mode_duration[i], a_of[i], ms, sd)
        if bi < 0 or e < bc or (e == bc and s < bs):
            bi, bs, bc, bk = i, s, e, k
    return bi, bs, bc, bk


@njit(cache=True)
def _lt(a1: float, a2: float, a3: int, b1: float, b2: float, b3: int) -> bool:
    """``(a1, a2, a3) < (b1, b2, b3)``."""
    if a1 != b1:
        return a1 < b1
    if a2 != b2:
        return a2 < b2
    return a3 < b3


@njit(cache=True)
def _heaps(ptr: np.ndarray) -> tuple:
    """Heaps ``h`` at ``ptr[h]:ptr[h + 1]`` of one flat store: keys (K1, K2, K3) and
    items side by side (no indirection when sifting), offsets and sizes."""
    n = ptr[-1]
    return (np.empty(n, np.float64), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n, np.int64), ptr, np.zeros(ptr.shape[0] - 1, np.int64))  # fmt: skip


@njit(cache=True)
def _less(hp: tuple, x: int, y: int) -> bool:
    """Heap order of slots ``x`` and ``y``: by (K1, K2, K3, item)."""
    k1, k2, k3, it, _, _ = hp
    if k1[x] != k1[y]:
        return k1[x] < k1[y]
    if k2[x] != k2[y]:
        return k2[x] < k2[y]
    if k3[x] != k3[y]:
        return k3[x] < k3[y]
    return it[x] < it[y]


@njit(cache=True)
def _swap(hp: tuple, x: int, y: int) -> None:
    k1, k2, k3, it, _, _ = hp
    k1[x], k1[y] = k1[y], k1[x]
    k2[x], k2[y] = k2[y], k2[x]
    k3[x], k3[y] = k3[y], k3[x]
    it[x], it[y] = it[y], it[x]


@njit(cache=True)
def _push(hp: tuple, h: int, item: int, key1: float, key2: int, key3: int) -> None:
    """Push ``item`` with key (key1, key2, key3) on heap ``h``."""
    k1, k2, k3, it, base, size = hp
    b = base[h]
    k = b + size[h]
    size[h] += 1
    k1[k], k2[k], k3[k], it[k] = key1, key2, key3, item
    while k > b:
        up = b + ((k - b - 1) >> 1)
        if not _less(hp, k, up):
            break
        _swap(hp, k, up)
        k = up


@njit(cache=True)
def _pop(hp: tuple, h: int) -> None:
    """Remove the top of heap ``h``."""
    k1, k2, k3, it, base, size = hp
    b = base[h]
    size[h] -= 1
    n = size[h]
    if n == 0:
        return
    last = b + n
    k1[b], k2[b], k3[b], it[b] = k1[last], k2[last], k3[last], it[last]
    k = b
    while True:
        c = b + 2 * (k - b) + 1
        if c >= last:
            break
        if c + 1 < last and _less(hp, c + 1, c):
            c += 1
        if not _less(hp, c, k):
            break
        _swap(hp, c, k)
        k = c


@njit(cache=True)
def _top(hp: tuple, h: int) -> int:
    """The item on top of heap ``h`` (``-1`` when it is empty)."""
    return hp[3][hp[4][h]] if hp[5][h] > 0 else -1


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
def _priority(rule: int, d: int, work: int, ops: int, due: int, ready: int) -> float:
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
    return -float(ready)  # fifo


@njit(cache=True)
def _csr(keys: np.ndarray, n: int) -> np.ndarray:
    """Offsets of ``n`` buckets holding ``keys`` (a count per bucket, cumulated)."""
    ptr = np.zeros(n + 1, np.int64)
    for k in keys:
        ptr[k + 1] += 1
    return np.cumsum(ptr)


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
    mode_calendar: np.ndarray,
    mode_loads: np.ndarray,
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
    n_modes = mode_machine.shape[0]
    has_transport = transport.shape[0] > 0
    n_setup_fam = setup.shape[1] if setup.shape[0] > 0 else 1
    # Backlog buckets per machine x setup family x calendar kind: within one bucket a
    # longer mode never completes earlier (kinds differ in how they meet windows).
    n_kind = 5 if window_start.shape[0] > 0 and np.any(mode_calendar != BLOCK) else 1
    n_fam = n_setup_fam * n_kind
    work_left, ops_left = _static_priorities(job_op_ptr, op_mode_ptr, mode_duration)
    pin_dur, res_ptr, res_op, _ = _pinned(
        op_mode_ptr, mode_machine, mode_duration, pin_machine, fixed_start, n_mach
    )
    # a pinned operation's end: a RESUME one spans the windows it meets
    pin_end = np.where(fixed_start >= 0, fixed_start + pin_dur, -1)
    for o in range(n_ops):
        if fixed_start[o] < 0 or pin_dur[o] <= 0:
            continue
        for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
            m = mode_machine[i]
            if m == pin_machine[o] and mode_calendar[i] in (RESUME, LOADS):
                pin_end[o] = place(fixed_start[o], pin_dur[o], mode_calendar[i], mode_loads[i],
                                   window_ptr[m], window_ptr[m + 1], window_start,
                                   window_end)[1]  # fmt: skip
    res_end = pin_end[res_op]
    sd = (op_family, setup, window_ptr, window_start, window_end, res_ptr, res_op, res_end,
          fixed_start, mode_calendar, mode_loads)  # fmt: skip
    ms = np.zeros((5, n_mach), np.int64)
    ms[_LAST, :] = -1
    ms[_WIN, :] = window_ptr[:n_mach]
    ms[_RES, :] = res_ptr[:n_mach]

    # Per mode: operation, job, backlog bucket (machine x setup family), keys.
    mode_op = np.empty(n_modes, np.int64)
    job_of = np.empty(n_modes, np.int64)
    bucket = np.empty(n_modes, np.int64)
    for j in range(n_jobs):
        for o in range(job_op_ptr[j], job_op_ptr[j + 1]):
            for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                mode_op[i] = o
                job_of[i] = j
                fam_i = op_family[o] if n_setup_fam > 1 else 0
                kind_i = mode_calendar[i] if n_kind > 1 else 0
                bucket[i] = mode_machine[i] * n_fam + fam_i * n_kind + kind_i
    tie = np.zeros(n_modes, np.int64)  # ect: most work remaining first
    if rule == RULE_ECT:
        tie[:] = -work_left[mode_op]
    neg_pri = np.zeros(n_modes, np.float64)
    a_of = np.zeros(n_modes, np.int64)  # earliest start: job ready + transport
    state = np.zeros(n_modes, np.int8)

    # Backlog heaps per bucket: by completion (bkc) and by priority (bkp); pending
    # heaps per machine: by ready time (pd) and by a bound of the completion (pdc);
    # zero-length backlog modes in a plain list per machine (zl).
    bk_ptr = _csr(bucket[mode_duration > 0], n_mach * n_fam)
    bkc = _heaps(bk_ptr)
    bkp = _heaps(bk_ptr if rule != RULE_ECT else np.zeros(n_mach * n_fam + 1, np.int64))
    pd = _heaps(_csr(mode_machine, n_mach))
    pdc = _heaps(_csr(mode_machine, n_mach))
    # Parked backlog modes (see the pick below), per machine pair: capacity counted.
    parking = rule != RULE_ECT and setup.shape[0] == 0 and n_mach <= PARK_MAX_MACHINES
    pair_ptr = np.zeros(n_mach * n_mach + 1 if parking else 1, np.int64)
    if parking:
        for o in range(n_ops):
            for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                for i2 in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                    if i2 != i and mode_duration[i] > 0:
                        pair_ptr[mode_machine[i] * n_mach + mode_machine[i2] + 1] += 1
    park = _heaps(np.cumsum(pair_ptr))
    zl_base = _csr(mode_machine[mode_duration == 0], n_mach)
    zl = np.empty(n_modes, np.int64)
    zl_n = np.zeros(n_mach, np.int64)
    zl_pos = np.full(n_modes, -1, np.int64)
    aside = np.empty(n_modes, np.int64)  # scratch: items popped and pushed back
    moved = np.empty(n_modes, np.int64)  # scratch: modes looked at outside the heaps

    machine = np.full(n_ops, -1, np.int64)
    start = np.zeros(n_ops, np.int64)
    end = np.zeros(n_ops, np.int64)
    next_op = job_op_ptr[:n_jobs].copy()
    ready = release.copy()  # job ready time, before transport
    fresh = np.arange(n_jobs)  # jobs whose next operation enters the heaps
    n_fresh = n_jobs
    conflicts = 0
    done = 0

    while True:
        # Place pinned starts at the head of fresh jobs, then file their next operation.
        for idx in range(n_fresh):
            j = fresh[idx]
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
                end[o] = pin_end[o]
                ready[j] = end[o]
                next_op[j] += 1
                done += 1
            o = next_op[j]
            if o >= job_op_ptr[j + 1]:
                continue
            prev_m = machine[o - 1] if o > job_op_ptr[j] else -1
            draw = uniform(rng_state) if rule == RULE_RANDOM else 0.0
            for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
                m = mode_machine[i]
                if pin_machine[o] >= 0 and m != pin_machine[o]:
                    state[i] = _DONE
                    continue
                d = mode_duration[i]
                est = ready[j]
                if has_transport and prev_m >= 0:
                    est += transport[prev_m, m]
                a_of[i] = est
                if rule == RULE_RANDOM:
                    neg_pri[i] = -draw
                elif rule != RULE_ECT:
                    pri = _priority(rule, d, work_left[o], ops_left[o], due[j], ready[j])
                    neg_pri[i] = -pri
                if est <= ms[_FREE, m]:
                    _enter_backlog(i, state, mode_duration, bucket, mode_machine, tie, neg_pri,
                                   job_of, bkc, bkp, rule, zl_base, zl, zl_n, zl_pos)  # fmt: skip
                else:
                    state[i] = _PENDING
                    _push(pd, m, i, float(est), tie[i], j)
                    _push(pdc, m, i, float(est + d), tie[i], j)
        n_fresh = 0
        if done == n_ops:
            break

        # The earliest completion over all (job, machine) pairs: C*, its job (first).
        best_c, best_t, first = 0, 0, -1
        for m in range(n_mach):
            for h in range(m * n_fam, (m + 1) * n_fam):
                i = _top(bkc, h)
                while i >= 0 and state[i] != _BACKLOG:
                    _pop(bkc, h)
                    i = _top(bkc, h)
                if i >= 0:
                    _, c, _ = _earliest_start(mode_op[i], i, m, mode_duration[i], a_of[i], ms,
                                              sd)  # fmt: skip
                    if first < 0 or _lt(c, tie[i], job_of[i], best_c, best_t, first):
                        best_c, best_t, first = c, tie[i], job_of[i]
            for idx in range(zl_base[m], zl_base[m] + zl_n[m]):
                i = zl[idx]
                c, _, _ = _earliest_start(mode_op[i], i, m, 0, a_of[i], ms, sd)
                if first < 0 or _lt(c, tie[i], job_of[i], best_c, best_t, first):
                    best_c, best_t, first = c, tie[i], job_of[i]
            n_aside = 0
            while pdc[5][m] > 0:
                slot = pdc[4][m]
                i = pdc[3][slot]
                if state[i] != _PENDING:
                    _pop(pdc, m)
                    continue
                if first >= 0 and not _lt(pdc[0][slot], tie[i], job_of[i], best_c, best_t, first):
                    break  # a lower bound of every completion left in the heap
                _pop(pdc, m)
                aside[n_aside] = i
                n_aside += 1
                _, c, _ = _earliest_start(mode_op[i], i, m, mode_duration[i], a_of[i], ms, sd)
                if first < 0 or _lt(c, tie[i], job_of[i], best_c, best_t, first):
                    best_c, best_t, first = c, tie[i], job_of[i]
            for idx in range(n_aside):
                i = aside[idx]
                _push(pdc, m, i, float(a_of[i] + mode_duration[i]), tie[i], job_of[i])

        f_i, f_s, f_c, f_k = _best_of(next_op[first], op_mode_ptr, mode_machine, mode_duration,
                                      state, a_of, ms, sd)  # fmt: skip
        m_star = mode_machine[f_i]
        pick, p_i, p_s, p_c, p_k = first, f_i, f_s, f_c, f_k
        n_moved = 0
        if rule != RULE_ECT:
            # The conflict set on m*: jobs whose best machine is m* that start before C*.
            last = ms[_LAST, m_star]
            for h in range(m_star * n_fam, (m_star + 1) * n_fam):
                s_low = ms[_FREE, m_star]  # no backlog mode of this family starts earlier
                if last >= 0 and n_setup_fam > 1:
                    fam_h = (h - m_star * n_fam) // n_kind
                    s_low += _setup(setup, m_star, op_family[last], fam_h)
                if s_low >= best_c:
                    continue
                n_aside = 0
                while True:
                    i = _top(bkp, h)
                    if i < 0:
                        break
                    if state[i] != _BACKLOG:
                        _pop(bkp, h)
                        continue
                    j = job_of[i]
                    bi, bs, bc, bk = _best_of(next_op[j], op_mode_ptr, mode_machine,
                                              mode_duration, state, a_of, ms, sd)  # fmt: skip
                    if mode_machine[bi] == m_star and (bs < best_c or j == first):
                        if _lt(neg_pri[i], bc, j, neg_pri[p_i], p_c, pick):
                            pick, p_i, p_s, p_c, p_k = j, bi, bs, bc, bk
                        break  # the best conflict member of this family
                    _pop(bkp, h)
                    m2 = mode_machine[bi]
                    if (
                        park[4][-1] > 0
                        and m2 != m_star
                        and state[bi] == _BACKLOG
                        and mode_duration[bi] > 0
                        and ms[_WIN, m2] == window_ptr[m2 + 1]
                        and ms[_RES, m2] == res_ptr[m2 + 1]
                    ):
                        # j ends at F(m2) + d2 on m2 (no setup, window or pin left
                        # there) and at F(m*) + d or later on m*: m* cannot be its
                        # best machine before F(m2) - F(m*) >= d - d2. Park it until
                        # then instead of looking at it at every step on m*.
                        gap = mode_duration[i] - mode_duration[bi]
                        _push(park, m_star * n_mach + m2, i, float(gap), 0, j)
                        continue
                    aside[n_aside] = i
                    n_aside += 1
                for idx in range(n_aside):
                    i = aside[idx]
                    _push(bkp, h, i, neg_pri[i], mode_duration[i], job_of[i])
            # Zero-length backlog modes, and pending ones that are ready before C*
            # (they enter the backlog once the pick is placed: F then reaches C*).
            for idx in range(zl_base[m_star], zl_base[m_star] + zl_n[m_star]):
                moved[n_moved] = zl[idx]
                n_moved += 1
            while True:
                i = _top(pd, m_star)
                if i < 0 or (state[i] == _PENDING and a_of[i] >= best_c):
                    break
                _pop(pd, m_star)
                if state[i] == _PENDING:
                    moved[n_moved] = i
                    n_moved += 1
            for idx in range(n_moved):
                i = moved[idx]
                j = job_of[i]
                bi, bs, bc, bk = _best_of(next_op[j], op_mode_ptr, mode_machine, mode_duration,
                                          state, a_of, ms, sd)  # fmt: skip
                if mode_machine[bi] != m_star or not (bs < best_c or j == first):
                    continue
                if _lt(neg_pri[i], bc, j, neg_pri[p_i], p_c, pick):
                    pick, p_i, p_s, p_c, p_k = j, bi, bs, bc, bk

        # Place the pick on m*.
        o = next_op[pick]
        machine[o] = m_star
        start[o] = p_s
        end[o] = p_c
        ms[_FREE, m_star] = p_c
        ms[_LAST, m_star] = o
        ms[_LAST_START, m_star] = p_s
        ms[_RES, m_star] = p_k
        while ms[_WIN, m_star] < window_ptr[m_star + 1] and window_end[ms[_WIN, m_star]] <= p_c:
            ms[_WIN, m_star] += 1
        ready[pick] = p_c
        next_op[pick] += 1
        done += 1
        for i in range(op_mode_ptr[o], op_mode_ptr[o + 1]):
            if zl_pos[i] >= 0:
                m = mode_machine[i]
                last_i = zl[zl_base[m] + zl_n[m] - 1]
                zl[zl_pos[i]] = last_i
                zl_pos[last_i] = zl_pos[i]
                zl_n[m] -= 1
                zl_pos[i] = -1
            state[i] = _DONE
        # Parked modes whose better machine is m* wake once m* is far enough ahead.
        if park[4][-1] > 0:
            for m1 in range(n_mach):
                h = m1 * n_mach + m_star
                lead = p_c - ms[_FREE, m1]
                while True:
                    i = _top(park, h)
                    if i < 0 or (state[i] == _BACKLOG and park[0][park[4][h]] > lead):
                        break
                    _pop(park, h)
                    if state[i] == _BACKLOG:
                        _push(bkp, bucket[i], i, neg_pri[i], mode_duration[i], job_of[i])
        # Pending modes on m* ready by its new free time enter the backlog.
        for idx in range(n_moved):
            i = moved[idx]
            if state[i] == _PENDING:
                _enter_backlog(i, state, mode_duration, bucket, mode_machine, tie, neg_pri,
                               job_of, bkc, bkp, rule, zl_base, zl, zl_n, zl_pos)  # fmt: skip
        while True:
            i = _top(pd, m_star)
            if i < 0 or (state[i] == _PENDING and a_of[i] > p_c):
                break
            _pop(pd, m_star)
            if state[i] == _PENDING:
                _enter_backlog(i, state, mode_duration, bucket, mode_machine, tie, neg_pri,
                               job_of, bkc, bkp, rule, zl_base, zl, zl_n, zl_pos)  # fmt: skip
        fresh[0] = pick
        n_fresh = 1
    return machine, start, end, conflicts


@njit(cache=True)
def _enter_backlog(
    i: int, state: np.ndarray, mode_duration: np.ndarray, bucket: np.ndarray,
    mode_machine: np.ndarray, tie: np.ndarray, neg_pri: np.ndarray, job_of: np.ndarray,
    bkc: tuple, bkp: tuple, rule: int, zl_base: np.ndarray, zl: np.ndarray,
    zl_n: np.ndarray, zl_pos: np.ndarray,
) -> None:  # fmt: skip
    """File mode ``i`` in its machine's backlog (heaps, or the zero-length list)."""
    state[i] = _BACKLOG
    d = mode_duration[i]
    if d == 0:
        m = mode_machine[i]
        zl_pos[i] = zl_base[m] + zl_n[m]
        zl[zl_pos[i]] = i
        zl_n[m] += 1
        return
    _push(bkc, bucket[i], i, float(d), tie[i], job_of[i])
    if rule != RULE_ECT:
        _push(bkp, bucket[i], i, neg_pri[i], d, job_of[i])
