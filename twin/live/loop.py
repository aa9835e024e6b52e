"""Closed-loop rescheduling in the simulated shop: ``twin run SCENARIO --reschedule``.

The SimPy shop follows the plan (:class:`twin.sim.plan.AdaptivePlanRun`); what it does
reaches a :class:`~twin.live.twin.LiveTwin` as MES events, the same path a real MES
takes: ``operation_started`` at an operation's ``op_start``, ``operation_finished``
when the lot leaves it (good parts = the lot after scrap), ``machine_down`` at a
failure (the repair the run drew as the expected repair), ``machine_up``,
``machine_setup`` (as :mod:`twin.mes.emulate` turns a finished run's log into events).
The events of one instant are ingested together, in time order, after the shop's
processes of that instant have recorded them; then the policy decides:

- ``on-event``: a breakdown, or a deviation the twin reports (an operation starting or
  ending more than the threshold from its plan, or not started that long after its
  planned start);
- ``periodic:N``: every N model time units (a tick with no new event since the last
  replan changes nothing and is skipped);
- ``none``: never (the twin only mirrors the shop: the run equals a plain one).

A replan (:meth:`LiveTwin.replan`: started operations frozen, down machines unavailable
until their expected repair, warm start from the repaired plan, stability penalty) is
checked by :func:`scheduler.check` against the live problem (``violations``: those
involving an operation not begun; ``past_violations``: among the facts alone, such as
two actual times rounded to whole units closer than a transport time) and pushed into the
running shop (:meth:`AdaptivePlanRun.adopt`): operations not yet begun follow the new
machine and sequence. Each replan is a row of ``replans.csv``.

The twin lives above :mod:`twin.run` in the layers, so this is :func:`simulate` here,
not an argument of :func:`twin.run.simulate`.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.recorder import EventKind
from scheduler import ProblemData, Schedule
from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.kpi import compute_kpis
from twin.live import events as ev
from twin.live.notices import TwinEvent
from twin.live.policy import Policy
from twin.live.replan import Replanner
from twin.live.twin import LiveTwin
from twin.run import Run, choose_method, plan_info, plan_scenario, write_run
from twin.scenario import Scenario, load_scenario
from twin.sim.build import build_problem, shop_info
from twin.sim.core import LotInShop
from twin.sim.execute import Execution, run_to_end
from twin.sim.plan import AdaptivePlanRun, check_plan
from twin.sim.timing import PlanTimes, published

__all__ = [
    "REPLAN_COLUMNS",
    "ClosedLoop",
    "parse_policy",
    "replicate",
    "simulate",
    "summarise",
    "write_replans",
    "write_run_rescheduled",
]

REPLAN_COLUMNS = (
    "replication", "time", "trigger", "chosen", "status", "moved", "moved_machine",
    "frozen", "open_operations", "objective_before", "objective_after", "makespan_before",
    "makespan_after", "tardiness_before", "tardiness_after", "solve_seconds", "violations",
    "past_violations", "pinned",
)  # fmt: skip

# same instant: finished, up, setup, started, down (as twin.mes.emulate orders them)
_RANK = {"operation_finished": 0, "machine_up": 1, "machine_setup": 2,
         "operation_started": 3, "machine_down": 4}  # fmt: skip


def parse_policy(text: str | Policy) -> Policy:
    """``none``, ``periodic:N`` or ``on-event`` (``on-event:D``: deviation threshold D)."""
    if isinstance(text, Policy):
        return text
    kind, _, arg = text.strip().partition(":")
    if kind.replace("_", "-") == "on-event" and arg:
        try:
            return Policy("on-event", deviation=float(arg))
        except ValueError:
            raise TwinError(f"policy {text!r}: {arg!r} is not a number") from None
    if kind == "periodic" and not arg:
        raise TwinError(f"policy {text!r}: give the period, e.g. periodic:480")
    return Policy.parse(text)


class _Tap:
    """A recorder that writes into the run's log and hands the rows an MES reports
    (failures, repairs, setups, operation starts of processing units) to the loop."""

    WATCH = frozenset(
        (EventKind.OP_START, EventKind.FAILURE, EventKind.REPAIR, EventKind.SETUP_START)
    )

    def __init__(self, log: EventLog, units: set[str], seen: Callable[[tuple[Any, ...]], None]):
        self.log, self.units, self.seen = log, units, seen

    def record(
        self,
        time: float,
        kind: str,
        station: str,
        *,
        job: int = -1,
        operation: int = -1,
        state: str = "",
        value: float = 0.0,
        product: str = "",
    ) -> None:
        self.log.record(
            time, kind, station, job=job, operation=operation, state=state, value=value,
            product=product,
        )  # fmt: skip
        if kind in self.WATCH and station in self.units:
            self.seen((time, kind, station, job, operation, state, value))


class _Run(AdaptivePlanRun):
    """The plan-following run that tells the loop when a lot leaves an operation."""

    loop: ClosedLoop

    def hand_over(self, lot: LotInShop, k: int) -> None:
        if k > 0:
            self.loop.finished(lot, k - 1)
        super().hand_over(lot, k)

    def finish(self, lot: LotInShop) -> None:
        self.loop.finished(lot, len(lot.product.routing) - 1)
        super().finish(lot)


@dataclass
class ClosedLoop:
    """One closed-loop run: the shop (``run``), the twin mirroring it and its replans."""

    scenario: Scenario
    problem: ProblemData
    plan: Schedule
    policy: Policy
    replanner: Replanner
    seed: np.random.SeedSequence
    log: EventLog = field(default_factory=EventLog)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_plan(self.problem, self.plan)
        self.live = LiveTwin(self.scenario, self.plan, policy="none", replanner=self.replanner)
        if self.policy.deviation is not None:
            self.live.threshold = float(self.policy.deviation)
        self.clock = self.live.clock
        self.units = set(self.problem.machine_names)
        self.pending: list[tuple[float, int, int, str, dict[str, Any]]] = []
        self.triggers: list[str] = []
        self.live.subscribe(self._heard)
        self.fresh = False  # an event ingested since the last replan
        self.rejected = 0
        self._n = 0
        tap = _Tap(self.log, self.units, self._seen)
        self.run = run = _Run(self.scenario, self.problem, tap, self.seed)
        run.loop = self
        for o in self.scenario.orders:
            run.new_lot(o.id, o.product, o.quantity, o.release, o.due)
        self.orders = [lot.id for lot in run.lots]
        self.started: set[tuple[int, int]] = set()
        self.left: dict[int, int] = {}  # parts in each lot after its last finished step
        self._armed = False
        run.follow(self.plan)
        if self.policy.kind == "periodic":
            assert self.policy.every is not None
            self._tick_at(self.policy.every)

    # -- the shop's side: rows -> MES events ----------------------------------------

    def _push(self, t: float, kind: str, data: dict[str, Any]) -> None:
        self.pending.append((t, _RANK[kind], self._n, kind, data))
        self._n += 1
        if not self._armed:
            self._armed = True
            wake = self.run.env.event()
            wake.callbacks.append(lambda _: self.step())
            wake.succeed()

    def _seen(self, row: tuple[Any, ...]) -> None:
        t, kind, unit, j, k, state, value = row
        if kind == EventKind.OP_START:
            if (j, k) not in self.started:
                self.started.add((j, k))
                self._push(t, "operation_started",
                           {"order": self.orders[j], "step": k, "machine": unit})  # fmt: skip
        elif kind == EventKind.FAILURE:
            up = self.clock.to_wall(t + value)
            self._push(t, "machine_down", {"machine": unit, "expected_up": up})
        elif kind == EventKind.REPAIR:
            self._push(t, "machine_up", {"machine": unit})
        elif kind == EventKind.SETUP_START:
            self._push(t, "machine_setup", {"machine": unit, "family": str(state)})

    def finished(self, lot: LotInShop, k: int) -> None:
        """The lot leaves operation ``k`` (after inspection and any rework)."""
        o = self.run.first_op[lot.index] + k
        self._push(
            self.run.env.now,
            "operation_finished",
            {"order": lot.id, "step": k, "machine": self._unit_of(o), "good": lot.quantity,
             "scrap": self._scrap_of(lot)},
        )  # fmt: skip

    def _unit_of(self, o: int) -> str | None:
        unit = self.run.committed_on[o]
        return unit if unit is not None else self.run.plan_unit[o]

    def _scrap_of(self, lot: LotInShop) -> int:
        """Parts the lot lost since its previous operation ended (this one's scrap)."""
        before = self.left.get(lot.index, lot.ordered)
        self.left[lot.index] = lot.quantity
        return max(0, before - lot.quantity)

    # -- the twin's side --------------------------------------------------------------

    def _heard(self, event: TwinEvent) -> None:
        if event.kind == "deviation":
            self.triggers.append("deviation")
        elif event.kind == "accepted" and event.data.get("type") == "machine_down":
            self.triggers.append("breakdown")
        elif event.kind == "rejected":
            self.rejected += 1

    def ingest(self) -> None:
        """Hand the pending MES events to the twin, in time order."""
        batch, self.pending = sorted(self.pending), []
        for t, _, n, kind, data in batch:
            event = ev.EVENT_TYPES[kind](id=f"sim-{n}", time=self.clock.to_wall(t), **data)
            self.live.ingest(event)
            self.fresh = True

    def step(self) -> None:
        """The events of this instant reach the twin; the policy may replan."""
        self._armed = False
        self.ingest()
        now = self.run.env.now
        self.live.advance(max(self.live.now, now))
        fired = [t for t in self.triggers if self.policy.fires(t)]
        self.triggers.clear()
        if fired:
            self.replan("breakdown" if "breakdown" in fired else fired[0])

    def _tick_at(self, t: float) -> None:
        tick = self.run.env.timeout(max(0.0, t - self.run.env.now))
        tick.callbacks.append(lambda _: self._tick(t))

    def _tick(self, t: float) -> None:
        if self.run.all_done.triggered:
            return
        self._armed = False
        self.ingest()
        self.live.advance(max(self.live.now, self.run.env.now))
        self.triggers.clear()
        if self.fresh:
            self.replan("periodic")
        assert self.policy.every is not None
        self._tick_at(t + self.policy.every)

    def replan(self, trigger: str) -> None:
        report = self.live.replan(trigger)
        self.fresh = False
        if report.chosen == "none":
            return
        # scheduler.check of the plan in force: a violation among operations that have
        # all started is one of the facts (the past: docs/LIVE.md), not of this plan
        found = self.live.check()
        _, _, op_keys = self.live.live_problem()
        begun = self.live.facts.ops
        violations = [v for v in found if any(op_keys[o] not in begun for o in v.operations)]
        keys = {(r["order"], r["step"]): r for r in self.live.plan_rows()}
        run = self.run
        units, starts = [], []
        for j, k in run.op_loc:
            row = keys[(self.orders[j], k)]
            units.append(row["machine"])
            starts.append(row["start"])
        pinned = run.adopt(units, starts)
        self.rows.append(
            {
                "time": round(float(report.time), 6),
                "trigger": trigger,
                "chosen": report.chosen,
                "status": report.status,
                "moved": report.moved,
                "moved_machine": report.moved_machine,
                "frozen": report.frozen,
                "open_operations": report.open_operations,
                "objective_before": report.objective_before,
                "objective_after": report.objective_after,
                "makespan_before": report.makespan_before,
                "makespan_after": report.makespan_after,
                "tardiness_before": report.tardiness_before,
                "tardiness_after": report.tardiness_after,
                "solve_seconds": report.solve_seconds,
                "violations": len(violations),
                "past_violations": len(found) - len(violations),
                "pinned": len(pinned),
            }
        )

    # -- running it -------------------------------------------------------------------

    def execute(self) -> Execution:
        """Run the shop to the end (as :func:`twin.sim.execute.execute` does a plan)."""
        execution = run_to_end(self.run, self.scenario, self.problem, None, [])
        self.ingest()  # the last instant's events: the twin ends where the shop does
        return execution


def simulate(
    scenario: Scenario | str | Path,
    reschedule: str | Policy = "on-event",
    plan: Schedule | None = None,
    seed: int | None = None,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    replanner: Replanner | None = None,
    workers: int | None = None,
    replication: int = 0,
    solver: dict[str, Any] | None = None,
    problem: ProblemData | None = None,
    times: PlanTimes | None = None,
) -> Run:
    """One run of ``scenario`` whose plan is rescheduled in the loop by ``reschedule``
    (see the module docstring). ``method`` (default ``run.scheduling``) must be a
    solver method; the first plan is solved as :func:`twin.run.simulate` does (or
    given as ``plan`` over ``problem``). ``replanner``: how replans solve (default the
    plan's method, 1 s, the run's seed). The run's ``replans`` holds one dict per
    replan (:data:`REPLAN_COLUMNS`); its KPIs' plan adherence is against the first plan
    as published (``times``: :mod:`twin.sim.timing`, as :func:`twin.run.simulate`)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    policy = parse_policy(reschedule)
    seed = scenario.run.seed if seed is None else int(seed)
    how, rule = choose_method(scenario, method)
    if how is None and plan is None:
        raise TwinError(
            f"rescheduling needs a plan: scheduling {rule!r} dispatches online "
            "(use --method auto, tabu or cpsat)"
        )
    if problem is None:
        problem = build_problem(scenario)
    if plan is None:
        assert how is not None
        limit = scenario.run.time_limit if time_limit is None else time_limit
        from twin.run import for_method

        problem = for_method(problem, how)
        plan, solver = plan_scenario(
            scenario, problem, how, time_limit=limit, seed=seed, workers=workers
        )
        if plan is None:
            raise TwinError("no orders to plan")
    if solver is None:
        solver = {"method": "plan", "status": "given", "makespan": plan.makespan,
                  "lower_bound": None, "solve_seconds": 0.0}  # fmt: skip
    if replanner is None:
        replanner = Replanner(method=how or "auto", time_limit=1.0, seed=seed, workers=workers)
    ss = np.random.SeedSequence(seed, spawn_key=(replication,))
    loop = ClosedLoop(scenario, problem, plan, policy, replanner, ss)
    execution = loop.execute()
    if times is None:  # the plan as published: this log's own only when nothing replanned
        log = None if loop.rows else loop.log
        times, solver = published(scenario, problem, plan, seed, log, solver)
    info = plan_info(scenario, problem, plan, times)
    kpis = compute_kpis(shop_info(scenario), loop.log, info)
    run = Run(
        scenario, seed, replication, loop.log, kpis, problem, execution, plan, solver, times=times
    )
    run.replans = [{"replication": replication, **row} for row in loop.rows]
    names = problem.machine_names
    first = [names[m] for m in plan.machine.tolist()]
    changed = sum(1 for o, u in enumerate(loop.run.committed_on) if u not in (None, first[o]))
    run.reschedule = {
        "policy": reschedule.strip() if isinstance(reschedule, str) else str(policy),
        "replans": len(loop.rows),
        "rejected_events": loop.rejected,
        "machine_changed": changed,  # operations run on another machine than first planned
    }
    return run


def replicate(
    scenario: Scenario | str | Path,
    reschedule: str | Policy,
    replications: int | None = None,
    seed: int | None = None,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    replanner: Replanner | None = None,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Run]:
    """``replications`` closed-loop runs: the first plan is solved once, each
    replication reschedules it in its own shop (its own child seed)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = scenario.run.replications if replications is None else int(replications)
    if n < 1:
        raise TwinError(f"replications must be >= 1, got {n}")
    first = simulate(
        scenario, reschedule, seed=seed, method=method, time_limit=time_limit,
        replanner=replanner, workers=workers,
    )  # fmt: skip
    runs = [first]
    if on_progress is not None:
        on_progress(1, n)
    for r in range(1, n):
        again = simulate(
            scenario, reschedule, first.plan, seed=seed, method=method, replanner=replanner,
            workers=workers, replication=r, solver=first.solver, problem=first.problem,
            times=first.times,
        )  # fmt: skip
        runs.append(again)
        if on_progress is not None:
            on_progress(r + 1, n)
    return runs


def write_replans(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """``replans.csv``: one row per replan (:data:`REPLAN_COLUMNS`)."""
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, REPLAN_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in REPLAN_COLUMNS})


def write_run_rescheduled(
    out: str | Path, runs: Sequence[Run], scenario_file: str | Path | None = None
) -> dict[str, Any]:
    """:func:`twin.run.write_run` plus ``replans.csv`` (every replication's replans)."""
    rows = [row for r in runs for row in (r.replans or [])]
    return write_run(
        out, runs, scenario_file, extra=lambda folder: write_replans(folder / "replans.csv", rows)
    )


def summarise(rows: Sequence[dict[str, Any]], n_ops: int) -> dict[str, Any]:
    """Replan statistics: count, ops moved per replan, share of operations that
    changed machine, replan seconds (median, p95)."""
    seconds = sorted(float(r["solve_seconds"]) for r in rows)
    p95 = float(np.percentile(seconds, 95)) if seconds else None
    return {
        "replans": len(rows),
        "moved_per_replan": statistics.fmean(r["moved"] for r in rows) if rows else 0.0,
        "machine_changes_share": sum(r["moved_machine"] for r in rows) / max(n_ops, 1),
        "replan_seconds_median": statistics.median(seconds) if seconds else None,
        "replan_seconds_p95": p95,
        "violations": sum(int(r["violations"]) for r in rows),
    }
