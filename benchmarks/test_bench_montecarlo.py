"""Monte Carlo samples per second on mk10: numba kernel vs the plain-Python twin,
side by side in one run (JIT compiled before timing).

Run: ``python -m pytest benchmarks/test_bench_montecarlo.py --benchmark-columns=median,iqr,rounds``
``extra_info["samples_per_second"]`` holds each side's rate from its median.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.stats import per_second
from scheduler import read_fjs
from scheduler.dispatch import dispatch
from scheduler.instances import fjsp_dir
from scheduler.kernels.rng import make_state
from scheduler.robustness import Breakdowns, evaluate_plan
from tests.naive_dispatch import montecarlo_naive

CV = 0.2
BREAKDOWNS = Breakdowns(mtbf=200.0, mttr=10.0)


@pytest.fixture(scope="module")
def mk10():  # type: ignore[no-untyped-def]
    data = read_fjs(fjsp_dir() / "brandimarte" / "mk10.fjs")
    return data, dispatch(data, "mwkr")


@pytest.mark.benchmark(group="montecarlo-mk10")
def test_montecarlo_numba(benchmark, mk10) -> None:  # type: ignore[no-untyped-def]
    """1,000 lognormal samples with breakdowns in one kernel call."""
    data, plan = mk10
    n = 1000
    evaluate_plan(data, plan, 2, CV, "lognormal", BREAKDOWNS)  # compile outside the timing
    result = benchmark(evaluate_plan, data, plan, n, CV, "lognormal", BREAKDOWNS, 0)
    assert result.makespan.min() >= 0.5 * plan.makespan
    rate = per_second(benchmark, n)
    if rate is not None:
        benchmark.extra_info["samples_per_second"] = rate


@pytest.mark.benchmark(group="montecarlo-mk10")
def test_montecarlo_python(benchmark, mk10) -> None:  # type: ignore[no-untyped-def]
    """The same simulation in plain Python (the test twin), 5 samples per call."""
    data, plan = mk10
    n = 5
    mtbf, mttr = BREAKDOWNS.arrays(data.num_machines)
    args = (plan.machine.tolist(), plan.start.tolist(), plan.end.tolist(), "lognormal", CV)
    state = int(make_state(0)[0])
    makespans, _ = benchmark(montecarlo_naive, data, *args, mtbf.tolist(), mttr.tolist(), n, state)
    fast = evaluate_plan(data, plan, n, CV, "lognormal", BREAKDOWNS, 0)
    np.testing.assert_allclose(makespans, fast.makespan, rtol=1e-12)
    rate = per_second(benchmark, n)
    if rate is not None:
        benchmark.extra_info["samples_per_second"] = rate
