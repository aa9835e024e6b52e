"""`solve_cpsat`: build the model, hint it, run CP-SAT, return a checked-shape `Result`."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from scheduler.compact import left_shift
from scheduler.cpsat.bounds import horizon_bound, makespan_lower_bound
from scheduler.cpsat.callback import ImprovementCallback
from scheduler.cpsat.constraints import add_constraints
from scheduler.cpsat.hints import add_complete_hint, greedy_schedule
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.model import Variables, build_variables
from scheduler.cpsat.objective import objective_expr, weighted_tardiness
from scheduler.cpsat.precheck import infeasibility_reason
from scheduler.errors import SchedulerError
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule, Status
from scheduler.solve import SolutionCallback

__all__ = ["DEFAULT_PARAMS", "solve_cpsat"]

logger = logging.getLogger(__name__)

# Measured on Brandimarte mk01-mk10 (30 s, 2 workers); see the module's tests/report.
DEFAULT_PARAMS: dict[str, Any] = {}

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


def solve_cpsat(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    objective: str | Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
    hint: Schedule | None = None,
    on_solution: SolutionCallback | None = None,
    log: bool = False,
    params: dict[str, Any] | None = None,
    **options: Any,
) -> Result:
    """Solve with CP-SAT (optional interval per eligible machine, one no-overlap per
    machine, setup circuits and transport lags when the data has them).

    Parameters
    ----------
    time_limit
        Seconds for model building and search together.
    workers, seed
        CP-SAT ``num_workers`` and ``random_seed``; one worker and a seed give one
        result whenever the search finishes before the time limit.
    hint
        A feasible schedule to start from; it is left-shifted and hinted completely.
    log
        Let CP-SAT log its search (through :mod:`logging`).
    params
        Raw CP-SAT parameters, applied last (e.g. ``{"use_lns_only": True}``).
    """
    if options:
        raise TypeError(f"solve_cpsat got unknown option(s) {sorted(options)}")
    t0 = time.perf_counter()
    obj = Objective.parse(objective)
    inst = Instance.of(data)
    reason = infeasibility_reason(inst)
    if reason:
        return _result(Status.INFEASIBLE, obj, t0, t0, message=reason)
    lower = makespan_lower_bound(inst)
    start_from = _starting_schedule(data, inst, hint)
    horizon = horizon_bound(inst)
    if start_from is not None and obj in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC):
        horizon = min(horizon, start_from.makespan)
    if start_from is not None:
        horizon = max(horizon, start_from.makespan)
    v = build_variables(inst, horizon, lower, tardiness=obj is not Objective.MAKESPAN)
    add_constraints(v)
    v.model.minimize(objective_expr(v, obj, weights))
    if start_from is not None:
        add_complete_hint(v, start_from)
    built = time.perf_counter()
    solver = _solver(workers, seed, log, params)
    callback = ImprovementCallback(on_solution, t0)
    status = _run(solver, v, callback, t0 + time_limit)
    stats = _stats(solver, callback, lower, horizon)
    if status is Status.UNKNOWN or status is Status.INFEASIBLE:
        message = (
            "CP-SAT proved that no schedule satisfies the constraints"
            if status is Status.INFEASIBLE
            else f"no schedule found within the time limit of {time_limit:g} s"
        )
        return _result(status, obj, t0, built, message=message, stats=stats)
    schedule = _read_schedule(solver, v)
    bound = float(solver.best_objective_bound)
    if obj is Objective.LEXICOGRAPHIC:
        status, schedule = _second_phase(solver, v, schedule, status, callback, t0 + time_limit)
        stats["tardiness"] = schedule.total_weighted_tardiness(data)
    schedule = left_shift(data, schedule)
    value = evaluate(data, schedule, obj, weights)
    if obj in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC):
        bound = max(bound, float(lower))
    if status is Status.OPTIMAL:
        bound = value
    return _result(status, obj, t0, built, schedule=schedule, value=value, bound=bound, stats=stats)


def _starting_schedule(data: ProblemData, inst: Instance, hint: Schedule | None) -> Schedule | None:
    """The caller's hint left-shifted (kept as is if it cannot be), else the greedy one."""
    if hint is None:
        return greedy_schedule(inst)
    if len(hint) != data.num_ops:
        raise ValueError(f"hint has {len(hint)} operations, the problem has {data.num_ops}")
    try:
        return left_shift(data, hint)
    except ValueError:
        logger.warning("hint has cyclic machine orders; passing it to CP-SAT as is")
        return hint


def _solver(workers: int, seed: int, log: bool, params: dict[str, Any] | None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = int(workers)
    p.random_seed = int(seed)
    p.log_search_progress = bool(log)
    for key, value in {**DEFAULT_PARAMS, **(params or {})}.items():
        setattr(p, key, value)
    if log:
        solver.log_callback = logger.info
    return solver


def _run(
    solver: cp_model.CpSolver, v: Variables, callback: ImprovementCallback, deadline: float
) -> Status:
    solver.parameters.max_time_in_seconds = max(deadline - time.perf_counter(), 0.01)
    code = solver.solve(v.model, callback)
    if code == cp_model.MODEL_INVALID:
        raise SchedulerError(f"internal error: CP-SAT model invalid: {v.model.validate()}")
    return _STATUS[code]


def _read_schedule(solver: cp_model.CpSolver, v: Variables) -> Schedule:
    inst = v.inst
    machine, start, end = [], [], []
    for o, modes in enumerate(inst.modes):
        chosen = next(a for a in modes if a not in v.present or solver.boolean_value(v.present[a]))
        machine.append(inst.machine(chosen))
        s = int(solver.value(v.start[o]))
        start.append(s)
        end.append(s + inst.duration(chosen))
    return Schedule(np.array(machine), np.array(start), np.array(end))


def _second_phase(
    solver: cp_model.CpSolver,
    v: Variables,
    first: Schedule,
    status: Status,
    callback: ImprovementCallback,
    deadline: float,
) -> tuple[Status, Schedule]:
    """Lexicographic: keep the makespan at its best value, minimise tardiness."""
    if not v.tardiness or deadline - time.perf_counter() < 0.05:
        return (status if not v.tardiness else Status.FEASIBLE), first
    v.model.add(v.makespan <= first.makespan)
    v.model.minimize(weighted_tardiness(v))
    add_complete_hint(v, first)
    second = _run(solver, v, callback, deadline)
    if second not in (Status.OPTIMAL, Status.FEASIBLE):
        return Status.FEASIBLE, first
    both = status is Status.OPTIMAL and second is Status.OPTIMAL
    return (Status.OPTIMAL if both else Status.FEASIBLE), _read_schedule(solver, v)


def _stats(
    solver: cp_model.CpSolver, callback: ImprovementCallback, lower: int, horizon: int
) -> dict[str, Any]:
    return {
        "conflicts": int(solver.num_conflicts),
        "branches": int(solver.num_branches),
        "wall_time": float(solver.wall_time),
        "solutions": callback.solutions,
        "cheap_lower_bound": lower,
        "horizon": horizon,
    }


def _result(
    status: Status,
    obj: Objective,
    t0: float,
    built: float,
    *,
    schedule: Schedule | None = None,
    value: float | None = None,
    bound: float | None = None,
    message: str = "",
    stats: dict[str, Any] | None = None,
) -> Result:
    return Result(
        status=status,
        method="cpsat",
        objective=value,
        lower_bound=bound,
        build_seconds=built - t0,
        solve_seconds=time.perf_counter() - built,
        schedule=schedule,
        objective_name=obj.value,
        message=message,
        stats=stats or {},
    )
