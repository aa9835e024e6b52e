"""The live twin as plain data: :func:`snapshot` of its state and :func:`plan_kpis`
of its projection. Everything here is JSON-ready (str, int, float, bool, None, lists
and dicts), in a fixed order, so two snapshots of the same state compare equal."""

from __future__ import annotations

from typing import Any

#: a :class:`twin.live.twin.LiveTwin` (not imported: the twin imports this module)
LiveTwin = Any

__all__ = ["machine_view", "order_kpis", "plan_kpis", "snapshot"]


def _off_shift(twin: LiveTwin, m: int) -> bool:
    _, p, _ = twin.live_problem()
    now = twin.now
    return any(a <= now < b for a, b in p.windows(m))


def machine_view(twin: LiveTwin) -> list[dict[str, Any]]:
    """Per machine: state (``off`` when idle outside its calendar), since when, what
    runs on it, its expected repair, parts good and scrap, power now and time per state."""
    facts = twin.facts
    power = {s.id: s.power_kw.model_dump() for s in twin.scenario.stations}
    out = []
    for m, (name, mf) in enumerate(facts.machines.items()):
        state = mf.state
        if state == "idle" and _off_shift(twin, m):
            state = "off"
        time_in = dict(mf.time_in)
        time_in[mf.state] = time_in.get(mf.state, 0.0) + max(0.0, twin.now - mf.since)
        out.append(
            {
                "machine": name,
                "station": mf.station,
                "state": state,
                "since": mf.since,
                "running": [{"order": o, "step": k} for o, k in mf.running],
                "expected_up": mf.expected_up,
                "good": mf.good,
                "scrap": mf.scrap,
                "power_kw": float(power[mf.station].get(state, power[mf.station]["idle"])),
                "time_in": {k: time_in[k] for k in sorted(time_in)},
            }
        )
    return out


def snapshot(twin: LiveTwin) -> dict[str, Any]:
    """The twin's state: clock, machines, operators, orders (with projected ends),
    running operations, each machine's queue (its planned operations not started, in
    plan order) and the plan in force."""
    facts = twin.facts
    projected = twin.projection()
    _, p, keys = twin.live_problem()
    names = p.machine_names
    running = []
    for (order, k), op in facts.ops.items():
        if op.end is None:
            end = projected.get((order, k))
            running.append(
                {
                    "order": order,
                    "step": k,
                    "machine": op.machine,
                    "start": op.start,
                    "expected_end": None if end is None else end[2],
                }
            )
    queues: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for key in sorted((k for k in keys if k not in facts.ops), key=lambda k: twin._plan[k][1]):
        m, start, _ = twin._plan[key]
        queues[names[m]].append({"order": key[0], "step": key[1], "start": start})
    orders = []
    for o in facts.orders.values():
        started = [k for k in range(o.steps) if (o.id, k) in facts.ops]
        last = projected.get((o.id, o.steps - 1))
        orders.append(
            {
                "order": o.id,
                "product": o.product,
                "quantity": o.quantity,
                "status": o.status,
                "release": o.release,
                "due": o.due,
                "priority": o.priority,
                "next_step": (max(started) + 1) if started else 0,
                "completed": o.completed_at,
                "projected_end": o.completed_at if o.status != "open" or last is None else last[2],
            }
        )
    operators = [
        {
            "operator": n,
            "pool": pool,
            "present": n not in facts.absent,
            "until": facts.absent[n][1] if n in facts.absent else None,
        }
        for n, pool in twin.catalog.operators.items()
    ]
    return {
        "time": twin.now,
        "at": twin.clock.iso(twin.now),
        "policy": str(twin.policy),
        "machines": machine_view(twin),
        "operators": operators,
        "orders": orders,
        "running": sorted(running, key=lambda r: (r["start"], r["order"], r["step"])),
        "queues": queues,
        "plan": twin.plan_rows(),
    }


def plan_kpis(twin: LiveTwin) -> dict[str, Any]:
    """Projected KPIs of the live orders: ``makespan`` (latest projected end),
    ``tardiness`` and ``weighted_tardiness`` (sums over dated orders), ``late_orders``,
    ``on_time_rate`` (dated orders done or projected by their due date), ``open_orders``
    and per-order ``completion``."""
    projected = twin.projection()
    completion: dict[str, float] = {}
    for o in twin.facts.orders.values():
        if o.status == "cancelled":
            continue
        end: float | None = o.completed_at
        if end is None:
            row = projected.get((o.id, o.steps - 1))
            end = None if row is None else float(row[2])
        if end is not None:
            completion[o.id] = end
    return {
        **order_kpis(twin, completion),
        "open_orders": sum(1 for o in twin.facts.orders.values() if o.status == "open"),
        "completion": completion,
    }


def order_kpis(twin: LiveTwin, completion: dict[str, float]) -> dict[str, Any]:
    """Makespan, tardiness (plain and weighted by priority), late orders and on-time
    rate of the live orders (cancelled ones left out) finishing at ``completion``."""
    tardiness = weighted = 0.0
    late = dated = 0
    for o in twin.facts.orders.values():
        end = completion.get(o.id)
        if o.status == "cancelled" or end is None or o.due is None:
            continue
        dated += 1
        t = max(0.0, end - o.due)
        tardiness += t
        weighted += t * o.priority
        late += t > 0
    return {
        "makespan": max(completion.values(), default=0.0),
        "tardiness": tardiness,
        "weighted_tardiness": weighted,
        "late_orders": late,
        "on_time_rate": None if dated == 0 else (dated - late) / dated,
    }
