"""solve_auto: the portfolio returns checked schedules no worse than its starts."""

from __future__ import annotations

import pytest

from scheduler import read_fjs, solve
from scheduler.check import check
from scheduler.dispatch import dispatch_all
from scheduler.instances import fjsp_dir
from scheduler.objective import Objective, evaluate
from scheduler.portfolio import solve_auto
from scheduler.result import Status
from tests import naive


def _mk(name: str):  # type: ignore[no-untyped-def]
    return read_fjs(fjsp_dir() / "brandimarte" / f"{name}.fjs")


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
