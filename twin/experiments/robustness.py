"""Robustness of one plan two ways: the numba Monte Carlo kernel and SimPy replications.

:func:`scheduler.robustness.evaluate_plan` replays a fixed plan (machine assignment and
order per machine) thousands of times under sampled durations and breakdowns; the twin
replays the same plan in SimPy with its own random streams. On a scenario both model
alike they estimate the same distribution, so their means must agree within their
confidence intervals, and the kernel is the fast way to ask "how late will this plan
be?". :func:`plan_robustness` runs both and returns the comparison as a frame, with the
time each took per sample.

Both apply when the scenario has what the kernel models and nothing else: durations of
mean nominal with one cv and law (lognormal or constant) for every operation, failures
counted on processing time, setups, transport times, releases and due dates; no shift
calendars, operators, robots, print cells, finite buffers, arrivals, maintenance or
scrap. The kernel draws exponential times between failures and repairs: with another
law in the scenario the means may differ, which the result's ``notes`` say.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import Schedule
from scheduler.robustness import Breakdowns, evaluate_plan
from twin.errors import TwinError
from twin.experiments.stats import t95
from twin.run import plan_scenario, simulate
from twin.scenario import Scenario, load_scenario
from twin.sim.build import build_problem
from twin.sim.timing import plan_times

__all__ = ["PlanRobustness", "check_applicable", "plan_robustness"]

KPIS = ("makespan", "tardiness_total")


@dataclass(frozen=True)
class PlanRobustness:
    """``table``: per KPI (makespan, total tardiness) and source (``montecarlo``,
    ``simpy``): n, mean, std, ci95, p50, p95; seconds per sample of each."""

    table: pd.DataFrame
    planned_makespan: float
    montecarlo_seconds_per_sample: float
    simpy_seconds_per_replication: float
    notes: list[str] = field(default_factory=list)

    @property
    def speed_ratio(self) -> float:
        """How many Monte Carlo samples run in the time of one SimPy replication."""
        return self.simpy_seconds_per_replication / self.montecarlo_seconds_per_sample

    def agree(self, kpi: str = "makespan") -> bool:
        """The two means differ by less than the half-width of their difference."""
        rows = self.table[self.table["kpi"] == kpi].to_dict("records")
        got = {str(r["source"]): (float(r["mean"]), float(r["ci95"])) for r in rows}
        (m1, h1), (m2, h2) = got["montecarlo"], got["simpy"]
        gap, half = abs(m1 - m2), math.hypot(h1, h2)
        return gap <= max(half, 1e-9 * abs(m1))


def check_applicable(scenario: Scenario) -> tuple[str, float]:
    """``(distribution, cv)`` of every operation, or :class:`TwinError` naming what the
    Monte Carlo kernel does not model."""
    reasons = [f"station {s.id} has a calendar" for s in scenario.stations if s.calendar]
    reasons += [
        f"station {s.id} is a {s.kind}"
        for s in scenario.stations
        if s.kind in ("robot", "printer3d", "outsourced")
    ]
    reasons += [f"station {s.id} has maintenance" for s in scenario.stations if s.maintenance]
    reasons += ["operators"] if scenario.operators else []
    reasons += ["finite buffers"] if scenario.buffers else []
    reasons += ["arrivals"] if scenario.arrivals is not None else []
    reasons += [
        f"product {p.id} has scrap"
        for p in scenario.products
        if p.scrap_rate or any(s.scrap_rate or s.rework is not None for s in p.routing)
    ]
    laws: set[tuple[str, float]] = set()
    for p in scenario.products:
        for k, step in enumerate(p.routing):
            for station in step.stations:
                dist, cv = scenario.operation_variability(p.id, k, station)
                laws.add(("fixed", 0.0) if not scenario.run.variability or cv == 0 else (dist, cv))
    if len(laws) > 1 or (laws and next(iter(laws))[0] not in ("fixed", "lognormal")):
        reasons.append(
            "operations need one law, lognormal or constant (found "
            + ", ".join(f"{d} cv {c:g}" for d, c in sorted(laws))
            + ")"
        )
    if reasons:
        raise TwinError(
            f"{scenario.source}: the Monte Carlo kernel does not model what the scenario has: "
            + "; ".join(reasons[:4])
        )
    return next(iter(laws)) if laws else ("fixed", 0.0)


def _breakdowns(scenario: Scenario, machines: list[str]) -> tuple[Breakdowns | None, list[str]]:
    if not scenario.run.breakdowns:
        return None, []
    station_of = scenario.unit_station
    mtbf, mttr, notes = [], [], []
    for unit in machines:
        s = scenario.station(station_of[unit])
        if s.mtbf is None or s.mttr is None or s.failure_basis != "operating":
            mtbf.append(math.inf)
            mttr.append(0.0)
            continue
        for name, law in (("mtbf", s.mtbf), ("mttr", s.mttr)):
            if law.dist != "exponential":
                notes.append(f"{s.id}.{name} is {law.dist}; the kernel draws it exponential")
        mtbf.append(float(s.mtbf.sampler().mean))
        mttr.append(float(s.mttr.sampler().mean))
    if all(math.isinf(m) for m in mtbf):
        return None, notes
    return Breakdowns(mtbf, mttr), list(dict.fromkeys(notes))


def _describe(kpi: str, source: str, x: np.ndarray) -> dict[str, float | str | int]:
    n = len(x)
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    p50, p95 = np.percentile(x, [50, 95])
    return {
        "kpi": kpi,
        "source": source,
        "n": n,
        "mean": float(x.mean()),
        "std": std,
        "ci95": t95(n - 1) * std / math.sqrt(n) if n > 1 else math.nan,
        "p50": float(p50),
        "p95": float(p95),
    }


def plan_robustness(
    scenario: Scenario | str | Path,
    replications: int = 30,
    samples: int = 10_000,
    seed: int = 0,
    *,
    plan: Schedule | None = None,
    method: str = "cpsat",
    time_limit: float = 10.0,
) -> PlanRobustness:
    """Plan ``scenario`` with ``method`` (or take ``plan``), then estimate its makespan
    and total tardiness with ``samples`` Monte Carlo draws and ``replications`` SimPy
    runs of the same plan."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    dist, cv = check_applicable(scenario)
    problem = build_problem(scenario)
    if plan is None:
        plan, _ = plan_scenario(scenario, problem, method, time_limit=time_limit, seed=seed)
        if plan is None:
            raise TwinError(f"{scenario.source}: no orders to plan")
    breakdowns, notes = _breakdowns(scenario, list(problem.machine_names))
    distribution = "lognormal" if dist == "lognormal" else "fixed"
    evaluate_plan(problem, plan, 1, cv, distribution, breakdowns, seed)  # compile (or load)
    t0 = time.perf_counter()
    mc = evaluate_plan(problem, plan, samples, cv, distribution, breakdowns, seed)
    mc_seconds = (time.perf_counter() - t0) / samples
    # the published plan's times (adherence), once, outside the timed simulations
    times = plan_times(scenario, problem, plan, np.random.SeedSequence(seed, spawn_key=(0,)))
    t0 = time.perf_counter()
    sim = [
        simulate(scenario, plan=plan, seed=seed, replication=r, problem=problem, times=times).kpis
        for r in range(replications)
    ]
    sim_seconds = (time.perf_counter() - t0) / replications
    rows = [
        _describe("makespan", "montecarlo", mc.makespan),
        _describe("makespan", "simpy", np.array([k.makespan for k in sim])),
        _describe("tardiness_total", "montecarlo", mc.tardiness),
        _describe("tardiness_total", "simpy", np.array([k.tardiness_total for k in sim])),
    ]
    return PlanRobustness(pd.DataFrame(rows), float(plan.makespan), mc_seconds, sim_seconds, notes)
