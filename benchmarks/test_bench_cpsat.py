"""CP-SAT solve time on Brandimarte mk01; also asserts the known optimum 40, so speed
cannot hide a wrong answer. Run: ``pytest benchmarks/test_bench_cpsat.py``."""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from scheduler import Status, check, fjsp_dir, read_fjs
from scheduler.cpsat import solve_cpsat


@pytest.mark.benchmark(group="cpsat")
def test_bench_cpsat_mk01(benchmark: BenchmarkFixture) -> None:
    """mk01 (10 jobs x 6 machines) to proven optimality, two workers."""
    path = fjsp_dir() / "brandimarte" / "mk01.fjs"
    if not path.is_file():
        pytest.skip(f"benchmark instances not found at {path} (set SHOPFLOOR_FJSP_DIR)")
    data = read_fjs(path)
    result = benchmark.pedantic(
        solve_cpsat,
        args=(data,),
        kwargs={"time_limit": 30.0, "workers": 2, "seed": 0},
        rounds=5,
        iterations=1,
    )
    assert result.status is Status.OPTIMAL
    assert result.makespan == 40
    assert result.schedule is not None and check(data, result.schedule) == []
