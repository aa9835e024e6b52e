"""`solve_cpsat`: build the model, hint it, search (full solve, LNS, full solve again),
and return a `Result` with a left-shifted schedule."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from scheduler.check import is_feasible
from scheduler.compact import left_shift
from scheduler.cpsat.bounds import horizon_bound, makespan_lower_bound
from scheduler.cpsat.callback import ImprovementCallback, Reporter
from scheduler.cpsat.constraints import add_constraints
from scheduler.cpsat.hints import add_complete_hint, greedy_schedule
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.interrupt import solve_watched
from scheduler.cpsat.lns import improve
from scheduler.cpsat.model import (
    BuildClock,
    BuildTimeout,
    Variables,
    build_variables,
    read_schedule,
)
from scheduler.cpsat.objective import objective_expr, weighted_tardiness
from scheduler.cpsat.padded import padded_lengths, padded_schedule
from scheduler.cpsat.precheck import infeasibility_reason
from scheduler.cpsat.size import PADDED, model_size, plan
from scheduler.exchange import Exchange
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule, Status
from scheduler.solve import SolutionCallback, interrupted

__all__ = ["DEFAULT_PARAMS", "solve_cpsat"]

logger = logging.getLogger(__name__)

# Raw CP-SAT parameters applied to every solve (the caller's ``params`` override them).
# CP-SAT's own SIGINT handler would swallow Ctrl-C until the solve ends and leave the
# caller's handler disconnected: Python's handler stays in charge (see solve_watched).
DEFAULT_PARAMS: dict[str, Any] = {"catch_sigint_signal": False}

# Share of the time for the first full solve and for LNS (the rest: final full solve).
# Measured (30 s, 2 workers, shared machine): LNS beat the full model alone on mk02
# (26 vs 27), mk06 (58 vs 59) and mk10 (210-218 vs 224); 0.85 beat 0.6 on mk10.
FIRST_SHARE, LNS_SHARE = 0.05, 0.85
FIRST_MIN_SECONDS = 1.0  # small instances are often proved optimal within a second
# Reading the solution and left-shifting it cost about this much per operation (Python):
# the search leaves that much of the time limit (0.4 s at 10,000 operations).
POST_SECONDS_PER_OP = 4e-5
# With fewer jobs a sub-model frees most of the problem: just solve the full model.
MIN_LNS_JOBS = 4
# CP-SAT's clock starts once it has loaded the model: about 3 us per setup arc, which
# each solve leaves from its time (nothing on models without setups).
LOAD_SECONDS_PER_ARC = 3e-6
# LNS is skipped when building one sub-model would take more than this share of its
# time (normal sizes: milliseconds; 54,000 setup arcs of mk10 with setups: ~2 s).
LNS_MAX_BUILD_SHARE = 0.5
# One LNS thread of one-worker sub-solves beat two threads on mk10 (219-229 against
# 258-265 in 15 s, measured on the shared 2-core machine).
LNS_THREADS = 1

_MAKESPAN_FIRST = (Objective.MAKESPAN, Objective.LEXICOGRAPHIC)

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
    lns: bool = True,
    exchange: Exchange | None = None,
    stop: threading.Event | None = None,
    setups: str | None = None,
    **options: Any,
) -> Result:
    """Solve with CP-SAT (optional interval per eligible machine, one no-overlap per
    machine, setup circuits and transport lags when the data has them).

    Parameters
    ----------
    time_limit
        Seconds for model building and search together.
    workers, seed
        CP-SAT ``num_workers`` and ``random_seed`` (the seed also drives LNS); one
        worker and a seed give one result whenever the search ends before the limit.
    hint
        A feasible schedule to start from; it is left-shifted and hinted completely.
        Without one, an earliest-completion-time dispatch schedule is the start.
    log
        Let CP-SAT log its search (through :mod:`logging`).
    params
        Raw CP-SAT parameters, applied last (e.g. ``{"num_search_workers": 4}``).
    lns
        Spend part of the time on large neighbourhood search with small sub-models
        (at least ``MIN_LNS_JOBS`` jobs).
    exchange
        Share the LNS incumbent with searches running beside this solve (see
        :mod:`scheduler.exchange`); its values are makespans (``objective`` makespan
        or lexicographic only).
    stop
        When set, the search ends within ``POLL_SECONDS`` and the best schedule so far
        is returned (``stats["interrupted"]``).
    setups
        ``"circuit"`` (exact) or ``"padded"`` (see :mod:`scheduler.cpsat.padded`);
        by default circuits, unless they cannot be built within ``time_limit``.

    Raises
    ------
    InstanceTooLargeError
        When no model of the instance can be built within ``time_limit`` (see
        :func:`scheduler.cpsat.size.plan`). A model that still runs out of time while
        building (a slower machine than estimated) is abandoned at the deadline: the
        greedy start is returned, feasible.
    """
    if options:
        raise TypeError(f"solve_cpsat got unknown option(s) {sorted(options)}")
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    obj = Objective.parse(objective)
    setup_model = setups or plan(data, time_limit)
    inst = Instance.of(data)
    reason = infeasibility_reason(inst)
    if reason:
        return _result(Status.INFEASIBLE, obj, t0, t0, message=reason)
    lower = makespan_lower_bound(inst)
    start_from = _starting_schedule(data, inst, hint)
    horizon = horizon_bound(inst)
    if setup_model == PADDED:
        horizon += int((data.mode_duration == 0).sum())  # zero-length: padded to 1
    model_start = start_from
    if setup_model == PADDED and start_from is not None:
        model_start = padded_schedule(inst, start_from, padded_lengths(inst))
    if hint is None and model_start is not None and obj in _MAKESPAN_FIRST:
        horizon = min(horizon, model_start.makespan)  # the greedy schedule is feasible
    if model_start is not None:
        horizon = max(horizon, model_start.makespan)  # a caller's hint is not trusted
    # feasible by construction, or a caller's hint the independent checker accepts
    # (CP-SAT's model may be stricter than the checker: a calendar run that ends off
    # shift, fixture loads over a break)
    trusted = (
        start_from
        if hint is None or (start_from is not None and is_feasible(data, start_from))
        else None
    )
    clock = BuildClock(deadline, stop)
    try:
        v = build_variables(
            inst, horizon, lower, tardiness=obj is not Objective.MAKESPAN, setups=setup_model,
            clock=clock,
        )  # fmt: skip
        add_constraints(v)
        v.model.minimize(objective_expr(v, obj, weights))
        if model_start is not None:
            add_complete_hint(v, model_start)
    except BuildTimeout:
        why = "stopped" if interrupted(stop) else f"not built within {time_limit:g} s"
        stats = {"setups": setup_model, "interrupted": interrupted(stop), "build_timeout": True}
        if trusted is None:
            return _result(Status.UNKNOWN, obj, t0, time.perf_counter(), stats=stats,
                           message=f"no schedule: the model was {why}")  # fmt: skip
        Reporter(on_solution, t0).offer(evaluate(data, trusted, obj, weights))
        stats["fallback"] = "greedy"
        return _result(
            Status.FEASIBLE, obj, t0, time.perf_counter(), schedule=trusted,
            value=evaluate(data, trusted, obj, weights), bound=float(lower), stats=stats,
            message=f"the model was {why}: the greedy start is returned",
        )  # fmt: skip
    built = time.perf_counter()
    v.clock = BuildClock()  # built: re-hints during the search are not cut short

    def make_solver(run_seed: int, n_workers: int = workers) -> cp_model.CpSolver:
        return _solver(n_workers, run_seed, log, params)

    reporter = Reporter(on_solution, t0)
    callback = ImprovementCallback(reporter)
    if exchange is not None and obj not in _MAKESPAN_FIRST:
        raise ValueError(f"an exchange shares makespans; objective {obj.value!r} is not one")
    # the search ends early enough to read, left-shift and report its schedule in time
    search_end = deadline - POST_SECONDS_PER_OP * data.num_ops
    search = _Search(v, obj, weights, make_solver(seed), callback, search_end, exchange, stop)
    # Padded setups: LNS would hint its sub-models with left-shifted schedules, whose
    # real setups are shorter than the pads; the full model alone searches.
    if lns and data.num_jobs >= MIN_LNS_JOBS and setup_model != PADDED:
        seeds = np.random.SeedSequence(seed)
        status, schedule = search.phased(seeds, lambda s: make_solver(s, 1), LNS_THREADS)
    else:
        status, schedule = search.run(search_end)
    if schedule is None and status is Status.UNKNOWN and trusted is not None:
        # A short limit can run out inside CP-SAT's presolve, which then returns nothing,
        # not even the hint (measured: symmetry detection took all of 0.5 s on a
        # 6-operation model with setups). The greedy start is feasible by construction.
        status, schedule = Status.FEASIBLE, trusted
        search.stats["fallback"] = "greedy"
        reporter.offer(evaluate(data, trusted, obj, weights))
    stats = {
        **search.stats,
        "solutions": reporter.solutions,
        "cheap_lower_bound": lower,
        "horizon": horizon,
        "setups": setup_model,
        "interrupted": interrupted(stop),
    }
    if schedule is None:
        message = (
            "CP-SAT proved that no schedule satisfies the constraints"
            if status is Status.INFEASIBLE
            else f"no schedule found within the time limit of {time_limit:g} s"
        )
        return _result(status, obj, t0, built, message=message, stats=stats)
    bound = search.bound
    if obj is Objective.LEXICOGRAPHIC:
        status, schedule = _second_phase(search, schedule, status)
        stats["tardiness"] = schedule.total_weighted_tardiness(data)
    schedule = left_shift(data, schedule)
    value = evaluate(data, schedule, obj, weights)
    if obj in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC):
        bound = max(bound, float(lower))
    if status is Status.OPTIMAL or (obj is not Objective.LEXICOGRAPHIC and bound >= value):
        status, bound = Status.OPTIMAL, value
    return _result(
        status,
        obj,
        t0,
        built,
        schedule=schedule,
        value=value,
        bound=bound if bound > float("-inf") else None,
        stats=stats,
    )


class _Search:
    """Full solves of one model (keeping the best bound) and the LNS in between."""

    def __init__(
        self,
        v: Variables,
        obj: Objective,
        weights: tuple[int, int],
        solver: cp_model.CpSolver,
        callback: ImprovementCallback,
        deadline: float,
        exchange: Exchange | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.v, self.obj, self.weights = v, obj, weights
        self.exchange = exchange
        self.stop = stop
        self.solver, self.callback, self.deadline = solver, callback, deadline
        self.bound = float("-inf")
        self.stats: dict[str, Any] = {}

    def run(self, until: float) -> tuple[Status, Schedule | None]:
        """One full solve until ``until``; the schedule is ``None`` if none was found."""
        if interrupted(self.stop):
            return Status.UNKNOWN, None
        load = LOAD_SECONDS_PER_ARC * len(self.v.arcs)
        self.solver.parameters.max_time_in_seconds = max(until - time.perf_counter() - load, 0.01)
        code = solve_watched(self.solver, self.v.model, self.callback, self.stop)
        for key, value in (
            ("conflicts", self.solver.num_conflicts),
            ("branches", self.solver.num_branches),
            ("wall_time", self.solver.wall_time),
        ):
            self.stats[key] = self.stats.get(key, 0) + value
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"internal error: CP-SAT model invalid: {self.v.model.validate()}")
        status = _STATUS[code]
        if status in (Status.OPTIMAL, Status.FEASIBLE):
            self.bound = max(self.bound, float(self.solver.best_objective_bound))
            return status, read_schedule(self.solver, self.v)
        return status, None

    def phased(
        self, seeds: np.random.SeedSequence, make_solver: Any, threads: int
    ) -> tuple[Status, Schedule | None]:
        """A short full solve (small instances end here), LNS from its schedule, then a
        full solve hinted with the LNS result for the remaining time.

        LNS starts from CP-SAT's own solution (a complete feasible hint comes back as
        the first one), so a caller's hint is never trusted as feasible on its own.
        """
        data = self.v.inst.data
        now = time.perf_counter()
        total = self.deadline - now
        first = max(FIRST_SHARE * total, min(FIRST_MIN_SECONDS, 0.3 * total))
        status, found = self.run(now + first)
        if status in (Status.OPTIMAL, Status.INFEASIBLE) or interrupted(self.stop):
            return status, found
        if found is None:
            return self.run(self.deadline)
        goal = Objective.MAKESPAN if self.obj is Objective.LEXICOGRAPHIC else self.obj
        lns_end = now + first + LNS_SHARE * total
        # every sub-model covers all operations (most of them fixed), circuits too
        sub_build = model_size(data, self.v.setups).build_seconds
        if sub_build > LNS_MAX_BUILD_SHARE * (lns_end - time.perf_counter()):
            self.stats["lns_skipped"] = f"sub-models take ~{sub_build:.1f} s to build"
            status, again = self.run(self.deadline)
            if status is Status.OPTIMAL:
                return status, again
            return Status.FEASIBLE, self._better(again, found)
        best, lns_stats = improve(
            self.v.inst,
            left_shift(data, found),
            goal,
            self.weights,
            deadline=lns_end,
            seeds=seeds,
            make_solver=make_solver,
            reporter=self.callback.reporter,
            threads=threads,
            exchange=self.exchange,
            stop=self.stop,
        )
        self.stats.update(lns_stats)
        if self.exchange is not None:  # a search beside may have improved since
            shared = self.exchange.better_than(evaluate(data, best, goal, self.weights))
            if shared is not None:
                best = left_shift(data, shared[0])
        if interrupted(self.stop) or self.deadline - time.perf_counter() <= 0.01:
            return Status.FEASIBLE, best  # stopped, or a sub-model's build took the rest
        add_complete_hint(self.v, best)
        status, found = self.run(self.deadline)
        if status is Status.OPTIMAL:
            return status, found
        return Status.FEASIBLE, self._better(found, best)

    def _better(self, a: Schedule | None, b: Schedule) -> Schedule:
        if a is None:
            return b
        data = self.v.inst.data
        goal = Objective.MAKESPAN if self.obj is Objective.LEXICOGRAPHIC else self.obj
        return (
            a
            if evaluate(data, a, goal, self.weights) <= evaluate(data, b, goal, self.weights)
            else b
        )


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


def _second_phase(search: _Search, first: Schedule, status: Status) -> tuple[Status, Schedule]:
    """Lexicographic: keep the makespan at its best value, minimise tardiness."""
    v = search.v
    if not v.tardiness:
        return status, first
    if search.deadline - time.perf_counter() < 0.05 or interrupted(search.stop):
        return Status.FEASIBLE, first
    first = left_shift(v.inst.data, first)
    v.model.add(v.makespan <= first.makespan)
    v.model.minimize(weighted_tardiness(v))
    add_complete_hint(v, first)
    # tardiness values are not makespans: keep them away from on_solution
    search.callback = ImprovementCallback(Reporter(None, time.perf_counter()))
    second, found = search.run(search.deadline)
    if found is None:
        return Status.FEASIBLE, first
    both = status is Status.OPTIMAL and second is Status.OPTIMAL
    return (Status.OPTIMAL if both else Status.FEASIBLE), found


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
