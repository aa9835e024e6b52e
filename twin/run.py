"""`simulate`: one scenario -> plan (or dispatch rule) -> SimPy run -> event log -> KPIs.

This is the Python API an MES or a notebook uses (re-exported by :mod:`twin`)::

    import twin
    scenario = twin.load_scenario("scenarios/pilot_workshop.yaml")
    run = twin.simulate(scenario, seed=1)
    run.kpis.oee, run.kpis.nc_rate_equipment, run.log.to_frame()
    runs = twin.replicate(scenario, 5)          # plan once, simulate 5 seeds
    twin.write_run("runs/pilot", runs)          # summary.json, events.csv, schedule.csv

``scenario.run.scheduling`` in {cpsat, auto, tabu} solves the scenario's orders within
``run.time_limit`` and the twin follows that plan; a dispatch rule name dispatches
online. A scenario with arrivals is always dispatched online (its orders are not all
known in advance): with a solver method its rule falls back to ``edd``.

Seeds: replication ``r`` of seed ``s`` draws every stream from
``SeedSequence(s, spawn_key=(r,))``, so a single run is replication 0 and replications
are independent, reproducible children of one seed.

``summary.json`` (written by :func:`write_run`; read back by :mod:`twin.runs.read`) keeps
the KPIs in three fields, whatever the number of replications, so that an MES reads
``kpis`` by stable key names and always gets numbers:

``kpis``
    Each KPI key -> its value: for replicated runs the mean over replications (dict
    KPIs such as ``utilisation`` hold per-name means; ``*_meets_threshold`` flags
    follow the mean ``nc_rate_*``). One run: its own values.
``kpis_ci95``
    The same keys and shapes -> the 95 % Student-t confidence half-width of each mean;
    ``null`` for a single replication, text and flags.
``kpis_replications``
    The list of every replication's KPI dict (replication 0 first), for the spread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import scheduler
from scheduler import ProblemData, Schedule
from scheduler.calendar import LOADS, RESUME
from scheduler.cpsat.size import unsupported as cpsat_unsupported
from scheduler.solve import KERNEL_METHODS
from twin.errors import RunInterrupted, TwinError
from twin.eventlog import EventLog
from twin.kpi import KPIs, aggregate_kpis, compute_kpis, kpi_ci95
from twin.runs.write import write_run_folder
from twin.scenario import Scenario, load_scenario
from twin.scenario.durations import UNIT_SECONDS
from twin.shopinfo import PlanInfo
from twin.sim.build import build_problem, calendar_cover, shop_info
from twin.sim.execute import RULES, Execution, execute
from twin.sim.hint import online_hint
from twin.sim.timing import PlanTimes, published

__all__ = [
    "KERNEL_METHODS",
    "SOLVER_METHODS",
    "Run",
    "aggregate_kpis",
    "choose_method",
    "for_method",
    "kpi_ci95",
    "plan_objective",
    "plan_scenario",
    "replicate",
    "simulate",
    "write_run",
]

log = logging.getLogger(__name__)

SOLVER_METHODS = ("cpsat", "auto", "tabu", "dispatch")
FALLBACK_RULE = "edd"


@dataclass
class Run:
    """One simulated run: inputs, the event log, the KPIs and what was planned."""

    scenario: Scenario
    seed: int
    replication: int
    log: EventLog
    kpis: KPIs
    problem: ProblemData
    execution: Execution
    plan: Schedule | None = None
    solver: dict[str, Any] = field(default_factory=dict)
    #: closed-loop rescheduling (:mod:`twin.live.loop`): one dict per replan, and the
    #: policy with counts; None for a run that follows its plan as planned
    replans: list[dict[str, Any]] | None = None
    reschedule: dict[str, Any] | None = None
    #: the plan as published to the shop: the solver's decisions timed by the twin
    #: without randomness (:mod:`twin.sim.timing`); None without a plan
    times: PlanTimes | None = None

    @property
    def machines(self) -> list[str]:
        """Unit names in scheduler machine-index order."""
        return list(self.problem.machine_names)

    def stations(self) -> list[dict[str, Any]]:
        """Station metadata as written to ``summary.json``."""
        return station_rows(self.scenario)

    def jobs(self) -> list[dict[str, Any]]:
        """Every lot (orders, then arrivals) in event-log job-index order."""
        return [
            {"id": j.id, "product": j.product, "quantity": j.quantity, "release": j.release,
             "due": j.due}
            for j in self.execution.lots
        ]  # fmt: skip

    def executed_rows(self) -> list[dict[str, Any]]:
        """What ran: ``job, operation, machine, start, end`` from the event log (first
        ``op_start``, last ``op_end`` of each finished operation)."""
        index = {name: m for m, name in enumerate(self.problem.machine_names)}
        spans: dict[tuple[int, int], list[Any]] = {}
        for t, kind, station, j, o, *_ in self.log.rows():
            if kind == "op_start" and (j, o) not in spans:
                spans[(j, o)] = [index.get(station, -1), t, None]
            elif kind == "op_end" and (j, o) in spans:
                spans[(j, o)][2] = t
        return [
            {"job": j, "operation": o, "machine": m, "start": s, "end": e}
            for (j, o), (m, s, e) in sorted(spans.items())
            if e is not None
        ]


def station_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """The stations as ``summary.json`` lists them (what the report and KPIs read)."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "units": s.unit_names,
            "numerically_controlled": s.is_nc,
            "networked": s.is_networked,
            "key_process": s.is_key_process,
            "power_kw": s.power_kw.model_dump(),
        }
        for s in scenario.stations
    ]


def plan_info(
    scenario: Scenario,
    problem: ProblemData,
    plan: Schedule | None,
    times: PlanTimes | None = None,
) -> PlanInfo | None:
    """The plan as the adherence KPIs read it: the published ``times`` when known, else
    the solver's (None without a plan)."""
    if plan is None:
        return None
    ptr = problem.job_op_ptr.tolist()
    starts = plan.start.tolist() if times is None else times.start.tolist()
    ends = plan.end if times is None else times.end
    start = {
        (j, o - ptr[j]): float(starts[o]) for j in range(problem.num_jobs)
        for o in range(ptr[j], ptr[j + 1])
    }  # fmt: skip
    finish = {j: float(ends[ptr[j + 1] - 1]) for j in range(problem.num_jobs)}
    tolerance = scenario.run.adherence_tolerance
    if tolerance is None:
        tolerance = 15 * 60 / UNIT_SECONDS[scenario.time_unit]
    return PlanInfo(start, finish, float(tolerance))


def scenario_objective(scenario: Scenario) -> str:
    """``run.objective`` with ``auto`` resolved: tardiness_then_makespan when an order
    has a due date, else makespan."""
    objective = scenario.run.objective
    if objective == "auto":
        dated = any(o.due is not None for o in scenario.orders)
        return "tardiness_then_makespan" if dated else "makespan"
    return objective


def plan_objective(scenario: Scenario, problem: ProblemData) -> tuple[str, tuple[int, int]]:
    """The solver's objective and weights for the scenario's objective.

    ``tardiness_then_makespan`` is the weighted sum ``Cmax + M x TWT`` with ``M`` larger
    than any makespan an active schedule can have (the latest release plus every
    operation's longest mode, setup and transport): one unit of weighted tardiness then
    outweighs any makespan difference, which makes the sum exactly lexicographic and
    lets every method (CP-SAT, the kernels, dispatch) optimise it as it is."""
    kind = scenario_objective(scenario)
    if kind == "makespan":
        return "makespan", (1, 1)
    if kind == "tardiness":
        return "tardiness", (1, 1)
    if kind == "makespan_then_tardiness":
        return "lexicographic", (1, 1)
    bound = int(problem.release.max(initial=0)) if problem.release is not None else 0
    longest = np.maximum.reduceat(problem.mode_duration, problem.op_mode_ptr[:-1])
    bound += int(longest.sum())
    if problem.setup is not None:
        bound += problem.num_ops * int(problem.setup.max(initial=0))
    if problem.transport is not None:
        bound += problem.num_ops * int(problem.transport.max(initial=0))
    return "weighted", (1, bound + 1)


def plan_scenario(
    scenario: Scenario,
    problem: ProblemData,
    method: str,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    stop: threading.Event | None = None,
    warm_start: bool = True,
) -> tuple[Schedule | None, dict[str, Any]]:
    """Solve the scenario's orders with ``method``; returns (plan, solver summary).

    The numba search kernels that ``auto`` and ``tabu`` use are compiled (or loaded
    from numba's disk cache) first, so that cost never eats into ``time_limit``.
    ``warm_start``: the search methods start from a deterministic online dispatch run
    of the twin (:func:`twin.sim.hint.online_hint`, by due date when orders have due
    dates, else most work remaining); its time counts in ``time_limit``.
    ``on_solution(objective, seconds)`` hears each improving plan (a live incumbent).
    Setting ``stop`` ends the solve early and raises :class:`RunInterrupted`.
    """
    if problem.num_jobs == 0:
        return None, {"method": method, "status": "no orders", "makespan": None,
                      "lower_bound": None, "solve_seconds": 0.0}  # fmt: skip
    if method in KERNEL_METHODS:
        # Imported here: loading the kernels costs numba's start-up, which CP-SAT-only
        # and dispatch-rule runs never need.
        from scheduler.warmup import warmup

        log.debug("search kernels ready in %.2f s", warmup())
    objective, weights = plan_objective(scenario, problem)
    hint, hint_info = None, {}
    if warm_start and method in ("auto", "tabu", "cpsat") and scenario.arrivals is None:
        t0 = time.perf_counter()
        rule = "edd" if any(o.due is not None for o in scenario.orders) else "mwkr"
        hint = online_hint(scenario, problem, rule)
        spent = time.perf_counter() - t0
        time_limit = max(time_limit - spent, 0.5 * time_limit)
        hint_info = {"warm_start": rule if hint is not None else None,
                     "warm_start_seconds": round(spent, 3)}  # fmt: skip
    result = scheduler.solve(
        problem, method, time_limit=time_limit, seed=seed, workers=workers,
        objective=objective, weights=weights, on_solution=on_solution, stop=stop, hint=hint,
    )  # fmt: skip
    if stop is not None and stop.is_set():
        raise RunInterrupted("planning")
    info = {
        "method": method,
        "status": str(result.status),
        "makespan": result.makespan,
        "lower_bound": result.lower_bound,
        "solve_seconds": result.solve_seconds,
        "objective": result.objective,
        "objective_kind": scenario_objective(scenario),
        **hint_info,
    }
    if result.schedule is None:
        raise TwinError(f"{method} found no plan within {time_limit:g} s: {result.message}")
    return result.schedule, info


def for_method(problem: ProblemData, method: str) -> ProblemData:
    """``problem`` as ``method`` can plan it: CP-SAT declines fixture loads run over
    shift windows, so for ``cpsat`` they plan as attended work that pauses off shift
    (the twin, finishing the load under way, is then at most one load earlier)."""
    if method != "cpsat" or not cpsat_unsupported(problem):
        return problem
    log.info("cpsat: fixture loads plan as resumable work (%s)", cpsat_unsupported(problem))
    loads = problem.mode_calendar == LOADS
    return problem.replace(
        mode_calendar=np.where(loads, RESUME, problem.mode_calendar),
        mode_loads=np.where(loads, 1, problem.mode_loads),
    )


def choose_method(scenario: Scenario, method: str | None) -> tuple[str | None, str | None]:
    """(solver method, dispatch rule) that :func:`simulate` uses for ``method`` (default
    ``scenario.run.scheduling``): exactly one is set."""
    how = method or scenario.run.scheduling
    if how in RULES:
        return None, how
    if how not in SOLVER_METHODS:
        choices = ", ".join((*SOLVER_METHODS, *RULES))
        raise TwinError(f"unknown scheduling {how!r} (expected one of {choices})")
    if scenario.arrivals is not None:
        log.info("arrivals are dispatched online: %s falls back to %s", how, FALLBACK_RULE)
        return None, FALLBACK_RULE
    return how, None


def simulate(
    scenario: Scenario | str | Path,
    plan: Schedule | None = None,
    seed: int | None = None,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    workers: int | None = None,
    replication: int = 0,
    solver: dict[str, Any] | None = None,
    problem: ProblemData | None = None,
    times: PlanTimes | None = None,
    on_progress: Callable[[float], None] | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    stop: threading.Event | None = None,
) -> Run:
    """Simulate one run of ``scenario`` (a :class:`Scenario` or a YAML path).

    Parameters
    ----------
    plan
        A schedule over ``build_problem(scenario)`` to follow; None: plan or dispatch
        as ``method`` (default ``scenario.run.scheduling``) says.
    seed
        Default ``scenario.run.seed``.
    method
        ``cpsat``, ``auto``, ``tabu``, ``dispatch`` (solve, then follow the plan) or a
        dispatch rule (``spt lpt mwkr mor edd fifo random ect``: online dispatch).
    time_limit
        Solver wall-clock seconds (default ``scenario.run.time_limit``).
    replication
        Which child stream of ``seed`` to use (see the module docstring).
    solver, problem
        The solver summary and ``build_problem(scenario)`` when already known (as
        :func:`replicate` passes them on).
    on_progress
        ``on_progress(fraction)`` during a run with a horizon (for a progress bar).
    on_solution
        ``on_solution(objective, seconds)`` on each improving plan while solving.
    stop
        Set it (e.g. from a SIGINT handler) to end the solve early: raises
        :class:`~twin.errors.RunInterrupted`.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = scenario.run.seed if seed is None else int(seed)
    if problem is None:
        problem = build_problem(scenario)
    rule: str | None = None
    if plan is None:
        how, rule = choose_method(scenario, method)
        if how is not None:
            limit = scenario.run.time_limit if time_limit is None else time_limit
            problem = for_method(problem, how)
            plan, solver = plan_scenario(
                scenario, problem, how, time_limit=limit, seed=seed, workers=workers,
                on_solution=on_solution, stop=stop,
            )  # fmt: skip
            cover = calendar_cover(scenario, problem) if problem.has_windows else None
            while plan is not None and cover is not None and plan.makespan > cover:
                # the plan runs past the shifts the problem holds: plan with more of them
                cover *= 2
                log.info("plan ends past its calendar windows: planning again to %d", cover)
                problem = for_method(build_problem(scenario, cover), how)
                plan, solver = plan_scenario(
                    scenario, problem, how, time_limit=limit, seed=seed, workers=workers,
                    on_solution=on_solution, stop=stop,
                )  # fmt: skip
    if solver is None:
        solver = {"method": rule or "plan", "status": "online" if rule else "given",
                  "makespan": None if plan is None else plan.makespan,
                  "lower_bound": None, "solve_seconds": 0.0}  # fmt: skip
    events = EventLog()
    ss = np.random.SeedSequence(seed, spawn_key=(replication,))
    execution = execute(
        scenario, problem, events, seed=ss, plan=plan, rule=rule, on_progress=on_progress
    )
    if plan is not None and times is None:  # the plan as published (twin.sim.timing)
        times, solver = published(scenario, problem, plan, seed, events, solver)
    info = plan_info(scenario, problem, plan, times)
    kpis = compute_kpis(shop_info(scenario), events, info)
    return Run(
        scenario, seed, replication, events, kpis, problem, execution, plan, solver, times=times
    )


def replicate(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    workers: int | None = None,
    on_progress: Callable[[float, int], None] | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    stop: threading.Event | None = None,
) -> list[Run]:
    """``replications`` runs (default ``scenario.run.replications``) of one plan: the
    solver runs once, each replication simulates it with its own child seed.
    ``on_progress(done, total)`` reports replications done (fractional within a run
    that has a horizon; its first call comes after the solver has finished), for a
    progress bar; ``on_solution(objective, seconds)`` each improving plan while solving.

    Ctrl-C (a :class:`KeyboardInterrupt`) or ``stop`` raises
    :class:`~twin.errors.RunInterrupted` whose ``finished`` holds the replications
    that were complete: interrupted work is lost, finished work is not."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = scenario.run.replications if replications is None else int(replications)
    if n < 1:
        raise TwinError(f"replications must be >= 1, got {n}")
    seed = scenario.run.seed if seed is None else int(seed)
    report = on_progress

    def within(r: int) -> Callable[[float], None] | None:
        return None if report is None else lambda fraction: report(r + fraction, n)

    runs: list[Run] = []
    try:
        first = simulate(
            scenario, seed=seed, method=method, time_limit=time_limit, workers=workers,
            on_progress=within(0), on_solution=on_solution, stop=stop,
        )  # fmt: skip
        runs.append(first)
        if report is not None:
            report(1, n)
        rule = first.execution.rule
        for r in range(1, n):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            runs.append(
                simulate(
                    scenario, plan=first.plan, seed=seed, method=rule, replication=r,
                    solver=first.solver, problem=first.problem, times=first.times,
                    on_progress=within(r),
                )
            )  # fmt: skip
            if report is not None:
                report(r + 1, n)
    except RunInterrupted:
        raise
    except KeyboardInterrupt:
        raise RunInterrupted(f"simulating replication {len(runs) + 1} of {n}", runs) from None
    return runs


# -- the output folder -----------------------------------------------------------------


def summary(runs: Sequence[Run], scenario_file: str | Path | None = None) -> dict[str, Any]:
    """``summary.json`` of a set of replications (the contract with the report)."""
    first = runs[0]
    per_run = [r.kpis.to_dict() for r in runs]
    out: dict[str, Any] = {
        "scenario": first.scenario.name,
        "scenario_file": None if scenario_file is None else str(scenario_file),
        "seed": first.seed,
        "time_unit": first.scenario.time_unit,
        "start": None if first.scenario.start is None else first.scenario.start.isoformat(),
        "replications": len(runs),
        "kpis": aggregate_kpis(per_run),
        "kpis_ci95": kpi_ci95(per_run),
        "kpis_replications": per_run,
    }
    out.update(
        stations=first.stations(),
        machines=first.machines,
        jobs=first.jobs(),
        # routing step names per product, for the report's hover text
        products={p.id: [step.name for step in p.routing] for p in first.scenario.products},
        solver=first.solver,
        dispatch_rule=first.execution.rule,
        warnings=list(dict.fromkeys(w for r in runs for w in r.execution.warnings)),
    )
    if first.reschedule is not None:
        out["reschedule"] = {
            "policy": first.reschedule["policy"],
            "replans": [r.reschedule["replans"] if r.reschedule else 0 for r in runs],
        }
    return out


def _whole(t: float) -> float | int:
    """A time as schedule.csv writes it: whole units without a decimal point."""
    return int(t) if float(t).is_integer() else round(t, 6)


def write_run(
    out: str | Path,
    runs: Run | Sequence[Run],
    scenario_file: str | Path | None = None,
    extra: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Write ``summary.json``, ``events.csv`` (replication 0) and ``schedule.csv`` (the
    plan as published, :attr:`Run.times`; the executed operations when dispatched
    online) into ``out``, atomically
    (see :mod:`twin.runs.write`; ``extra(folder)`` may add files); returns the summary."""
    runs = [runs] if isinstance(runs, Run) else list(runs)
    if not runs:
        raise ValueError("write_run needs at least one run")
    doc = summary(runs, scenario_file)
    first = runs[0]
    plan = first.plan
    rows: list[dict[str, Any]]
    if plan is None:
        rows = first.executed_rows()
    elif first.times is None:
        rows = list(plan.to_rows(first.problem))
    else:  # the plan as published
        ptr, times = first.problem.job_op_ptr.tolist(), first.times
        start, end = times.start.tolist(), times.end.tolist()
        rows = [
            {**r, "start": _whole(start[ptr[r["job"]] + r["operation"]]),
             "end": _whole(end[ptr[r["job"]] + r["operation"]])}
            for r in plan.to_rows(first.problem)
        ]  # fmt: skip
    write_run_folder(out, doc, first.log, rows, extra)
    return doc
