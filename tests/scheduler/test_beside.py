"""The tabu thread beside CP-SAT: restarts from fresh starts keep the side's best."""

from __future__ import annotations

import time

import numpy as np
import pytest

from scheduler.beside import Restarts, cpsat_beside
from scheduler.check import check
from scheduler.kernels.decode import kernel_data
from scheduler.portfolio import solve_auto
from scheduler.search.tabu import GraphSearch, Incumbent, solve_tabu, worker_options
from scheduler.warmup import warmup
from tests.benchdata import bench


@pytest.fixture(autouse=True, scope="module")
def _compiled() -> None:
    """These tests count restarts within a time limit: with a cold numba cache the
    first solve would spend that time compiling (the CLI warms up the same way)."""
    warmup()


def _same(a: GraphSearch, b: GraphSearch) -> bool:
    return bool(np.array_equal(a.mode, b.mode) and np.array_equal(a.seq, b.seq))


def test_restarts_draw_new_starts_that_follow_from_the_seed() -> None:
    data = bench("brandimarte", "mk10")
    kd = kernel_data(data)
    opts = worker_options(data, {}, 1)
    a = Restarts(data, kd, np.random.SeedSequence(7), opts, after=1.0)
    b = Restarts(data, kd, np.random.SeedSequence(7), opts, after=1.0)
    first, second = a.fresh(), a.fresh()
    twin = b.fresh()
    assert a.count == 2 and b.count == 1
    assert _same(first, twin) and not _same(first, second)
    assert first.run(500, 0) == twin.run(500, 0)  # the kernel RNG follows the seed too
    second.run(1, 0)
    assert check(data, second.best_schedule()) == []


class _Recorded(Restarts):
    """Restarts that remember every search they made."""

    made: list[GraphSearch]

    def fresh(self) -> GraphSearch:
        search = super().fresh()
        self.made = [*getattr(self, "made", []), search]
        return search


def test_restarts_keep_the_best_found_before_them() -> None:
    """Restarting every 0.2 s from random starts must not lose the good start: the side
    returns the best schedule of all its searches, checked."""
    data = bench("brandimarte", "mk10")  # CP-SAT cannot close it in the test's time
    kd = kernel_data(data)
    good = solve_tabu(data, time_limit=10, iterations=100_000).schedule
    assert good is not None
    opts = worker_options(data, {}, 1)
    search = GraphSearch.from_schedule(data, kd, good, 0, opts)
    restarts = _Recorded(data, kd, np.random.SeedSequence(3), opts, after=0.2)
    stats: dict[str, int] = {}
    res, found = cpsat_beside(
        data,
        {"time_limit": 2.5, "workers": 1, "seed": 0},
        search,
        {"yield_to_cpsat": False, "exchange": False},
        0,
        Incumbent(time.perf_counter(), None),
        stats,
        restarts,
    )
    assert stats["tabu_restarts"] >= 2 and len(restarts.made) == stats["tabu_restarts"]
    assert found is not None and check(data, found) == []
    assert found.makespan == min(s.best for s in [search, *restarts.made])
    assert found.makespan <= good.makespan
    assert res.schedule is not None and check(data, res.schedule) == []


def test_auto_restarts_the_thread_beside_cpsat_on_a_job_shop_like_instance() -> None:
    data = bench("barnes", "seti5xx")
    res = solve_auto(data, time_limit=4, workers=2, seed=0, restart_after=0.2)
    assert res.stats["mode"] == "concurrent"
    assert res.stats["tabu_restarts"] >= 1
    assert res.schedule is not None and check(data, res.schedule) == []
    assert res.objective is not None
    assert res.objective <= min(res.stats["after_tabu"], res.stats["after_cpsat"])
