"""The scheduler's view of the live shop at time ``now``, and the repaired plan.

:func:`live_scenario` is the scenario with the orders as they are now (new orders
added, quantities after scrap, changed due dates and priorities; a cancelled order
keeps only its started steps); :func:`twin.sim.build.build_problem` of it is the live
problem ``P``, whose operations the plan covers.

:func:`residual` is what is left to plan at ``now`` (``R``): every operation not
finished, plus frozen records of the past that constrain it.

- A running operation is frozen (``fixed_machine``/``fixed_start`` at its actual start,
  one ``FREE`` mode whose duration reaches its expected end: the planned work, plus
  repairs, and never before ``now``); its order's later steps follow it.
- An order whose next step has not started is released at ``now`` at the earliest
  (and after its last finished step plus the longest transport to where it may go),
  so nothing is planned in the past.
- With setups, each machine's last started operation, if finished, is kept as a
  frozen one-operation job, so the next operation's setup is counted.
- A machine that is down is unavailable (a window) until its expected repair (an
  overdue repair: until ``now + 1``); its unattended (``FREE``) modes become ``RUN``
  there, so they cannot start in the window either.

:func:`repair` gives a complete feasible schedule of ``R`` from a plan: each
operation keeps its planned machine (when still eligible) and each machine its
planned sequence, frozen operations first; operations the plan does not have (new
orders) go last, on their fastest machine; :func:`scheduler.compact.left_shift` then
places everything earliest. :func:`compose` maps a schedule of ``R`` back onto ``P``
with the finished operations at their actual (rounded) times, and
:func:`check_problem` is ``P`` with everything started frozen, to check such a plan
with :func:`scheduler.check`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scheduler import ProblemData, Schedule
from scheduler.calendar import FREE, RUN
from scheduler.compact import left_shift, placement
from twin.live.state import Facts
from twin.scenario import Order, Scenario

__all__ = ["Key", "Residual", "check_problem", "compose", "live_scenario", "repair", "residual"]

Key = tuple[str, int]  # (order id, routing step)
PlanMap = dict[Key, tuple[int, int, int]]  # key -> (machine, start, end)


def live_scenario(scenario: Scenario, facts: Facts) -> Scenario:
    """The scenario with the live orders (see the module docstring)."""
    products = list(scenario.products)
    by_id = {p.id: p for p in scenario.products}
    orders = []
    for o in facts.orders.values():
        product = o.product
        if o.status == "cancelled":
            started = sum(1 for k in range(o.steps) if (o.id, k) in facts.ops)
            if started == 0:
                continue
            product = f"{o.product}[:{started}]"
            if product not in by_id:
                base = by_id[o.product]
                by_id[product] = base.model_copy(
                    update={"id": product, "routing": base.routing[:started]}
                )
                products.append(by_id[product])
        orders.append(
            Order.model_construct(
                id=o.id,
                product=product,
                quantity=o.quantity,
                release=o.release,
                due=o.due,
                priority=o.priority,
            )
        )
    return scenario.model_copy(update={"orders": orders, "products": products})


def op_keys(problem: ProblemData, scenario: Scenario) -> list[Key]:
    """``(order, step)`` of every operation of ``problem`` (built from ``scenario``)."""
    ptr = problem.job_op_ptr.tolist()
    return [(o.id, k) for j, o in enumerate(scenario.orders) for k in range(ptr[j + 1] - ptr[j])]


def _round(t: float) -> int:
    return max(0, round(t))


@dataclass(frozen=True)
class Residual:
    """What is left to plan at ``now``: ``data`` (``R``) and, per operation of ``R``,
    its operation in ``P`` (``op``) and whether it is frozen."""

    data: ProblemData
    op: np.ndarray  # R op -> P op
    frozen: np.ndarray  # bool per R op
    now: int
    problem: ProblemData  # P
    keys: list[Key]  # P op -> key
    finished: PlanMap  # P ops done: their actual (rounded) machine, start, end


def _frozen_span(
    p: ProblemData, o: int, m: int, start: float, facts: Facts, key: Key, now: int
) -> tuple[int, int]:
    """(start, expected end) of a running operation on machine ``m``."""
    mode = _mode_on(p, o, m)
    s = _round(start)
    a, b = placement(p, mode, s)
    end = s + (b - a) + math.ceil(facts.expected_extra(key, now) - 1e-9)
    return s, max(end, now, s)


def residual(problem: ProblemData, keys: list[Key], facts: Facts, now: float) -> Residual | None:
    """``R`` at ``now`` (see the module docstring); None when nothing is left to plan."""
    p = problem
    t_now = math.ceil(now - 1e-9)
    index = {name: m for m, name in enumerate(p.machine_names)}
    finished: PlanMap = {}
    rows: list[tuple[int, int, int, int]] = []  # (P op, fixed machine, fixed start, end)
    jobs: list[tuple[list[int], int, int]] = []  # (rows, release, P job)
    ptr = p.job_op_ptr.tolist()
    for j in range(p.num_jobs):
        job_rows: list[int] = []
        release = int(p.release[j])
        last_end = None
        for o in range(ptr[j], ptr[j + 1]):
            fact = facts.ops.get(keys[o])
            if fact is not None and fact.end is not None:
                m = index[fact.machine]
                finished[keys[o]] = (
                    m,
                    _round(fact.start),
                    max(_round(fact.start), _round(fact.end)),
                )
                last_end = (finished[keys[o]][2], m)
            elif fact is not None:
                m = index[fact.machine]
                s, e = _frozen_span(p, o, m, fact.start, facts, keys[o], t_now)
                job_rows.append(len(rows))
                rows.append((o, m, s, e))
                release = s
            else:
                if not job_rows:
                    release = max(release, t_now)
                    if last_end is not None:
                        lag = 0
                        if p.has_transport:
                            lo, hi = p.op_mode_ptr[o], p.op_mode_ptr[o + 1]
                            lag = int(p.transport[last_end[1], p.mode_machine[lo:hi]].max())
                        release = max(release, last_end[0] + lag)
                job_rows.append(len(rows))
                rows.append((o, -1, -1, -1))
        if job_rows:
            jobs.append((job_rows, release, j))
    if not rows:
        return None
    if p.has_setups:  # each machine's last started operation, if finished
        in_r = {r[0] for r in rows}
        for m, name in enumerate(p.machine_names):
            last = facts.machines[name].last
            if last is None or last not in finished or keys.index(last) in in_r:
                continue
            o = keys.index(last)
            _, s, e = finished[last]
            jobs.append(([len(rows)], s, -1))
            rows.append((o, m, s, e))
    return _assemble(p, keys, facts, rows, jobs, finished, t_now)


def _down_windows(p: ProblemData, facts: Facts, now: int) -> dict[int, tuple[int, int]]:
    out = {}
    for m, name in enumerate(p.machine_names):
        mf = facts.machines[name]
        if mf.state == "down" and mf.down_since is not None:
            up = mf.expected_up if mf.expected_up is not None else now + 1
            a, b = max(0, math.floor(mf.down_since + 1e-9)), max(math.ceil(up - 1e-9), now + 1)
            out[m] = (a, b)
    return out


def _windows(p: ProblemData, down: dict[int, tuple[int, int]]) -> dict[str, list[int]]:
    ptr, starts, ends = [0], [], []
    for m in range(p.num_machines):
        spans = p.windows(m) + ([down[m]] if m in down else [])
        starts += [a for a, _ in spans]
        ends += [b for _, b in spans]
        ptr.append(len(starts))
    return {"window_ptr": ptr, "window_start": starts, "window_end": ends}


def _assemble(
    p: ProblemData,
    keys: list[Key],
    facts: Facts,
    rows: list[tuple[int, int, int, int]],
    jobs: list[tuple[list[int], int, int]],
    finished: PlanMap,
    now: int,
) -> Residual:
    down = _down_windows(p, facts, now)
    job_op_ptr, op_mode_ptr = [0], [0]
    mm: list[int] = []
    md: list[int] = []
    mc: list[int] = []
    ml: list[int] = []
    mr: list[int] = []
    mdem: list[int] = []
    mh: list[int] = []
    mt: list[int] = []
    r_op, frozen, fam, fixed_m, fixed_s = [], [], [], [], []
    release, due, weight, names = [], [], [], []
    for job_rows, rel, j in jobs:
        for r in job_rows:
            o, m, s, e = rows[r]
            r_op.append(o)
            fam.append(int(p.op_family[o]))
            if m >= 0:
                mm.append(m)
                md.append(e - s)
                mc.append(FREE)
                ml.append(1)
                # a running operation keeps its operator; a finished one (an anchor) not
                held = _mode_on(p, o, m) if j >= 0 else -1
                res, dem = _running_hold(p, held)
                mr.append(res)
                mdem.append(dem)
                mh.append(0)
                mt.append(0)
            else:
                lo, hi = int(p.op_mode_ptr[o]), int(p.op_mode_ptr[o + 1])
                mm += p.mode_machine[lo:hi].tolist()
                md += p.mode_duration[lo:hi].tolist()
                kinds = p.mode_calendar[lo:hi].tolist()
                mc += [
                    RUN if k == FREE and mach in down else k
                    for k, mach in zip(kinds, p.mode_machine[lo:hi].tolist(), strict=True)
                ]
                ml += p.mode_loads[lo:hi].tolist()
                mr += p.mode_resource[lo:hi].tolist()
                mdem += p.mode_demand[lo:hi].tolist()
                mh += p.mode_hold_head[lo:hi].tolist()
                mt += p.mode_hold_tail[lo:hi].tolist()
            op_mode_ptr.append(len(mm))
            frozen.append(m >= 0)
            fixed_m.append(m)
            fixed_s.append(s)
        job_op_ptr.append(len(r_op))
        release.append(rel)
        due.append(int(p.due[j]) if j >= 0 else -1)
        weight.append(int(p.weight[j]) if j >= 0 else 1)
        names.append(p.job_names[j] if j >= 0 else f"{keys[rows[job_rows[0]][0]][0]}@anchor")
    optional: dict[str, object] = {
        "release": release,
        "due": due,
        "weight": weight,
        "op_family": fam,
        "fixed_machine": fixed_m,
        "fixed_start": fixed_s,
        "mode_calendar": mc,
        "mode_loads": ml,
        "name": p.name,
        "job_names": tuple(names),
        "machine_names": p.machine_names,
    }
    if p.has_setups:
        optional["setup"] = p.setup
    if p.has_transport:
        optional["transport"] = p.transport
    if len(p.resource_capacity):
        spans = [
            (fixed_s[i], fixed_s[i] + md[op_mode_ptr[i]], mr[op_mode_ptr[i]], mdem[op_mode_ptr[i]])
            for i in range(len(r_op))
            if frozen[i]
        ]
        optional.update(
            resource_capacity=_capacity(p, facts, spans, mdem), mode_resource=mr, mode_demand=mdem,
            mode_hold_head=mh, mode_hold_tail=mt,
        )  # fmt: skip
    if p.has_windows or down:
        optional.update(_windows(p, down))
    data = ProblemData(
        p.num_machines,
        np.asarray(job_op_ptr),
        np.asarray(op_mode_ptr),
        np.asarray(mm),
        np.asarray(md),
        **optional,  # type: ignore[arg-type]
    )
    return Residual(data, np.asarray(r_op), np.asarray(frozen), now, p, keys, finished)


def _running_hold(p: ProblemData, mode: int) -> tuple[int, int]:
    """(resource, units) a running operation in ``mode`` holds for the rest of its run:
    its operator; a partial hold (a robot that loaded it and will unload it) nothing,
    since where its unload falls is the twin's to say, not the plan's."""
    if mode < 0 or p.mode_resource[mode] < 0:
        return -1, 0
    if p.mode_hold_head[mode] > 0 or p.mode_hold_tail[mode] > 0:
        return -1, 0
    return int(p.mode_resource[mode]), int(p.mode_demand[mode])


def _mode_on(p: ProblemData, o: int, m: int) -> int:
    lo, hi = int(p.op_mode_ptr[o]), int(p.op_mode_ptr[o + 1])
    return lo + int(np.flatnonzero(p.mode_machine[lo:hi] == m)[0])


def _capacity(
    p: ProblemData, facts: Facts, spans: list[tuple[int, int, int, int]], demand: list[int]
) -> list[int]:
    """Operator places now: the pools less their absent operators, but never below what
    the running operations hold at once (facts) or what one operation needs."""
    capacity = p.resource_capacity.tolist()
    pools = facts.catalog.pools
    if len(pools) == len(capacity):
        index = {pool: r for r, (pool, _) in enumerate(pools)}
        for name in facts.absent:
            r = index.get(facts.catalog.operators[name], -1)
            if r >= 0:
                capacity[r] -= pools[r][1]
    floor = [max([d for d in demand if d > 0], default=1)] * len(capacity)
    for r in range(len(capacity)):
        points = sorted(
            (t, sign * d)
            for s, e, rr, d in spans
            if rr == r and d > 0 and e > s
            for t, sign in ((s, 1), (e, -1))
        )
        level = 0
        for _, change in sorted(points, key=lambda x: (x[0], x[1])):
            level += change
            floor[r] = max(floor[r], level)
    return [max(c, f) for c, f in zip(capacity, floor, strict=True)]


def repair(res: Residual, plan: PlanMap) -> Schedule:
    """A complete feasible schedule of ``R`` keeping the plan's machines and sequences
    (see the module docstring). Raises ValueError if the plan's sequences cycle."""
    r = res.data
    n = r.num_ops
    machine = np.zeros(n, np.int64)
    key_start = np.zeros(n, np.int64)
    planned = [plan.get(res.keys[int(o)]) for o in res.op]
    known = [row[1] for row, f in zip(planned, res.frozen, strict=True) if row and not f]
    base = min(known, default=0)
    late = res.now + 1 + (max(known, default=0) - base) + 1
    for i in range(n):
        lo, hi = int(r.op_mode_ptr[i]), int(r.op_mode_ptr[i + 1])
        eligible = r.mode_machine[lo:hi]
        if res.frozen[i]:
            machine[i], key_start[i] = r.fixed_machine[i], r.fixed_start[i]
            continue
        row = planned[i]
        if row is not None and row[0] in eligible:
            machine[i] = row[0]
            key_start[i] = res.now + 1 + row[1] - base
        else:
            machine[i] = eligible[int(np.argmin(r.mode_duration[lo:hi]))]
            key_start[i] = late + i  # after everything planned, in job order
    return left_shift(r, Schedule(machine, key_start, key_start))


def compose(res: Residual, schedule: Schedule) -> PlanMap:
    """A schedule of ``R`` as a plan of every operation of ``P`` (finished ones at their
    actual, rounded times)."""
    out = dict(res.finished)
    mach, start, end = schedule.machine.tolist(), schedule.start.tolist(), schedule.end.tolist()
    for i, o in enumerate(res.op.tolist()):
        key = res.keys[o]
        if key not in out:
            out[key] = (mach[i], start[i], end[i])
    return out


def to_schedule(keys: list[Key], plan: PlanMap) -> Schedule:
    """The plan as a :class:`scheduler.Schedule` over the operations ``keys``."""
    rows = [plan[k] for k in keys]
    return Schedule(*(np.asarray([row[i] for row in rows], np.int64) for i in range(3)))


def check_problem(res: Residual, facts: Facts) -> ProblemData:
    """``P`` with every started operation frozen where it ran (``FREE``, its actual or
    expected span) and the down machines' windows: :func:`scheduler.check` of a
    composed plan against it. Facts may break rules among themselves (an MES start a
    minute before the transport time, say); those are violations of the past."""
    p = res.problem
    md = p.mode_duration.copy()
    mc = p.mode_calendar.copy()
    ml = p.mode_loads.copy()
    fixed_m = np.full(p.num_ops, -1, np.int64)
    fixed_s = np.full(p.num_ops, -1, np.int64)
    spans = dict(res.finished)
    r = res.data
    for i, o in enumerate(res.op.tolist()):
        if res.frozen[i]:
            spans[res.keys[o]] = (
                int(r.fixed_machine[i]),
                int(r.fixed_start[i]),
                int(r.fixed_start[i] + r.mode_duration[r.op_mode_ptr[i]]),
            )
    index = {k: o for o, k in enumerate(res.keys)}
    release = p.release.copy()
    mr, mdem = p.mode_resource.copy(), p.mode_demand.copy()
    mh, mt = p.mode_hold_head.copy(), p.mode_hold_tail.copy()
    for key, (m, s, e) in spans.items():
        o = index[key]
        lo, hi = p.op_mode_ptr[o], p.op_mode_ptr[o + 1]
        md[lo:hi], mc[lo:hi], ml[lo:hi] = e - s, FREE, 1
        fixed_m[o], fixed_s[o] = m, s
        j = int(p.op_job[o])
        release[j] = min(release[j], s)
        mh[lo:hi], mt[lo:hi] = 0, 0
        if key in res.finished:  # the past holds no operator in the plan
            mr[lo:hi], mdem[lo:hi] = -1, 0
        else:
            for a in range(lo, hi):
                mr[a], mdem[a] = _running_hold(p, a)
    extra: dict[str, object] = {}
    if len(p.resource_capacity):
        extra["resource_capacity"] = r.resource_capacity
        extra["mode_resource"], extra["mode_demand"] = mr, mdem
        extra["mode_hold_head"], extra["mode_hold_tail"] = mh, mt
    down = _down_windows(p, facts, res.now)
    for m in down:
        hit = (p.mode_machine == m) & (mc == FREE) & (fixed_m[p.mode_op] < 0)
        mc[hit] = RUN
    if down:
        extra.update(_windows(p, down))
    return p.replace(
        mode_duration=md,
        mode_calendar=mc,
        mode_loads=ml,
        fixed_machine=fixed_m,
        fixed_start=fixed_s,
        release=release,
        **extra,
    )
