"""Tabu search for the flexible job shop on the disjunctive graph, in one numba call.

Every move re-inserts one critical operation ``v``: on its own machine at a block
boundary (N7: an inner operation to the front or back of its block, the first or last
one into the block) or, Mastrolilli & Gambardella style, on another eligible machine at
any position of the interval that provably keeps the graph acyclic. Candidates are
scored in O(1) (other machines: the longest path through ``v``) or O(segment) (own
machine: heads and tails recomputed along the shifted segment); the chosen move is
applied and evaluated exactly (heads and tails in O(n)). Tabu attributes are machine
arcs ("x before y") and (operation, machine) pairs in a small hash table with random
tenure in [L, 1.4 L]; a tabu move is taken when its exact makespan beats the best
(aspiration). After ``stall`` idle iterations the search restarts from the best
solution with a few random moves (a kick).

The caller iterates in chunks (``iters`` per call) and keeps the clock; all state
lives in the arrays passed in, so a chunked run equals an uninterrupted one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scheduler.kernels.graph import critical_blocks, critical_path, heads_tails
from scheduler.kernels.rng import rand_below
from scheduler.problem import IntArray

__all__ = [
    "STATE_SIZE",
    "S_BEST",
    "S_CUR",
    "S_ITER",
    "S_LAST",
    "WORK_PER_OP",
    "apply_move",
    "estimate_insert",
    "estimate_shift",
    "tabu_run",
]

# indices into the int64 state vector carried between chunks
S_ITER, S_LAST, S_CUR, S_BEST, S_MOVES, S_KICKS = 0, 1, 2, 3, 4, 5
# parameters: tenure base L, stall limit, kick size, max shift distance, moves scored exactly
P_TENURE, P_STALL, P_KICK, P_SPAN, P_TOPK = 0, 1, 2, 3, 4
STATE_SIZE = 8
WORK_PER_OP = 10
PROBES = 4


@njit(cache=True, nogil=True, inline="always")
def _slot(key: int, size: int) -> int:
    """Hash slot of ``key`` in a power-of-two table (int64 wrap-around is fine)."""
    return ((key * 0x9E3779B1) >> 16) & (size - 1)


@njit(cache=True, nogil=True)
def _is_tabu(tkey: IntArray, texp: IntArray, key: int, it: int) -> bool:
    size = tkey.shape[0]
    s = _slot(key, size)
    for i in range(PROBES):
        j = (s + i) & (size - 1)
        if tkey[j] == key and texp[j] > it:
            return True
    return False


@njit(cache=True, nogil=True)
def _set_tabu(tkey: IntArray, texp: IntArray, key: int, until: int, it: int) -> None:
    size = tkey.shape[0]
    s = _slot(key, size)
    pick = s
    for i in range(PROBES):
        j = (s + i) & (size - 1)
        if tkey[j] == key or texp[j] <= it:
            pick = j
            break
    tkey[pick] = key
    texp[pick] = until


@njit(cache=True, nogil=True, inline="always")
def _arc(x: int, y: int, n: int) -> int:
    return x * n + y


@njit(cache=True, nogil=True, inline="always")
def _assign(v: int, k: int, n: int, m: int) -> int:
    return n * n + v * m + k


@njit(cache=True, nogil=True)
def apply_move(
    v: int,
    new_mode: int,
    b: int,
    mode: IntArray,
    mach: IntArray,
    p: IntArray,
    mode_machine: IntArray,
    mode_duration: IntArray,
    seq: IntArray,
    mach_ptr: IntArray,
    mlen: IntArray,
    pos: IntArray,
) -> None:
    """Remove ``v`` from its machine and insert it with ``new_mode`` at index ``b`` of
    the target machine's sequence (indices counted without ``v``)."""
    k0 = mach[v]
    base0 = mach_ptr[k0]
    for i in range(pos[v], mlen[k0] - 1):
        x = seq[base0 + i + 1]
        seq[base0 + i] = x
        pos[x] = i
    mlen[k0] -= 1
    k = mode_machine[new_mode]
    base = mach_ptr[k]
    for i in range(mlen[k], b, -1):
        x = seq[base + i - 1]
        seq[base + i] = x
        pos[x] = i
    seq[base + b] = v
    pos[v] = b
    mlen[k] += 1
    mode[v] = new_mode
    mach[v] = k
    p[v] = mode_duration[new_mode]


@njit(cache=True, nogil=True)
def estimate_insert(
    v: int,
    pk: int,
    u: int,
    w: int,
    head_job: int,
    tail_job: int,
    r: IntArray,
    q: IntArray,
    p: IntArray,
) -> int:
    """Longest path through ``v`` (duration ``pk``) placed between ``u`` and ``w``
    (-1 = none), given its job-side head and tail: exact when it exceeds the rest."""
    head = head_job
    if u >= 0:
        head = max(head, r[u] + p[u])
    tail = tail_job
    if w >= 0:
        tail = max(tail, p[w] + q[w])
    return head + pk + tail


@njit(cache=True, nogil=True)
def _job_head(v: int, op_job: IntArray, release: IntArray, r: IntArray, p: IntArray) -> int:
    h = release[op_job[v]]
    if v > 0 and op_job[v - 1] == op_job[v]:
        h = max(h, r[v - 1] + p[v - 1])
    return h


@njit(cache=True, nogil=True)
def _job_tail(v: int, op_job: IntArray, q: IntArray, p: IntArray) -> int:
    n = op_job.shape[0]
    if v + 1 < n and op_job[v + 1] == op_job[v]:
        return p[v + 1] + q[v + 1]
    return 0


@njit(cache=True, nogil=True)
def estimate_shift(
    v: int,
    a: int,
    b: int,
    base: int,
    length: int,
    seq: IntArray,
    op_job: IntArray,
    release: IntArray,
    r: IntArray,
    q: IntArray,
    p: IntArray,
    buf: IntArray,
) -> int:
    """Makespan estimate of moving ``v`` from index ``a`` to ``b`` on its own machine:
    heads left to right and tails right to left along the reordered segment."""
    lo = min(a, b)
    hi = max(a, b)
    cnt = hi - lo + 1
    # new order of the segment into buf[0:cnt]
    if b > a:
        for i in range(cnt - 1):
            buf[i] = seq[base + a + 1 + i]
        buf[cnt - 1] = v
    else:
        buf[0] = v
        for i in range(1, cnt):
            buf[i] = seq[base + b + i - 1]
    heads = buf[cnt : 2 * cnt]
    prev_end = -1
    if lo > 0:
        x = seq[base + lo - 1]
        prev_end = r[x] + p[x]
    for i in range(cnt):
        x = buf[i]
        h = max(_job_head(x, op_job, release, r, p), prev_end)
        heads[i] = h
        prev_end = h + p[x]
    best = 0
    next_tail = -1
    if hi + 1 < length:
        x = seq[base + hi + 1]
        next_tail = p[x] + q[x]
    for i in range(cnt - 1, -1, -1):
        x = buf[i]
        t = max(_job_tail(x, op_job, q, p), next_tail)
        best = max(best, heads[i] + p[x] + t)
        next_tail = p[x] + t
    return best


@njit(cache=True, nogil=True)
def _consider(
    pick: IntArray, est: int, tabu: bool, v: int, mi: int, b: int, rng: np.ndarray
) -> None:
    """Keep the best non-tabu (slots 0-3) and best tabu (4-7) candidates, ties at random,
    a uniformly drawn candidate (8-10) when slot 11 (the count) is tracked (>= 0), and
    the ``pick[15]`` best non-tabu ones sorted by estimate from slot 16 (count in 14)."""
    off = 4 if tabu else 0
    if pick[off + 1] < 0 or est < pick[off]:
        pick[off], pick[off + 1], pick[off + 2], pick[off + 3] = est, v, mi, b
        pick[12 + off // 4] = 1
    elif est == pick[off]:
        pick[12 + off // 4] += 1
        if rand_below(rng, pick[12 + off // 4]) == 0:
            pick[off + 1], pick[off + 2], pick[off + 3] = v, mi, b
    if not tabu and pick[15] > 1:  # keep the K best non-tabu moves for exact scoring
        cnt = pick[14]
        last = 16 + 4 * (cnt - 1)
        if cnt < pick[15] or est < pick[last]:
            j = min(cnt, pick[15] - 1)
            while j > 0 and pick[16 + 4 * (j - 1)] > est:
                for f in range(4):
                    pick[16 + 4 * j + f] = pick[16 + 4 * (j - 1) + f]
                j -= 1
            pick[16 + 4 * j], pick[17 + 4 * j], pick[18 + 4 * j], pick[19 + 4 * j] = est, v, mi, b
            pick[14] = min(cnt + 1, pick[15])
    if pick[11] >= 0:
        pick[11] += 1
        if rand_below(rng, pick[11]) == 0:
            pick[8], pick[9], pick[10] = v, mi, b


@njit(cache=True, nogil=True)
def _scan(
    op_job: IntArray,
    release: IntArray,
    mode_lo: IntArray,
    mode_hi: IntArray,
    mode_machine: IntArray,
    mode_duration: IntArray,
    mach_ptr: IntArray,
    mode: IntArray,
    mach: IntArray,
    p: IntArray,
    seq: IntArray,
    mlen: IntArray,
    pos: IntArray,
    r: IntArray,
    q: IntArray,
    path: IntArray,
    blo: IntArray,
    bhi: IntArray,
    nb: int,
    buf: IntArray,
    tkey: IntArray,
    texp: IntArray,
    it: int,
    span: int,
    pick: IntArray,
    rng: np.ndarray,
) -> None:
    """Score every move of every critical operation into ``pick`` (see ``_consider``)."""
    n = op_job.shape[0]
    m = mlen.shape[0]
    for s in range(nb):
        first = pos[path[blo[s]]]
        last = pos[path[bhi[s] - 1]]
        for idx in range(blo[s], bhi[s]):
            v = path[idx]
            k0 = mach[v]
            a = pos[v]
            base0 = mach_ptr[k0]
            hj = _job_head(v, op_job, release, r, p)
            tj = _job_tail(v, op_job, q, p)
            jp_end = r[v - 1] + p[v - 1] if v > 0 and op_job[v - 1] == op_job[v] else 0
            # own machine: N7 shifts within the critical block
            if last > first:
                lo_b, hi_b = first, last
                if first < a < last:
                    lo_b, hi_b = first, last
                elif a == first:
                    lo_b, hi_b = first + 1, min(last, first + span)
                else:
                    lo_b, hi_b = max(first, last - span), last - 1
                for b in range(lo_b, hi_b + 1):
                    if b == a or (first < a < last and b != first and b != last):
                        continue
                    x = seq[base0 + b]
                    if b > a and q[x] + p[x] < tj:
                        continue
                    if b < a and r[x] + p[x] < jp_end:
                        continue
                    tabu = False
                    for c in range(min(a, b), max(a, b) + 1):
                        y = seq[base0 + c]
                        if y != v:
                            key = _arc(y, v, n) if b > a else _arc(v, y, n)
                            if _is_tabu(tkey, texp, key, it):
                                tabu = True
                                break
                    est = estimate_shift(
                        v, a, b, base0, mlen[k0], seq, op_job, release, r, q, p, buf
                    )
                    _consider(pick, est, tabu, v, mode[v], b, rng)
            # other machines: every position of the acyclic interval
            rv, pv, qv = r[v], p[v], q[v]
            for mi in range(mode_lo[v], mode_hi[v]):
                k = mode_machine[mi]
                if k == k0:
                    continue
                base = mach_ptr[k]
                length = mlen[k]
                lo, hi = 0, length  # i_max: first x that may not precede v
                while lo < hi:
                    mid = (lo + hi) // 2
                    x = seq[base + mid]
                    if r[x] < rv + pv or p[x] + q[x] > qv:
                        lo = mid + 1
                    else:
                        hi = mid
                i_max = lo
                lo, hi = 0, length  # i_min: first x from which all may follow v
                while lo < hi:
                    mid = (lo + hi) // 2
                    x = seq[base + mid]
                    if r[x] + p[x] > rv or q[x] < pv + qv:
                        hi = mid
                    else:
                        lo = mid + 1
                i_min = lo
                assign_tabu = _is_tabu(tkey, texp, _assign(v, k, n, m), it)
                pk = mode_duration[mi]
                for i in range(i_min, min(i_max, i_min + 2 * span) + 1):
                    u = seq[base + i - 1] if i > 0 else -1
                    w = seq[base + i] if i < length else -1
                    tabu = assign_tabu
                    if not tabu and u >= 0:
                        tabu = _is_tabu(tkey, texp, _arc(u, v, n), it)
                    if not tabu and w >= 0:
                        tabu = _is_tabu(tkey, texp, _arc(v, w, n), it)
                    est = estimate_insert(v, pk, u, w, hj, tj, r, q, p)
                    _consider(pick, est, tabu, v, mi, i, rng)


@njit(cache=True, nogil=True)
def _mark(
    v: int,
    mi: int,
    b: int,
    mode_machine: IntArray,
    mach: IntArray,
    seq: IntArray,
    mach_ptr: IntArray,
    mlen: IntArray,
    pos: IntArray,
    tkey: IntArray,
    texp: IntArray,
    it: int,
    until: int,
) -> None:
    """Forbid undoing the move of ``v`` to (mode ``mi``, index ``b``) until ``until``."""
    n = pos.shape[0]
    k0 = mach[v]
    base0 = mach_ptr[k0]
    a = pos[v]
    if mode_machine[mi] == k0:
        for c in range(min(a, b), max(a, b) + 1):
            y = seq[base0 + c]
            if y != v:
                key = _arc(v, y, n) if b > a else _arc(y, v, n)
                _set_tabu(tkey, texp, key, until, it)
        return
    if a > 0:
        _set_tabu(tkey, texp, _arc(seq[base0 + a - 1], v, n), until, it)
    if a + 1 < mlen[k0]:
        _set_tabu(tkey, texp, _arc(v, seq[base0 + a + 1], n), until, it)
    _set_tabu(tkey, texp, _assign(v, k0, n, mlen.shape[0]), until, it)


@njit(cache=True, nogil=True)
def _exact_best(
    pick: IntArray,
    mode: IntArray,
    mach: IntArray,
    p: IntArray,
    mode_machine: IntArray,
    mode_duration: IntArray,
    seq: IntArray,
    mach_ptr: IntArray,
    mlen: IntArray,
    pos: IntArray,
    gargs: tuple,
    rng: np.ndarray,
) -> int:
    """Index (in the top-K list) of the move with the best exact makespan, ties at
    random; each move is applied, evaluated in O(n) and undone."""
    chosen, best, ties = 0, -1, 0
    for s in range(pick[14]):
        v, mi, b = pick[17 + 4 * s], pick[18 + 4 * s], pick[19 + 4 * s]
        old_mode, old_b = mode[v], pos[v]
        apply_move(v, mi, b, mode, mach, p, mode_machine, mode_duration, seq, mach_ptr, mlen, pos)
        value = heads_tails(*gargs)
        apply_move(
            v, old_mode, old_b, mode, mach, p, mode_machine, mode_duration, seq, mach_ptr,
            mlen, pos,
        )  # fmt: skip
        if value < 0:
            continue
        if best < 0 or value < best:
            chosen, best, ties = s, value, 1
        elif value == best:
            ties += 1
            if rand_below(rng, ties) == 0:
                chosen = s
    return chosen


@njit(cache=True, nogil=True)
def _load(
    src_mode: IntArray,
    src_seq: IntArray,
    src_mlen: IntArray,
    mode: IntArray,
    mach: IntArray,
    p: IntArray,
    seq: IntArray,
    mlen: IntArray,
    pos: IntArray,
    mode_machine: IntArray,
    mode_duration: IntArray,
    mach_ptr: IntArray,
) -> None:
    """Copy a stored solution (modes + sequences) into the working arrays."""
    for v in range(mode.shape[0]):
        mode[v] = src_mode[v]
        mach[v] = mode_machine[src_mode[v]]
        p[v] = mode_duration[src_mode[v]]
    for k in range(mlen.shape[0]):
        mlen[k] = src_mlen[k]
        for i in range(src_mlen[k]):
            seq[mach_ptr[k] + i] = src_seq[mach_ptr[k] + i]
            pos[src_seq[mach_ptr[k] + i]] = i


@njit(cache=True, nogil=True)
def tabu_run(
    op_job: IntArray,
    release: IntArray,
    mode_lo: IntArray,
    mode_hi: IntArray,
    mode_machine: IntArray,
    mode_duration: IntArray,
    mach_ptr: IntArray,
    mode: IntArray,
    mach: IntArray,
    p: IntArray,
    seq: IntArray,
    mlen: IntArray,
    pos: IntArray,
    best_mode: IntArray,
    best_seq: IntArray,
    best_mlen: IntArray,
    work: IntArray,
    tkey: IntArray,
    texp: IntArray,
    params: IntArray,
    state: IntArray,
    rng: np.ndarray,
    iters: int,
    target: int,
) -> int:
    """Run ``iters`` tabu iterations from the current solution; return the best makespan.

    ``work`` is int64 scratch of length >= ``WORK_PER_OP * n + 4``. The current
    solution must be acyclic; ``state[S_BEST]`` < 0 makes it the best. The loop stops
    early once the best reaches ``target`` (a lower bound).
    """
    n = op_job.shape[0]
    r = work[:n]
    q = work[n : 2 * n]
    order = work[2 * n : 3 * n]
    indeg = work[3 * n : 4 * n]
    path = work[4 * n : 5 * n]
    via = work[5 * n : 6 * n]
    blo = work[6 * n : 7 * n]
    bhi = work[7 * n : 8 * n]
    buf = work[8 * n :]
    pick = np.empty(16 + 4 * max(1, params[P_TOPK]), np.int64)
    tenure, stall, kick, span = params[P_TENURE], params[P_STALL], params[P_KICK], params[P_SPAN]
    gargs = (op_job, release, p, mach, seq, mach_ptr, mlen, pos, r, q, order, indeg)
    cur = heads_tails(*gargs)
    if state[S_BEST] < 0 or cur < state[S_BEST]:
        state[S_BEST] = cur
        state[S_LAST] = state[S_ITER]
        best_mode[:] = mode
        best_seq[:] = seq
        best_mlen[:] = mlen
    for _ in range(iters):
        if state[S_BEST] <= target:
            break
        it = state[S_ITER]
        state[S_ITER] = it + 1
        kicking = it - state[S_LAST] > stall
        if kicking:
            _load(
                best_mode,
                best_seq,
                best_mlen,
                mode,
                mach,
                p,
                seq,
                mlen,
                pos,
                mode_machine,
                mode_duration,
                mach_ptr,
            )
            cur = heads_tails(*gargs)
            state[S_LAST] = it
            state[S_KICKS] += 1
        steps = kick + rand_below(rng, kick + 1) if kicking else 1
        for _step in range(steps):
            random_step = kicking
            length = critical_path(op_job, p, mach, seq, mach_ptr, pos, r, cur, path, via, rng)
            nb = critical_blocks(via, length, blo, bhi)
            pick[:] = -1
            pick[11] = 0 if random_step else -1
            pick[12] = 0
            pick[13] = 0
            pick[14] = 0
            pick[15] = 0 if random_step else params[P_TOPK]
            _scan(
                op_job,
                release,
                mode_lo,
                mode_hi,
                mode_machine,
                mode_duration,
                mach_ptr,
                mode,
                mach,
                p,
                seq,
                mlen,
                pos,
                r,
                q,
                path,
                blo,
                bhi,
                nb,
                buf,
                tkey,
                texp,
                it,
                span,
                pick,
                rng,
            )
            until = it + tenure + rand_below(rng, tenure * 2 // 5 + 1)
            if random_step:
                if pick[8] < 0:
                    break
                v, mi, b = pick[8], pick[9], pick[10]
            elif pick[5] >= 0 and pick[4] < state[S_BEST] and (pick[1] < 0 or pick[4] < pick[0]):
                v, mi, b = pick[5], pick[6], pick[7]  # aspiration candidate, checked exactly
                old_mode, old_b = mode[v], pos[v]
                apply_move(
                    v, mi, b, mode, mach, p, mode_machine, mode_duration, seq, mach_ptr, mlen, pos
                )
                trial = heads_tails(*gargs)
                apply_move(
                    v,
                    old_mode,
                    old_b,
                    mode,
                    mach,
                    p,
                    mode_machine,
                    mode_duration,
                    seq,
                    mach_ptr,
                    mlen,
                    pos,
                )
                if not (0 <= trial < state[S_BEST]):
                    if pick[1] >= 0:
                        v, mi, b = pick[1], pick[2], pick[3]
                    else:
                        v = -1
            elif pick[14] > 1:
                c = _exact_best(pick, mode, mach, p, mode_machine, mode_duration, seq,
                                mach_ptr, mlen, pos, gargs, rng)  # fmt: skip
                v, mi, b = pick[17 + 4 * c], pick[18 + 4 * c], pick[19 + 4 * c]
            elif pick[1] >= 0:
                v, mi, b = pick[1], pick[2], pick[3]
            elif pick[5] >= 0:
                v, mi, b = pick[5], pick[6], pick[7]
            else:
                v = -1
            if v < 0:  # no move at all: force a kick next iteration
                state[S_LAST] = it - stall - 1
                break
            old_mode, old_b = mode[v], pos[v]
            _mark(v, mi, b, mode_machine, mach, seq, mach_ptr, mlen, pos, tkey, texp, it, until)
            apply_move(
                v, mi, b, mode, mach, p, mode_machine, mode_duration, seq, mach_ptr, mlen, pos
            )
            new = heads_tails(*gargs)
            if new < 0:  # safety net: the interval tests should make this impossible
                apply_move(
                    v,
                    old_mode,
                    old_b,
                    mode,
                    mach,
                    p,
                    mode_machine,
                    mode_duration,
                    seq,
                    mach_ptr,
                    mlen,
                    pos,
                )
                new = heads_tails(*gargs)
            cur = new
            state[S_MOVES] += 1
        state[S_CUR] = cur
        if cur < state[S_BEST]:
            state[S_BEST] = cur
            state[S_LAST] = it
            best_mode[:] = mode
            best_seq[:] = seq
            best_mlen[:] = mlen
    return state[S_BEST]
