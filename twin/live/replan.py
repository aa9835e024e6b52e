"""One replan: the repaired current plan against a fresh solve, stability included.

The residual problem ``R`` (:func:`twin.live.problem.residual`) freezes what has
started and keeps down machines unavailable until their expected repair. The current
plan, repaired onto ``R`` (:func:`twin.live.problem.repair`: same machines and
sequences, left-shifted), is a complete feasible hint for the solver (CP-SAT keeps a
complete hint; the search methods start from it). Stability is handled without
touching the solver: each candidate (the repaired plan and the solver's) scores its
objective plus ``stability`` per operation that changed machine or moved more than
``move_tolerance`` against the plan in force, and the lower score wins (ties keep the
repaired plan). The report says which one won and why.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import scheduler
from scheduler import ProblemData, Schedule, SchedulerError
from scheduler.solve import KERNEL_METHODS
from twin.errors import TwinError
from twin.live.problem import PlanMap, Residual, compose, repair
from twin.run import for_method, plan_objective
from twin.scenario import Scenario

__all__ = ["ReplanReport", "Replanner", "moved"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplanReport:
    """What one replan did (model times; objective in the plan's objective units)."""

    trigger: str
    time: float
    method: str
    status: str
    chosen: str  # "new", "repaired" or "none" (nothing left to plan)
    objective_before: float | None  # the plan in force, repaired onto the new state
    objective_after: float | None  # the plan adopted
    objective_solver: float | None  # the solver's plan, before the stability check
    makespan_before: int | None
    makespan_after: int | None
    tardiness_before: int | None  # total weighted tardiness
    tardiness_after: int | None
    moved: int  # operations (not started) that changed machine or start vs the plan in force
    moved_machine: int
    frozen: int
    open_operations: int
    solve_seconds: float
    feasible: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def moved(new: PlanMap, old: PlanMap, keys: list[Any], tolerance: float) -> tuple[int, int]:
    """(operations whose machine changed or start moved more than ``tolerance``,
    operations whose machine changed), over ``keys``."""
    n_moved = n_machine = 0
    for key in keys:
        a, b = new.get(key), old.get(key)
        if a is None or b is None:
            continue
        if a[0] != b[0]:
            n_machine += 1
            n_moved += 1
        elif abs(a[1] - b[1]) > tolerance:
            n_moved += 1
    return n_moved, n_machine


@dataclass
class Replanner:
    """How the live twin replans: solver method and budget, stability weight."""

    method: str = "auto"
    time_limit: float = 2.0
    seed: int = 0
    workers: int | None = None
    stability: float = 1.0
    move_tolerance: float = 15.0

    def objective(self, scenario: Scenario, data: ProblemData) -> tuple[str, tuple[int, int]]:
        return plan_objective(scenario, data)

    def evaluate(self, scenario: Scenario, data: ProblemData, schedule: Schedule) -> float:
        kind, weights = self.objective(scenario, data)
        return scheduler.evaluate(data, schedule, kind, weights)

    def run(
        self, scenario: Scenario, res: Residual, plan: PlanMap, trigger: str
    ) -> tuple[PlanMap, ReplanReport]:
        """Replan ``res`` from ``plan``; returns the adopted plan (over ``P``) and the report."""
        data = for_method(res.data, self.method)
        res = Residual(data, res.op, res.frozen, res.now, res.problem, res.keys, res.finished)
        open_keys = [res.keys[o] for o, f in zip(res.op.tolist(), res.frozen, strict=True) if not f]
        try:
            hint: Schedule | None = repair(res, plan)
        except ValueError as exc:  # the plan's sequences no longer fit (a cycle)
            log.warning("replan: the current plan cannot be repaired (%s)", exc)
            hint = None
        if hint is not None and scheduler.check(data, hint):
            log.warning("replan: the repaired plan is not feasible; solving without it")
            hint = None
        before = None if hint is None else self.evaluate(scenario, data, hint)
        if self.method in KERNEL_METHODS:
            from scheduler.warmup import warmup

            warmup()
        kind, weights = self.objective(scenario, data)
        t0 = time.perf_counter()
        try:
            result = scheduler.solve(
                data,
                self.method,
                time_limit=self.time_limit,
                seed=self.seed,
                workers=self.workers,
                objective=kind,
                weights=weights,
                hint=hint,
            )
            status, found = str(result.status), result.schedule
        except SchedulerError as exc:  # cpsat: too large to build in time
            log.warning("replan: %s", exc)
            status, found = "error", None
        seconds = time.perf_counter() - t0
        candidates: list[tuple[float, int, str, Schedule]] = []
        if hint is not None:
            candidates.append((0.0, 0, "repaired", hint))
        solver_value = None
        if found is not None and not scheduler.check(data, found):
            solver_value = self.evaluate(scenario, data, found)
            candidates.append((0.0, 1, "new", found))
        if not candidates:
            raise TwinError(f"replan: no feasible plan ({status})")
        scored = []
        for _, rank, name, schedule in candidates:
            adopted = compose(res, schedule)
            n_moved, _ = moved(adopted, plan, open_keys, self.move_tolerance)
            value = self.evaluate(scenario, data, schedule)
            scored.append((value + self.stability * n_moved, rank, name, adopted, value))
        _, _, chosen, adopted, value = min(scored, key=lambda s: (s[0], s[1]))
        best = {name: schedule for _, _, name, schedule in candidates}[chosen]
        n_moved, n_machine = moved(adopted, plan, open_keys, self.move_tolerance)
        report = ReplanReport(
            trigger=trigger,
            time=float(res.now),
            method=self.method,
            status=status,
            chosen=chosen,
            objective_before=before,
            objective_after=value,
            objective_solver=solver_value,
            makespan_before=None if hint is None else hint.makespan,
            makespan_after=best.makespan,
            tardiness_before=None if hint is None else hint.total_weighted_tardiness(data),
            tardiness_after=best.total_weighted_tardiness(data),
            moved=n_moved,
            moved_machine=n_machine,
            frozen=int(res.frozen.sum()),
            open_operations=len(open_keys),
            solve_seconds=round(seconds, 3),
            feasible=True,
        )
        return adopted, report
