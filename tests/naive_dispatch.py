"""Plain-Python twins of the dispatch and Monte Carlo kernels (slow, obviously right).

They recompute everything at every step (no caches, no pointers), draw from the same
xorshift64* stream, and must give exactly what the numba kernels give.
"""

from __future__ import annotations

import math

import numpy as np

from scheduler import calendar
from scheduler.kernels.rng import rand_next
from scheduler.problem import ProblemData

_RAND_NEXT = getattr(rand_next, "py_func", rand_next)  # plain Python, JIT or not
RULES = ("ect", "spt", "lpt", "mwkr", "mor", "edd", "fifo", "random")


class XorShift:
    """The stream of ``scheduler.kernels.montecarlo.uniform``: the 64 bits of
    ``scheduler.kernels.rng.rand_next``, run as plain Python (``py_func``), top 53 bits
    scaled to [0, 1)."""

    def __init__(self, state: int) -> None:
        self.state = np.array([state], dtype=np.uint64)

    def uniform(self) -> float:
        with np.errstate(over="ignore"):
            bits = int(_RAND_NEXT(self.state))
        return (bits >> 11) * 2.0**-53


def _setup(data: ProblemData, m: int, a: int, b: int) -> int:
    return int(data.setup[m, a, b]) if data.has_setups else 0


def _clear_of_windows(data: ProblemData, m: int, t: float, d: float) -> float:
    for a, b in data.windows(m):
        if b <= t:
            continue
        if (d > 0 and t + d <= a) or (d == 0 and t <= a):
            break
        t = b
    return t


def dispatch_naive(
    data: ProblemData, rule: str, pin_machine: np.ndarray, state: int
) -> tuple[list[int], list[int], list[int], int]:
    """The dispatch scheme of ``scheduler.kernels.dispatch``, recomputed from scratch."""
    rng = XorShift(state)
    n_ops, fam = data.num_ops, data.op_family.tolist()
    durs = [dict(data.modes(o)) for o in range(n_ops)]
    kinds = [
        {int(data.mode_machine[i]): int(data.mode_calendar[i])
         for i in range(data.op_mode_ptr[o], data.op_mode_ptr[o + 1])}
        for o in range(n_ops)
    ]  # fmt: skip
    loads_of = [
        {int(data.mode_machine[i]): int(data.mode_loads[i])
         for i in range(data.op_mode_ptr[o], data.op_mode_ptr[o + 1])}
        for o in range(n_ops)
    ]  # fmt: skip
    job_of = data.op_job.tolist()
    first_of = data.job_op_ptr[:-1].tolist()
    last_of = (data.job_op_ptr[1:] - 1).tolist()
    work = [0] * n_ops
    for o in range(n_ops - 1, -1, -1):
        work[o] = min(durs[o].values()) + (work[o + 1] if o < last_of[job_of[o]] else 0)
    fixed = data.fixed_start.tolist()
    pinned = {
        m: sorted((o for o in range(n_ops) if fixed[o] >= 0 and pin_machine[o] == m),
                  key=lambda o: (fixed[o], o))
        for m in range(data.num_machines)
    }  # fmt: skip
    passed = [0] * data.num_machines  # pinned operations already behind the machine
    seq: list[list[int]] = [[] for _ in range(data.num_machines)]
    machine, start, end = [-1] * n_ops, [0] * n_ops, [0] * n_ops
    nxt = list(first_of)
    ready = data.release.tolist()
    conflicts = 0
    drawn = [0.0] * data.num_jobs  # random rule: the priority of each job's next operation

    def lag(j: int, o: int, m: int) -> int:
        if o == first_of[j] or not data.has_transport:
            return 0
        return int(data.transport[machine[o - 1], m])

    def place_pins(j: int) -> None:
        """Place the pinned operations at the head of job ``j``; the random rule then
        draws the priority of its next operation."""
        nonlocal conflicts
        while nxt[j] <= last_of[j] and fixed[nxt[j]] >= 0:
            o, m = nxt[j], int(pin_machine[nxt[j]])
            conflicts += ready[j] + lag(j, o, m) > fixed[o]
            machine[o], start[o], end[o] = m, fixed[o], pin_end(o, m)
            ready[j] = end[o]
            nxt[j] += 1
        if rule == "random" and nxt[j] <= last_of[j]:
            drawn[j] = rng.uniform()

    def earliest(o: int, m: int, d: int, est: int) -> tuple[int, int, int]:
        t, k, last = est, passed[m], seq[m][-1] if seq[m] else -1
        windows = data.windows(m)
        if last >= 0:
            t = max(t, calendar.setup_done(end[last], _setup(data, m, fam[last], fam[o]), windows))
        kind = kinds[o][m]
        while True:
            if kind == calendar.BLOCK or (d == 0 and kind != calendar.FREE):
                t = int(_clear_of_windows(data, m, t, d))
                e = t + d
            else:
                t, e = calendar.place(t, d, kind, windows, loads_of[o][m])
            if d == 0 and last > o and end[last] == t == start[last] and k == passed[m]:
                t += 1
                continue
            if k < len(pinned[m]):
                r = pinned[m][k]
                tie = d == 0 and t == fixed[r] == pin_end(r, m) and r < o  # checker: r first
                if (
                    not tie
                    and calendar.setup_done(e, _setup(data, m, fam[o], fam[r]), windows) <= fixed[r]
                ):
                    return t, e, k
                t = max(est, calendar.setup_done(pin_end(r, m), _setup(data, m, fam[r], fam[o]),
                                                 windows))  # fmt: skip
                k += 1
                continue
            return t, e, k

    def pin_end(r: int, m: int) -> int:
        if kinds[r][m] in (calendar.RESUME, calendar.LOADS) and durs[r][m] > 0:
            return calendar.place(fixed[r], durs[r][m], kinds[r][m], data.windows(m),
                                  loads_of[r][m])[1]  # fmt: skip
        return fixed[r] + durs[r][m]

    def priority(j: int, d: int) -> float:
        o, due = nxt[j], int(data.due[j])
        if rule == "spt":
            return -d
        if rule == "lpt":
            return d
        if rule == "mwkr":
            return work[o]
        if rule == "mor":
            return last_of[j] - o + 1
        if rule == "edd":
            return -due if due >= 0 else -math.inf
        if rule == "fifo":
            return -ready[j]
        return drawn[j]

    for j in range(data.num_jobs):
        place_pins(j)
    while any(nxt[j] <= last_of[j] for j in range(data.num_jobs)):
        cands = {}
        for j in range(data.num_jobs):
            o = nxt[j]
            if o > last_of[j]:
                continue
            best = None
            for m, d in durs[o].items():
                if pin_machine[o] >= 0 and m != pin_machine[o]:
                    continue
                s, e, k = earliest(o, m, d, ready[j] + lag(j, o, m))
                if best is None or (e, s) < (best[2], best[1]):
                    best = (m, s, e, k, d)
            cands[j] = best
        if rule == "ect":
            j = min(cands, key=lambda j: (cands[j][2], -work[nxt[j]], j))
        else:
            f = min(cands, key=lambda j: (cands[j][2], j))
            c_star, m_star = cands[f][2], cands[f][0]
            conflict = [
                j for j in cands if cands[j][0] == m_star and (cands[j][1] < c_star or j == f)
            ]
            pri = {j: priority(j, cands[j][4]) for j in conflict}
            j = min(conflict, key=lambda j: (-pri[j], cands[j][2], nxt[j]))
        m, s, c, k, _ = cands[j]
        o = nxt[j]
        machine[o], start[o], end[o] = m, s, c
        seq[m].append(o)
        passed[m] = k
        ready[j] = c
        nxt[j] += 1
        place_pins(j)
    return machine, start, end, conflicts


def montecarlo_naive(
    data: ProblemData,
    machine: list[int],
    start: list[int],
    end: list[int],
    dist: str,
    cv: float,
    mtbf: list[float],
    mttr: list[float],
    n_samples: int,
    state: int,
) -> tuple[list[float], list[float]]:
    """The fixed-plan simulation of ``scheduler.kernels.montecarlo``, in plain Python."""
    rng = XorShift(state)
    n = data.num_ops
    order = sorted(range(n), key=lambda o: (start[o], end[o], o))
    prev_on: dict[int, int] = {}
    mpred = [-1] * n
    for o in order:
        mpred[o] = prev_on.get(machine[o], -1)
        prev_on[machine[o]] = o
    job_of = data.op_job.tolist()
    first = set(data.job_op_ptr[:-1].tolist())
    nominal = [dict(data.modes(o))[machine[o]] for o in range(n)]
    mode_of = [
        int(data.op_mode_ptr[o]) + [m for m, _ in data.modes(o)].index(machine[o]) for o in range(n)
    ]
    kinds = [int(data.mode_calendar[i]) for i in mode_of]
    loads = [int(data.mode_loads[i]) for i in mode_of]

    def exp(mean: float) -> float:
        return -mean * math.log(1.0 - rng.uniform())

    makespans, tardiness = [], []
    for _ in range(n_samples):
        up = {m: exp(mtbf[m]) for m in range(data.num_machines) if mtbf[m] > 0}
        fin = [0.0] * n
        for o in order:
            m, nom = machine[o], float(nominal[o])
            if dist == "lognormal" and cv > 0:
                u1, u2 = rng.uniform(), rng.uniform()
                z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
                s2 = math.log(1.0 + cv * cv)
                d = nom * math.exp(math.sqrt(s2) * z - 0.5 * s2)
            elif dist == "triangular" and cv > 0:
                u, w = rng.uniform(), cv * nom * math.sqrt(6.0)
                d = (
                    nom - w + math.sqrt(2 * u) * w
                    if u < 0.5
                    else nom + w - math.sqrt(2 * (1 - u)) * w
                )
            else:
                d = nom
            if m in up:
                left = d
                while up[m] <= left:
                    left -= up[m]
                    d += exp(mttr[m])
                    up[m] = exp(mtbf[m])
                up[m] -= left
            j = job_of[o]
            t = float(data.release[j]) if o in first else 0.0
            t = max(t, float(data.fixed_start[o]))
            if o not in first:
                lag = float(data.transport[machine[o - 1], m]) if data.has_transport else 0.0
                t = max(t, fin[o - 1] + lag)
            windows = data.windows(m)
            if mpred[o] >= 0:
                q = mpred[o]
                gap = _setup(data, m, int(data.op_family[q]), int(data.op_family[o]))
                t = max(t, calendar.setup_done(fin[q], gap, windows))  # type: ignore[arg-type]
            kind = kinds[o]
            if kind == calendar.FREE:
                fin[o] = t + d
            elif kind == calendar.BLOCK or d == 0:
                fin[o] = _clear_of_windows(data, m, t, d) + d
            else:
                fin[o] = _float_place(t, d, kind, windows, loads[o])
        makespans.append(max(fin))
        last = (data.job_op_ptr[1:] - 1).tolist()
        tardiness.append(
            sum(
                float(data.weight[j]) * max(0.0, fin[last[j]] - float(data.due[j]))
                for j in range(data.num_jobs)
                if data.due[j] >= 0
            )
        )
    return makespans, tardiness


def _float_place(
    t: float, d: float, kind: int, windows: list[tuple[int, int]], loads: int
) -> float:
    """End of a sampled (float) duration ``d`` placed from ``t``: stepped through the
    windows one by one (each load of ``d / loads`` starts outside them)."""

    def out(x: float) -> float:
        for a, b in windows:
            if a <= x < b:
                return float(b)
        return x

    t = out(t)
    if kind == calendar.RUN:
        return t + d
    if kind == calendar.LOADS:
        for _ in range(loads):
            t = out(t) + d / loads
        return t
    left = d  # RESUME: work pauses inside windows
    while left > 0:
        t = out(t)
        nxt = min((a for a, _ in windows if a > t), default=float("inf"))
        step = min(left, nxt - t)
        t += step
        left -= step
    return t
