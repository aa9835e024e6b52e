"""Dispatch speed at 10,000 operations (JIT compiled before timing).

Run: ``python -m pytest benchmarks/test_bench_dispatch.py --benchmark-columns=median,iqr,rounds``
Each benchmark also checks the schedule, so speed cannot hide a wrong answer.
"""

from __future__ import annotations

import pytest

from scheduler.check import check
from scheduler.dispatch import dispatch
from scheduler.generate import generate

SHAPES = {
    # 10,000 operations each: many short jobs, and fewer long ones.
    "1000x20x10": dict(jobs=1000, machines=20, ops_per_job=10),
    "200x50x50": dict(jobs=200, machines=50, ops_per_job=50),
}


@pytest.mark.benchmark(group="dispatch-10k-ops")
@pytest.mark.parametrize("rule", ["ect", "mwkr", "random"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_dispatch_10k_ops(benchmark, shape: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    """One dispatch pass over 10,000 operations with 2-4 machines each."""
    data = generate(**SHAPES[shape], flexibility=(2, 4), durations=(1, 99), seed=0)
    assert data.num_ops == 10_000
    dispatch(data, rule, seed=1)  # compile outside the timing
    schedule = benchmark(dispatch, data, rule, 1)
    assert check(data, schedule) == []
    benchmark.extra_info["makespan"] = schedule.makespan
