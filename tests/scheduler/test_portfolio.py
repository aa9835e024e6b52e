"""solve_auto: the portfolio returns checked schedules no worse than its starts."""

from __future__ import annotations

import pytest

from scheduler import solve
from scheduler.check import check
from scheduler.dispatch import dispatch_all
from scheduler.objective import Objective, evaluate
from scheduler.portfolio import job_shop_like, solve_auto
from scheduler.result import Status
from tests import naive
from tests.benchdata import bench


def _mk(name: str):  # type: ignore[no-untyped-def]
    return bench("brandimarte", name)


def test_auto_beats_every_dispatch_rule_on_mk01() -> None:
    """The result passes check and is no worse than the best dispatch rule."""
    data = _mk("mk01")
    res = solve_auto(data, time_limit=3, workers=2, seed=0)
    best_rule = min(s.makespan for _, s in dispatch_all(data, 0))
    assert check(data, res.schedule) == []
    assert res.objective is not None and res.objective <= best_rule
    assert res.objective <= res.stats["start_value"]
    assert res.lower_bound is not None and res.lower_bound <= res.objective


def test_auto_stops_at_a_proven_optimum() -> None:
    """mk03's starts already meet the trivial bound: optimal, returned at once."""
    data = _mk("mk03")
    res = solve(data, "auto", time_limit=10, workers=2)
    assert res.status is Status.OPTIMAL
    assert res.objective == res.lower_bound == 204
    assert res.runtime < 5
    assert check(data, res.schedule) == []


def test_auto_reports_improvements_from_the_first_start() -> None:
    """on_solution: first value early, then strictly decreasing down to the result."""
    data = _mk("mk04")
    seen: list[tuple[float, float]] = []
    res = solve_auto(
        data, time_limit=2, workers=2, seed=1, on_solution=lambda v, t: seen.append((v, t))
    )
    values = [v for v, _ in seen]
    assert seen and seen[0][1] < 1.0
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert values[-1] == res.objective


@pytest.mark.parametrize("seed", range(3))
def test_auto_with_extras_is_feasible(seed: int) -> None:
    """Setups, transport, windows and fixed starts: decoder search + CP-SAT, checked."""
    data = naive.random_problem(seed, jobs=6, machines=3, extras=True)
    res = solve_auto(data, time_limit=1.5, workers=2, seed=seed)
    assert res.schedule is not None and check(data, res.schedule) == []
    assert res.objective <= res.stats["start_value"]


def test_auto_tardiness_objective() -> None:
    """Weighted tardiness is evaluated on the returned schedule and bounded below."""
    from scheduler.generate import generate

    data = generate(8, 4, seed=3, due_factor=1.0, weights=(1, 3))
    res = solve_auto(data, time_limit=1.5, workers=2, objective=Objective.TARDINESS)
    assert check(data, res.schedule) == []
    assert res.objective == evaluate(data, res.schedule, "tardiness")
    assert res.lower_bound is not None and res.lower_bound <= res.objective


def _barnes(name: str):  # type: ignore[no-untyped-def]
    return bench("barnes", name)


def test_job_shop_like_separates_square_low_flexibility_instances() -> None:
    """Barnes mt10c1 and rdata la38 are job-shop-like; Brandimarte mk06/mk10 are not."""
    assert job_shop_like(_barnes("mt10c1"))
    assert job_shop_like(bench("hurink_rdata", "la38"))
    assert not job_shop_like(_mk("mk06")) and not job_shop_like(_mk("mk10"))
    assert not job_shop_like(bench("hurink_rdata", "la21"))


def test_auto_runs_cpsat_and_tabu_at_once_on_a_job_shop_like_instance() -> None:
    """Two workers on mt10c1: concurrent mode, checked, no worse than either search."""
    data = _barnes("mt10c1")
    res = solve_auto(data, time_limit=3, workers=2, seed=0)
    assert res.stats["mode"] == "concurrent" and "cpsat_status" in res.stats
    assert check(data, res.schedule) == []
    assert res.objective is not None
    assert res.objective <= min(res.stats["after_tabu"], res.stats["after_cpsat"])
    assert res.objective <= res.stats["start_value"]


def test_auto_one_worker_on_a_job_shop_like_instance_runs_phases() -> None:
    """One worker, or adaptive=False: the phases run in turn (no thread beside CP-SAT)."""
    data = _barnes("mt10c1")
    one = solve_auto(data, time_limit=1.5, workers=1, seed=0)
    fixed = solve_auto(data, time_limit=1.5, workers=2, seed=0, adaptive=False)
    for res in (one, fixed):
        assert res.stats["mode"] == "phased"
        assert check(data, res.schedule) == []


def test_auto_phased_with_tabu_beside_cpsat_on_mk10() -> None:
    """mk10 (not job-shop-like): phases in turn, a tabu thread beside CP-SAT's LNS."""
    data = _mk("mk10")
    res = solve_auto(data, time_limit=3, workers=2, seed=0)
    assert res.stats["mode"] == "phased" and "cpsat_status" in res.stats
    assert check(data, res.schedule) == []
    assert res.objective is not None
    assert res.objective <= res.stats["after_cpsat"] <= res.stats["after_tabu"]
