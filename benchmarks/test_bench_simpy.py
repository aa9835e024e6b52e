"""The model layer's cost over bare SimPy, on one seeded job shop.

20 machines, 50 jobs x 10 operations, routings random but seeded, constant integer
durations. Group ``simpy-jobshop`` runs the same shop (a) in plain SimPy (one Resource
per machine, one process per job) and (b) through :class:`models.Machine` with and
without a recorder, side by side. Each variant must reproduce plain SimPy's makespan, so speed
cannot hide a wrong answer, and reports in ``extra_info`` its operations per second and
its speed ratio to plain SimPy (timed interleaved with it: the cores are shared, so
separate medians drift). Target: ratio >= 0.5 with a recorder. Run::

    cd /work/main && /work/venv/bin/python -m pytest benchmarks/test_bench_simpy.py \
        --benchmark-only --benchmark-group-by=group --benchmark-columns=median,ops,rounds \
        --benchmark-json=/tmp/bench_simpy.json
    # ops/s and ratios: the "extra_info" of each entry in /tmp/bench_simpy.json
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest
import simpy

from benchmarks.stats import per_second
from models import ListRecorder, Machine, NullRecorder, Recorder

N_MACHINES, N_JOBS, N_OPS = 20, 50, 10
Route = list[tuple[int, int]]  # (machine, duration) per operation


def make_shop(seed: int = 42) -> list[Route]:
    rng = np.random.default_rng(seed)
    return [
        [(int(m), int(rng.integers(1, 21))) for m in rng.permutation(N_MACHINES)[:N_OPS]]
        for _ in range(N_JOBS)
    ]


def run_plain(routes: list[Route]) -> float:
    """The minimal SimPy job shop: the reference both for speed and for the makespan."""
    env = simpy.Environment()
    machines = [simpy.Resource(env, capacity=1) for _ in range(N_MACHINES)]

    def job(route: Route) -> Generator[Any, Any, None]:
        for m, d in route:
            with machines[m].request() as req:
                yield req
                yield env.timeout(d)

    for route in routes:
        env.process(job(route))
    env.run()
    return env.now


def run_models(routes: list[Route], recorder: Recorder | None) -> float:
    """The same shop through Machine models, as the twin drives them."""
    env = simpy.Environment()
    seeds = np.random.SeedSequence(0).spawn(N_MACHINES)
    machines = [
        Machine(env, f"M{i}", recorder, rng=np.random.default_rng(s)) for i, s in enumerate(seeds)
    ]

    def job(j: int, route: Route) -> Generator[Any, Any, None]:
        for k, (m, d) in enumerate(route):
            machine = machines[m]
            with machine.resource.request() as req:
                yield req
                yield from machine.process(j, k, d)

    for j, route in enumerate(routes):
        env.process(job(j, route))
    env.run()
    return env.now


ROUTES = make_shop()
EXPECTED = run_plain(ROUTES)
OPS = N_JOBS * N_OPS
RATIO_ROUNDS = 50


def interleaved_ratio(fn: Callable[[], float], rounds: int = RATIO_ROUNDS) -> float:
    """median(plain) / median(fn), timing the two alternately so that load from other
    processes on the shared cores hits both alike."""
    plain: list[float] = []
    model: list[float] = []
    for _ in range(rounds):
        t = time.perf_counter()
        run_plain(ROUTES)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        fn()
        model.append(time.perf_counter() - t)
    return statistics.median(plain) / statistics.median(model)


def _report(benchmark: Any, fn: Callable[[], float], ratio: bool = True) -> None:
    makespan = benchmark(fn)
    assert makespan == EXPECTED
    rate = per_second(benchmark, OPS)
    if rate is not None:
        benchmark.extra_info["ops_per_s"] = round(rate)
    if ratio:
        benchmark.extra_info["ratio_vs_plain"] = round(interleaved_ratio(fn), 3)


@pytest.mark.benchmark(group="simpy-jobshop")
def test_plain_simpy(benchmark: Any) -> None:
    """Bare SimPy: Resource + timeout per operation."""
    _report(benchmark, lambda: run_plain(ROUTES), ratio=False)


@pytest.mark.benchmark(group="simpy-jobshop")
def test_models_no_recorder(benchmark: Any) -> None:
    """Machine models with recording off: the cost of the model layer alone."""
    _report(benchmark, lambda: run_models(ROUTES, None))


@pytest.mark.benchmark(group="simpy-jobshop")
def test_models_null_recorder(benchmark: Any) -> None:
    """Machine models calling a recorder that discards: the cost of the record calls."""
    _report(benchmark, lambda: run_models(ROUTES, NullRecorder()))


@pytest.mark.benchmark(group="simpy-jobshop")
def test_models_list_recorder(benchmark: Any) -> None:
    """Machine models with the test ListRecorder (one frozen dataclass per record)."""
    _report(benchmark, lambda: run_models(ROUTES, ListRecorder()))


@pytest.mark.benchmark(group="simpy-jobshop")
def test_models_eventlog(benchmark: Any) -> None:
    """Machine models with the production columnar recorder, twin.eventlog.EventLog."""
    eventlog = pytest.importorskip("twin.eventlog")
    _report(benchmark, lambda: run_models(ROUTES, eventlog.EventLog()))


def test_models_log_every_operation() -> None:
    """Sanity outside the timing: one op_start/op_end pair per operation."""
    rec = ListRecorder()
    assert run_models(ROUTES, rec) == EXPECTED
    assert sum(r.kind == "op_end" for r in rec.records) == OPS
