"""The live twin's first plan: as :func:`twin.simulate` would plan the scenario.

A solver method (``cpsat``, ``auto``, ``tabu``, ``dispatch``) solves the orders, with
more calendar windows when the plan runs past them; a dispatch rule (the pilot's
``edd``) gives the schedule of the twin's own deterministic online dispatch run
(:func:`twin.sim.hint.online_hint`), or, when that run does not fit the problem, the
scheduler's dispatch pass with the same rule.
"""

from __future__ import annotations

import scheduler
from scheduler import ProblemData, Schedule
from twin.errors import TwinError
from twin.run import choose_method, for_method, plan_scenario
from twin.scenario import Scenario
from twin.sim.build import build_problem, calendar_cover
from twin.sim.hint import online_hint

__all__ = ["initial_plan"]


def initial_plan(
    scenario: Scenario,
    method: str | None = None,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    workers: int | None = None,
) -> tuple[Schedule, ProblemData, int | None]:
    """(plan, the problem it covers, the calendar cover used or None)."""
    if scenario.arrivals is not None:
        raise TwinError("the live twin plans known orders: a scenario with arrivals has none")
    problem = build_problem(scenario)
    if problem.num_jobs == 0:
        raise TwinError(f"{scenario.source}: no orders to plan")
    cover = calendar_cover(scenario, problem) if problem.has_windows else None
    how, rule = choose_method(scenario, method)
    limit = scenario.run.time_limit if time_limit is None else time_limit
    if how is None:
        assert rule is not None
        plan = online_hint(scenario, problem, rule)
        if plan is None:
            result = scheduler.solve(problem, "dispatch", time_limit=max(limit, 1.0), rule=rule)
            if result.schedule is None:
                raise TwinError(f"dispatch rule {rule} found no plan: {result.message}")
            plan = result.schedule
        return plan, problem, cover
    problem = for_method(problem, how)
    while True:
        found, _ = plan_scenario(
            scenario, problem, how, time_limit=limit, seed=seed, workers=workers
        )
        if found is None:
            raise TwinError(f"{how} found no plan")
        if cover is None or found.makespan <= cover:
            return found, problem, cover
        cover *= 2  # the plan runs past its calendar windows: plan with more of them
        problem = for_method(build_problem(scenario, cover), how)
