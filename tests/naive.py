"""Slow, obvious Python twins of the numba kernels (the reference in kernel tests).

They use lists and dicts and recompute everything from scratch, sharing no code with
``scheduler.kernels``; a kernel is right when it returns the same arrays.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from scheduler import calendar
from scheduler.problem import ProblemData

INF = 2**62


def _job_of(data: ProblemData) -> list[int]:
    return [int(j) for j in data.op_job]


def _windows_clear(data: ProblemData, k: int, t: int, p: int) -> int:
    """Earliest t' >= t where [t', t' + max(p, 1)) meets no window of machine k."""
    moved = True
    while moved:
        moved = False
        for a, b in data.windows(k):
            if t < b and t + max(p, 1) > a:
                t = b
                moved = True
    return t


def _setup(data: ProblemData, k: int, a: int, b: int) -> int:
    return int(data.setup[k, data.op_family[a], data.op_family[b]]) if data.has_setups else 0


def decode(
    data: ProblemData, os_seq: list[int], ms: list[int], active: bool
) -> tuple[list[int], list[int], list[int], list[list[int]]] | None:
    """(start, end, machine, machine sequences), or None when a fixed start is missed."""
    n = data.num_ops
    job = _job_of(data)
    first = [int(data.job_op_ptr[job[o]]) for o in range(n)]
    mach = [int(data.mode_machine[ms[o]]) for o in range(n)]
    dur = [int(data.mode_duration[ms[o]]) for o in range(n)]
    start = [0] * n
    end = [0] * n
    seqs: list[list[int]] = [[] for _ in range(data.num_machines)]
    last: dict[int, int] = {}
    fixed = [int(x) for x in data.fixed_start]
    kind = [int(data.mode_calendar[ms[o]]) for o in range(n)]
    res = [int(data.mode_resource[ms[o]]) for o in range(n)]
    dem = [int(data.mode_demand[ms[o]]) if res[o] >= 0 else 0 for o in range(n)]
    placed: list[int] = []

    def holds(o: int, s: int, e: int) -> list[tuple[int, int]]:
        i = ms[o]
        return calendar.hold_segments(
            s, e, int(data.mode_hold_head[i]), int(data.mode_hold_tail[i])
        )

    def crowded(o: int, s: int, e: int) -> bool:
        """Would ``o`` over ``[s, e)`` overload its resource at some integer instant?"""
        if dem[o] == 0 or e <= s:
            return False
        cap = int(data.resource_capacity[res[o]])
        held = [(a, b, dem[h]) for h in placed if res[h] == res[o] for a, b in
                holds(h, start[h], end[h])]  # fmt: skip
        return any(
            dem[o] + sum(q for a, b, q in held if a <= x < b) > cap
            for a, b in holds(o, s, e)
            for x in range(a, b)
        )

    for o in range(n):
        if fixed[o] >= 0:
            start[o], end[o] = fixed[o], fixed[o] + dur[o]
            if kind[o] in (calendar.RESUME, calendar.LOADS) and dur[o] > 0:
                loads = int(data.mode_loads[ms[o]])
                end[o] = calendar.place(fixed[o], dur[o], kind[o], data.windows(mach[o]), loads)[1]
            seqs[mach[o]].append(o)
            seqs[mach[o]].sort(key=lambda x: start[x])
            placed.append(o)
    # latest end before a later fixed operation of the same job
    latest = [INF] * n
    for j in range(data.num_jobs):
        lo, hi = int(data.job_op_ptr[j]), int(data.job_op_ptr[j + 1])
        for o in range(lo, hi - 1):
            for f in range(o + 1, hi):
                if fixed[f] >= 0:
                    lag = fixed[f]
                    for x in range(f - 1, o, -1):
                        lag -= dur[x]
                    for x in range(o, f):
                        if data.has_transport:
                            lag -= int(data.transport[mach[x], mach[x + 1]])
                    latest[o] = lag
                    break
    counter = {j: int(data.job_op_ptr[j]) for j in range(data.num_jobs)}
    for j in os_seq:
        o = counter[j]
        counter[j] += 1
        if fixed[o] >= 0:
            continue
        k = mach[o]
        ready = int(data.release[j])
        if o > first[o]:
            lag = int(data.transport[mach[o - 1], k]) if data.has_transport else 0
            ready = max(ready, end[o - 1] + lag)
        seq = seqs[k]
        lowest = 0 if active else last.get(k, -1) + 1
        windows = data.windows(k)
        for i in range(lowest, len(seq) + 1):
            t = ready
            if i > 0:
                gap = _setup(data, k, seq[i - 1], o)
                t = max(t, calendar.setup_done(end[seq[i - 1]], gap, windows))
            while True:  # the earliest start the calendar and the resource allow
                if kind[o] == calendar.BLOCK or (dur[o] == 0 and kind[o] != calendar.FREE):
                    t = _windows_clear(data, k, t, dur[o])
                    e = t + dur[o]
                else:
                    t, e = calendar.place(t, dur[o], kind[o], windows, int(data.mode_loads[ms[o]]))
                if not crowded(o, t, e):
                    break
                t += 1
            if i == len(seq):
                break
            if calendar.setup_done(e, _setup(data, k, o, seq[i]), windows) <= start[seq[i]]:
                break
        if e > latest[o]:
            return None
        start[o], end[o] = t, e
        seq.insert(i, o)
        last[k] = i
        placed.append(o)
    return start, end, mach, seqs


def heads_tails(
    data: ProblemData, p: list[int], seqs: list[list[int]]
) -> tuple[list[int], list[int], int] | None:
    """Heads, tails and makespan by repeated relaxation (None on a cycle)."""
    n = data.num_ops
    job = _job_of(data)
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for o in range(1, n):
        if job[o - 1] == job[o]:
            preds[o].append(o - 1)
            succs[o - 1].append(o)
    for seq in seqs:
        for a, b in pairwise(seq):
            preds[b].append(a)
            succs[a].append(b)
    r = [int(data.release[job[o]]) for o in range(n)]
    q = [0] * n
    for _ in range(n + 1):
        changed = False
        for v in range(n):
            for u in preds[v]:
                if r[u] + p[u] > r[v]:
                    r[v] = r[u] + p[u]
                    changed = True
            for s in succs[v]:
                if p[s] + q[s] > q[v]:
                    q[v] = p[s] + q[s]
                    changed = True
        if not changed:
            return r, q, max((r[v] + p[v] + q[v] for v in range(n)), default=0)
    return None


def critical_path(
    data: ProblemData, p: list[int], seqs: list[list[int]], r: list[int], makespan: int
) -> tuple[list[int], list[int]]:
    """The critical path ending at the lowest-index operation that ends at the makespan,
    stepping back through machine predecessors first; (path, incoming machine-arc flags)."""
    job = _job_of(data)
    mpred = {b: a for seq in seqs for a, b in pairwise(seq)}
    v = min(o for o in range(data.num_ops) if r[o] + p[o] == makespan)
    back, flags = [], []
    while True:
        back.append(v)
        u = mpred.get(v, -1)
        if u >= 0 and r[u] + p[u] == r[v]:
            flags.append(1)
            v = u
        elif v > 0 and job[v - 1] == job[v] and r[v - 1] + p[v - 1] == r[v]:
            flags.append(0)
            v = v - 1
        else:
            flags.append(0)
            break
    # flags[i] describes the arc into back[i]; reversed, it describes the arc into path[i]
    path = back[::-1]
    incoming = flags[::-1]
    return path, incoming


def makespan_of(data: ProblemData, modes: list[int], seqs: list[list[int]]) -> int | None:
    """Exact makespan of a (modes, machine sequences) solution; None on a cycle."""
    p = [int(data.mode_duration[m]) for m in modes]
    out = heads_tails(data, p, seqs)
    return None if out is None else out[2]


def as_array(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def random_problem(
    seed: int,
    jobs: int = 5,
    machines: int = 3,
    extras: bool = False,
    resources: bool = False,
    holds: bool = False,
) -> ProblemData:
    """A small random instance; with ``extras``: releases, setups, transport, windows
    and a few fixed operations (placed so that the instance stays feasible); with
    ``resources`` two pools, and with ``holds`` as well, partial holds on some modes."""
    rng = np.random.default_rng(seed)
    spec = []
    for _ in range(jobs):
        ops = []
        for _ in range(int(rng.integers(1, 5))):
            eligible = rng.choice(machines, size=int(rng.integers(1, machines + 1)), replace=False)
            ops.append([(int(k), int(rng.integers(0 if extras else 1, 10))) for k in eligible])
        spec.append(ops)
    data = ProblemData.from_jobs(spec, num_machines=machines)
    if not extras:
        return data
    families = 3
    release = rng.integers(0, 15, size=jobs)
    fixed_machine = np.full(data.num_ops, -1)
    fixed_start = np.full(data.num_ops, -1)
    busy: list[tuple[int, int, int]] = []
    for i, j in enumerate(rng.choice(jobs, size=min(3, jobs), replace=False).tolist()):
        # two jobs start with a fixed operation; a third has a later one fixed (a deadline)
        o = int(data.job_op_ptr[j]) + (1 if i == 2 else 0)
        if o >= int(data.job_op_ptr[j + 1]):
            continue
        k, d = data.modes(o)[0]
        at = 300 * (len(busy) + 1)
        fixed_machine[o], fixed_start[o] = k, at
        busy.append((k, at, at + d))
    windows: list[list[tuple[int, int]]] = [[] for _ in range(machines)]
    for k in range(machines):
        for _ in range(int(rng.integers(0, 3))):
            a = int(rng.integers(0, 120))
            b = a + int(rng.integers(1, 15))
            if all(not (kk == k and a < e and s < b) for kk, s, e in busy):
                windows[k].append((a, b))
    ptr = np.cumsum([0] + [len(w) for w in windows])
    out = data.replace(
        release=release,
        op_family=rng.integers(0, families, size=data.num_ops),
        setup=rng.integers(0, 6, size=(machines, families, families)),
        transport=rng.integers(0, 4, size=(machines, machines)),
        window_ptr=ptr,
        window_start=[a for w in windows for a, _ in w],
        window_end=[b for w in windows for _, b in w],
        fixed_machine=fixed_machine,
        fixed_start=fixed_start,
        **_calendar_kinds(data, seed),
        **(_resources(data, seed) if resources else {}),
    )
    return out.replace(**_holds(out, seed)) if resources and holds else out


def _holds(data: ProblemData, seed: int) -> dict[str, np.ndarray]:
    """Partial holds on about half the modes that hold a pool: a head and a tail that
    fit in the duration."""
    rng = np.random.default_rng(seed + 15485863)
    head = np.zeros(data.num_modes, np.int64)
    tail = np.zeros(data.num_modes, np.int64)
    for i in range(data.num_modes):
        d = int(data.mode_duration[i])
        if data.mode_resource[i] < 0 or data.mode_demand[i] <= 0 or d == 0 or rng.random() < 0.5:
            continue
        head[i] = int(rng.integers(0, d + 1))
        tail[i] = int(rng.integers(0, d - head[i] + 1))
    return {"mode_hold_head": head, "mode_hold_tail": tail}


def _resources(data: ProblemData, seed: int) -> dict[str, np.ndarray]:
    """Two pools of 1-2 units; a mode holds none, or 1..capacity units of one."""
    rng = np.random.default_rng(seed + 104729)
    cap = rng.integers(1, 3, size=2)
    res = rng.integers(-1, 2, size=data.num_modes)
    dem = np.where(res >= 0, rng.integers(1, 3, size=data.num_modes), 0)
    dem = np.minimum(dem, cap[np.maximum(res, 0)])
    return {"resource_capacity": cap, "mode_resource": res, "mode_demand": dem}


def _calendar_kinds(data: ProblemData, seed: int) -> dict[str, np.ndarray]:
    """Every calendar kind (block, resume, run, free, loads) from a stream of its own;
    a LOADS mode gets a number of loads that divides its duration."""
    rng = np.random.default_rng(seed + 7919)
    kinds = rng.integers(0, 5, size=data.num_modes)
    loads = np.ones(data.num_modes, np.int64)
    for i in np.flatnonzero(kinds == 4):
        d = int(data.mode_duration[i])
        divisors = [c for c in range(1, d + 1) if d % c == 0] or [1]
        loads[i] = divisors[int(rng.integers(0, len(divisors)))]
    return {"mode_calendar": kinds, "mode_loads": loads}


def job_head(data: ProblemData, v: int, r: list[int], p: list[int]) -> int:
    """Release or end of the job predecessor, whichever is later."""
    job = _job_of(data)
    h = int(data.release[job[v]])
    if v > 0 and job[v - 1] == job[v]:
        h = max(h, r[v - 1] + p[v - 1])
    return h


def job_tail(data: ProblemData, v: int, q: list[int], p: list[int]) -> int:
    job = _job_of(data)
    if v + 1 < data.num_ops and job[v + 1] == job[v]:
        return p[v + 1] + q[v + 1]
    return 0


def estimate_insert(
    data: ProblemData, v: int, pk: int, seq: list[int], i: int, r: list[int], q: list[int],
    p: list[int],
) -> int:  # fmt: skip
    """Longest path through v inserted before seq[i] on another machine."""
    head = job_head(data, v, r, p)
    if i > 0:
        head = max(head, r[seq[i - 1]] + p[seq[i - 1]])
    tail = job_tail(data, v, q, p)
    if i < len(seq):
        tail = max(tail, p[seq[i]] + q[seq[i]])
    return head + pk + tail


def estimate_shift(
    data: ProblemData, seq: list[int], a: int, b: int, r: list[int], q: list[int], p: list[int]
) -> int:
    """Move seq[a] to index b; recompute heads/tails along the changed window only."""
    new = list(seq)
    v = new.pop(a)
    new.insert(b, v)
    lo, hi = min(a, b), max(a, b)
    heads: dict[int, int] = {}
    prev_end = r[new[lo - 1]] + p[new[lo - 1]] if lo > 0 else -1
    for x in new[lo : hi + 1]:
        heads[x] = max(job_head(data, x, r, p), prev_end)
        prev_end = heads[x] + p[x]
    best = 0
    nxt = p[new[hi + 1]] + q[new[hi + 1]] if hi + 1 < len(new) else -1
    for x in reversed(new[lo : hi + 1]):
        t = max(job_tail(data, x, q, p), nxt)
        best = max(best, heads[x] + p[x] + t)
        nxt = p[x] + t
    return best


def apply_move(
    data: ProblemData, modes: list[int], seqs: list[list[int]], v: int, new_mode: int, b: int
) -> tuple[list[int], list[list[int]]]:
    """New (modes, sequences) after moving v to ``new_mode``'s machine at index b."""
    modes = list(modes)
    seqs = [list(s) for s in seqs]
    seqs[int(data.mode_machine[modes[v]])].remove(v)
    seqs[int(data.mode_machine[new_mode])].insert(b, v)
    modes[v] = new_mode
    return modes, seqs
