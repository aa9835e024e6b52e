"""The exchange between CP-SAT's LNS and the tabu thread of the portfolio."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from ortools.sat.python import cp_model

from scheduler.beside import trade
from scheduler.check import check
from scheduler.cpsat import solve_cpsat
from scheduler.cpsat.callback import Reporter
from scheduler.cpsat.hints import greedy_schedule
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.lns import improve
from scheduler.dispatch import dispatch
from scheduler.exchange import Exchange
from scheduler.kernels.decode import kernel_data
from scheduler.objective import Objective
from scheduler.problem import ProblemData
from scheduler.search.tabu import GraphSearch, default_tenure, solve_tabu, worker_options
from tests.benchdata import bench


def _mk(name: str) -> ProblemData:
    return bench("brandimarte", name)


def test_exchange_keeps_only_strict_improvements() -> None:
    data = _mk("mk01")
    worse, better = dispatch(data, "lpt"), dispatch(data, "mwkr")
    worse, better = sorted((worse, better), key=lambda s: -s.makespan)
    assert worse.makespan > better.makespan
    ex = Exchange()
    assert ex.better_than(10**9) is None  # empty
    assert ex.post(worse, worse.makespan)
    assert not ex.post(worse, worse.makespan)  # equal: not an improvement
    assert ex.post(better, better.makespan) and ex.posts == 2
    assert not ex.post(worse, worse.makespan)
    assert ex.value == better.makespan
    assert ex.better_than(better.makespan) is None
    found = ex.better_than(better.makespan + 1)
    assert found is not None and found[0] is better


def test_exchange_is_safe_under_concurrent_posts() -> None:
    """Many threads posting random values: the kept value is the minimum posted."""
    data = _mk("mk01")
    schedule = dispatch(data, "spt")
    ex = Exchange()
    values = np.random.default_rng(0).integers(0, 10**6, size=(4, 2000))

    def post(row: np.ndarray) -> None:
        for v in row.tolist():
            ex.post(schedule, v)

    threads = [threading.Thread(target=post, args=(row,)) for row in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ex.value == values.min()


def test_lns_adopts_a_better_schedule_from_the_exchange() -> None:
    """LNS from a poor start with a tabu schedule in the exchange: it continues from
    the tabu one (adopted), so its result is at least as good and checked."""
    data = _mk("mk04")
    inst = Instance.of(data)
    start = greedy_schedule(inst)
    assert start is not None
    good = solve_tabu(data, time_limit=0.5, workers=1, seed=0, iterations=20_000).schedule
    assert good is not None and good.makespan < start.makespan
    ex = Exchange()
    ex.post(good, good.makespan)
    best, stats = improve(
        inst,
        start,
        Objective.MAKESPAN,
        (1, 1),
        deadline=time.perf_counter() + 0.5,
        seeds=np.random.SeedSequence(0),
        make_solver=lambda seed: cp_model.CpSolver(),
        reporter=Reporter(None, time.perf_counter()),
        exchange=ex,
    )
    assert stats["lns_adopted"] >= 1
    assert check(data, best) == []
    assert best.makespan <= good.makespan
    assert ex.value == best.makespan  # LNS posted whatever it improved


def test_graph_search_adopts_a_schedule_and_continues_from_it() -> None:
    data = _mk("mk01")
    kd = kernel_data(data)
    poor, good = dispatch(data, "lpt"), solve_tabu(data, time_limit=1, iterations=5000).schedule
    assert good is not None and good.makespan < poor.makespan
    search = GraphSearch.from_schedule(data, kd, poor, 0, worker_options(data, {}, 0))
    search.run(1, 0)
    before = search.best
    search.adopt(good)
    assert search.best <= good.makespan < before
    assert check(data, search.best_schedule()) == []
    search.run(2000, 0)
    assert search.best <= good.makespan
    assert check(data, search.best_schedule()) == []


def test_trade_posts_the_better_side_and_adopts_the_other() -> None:
    data = _mk("mk01")
    kd = kernel_data(data)
    poor, good = dispatch(data, "lpt"), solve_tabu(data, time_limit=1, iterations=5000).schedule
    assert good is not None
    stats: dict[str, int] = {}
    search = GraphSearch.from_schedule(data, kd, poor, 0, {})
    search.run(1, 0)
    ex = Exchange()
    trade(search, ex, stats)  # empty exchange: the search posts
    assert stats == {"tabu_posted": 1} and ex.value == search.best
    ex.post(good, good.makespan)
    trade(search, ex, stats)  # the exchange is better: the search adopts
    assert stats["tabu_adopted"] == 1 and search.best <= good.makespan


def test_cpsat_with_an_exchange_needs_a_makespan_objective() -> None:
    with pytest.raises(ValueError, match="makespan"):
        solve_cpsat(_mk("mk01"), time_limit=1, objective="tardiness", exchange=Exchange())


def test_tenures_are_short_and_differ_between_threads() -> None:
    data = _mk("mk10")  # 240 operations, 15 machines
    assert default_tenure(data, 0) == 6
    assert default_tenure(data, 1) == 8
    assert worker_options(data, {}, 1)["tenure"] == 8
    assert worker_options(data, {"tenure": 20}, 1)["tenure"] == 20
