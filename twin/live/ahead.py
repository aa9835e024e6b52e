"""Simulating ahead from the live twin's state: the SimPy shop started mid-state.

:func:`simulate_ahead` forks the twin and runs the SimPy shop from its clock with the
scenario's disturbances (breakdowns, variability, scrap), ``n`` seeded replications,
and returns KPI means with 95 % confidence half-widths. The live twin is not touched
(everything is read from a fork).

The shop starts at ``t0`` (the twin's clock, rounded up to a whole model time unit as
the replans do) as a scenario of its own whose ``start`` is ``t0`` later, so the shift
calendars and dated windows fall where they do in the live shop:

- finished operations are done: an open order keeps the steps from its first
  unfinished one, with its quantity after scrap; its release is ``t0`` (or its own
  release, if later), its due date moves with the origin;
- an operation running now occupies its unit until its expected end (the twin's
  projection: planned work plus repairs so far): it is the order's first step, on that
  unit only, lasting exactly the time left (no noise; its scrap is still drawn);
- a machine down now stays down until its expected repair (then its own breakdowns
  go on), drawn as a failure at ``t0``;
- everything else follows the twin's plan in force, repaired onto the facts (the
  projection): same machines and sequences, starts of operator-staffed units gated at
  their planned time, as :func:`twin.simulate` follows a plan.

Not carried over: each machine's current setup family (the first setup after ``t0`` is
free), a lot's position between stations (its first move is not simulated), lots
waiting in a finite buffer, operators absent now, and a cancelled order's running step.
With breakdowns and variability off the simulated makespan equals the projection's
(a test holds it to that, like the plan-adherence tests of :mod:`twin.run`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from scheduler import Schedule
from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.kpi.replications import aggregate_kpis, kpi_ci95
from twin.live.view import order_kpis
from twin.scenario import Order, Scenario
from twin.scenario.durations import UNIT_SECONDS
from twin.sim.build import build_problem
from twin.sim.plan import PlanRun, check_plan

LiveTwin = Any  # twin.live.twin.LiveTwin (which imports this module)

__all__ = ["KPI_KEYS", "Ahead", "simulate_ahead"]

#: What :func:`simulate_ahead` reports per replication (as :func:`twin.live.view.plan_kpis`).
KPI_KEYS = ("makespan", "tardiness", "weighted_tardiness", "late_orders", "on_time_rate")


@dataclass
class Ahead:
    """KPI means over the replications, their 95 % Student-t half-widths (None for
    one replication) and every replication's values; model times are absolute."""

    start: float
    replications: int
    seed: int
    mean: dict[str, Any]
    ci95: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "replications": self.replications,
            "seed": self.seed,
            "mean": self.mean,
            "ci95": self.ci95,
            "runs": self.runs,
        }


@dataclass
class _Start:
    """The mid-state shop: its scenario, plan, where its operations are in the twin."""

    scenario: Scenario
    plan: Schedule
    problem: Any
    keys: list[tuple[str, int]]
    down: dict[str, float]  # unit -> time left to its expected repair
    done: dict[str, float]  # order -> completion (orders finished before t0)


def _start_state(twin: LiveTwin) -> tuple[int, _Start]:
    facts = twin.facts
    t0 = math.ceil(twin.now - 1e-9)
    projection = twin.projection()
    base = twin.scenario
    products = {p.id: p for p in base.products}
    unit_station = facts.catalog.unit_station
    new_products: dict[str, Any] = {}
    orders: list[Order] = []
    keys: list[tuple[str, int]] = []
    done: dict[str, float] = {}
    rows: list[tuple[str, float, float]] = []
    names = twin.live_problem()[1].machine_names
    down = {}
    for name, mf in facts.machines.items():
        if mf.state == "down":
            up = mf.expected_up if mf.expected_up is not None else t0
            down[name] = max(float(up) - t0, 0.0)
    for o in facts.orders.values():
        if o.status == "done" and o.completed_at is not None:
            done[o.id] = o.completed_at
            continue
        first = next((k for k in range(o.steps) if not _finished(facts, o.id, k)), None)
        if first is None:
            continue
        running = facts.ops.get((o.id, first))
        if o.status == "cancelled" and running is None:
            continue
        product = products[o.product]
        last = first + 1 if o.status == "cancelled" else o.steps
        routing = list(product.routing[first:last])
        if running is not None:
            _, _, end = projection[(o.id, first)]
            # the machine's repair under way is simulated as such (_hold_down)
            left = max(float(end) - t0 - down.get(running.machine, 0.0), 0.0)
            station = unit_station[running.machine]
            per_lot = base.station(station).kind == "outsourced"
            cycle = left if per_lot else left / max(o.quantity, 1)
            routing[0] = routing[0].model_copy(
                update={"stations": {station: cycle}, "cv": 0.0, "dist": "constant"}
            )
        pid = f"{product.id}@{o.id}[{first}:]"
        new_products[pid] = product.model_copy(update={"id": pid, "routing": routing})
        release = max(float(o.release) - t0, 0.0)
        due = None if o.due is None else float(o.due) - t0
        orders.append(
            Order.model_construct(
                id=o.id,
                product=pid,
                quantity=o.quantity,
                release=release,
                due=due,
                priority=o.priority,
            )
        )
        for k in range(first, last):
            keys.append((o.id, k))
            m, s, e = projection[(o.id, k)]
            rows.append((names[m], float(s) - t0, float(e) - t0))
    # without a start, time 0 is a Monday 00:00 for the calendars (Scenario.calendar_intervals)
    origin = base.start if base.start is not None else datetime(2024, 1, 1)
    start = origin + timedelta(seconds=t0 * UNIT_SECONDS[base.time_unit])
    scenario = base.model_copy(
        update={
            "start": start,
            "orders": orders,
            "products": [*base.products, *new_products.values()],
            "arrivals": None,
            "run": base.run.model_copy(update={"horizon": None}),
        }
    )
    problem = build_problem(scenario)
    index = {name: m for m, name in enumerate(problem.machine_names)}
    plan = Schedule(
        np.asarray([index[u] for u, _, _ in rows], np.int64),
        np.asarray([round(s) for _, s, _ in rows], np.int64),
        np.asarray([round(e) for _, _, e in rows], np.int64),
    )
    check_plan(problem, plan)
    down = {name: left for name, left in down.items() if name in index}
    return t0, _Start(scenario, plan, problem, keys, down, done)


def _finished(facts: Any, order: str, k: int) -> bool:
    op = facts.ops.get((order, k))
    return op is not None and op.end is not None


def _hold_down(run: PlanRun, unit: str, left: float) -> Generator[Any, Any, None]:
    """A machine down at the start stays down for ``left`` (a failure at time 0)."""
    machine = run.shop.machines[unit]
    machine._go_down(left)  # the unit's own failure path (records failure, DOWN)
    yield run.env.timeout(left)
    machine._come_up()


def _one(start: _Start, t0: int, seed: int, replication: int, twin: LiveTwin) -> dict[str, Any]:
    log = EventLog()
    ss = np.random.SeedSequence(seed, spawn_key=(replication,))
    run = PlanRun(start.scenario, start.problem, log, ss)
    for o in start.scenario.orders:
        run.new_lot(o.id, o.product, o.quantity, o.release, o.due)
    run.follow(start.plan)
    for unit, left in start.down.items():
        if left > 0:
            run.env.process(_hold_down(run, unit, left))
    run.expected = len(run.lots)
    if run.expected == 0:
        run.all_done.succeed()
    weeks = 4 * 7 * 86400 / UNIT_SECONDS[start.scenario.time_unit]
    cap = 10 * float(start.problem.mode_duration.sum()) + weeks
    run.env.run(until=run.env.any_of([run.all_done, run.env.timeout(cap)]))
    completion = dict(start.done)
    for t, kind, _, j, *_ in log.rows():
        if kind == "finish":
            completion[run.lots[j].id] = float(t) + t0
    return _kpis(twin, completion, len(run.lots) - run.finished)


def _kpis(twin: LiveTwin, completion: dict[str, float], unfinished: int) -> dict[str, Any]:
    return {**order_kpis(twin, completion), "unfinished": unfinished}


def simulate_ahead(twin: LiveTwin, replications: int = 10, seed: int | None = None) -> Ahead:
    """Run the SimPy shop ahead from the twin's state (see the module docstring):
    ``replications`` runs with child seeds of ``seed`` (default the scenario's)."""
    if replications < 1:
        raise TwinError(f"replications must be >= 1, got {replications}")
    fork = twin.fork("none")
    seed = fork.scenario.run.seed if seed is None else int(seed)
    t0, start = _start_state(fork)
    runs = [_one(start, t0, seed, r, fork) for r in range(replications)]
    return Ahead(float(t0), replications, seed, aggregate_kpis(runs), kpi_ci95(runs), runs)
