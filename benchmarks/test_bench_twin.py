"""The twin's cost over bare SimPy, and a 30-day run of the pilot workshop.

Group ``twin-jobshop``: the job shop of ``benchmarks/test_bench_simpy.py`` (20
machines, 50 jobs x 10 operations, seeded routings, constant integer durations) run
(a) in plain SimPy (one Resource per machine, one process per job, FIFO queues) and
(b) as a twin scenario (20 generic stations, 50 orders) following the plan that plain
SimPy executed: ``execute`` (the SimPy shop built from the scenario, the plan replay,
the event log) and the whole ``twin.simulate`` (plus building the scheduler problem and
computing the KPIs). The twin must reproduce plain SimPy's makespan exactly, so speed
cannot hide a wrong answer; ``extra_info`` holds operations per second and the ratio
to plain SimPy (timed interleaved: the cores are shared). Target: >= 0.5.

Group ``twin-pilot``: ``scenarios/pilot_workshop.yaml`` run for 30 days with lot
arrivals (about 6 a day on top of the week of orders), breakdowns and variability,
dispatched online by EDD. Target: median < 10 s. Run::

    cd /work/main && /work/venv/bin/python -m pytest benchmarks/test_bench_twin.py \
        --benchmark-only --benchmark-group-by=group --benchmark-columns=median,ops,rounds \
        --benchmark-json=/tmp/bench_twin.json
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
import yaml

from benchmarks.stats import per_second
from scheduler import Schedule
from twin.eventlog import EventLog
from twin.run import simulate
from twin.scenario import Scenario
from twin.sim.build import build_problem
from twin.sim.execute import execute

N_MACHINES, N_JOBS, N_OPS = 20, 50, 10
OPS = N_JOBS * N_OPS
Route = list[tuple[int, int]]
PILOT = Path(__file__).resolve().parents[1] / "scenarios" / "pilot_workshop.yaml"


def make_shop(seed: int = 42) -> list[Route]:
    rng = np.random.default_rng(seed)
    return [
        [(int(m), int(rng.integers(1, 21))) for m in rng.permutation(N_MACHINES)[:N_OPS]]
        for _ in range(N_JOBS)
    ]


def run_plain(routes: list[Route], starts: list[int] | None = None) -> float:
    """The minimal SimPy job shop; records each operation's start in ``starts``."""
    env = simpy.Environment()
    machines = [simpy.Resource(env, capacity=1) for _ in range(N_MACHINES)]

    def job(j: int, route: Route) -> Generator[Any, Any, None]:
        for k, (m, d) in enumerate(route):
            with machines[m].request() as req:
                yield req
                if starts is not None:
                    starts[j * N_OPS + k] = int(env.now)
                yield env.timeout(d)

    for j, route in enumerate(routes):
        env.process(job(j, route))
    env.run()
    return env.now


def twin_scenario(routes: list[Route]) -> Scenario:
    """The same shop as a scenario: station Mi per machine, one product per job."""
    stations = [{"id": f"M{i}", "kind": "generic", "variability_cv": 0} for i in range(N_MACHINES)]
    products = [
        {"id": f"P{j}", "routing": [{"stations": {f"M{m}": d}} for m, d in route]}
        for j, route in enumerate(routes)
    ]
    orders = [{"id": f"J{j}", "product": f"P{j}"} for j in range(len(routes))]
    run = {"scheduling": "fifo", "breakdowns": False, "variability": False}
    data = {"name": "bench job shop", "stations": stations, "products": products,
            "orders": orders, "run": run}  # fmt: skip
    return Scenario.from_dict(data, source="bench")


ROUTES = make_shop()
_STARTS = [0] * OPS
EXPECTED = run_plain(ROUTES, _STARTS)
SCENARIO = twin_scenario(ROUTES)
PLAN = Schedule.from_starts(
    build_problem(SCENARIO), [m for route in ROUTES for m, _ in route], _STARTS
)


PROBLEM = build_problem(SCENARIO)


def run_execute() -> float:
    """The simulation proper: shop, plan replay, events recorded into an EventLog."""
    log = EventLog()
    return execute(SCENARIO, PROBLEM, log, seed=np.random.SeedSequence(0), plan=PLAN).end


def run_twin() -> float:
    """The whole API call, problem building and KPIs included."""
    return simulate(SCENARIO, plan=PLAN, seed=0).kpis.makespan


def interleaved_ratio(fn: Callable[[], float], rounds: int = 40) -> dict[str, float]:
    """plain / fn time ratios (medians, and minimums: the least disturbed runs on
    shared cores), timed alternately."""
    plain, other = [], []
    for _ in range(rounds):
        gc.collect()  # neither side pays for the other's garbage
        t = time.perf_counter()
        run_plain(ROUTES)
        plain.append(time.perf_counter() - t)
        gc.collect()
        t = time.perf_counter()
        fn()
        other.append(time.perf_counter() - t)
    return {
        "ratio_vs_plain": round(statistics.median(plain) / statistics.median(other), 3),
        "ratio_vs_plain_min": round(min(plain) / min(other), 3),
    }


@pytest.mark.benchmark(group="twin-jobshop")
def test_plain_simpy(benchmark: Any) -> None:
    """Bare SimPy: Resource + timeout per operation."""
    assert benchmark(lambda: run_plain(ROUTES)) == EXPECTED
    rate = per_second(benchmark, OPS)
    if rate is not None:
        benchmark.extra_info["ops_per_s"] = round(rate)


@pytest.mark.benchmark(group="twin-jobshop")
def test_twin_execute(benchmark: Any) -> None:
    """twin.sim.execute replaying plain SimPy's schedule: same makespan, ops/s, ratio."""
    assert benchmark(run_execute) == EXPECTED
    rate = per_second(benchmark, OPS)
    if rate is not None:
        benchmark.extra_info["ops_per_s"] = round(rate)
    benchmark.extra_info.update(interleaved_ratio(run_execute))


@pytest.mark.benchmark(group="twin-jobshop")
def test_twin_simulate(benchmark: Any) -> None:
    """twin.simulate (problem, replay, KPIs): same makespan, ops/s, ratio."""
    assert benchmark(run_twin) == EXPECTED
    rate = per_second(benchmark, OPS)
    if rate is not None:
        benchmark.extra_info["ops_per_s"] = round(rate)
    benchmark.extra_info.update(interleaved_ratio(run_twin))


def pilot_30_days() -> Scenario:
    data = yaml.safe_load(PILOT.read_text(encoding="utf-8"))
    data["run"].update(horizon="30d", scheduling="edd", replications=1)
    data["arrivals"] = {
        "interarrival": {"dist": "exponential", "mean": "4h"},
        "mix": {"shaft": 3, "flange": 4, "housing": 2, "gear": 2, "bracket_am": 1},
        "quantity": {"dist": "uniform", "low": 6, "high": 20},
        "due_after": "4d",
    }
    return Scenario.from_dict(data, source="pilot_30d")


def pilot_one_year() -> Scenario:
    """The pilot's shop for 365 days of arrivals at the mean rate and mix of its four
    weeks of orders (about 40 lots a week, 33 parts a lot), dispatched by EDD."""
    data = yaml.safe_load(PILOT.read_text(encoding="utf-8"))
    data["orders"] = []
    data["run"].update(horizon="365d", scheduling="edd", replications=1)
    data["arrivals"] = {
        "interarrival": {"dist": "exponential", "mean": "252min"},
        "mix": {"shaft": 8, "flange": 12, "housing": 13, "gear": 5, "bracket_am": 2},
        "quantity": {"dist": "uniform", "low": 10, "high": 56},
        "due_after": "7d",
    }
    return Scenario.from_dict(data, source="pilot_1y")


@pytest.mark.benchmark(group="twin-pilot")
def test_pilot_workshop_one_year(benchmark: Any) -> None:
    """A year of the pilot workshop (issue 13): median wall time (target < 10 s)."""
    scenario = pilot_one_year()
    run = benchmark.pedantic(lambda: simulate(scenario, seed=1), rounds=2, iterations=1)
    assert run.kpis.window_end == 365 * 1440
    assert run.kpis.jobs_finished > 1500
    benchmark.extra_info["events"] = len(run.log)
    benchmark.extra_info["lots"] = run.kpis.jobs_released


@pytest.mark.benchmark(group="twin-pilot")
def test_pilot_workshop_30_days(benchmark: Any) -> None:
    """30 simulated days of the pilot workshop: median wall time (target < 10 s)."""
    scenario = pilot_30_days()
    run = benchmark.pedantic(lambda: simulate(scenario, seed=1), rounds=3, iterations=1)
    assert run.kpis.window_end == 30 * 1440
    assert run.kpis.jobs_finished > 100
    benchmark.extra_info["events"] = len(run.log)
    benchmark.extra_info["lots"] = run.kpis.jobs_released
