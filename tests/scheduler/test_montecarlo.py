"""Monte Carlo robustness of a fixed plan: exact without noise, equal to its slow twin,
seeded, and with the sampled moments the model promises."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scheduler import ProblemData, Schedule
from scheduler.dispatch import dispatch
from scheduler.kernels.rng import make_state
from scheduler.robustness import Breakdowns, evaluate_plan
from tests.benchdata import bench
from tests.naive_dispatch import montecarlo_naive
from tests.scheduler.test_dispatch import rich_instance


def one_op(duration: int) -> ProblemData:
    return ProblemData.from_jobs([[[(0, duration)]]])


@pytest.mark.parametrize("seed", range(6))
def test_no_noise_reproduces_the_plan(seed: int) -> None:
    """cv=0 and no breakdowns: every sample is the dispatch plan's makespan and
    tardiness exactly, with setups, windows, transport and pins."""
    data = rich_instance(seed)
    plan = dispatch(data, "mwkr")
    result = evaluate_plan(data, plan, n_samples=5, cv=0.0, seed=seed)
    assert result.makespan.tolist() == [plan.makespan] * 5
    assert result.tardiness.tolist() == [plan.total_weighted_tardiness(data)] * 5


def test_no_noise_left_shifts_a_lazy_plan() -> None:
    """Idle time the plan does not need disappears: the sample is the left-shifted plan."""
    data = ProblemData.from_jobs([[[(0, 3)], [(1, 4)]], [[(1, 2)]]], due=[5, 1])
    lazy = Schedule.from_starts(data, [0, 1, 1], [2, 10, 0])
    result = evaluate_plan(data, lazy, n_samples=3, cv=0.0)
    assert result.planned_makespan == 14
    assert result.makespan.tolist() == [7.0] * 3  # op 1 starts at 3, after op 0 and op 2
    assert result.tardiness.tolist() == [2.0 + 1.0] * 3


@pytest.mark.parametrize(
    ("distribution", "cv", "breakdowns"),
    [
        ("lognormal", 0.3, None),
        ("triangular", 0.2, None),
        ("fixed", 0.5, Breakdowns(mtbf=40.0, mttr=[3.0, 5.0, 8.0, 1.0])),
        ("lognormal", 0.2, Breakdowns(mtbf=[30.0, math.inf, 60.0, 25.0], mttr=4.0)),
    ],
)
def test_kernel_matches_naive_twin(distribution: str, cv: float, breakdowns: object) -> None:
    """The numba kernel and the plain-Python twin give the same samples from the same
    stream, on an instance with every side constraint."""
    data = rich_instance(3)
    plan = dispatch(data, "ect")
    bd = breakdowns if isinstance(breakdowns, Breakdowns) else None
    fast = evaluate_plan(data, plan, 40, cv, distribution, bd, seed=11)
    mtbf, mttr = bd.arrays(data.num_machines) if bd else (np.zeros(4), np.zeros(4))
    slow = montecarlo_naive(
        data,
        plan.machine.tolist(),
        plan.start.tolist(),
        plan.end.tolist(),
        distribution if cv > 0 else "fixed",
        cv,
        mtbf.tolist(),
        mttr.tolist(),
        40,
        int(make_state(11)[0]),
    )
    np.testing.assert_allclose(fast.makespan, slow[0], rtol=1e-12)
    np.testing.assert_allclose(fast.tardiness, slow[1], rtol=1e-12, atol=1e-9)
    assert np.ptp(fast.makespan) > 0


def test_same_seed_same_samples() -> None:
    """The seed fixes every sample; another seed gives others."""
    data = bench("brandimarte", "mk01")
    plan = dispatch(data)
    a = evaluate_plan(data, plan, 50, 0.2, seed=1)
    b = evaluate_plan(data, plan, 50, 0.2, seed=1)
    c = evaluate_plan(data, plan, 50, 0.2, seed=2)
    assert np.array_equal(a.makespan, b.makespan)
    assert not np.array_equal(a.makespan, c.makespan)


@pytest.mark.parametrize("distribution", ["lognormal", "triangular"])
def test_duration_mean_and_cv(distribution: str) -> None:
    """A single operation's sampled duration has mean = nominal and the asked cv."""
    result = evaluate_plan(one_op(100), Schedule([0], [0], [100]), 40_000, 0.25, distribution)
    assert result.makespan.mean() == pytest.approx(100, rel=0.01)
    assert result.makespan.std() / 100 == pytest.approx(0.25, rel=0.03)
    assert result.makespan.min() >= 0


def test_breakdowns_add_expected_repair_time() -> None:
    """Failures form a Poisson process in processing time: 100 units at MTBF 50 see two
    failures on average, each adding MTTR 10, so the mean is 120."""
    result = evaluate_plan(
        one_op(100), Schedule([0], [0], [100]), 40_000, 0.0, breakdowns=Breakdowns(50.0, 10.0)
    )
    assert result.makespan.min() >= 100
    assert result.makespan.mean() == pytest.approx(120, rel=0.01)
    assert np.mean(result.makespan == 100) == pytest.approx(math.exp(-2), abs=0.01)


def test_summary_statistics() -> None:
    """mean/p50/p95/max summarise the samples, and to_dict carries them."""
    data = bench("brandimarte", "mk02")
    result = evaluate_plan(data, dispatch(data, "lpt"), 500, 0.3, seed=5)
    stats = result.makespan_stats
    assert stats.mean == pytest.approx(result.makespan.mean())
    assert stats.p50 == pytest.approx(np.median(result.makespan))
    assert stats.p50 <= stats.p95 <= stats.max == result.makespan.max()
    assert result.tardiness_stats.max == 0  # mk02 has no due dates
    assert result.to_dict()["makespan"]["p95"] == stats.p95
    assert result.n_samples == 500


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"cv": -0.1}, "cv must be finite and >= 0"),
        ({"distribution": "gamma"}, "unknown distribution 'gamma'"),
        ({"distribution": "triangular", "cv": 0.5}, "triangular durations need cv <= 0.4082"),
        ({"breakdowns": Breakdowns(0.0, 1.0)}, r"breakdowns.mtbf\[0\] must be > 0"),
        ({"breakdowns": Breakdowns(10.0, [1.0, -1.0])}, r"breakdowns.mttr\[1\]"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    """Bad arguments are rejected with the culprit named."""
    data = ProblemData.from_jobs([[[(0, 5)], [(1, 5)]]])
    with pytest.raises(ValueError, match=message):
        evaluate_plan(data, dispatch(data), **kwargs)  # type: ignore[arg-type]


def test_plan_must_fit_the_problem() -> None:
    """A plan with the wrong length or an ineligible machine is refused."""
    data = ProblemData.from_jobs([[[(0, 5)], [(1, 5)]]])
    with pytest.raises(ValueError, match="schedule has 1 operations"):
        evaluate_plan(data, Schedule([0], [0], [5]))
    with pytest.raises(ValueError, match="operation 1: machine 0 is not eligible"):
        evaluate_plan(data, Schedule([0, 0], [0, 5], [5, 10]))
