"""Run the orders of a scenario through the SimPy shop: following a plan
(:mod:`twin.sim.plan`), or online dispatching with a rule
(:mod:`twin.sim.dispatch`); what happens around every operation (robots,
transport, buffers and blocking, randomness) is :mod:`twin.sim.core`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from models.recorder import Recorder
from scheduler import ProblemData, Schedule
from twin.errors import TwinError
from twin.scenario import Scenario
from twin.scenario.durations import UNIT_SECONDS
from twin.shopinfo import JobInfo
from twin.sim.core import Gen, ShopRun, fewer_collections
from twin.sim.dispatch import RULES, DispatchRun
from twin.sim.load import overloaded
from twin.sim.plan import PlanRun, check_plan

__all__ = ["RULES", "Execution", "execute", "run_to_end"]

log = logging.getLogger(__name__)


@dataclass
class Execution:
    """What :func:`execute` returns: the lots (orders and arrivals) and the end time.
    The events went to the recorder."""

    lots: list[JobInfo]
    end: float
    finished: int
    unfinished: int = 0
    rule: str | None = None
    warnings: list[str] = field(default_factory=list)


def _ticks(env: simpy.Environment, horizon: float, report: Callable[[float], None]) -> Gen:
    step = horizon / 50
    while True:
        yield env.timeout(step)
        report(min(1.0, env.now / horizon))


def _add_orders(run: ShopRun, scenario: Scenario) -> None:
    for o in scenario.orders:
        run.new_lot(o.id, o.product, o.quantity, o.release, o.due)


def execute(
    scenario: Scenario,
    problem: ProblemData,
    recorder: Recorder,
    *,
    seed: np.random.SeedSequence,
    plan: Schedule | None = None,
    rule: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Execution:
    """Simulate the scenario's orders (and arrivals) following ``plan`` or, without
    one, dispatching online with ``rule``; events go to ``recorder``.
    ``on_progress(fraction)`` is called every 2 % of a run with a horizon (for a
    progress bar; the library never draws one).

    The run lasts ``run.horizon`` if set, else until every lot is finished (capped at
    the last release plus ten times the total work plus four weeks, in case a plan's
    order locks the shop behind full buffers: the lots still open are then reported as
    unfinished).
    """
    if (plan is None) == (rule is None):
        raise TwinError("execute: give exactly one of plan and rule")
    if rule is not None and rule not in RULES:
        raise TwinError(f"unknown dispatch rule {rule!r} (expected one of {', '.join(RULES)})")
    if plan is not None:
        check_plan(problem, plan)
    horizon = scenario.run.horizon
    warnings: list[str] = []
    ex: ShopRun
    if plan is not None:
        ex = runner = PlanRun(scenario, problem, recorder, seed)
        _add_orders(ex, scenario)
        runner.follow(plan)
    else:
        assert rule is not None
        ex = dispatcher = DispatchRun(scenario, problem, recorder, seed)
        _add_orders(ex, scenario)
        dispatcher.start_dispatch(rule)
        if scenario.arrivals is not None and horizon is not None:
            ex.env.process(dispatcher.arrivals(horizon))
            for msg in overloaded(scenario):
                log.warning(msg)
                warnings.append(msg)
    return run_to_end(ex, scenario, problem, rule, warnings, on_progress)


def run_to_end(
    ex: ShopRun,
    scenario: Scenario,
    problem: ProblemData,
    rule: str | None,
    warnings: list[str],
    on_progress: Callable[[float], None] | None = None,
) -> Execution:
    """Run ``ex`` to ``run.horizon``, or until every lot is finished (capped: see
    :func:`execute`), and say what happened."""
    horizon = scenario.run.horizon
    if horizon is not None:
        if on_progress is not None and horizon > 0:
            ex.env.process(_ticks(ex.env, horizon, on_progress))
        with fewer_collections():  # a run's objects live to its end: see there
            ex.env.run(until=horizon)
        end = float(horizon)
        if on_progress is not None:
            on_progress(1.0)
    else:
        ex.expected = len(ex.lots)
        if ex.expected == 0:
            ex.all_done.succeed()
        weeks = 4 * 7 * 86400 / UNIT_SECONDS[scenario.time_unit]
        last = max((o.release for o in scenario.orders), default=0.0)
        cap = last + 10 * float(problem.mode_duration.sum()) + weeks
        with fewer_collections():
            ex.env.run(until=ex.env.any_of([ex.all_done, ex.env.timeout(cap)]))
        end = float(ex.env.now)
        if not ex.all_done.triggered:
            msg = f"run stopped at t={end:g} with {len(ex.lots) - ex.finished} lots unfinished"
            log.warning(msg)
            warnings.append(msg)
    return Execution(
        lots=[lot.info for lot in ex.lots],
        end=end,
        finished=ex.finished,
        unfinished=len(ex.lots) - ex.finished,
        rule=rule,
        warnings=warnings,
    )
