"""Renewable resources (operator pools) in the scheduler: the data, the independent
checker, every solver, CP-SAT's optimum against a brute force that steps one time unit
at a time (the decoder against its plain-Python twin: test_kernels_decode.py)."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler import ProblemData, Schedule, check, solve
from scheduler.compact import left_shift
from scheduler.errors import ProblemDataError
from scheduler.robustness import evaluate_plan
from tests import naive
from tests.scheduler.brute_force import brute_force


def _two_lathes_one_turner() -> ProblemData:
    """Two lathes, one turner who runs a lathe's whole cycle: the lathes cannot both
    run, so three 5-unit jobs take 15 units, not 10."""
    jobs = [[[(0, 5), (1, 5)]] for _ in range(3)]
    return ProblemData.from_jobs(
        jobs, resource_capacity=[1], mode_resource=[0] * 6, mode_demand=[1] * 6
    )


def test_a_pool_of_one_serialises_two_machines() -> None:
    data = _two_lathes_one_turner()
    assert data.has_resources
    for method in ("dispatch", "tabu", "cpsat", "auto"):
        result = solve(data, method, time_limit=2, workers=1)
        assert result.makespan == 15, method
        assert check(data, result.schedule) == []
    both = Schedule(np.array([0, 1, 0]), np.array([0, 0, 5]), np.array([5, 5, 10]))
    violations = check(data, both)
    assert [v.rule for v in violations] == ["resource"] and "capacity 1" in violations[0].message


def test_bad_resource_data_is_named() -> None:
    jobs = [[[(0, 5)]]]
    with pytest.raises(ProblemDataError, match="capacity 0"):
        ProblemData.from_jobs(jobs, resource_capacity=[0], mode_resource=[0], mode_demand=[1])
    with pytest.raises(ProblemDataError, match="resource 2"):
        ProblemData.from_jobs(jobs, resource_capacity=[1], mode_resource=[2], mode_demand=[1])
    with pytest.raises(ProblemDataError, match="exceeds the capacity"):
        ProblemData.from_jobs(jobs, resource_capacity=[1], mode_resource=[0], mode_demand=[2])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["dispatch", "tabu", "cpsat", "auto"])
def test_every_solver_respects_the_pools(seed: int, method: str) -> None:
    data = naive.random_problem(seed, jobs=6, machines=3, extras=True, resources=True)
    data = data.replace(mode_calendar=np.where(data.mode_calendar == 4, 1, data.mode_calendar))
    result = solve(data, method, time_limit=2, seed=seed, workers=1)
    assert result.schedule is not None, result.message
    assert check(data, result.schedule) == []
    shifted = left_shift(data, result.schedule)
    assert check(data, shifted) == [] and shifted.makespan <= result.makespan


def _tiny(seed: int, holds: bool = False) -> ProblemData:
    """Three jobs of two operations on two machines, one pool of one or two units; a
    mode holds it not at all or over its span (``holds``: or only at its head and tail,
    :mod:`tests.scheduler.test_partial_holds`)."""
    rng = np.random.default_rng(seed)
    low, high = (2, 7) if holds else (1, 5)
    jobs = [
        [[(int(k), int(rng.integers(low, high))) for k in rng.choice(2, int(rng.integers(1, 3)),
                                                                     False)]
         for _ in range(2)]
        for _ in range(3)
    ]  # fmt: skip
    data = ProblemData.from_jobs(jobs, num_machines=2)
    cap = int(rng.integers(1, 3))
    res = rng.integers(-1, 1, size=data.num_modes)
    extra = {}
    if holds:
        dur = data.mode_duration
        head = np.array([int(rng.integers(0, d + 1)) for d in dur])
        tail = np.array([int(rng.integers(0, d - h + 1)) for d, h in zip(dur, head, strict=True)])
        extra = {"mode_hold_head": head, "mode_hold_tail": tail}
    return data.replace(
        resource_capacity=[cap],
        mode_resource=res,
        mode_demand=np.where(res >= 0, rng.integers(1, cap + 1, size=data.num_modes), 0),
        release=rng.integers(0, 4, size=3),
        **extra,
    )


@pytest.mark.parametrize("holds", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_cpsat_optimum_equals_brute_force_with_pools(seed: int, holds: bool) -> None:
    data = _tiny(seed, holds)
    assert data.has_partial_holds == holds
    best = brute_force(data)
    assert best is not None and check(data, best[1]) == []
    result = solve(data, "cpsat", time_limit=10, workers=1)
    assert result.status.value == "optimal" and result.makespan == best[0]
    assert check(data, result.schedule) == []


def test_monte_carlo_declines_pools_clearly() -> None:
    data = _two_lathes_one_turner()
    plan = solve(data, "dispatch").schedule
    with pytest.raises(ValueError, match="renewable resources"):
        evaluate_plan(data, plan, n_samples=2)
