"""CP-SAT: every schedule passes the checker, optima match brute force, hints are
complete, infeasibility is explained, objectives are right."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model

from scheduler import (
    ProblemData,
    Schedule,
    SchedulerError,
    Status,
    check,
    evaluate,
    solve,
)
from scheduler.compact import left_shift
from scheduler.cpsat import solve_cpsat
from scheduler.cpsat.callback import Reporter
from scheduler.cpsat.hints import greedy_schedule
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.lns import improve
from scheduler.objective import Objective
from tests.benchdata import bench
from tests.scheduler.brute_force import brute_force
from tests.scheduler.strategies import problems

FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def solved(data: ProblemData, **kwargs: object) -> Schedule:
    """Solve, assert a feasible checked schedule, return it."""
    kwargs.setdefault("time_limit", 5.0)
    kwargs.setdefault("workers", 1)
    result = solve_cpsat(data, **kwargs)  # type: ignore[arg-type]
    assert result.schedule is not None, result.message
    assert check(data, result.schedule) == []
    return result.schedule


@FAST
@given(problems(max_jobs=4, max_machines=3, max_ops=3, extras=True, loads=False))
def test_every_schedule_passes_check(data: ProblemData) -> None:
    """Random small instances with every extra: feasible, checked, left-shifted, consistent."""
    result = solve_cpsat(data, time_limit=1.0, workers=1)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.message
    assert result.schedule is not None
    assert check(data, result.schedule) == []
    assert left_shift(data, result.schedule) == result.schedule
    assert result.objective == evaluate(data, result.schedule)
    assert result.lower_bound is not None and result.lower_bound <= result.objective


@FAST
@given(problems(max_jobs=3, max_machines=2, max_ops=2, extras=True, loads=False))
def test_optimal_makespan_matches_brute_force(data: ProblemData) -> None:
    """On tiny instances the proven optimum equals the exhaustive one."""
    expected = brute_force(data)
    assert expected is not None
    result = solve_cpsat(data, time_limit=5.0, workers=1)
    assert result.status is Status.OPTIMAL
    assert result.objective == expected[0]


@FAST
@given(problems(max_jobs=3, max_machines=2, max_ops=2, extras=True, loads=False))
def test_optimal_tardiness_matches_brute_force(data: ProblemData) -> None:
    """Total weighted tardiness: the proven optimum equals the exhaustive one."""
    expected = brute_force(data, "tardiness")
    assert expected is not None
    result = solve_cpsat(data, time_limit=5.0, workers=1, objective="tardiness")
    assert result.status is Status.OPTIMAL
    assert result.objective == expected[0]


@FAST
@given(problems(max_jobs=3, max_machines=2, max_ops=2, extras=True, loads=False))
def test_hint_is_complete_and_feasible(data: ProblemData) -> None:
    """Fixing every variable to its hint still solves: the hint is complete and
    feasible (circuit arcs and zero-length literals included), and comes back as is."""
    best = brute_force(data)
    assert best is not None
    hint = best[1]
    result = solve_cpsat(
        data,
        time_limit=5.0,
        workers=1,
        hint=hint,
        params={"fix_variables_to_their_hinted_value": True},
    )
    assert result.schedule == left_shift(data, hint), result.message


def test_mk01_reaches_optimum() -> None:
    """Brandimarte mk01 is solved to its known optimum 40."""
    data = bench("brandimarte", "mk01")
    result = solve(data, "cpsat", time_limit=20.0, workers=2)
    assert result.makespan == 40
    assert result.schedule is not None and check(data, result.schedule) == []


def test_hint_is_matched_or_beaten() -> None:
    """A given (poor) hint is the starting point: the result is never worse."""
    data = ProblemData.from_jobs(
        [[[(0, 3), (1, 5)], [(1, 2)]], [[(0, 2)], [(0, 4), (1, 1)]], [[(1, 3)], [(0, 2)]]]
    )
    hint = Schedule.from_starts(data, [1, 1, 0, 0, 1, 0], [20, 30, 0, 10, 0, 40])
    assert check(data, hint) == []
    seen: list[float] = []
    result = solve_cpsat(
        data, time_limit=5.0, workers=1, hint=hint, on_solution=lambda v, t: seen.append(v)
    )
    assert result.makespan is not None and result.makespan <= left_shift(data, hint).makespan
    assert result.status is Status.OPTIMAL and result.makespan == brute_force(data)[0]  # type: ignore[index]
    assert seen == sorted(seen, reverse=True) and seen[-1] == result.objective


def test_weighted_tardiness_hand_made() -> None:
    """One machine, jobs (p=3, due 3, w=1) and (p=2, due 2, w=5): serving the heavy job
    first costs 1 * (5 - 3) = 2, the other way 5 * (5 - 2) = 15."""
    data = ProblemData.from_jobs([[[(0, 3)]], [[(0, 2)]]], due=[3, 2], weight=[1, 5])
    result = solve_cpsat(data, time_limit=5.0, workers=1, objective="tardiness")
    assert result.status is Status.OPTIMAL
    assert result.objective == 2
    assert result.schedule is not None and result.schedule.start.tolist() == [2, 0]
    weighted = solve_cpsat(data, time_limit=5.0, objective="weighted", weights=(10, 1))
    assert weighted.objective == 10 * 5 + 2


def test_lexicographic_keeps_best_makespan() -> None:
    """Three 2-unit jobs on two machines: makespan 4 is optimal, and among those
    schedules only the ones serving the two jobs due at 2 first have no tardiness."""
    data = ProblemData.from_jobs(
        [[[(0, 2), (1, 2)]] for _ in range(3)], due=[4, 2, 2], weight=[1, 3, 3]
    )
    seen: list[float] = []
    lex = solve_cpsat(
        data,
        time_limit=5.0,
        workers=1,
        objective="lexicographic",
        hint=Schedule.from_starts(data, [0, 0, 1], [0, 2, 0]),  # makespan 4, tardy
        on_solution=lambda v, t: seen.append(v),
    )
    assert seen == [4.0]  # makespans only, never the tardiness of the second phase
    assert lex.status is Status.OPTIMAL
    assert lex.objective == 4 and lex.makespan == 4
    assert lex.schedule is not None and lex.schedule.total_weighted_tardiness(data) == 0
    assert lex.stats["tardiness"] == 0
    assert check(data, lex.schedule) == []


@pytest.mark.parametrize(
    ("optional", "words"),
    [
        (
            {
                "fixed_machine": [0, -1],
                "fixed_start": [2, -1],
                "window_ptr": [0, 1, 1],
                "window_start": [3],
                "window_end": [4],
            },
            "window",
        ),
        ({"fixed_machine": [0, 0], "fixed_start": [0, 2]}, "overlap"),
        ({"fixed_machine": [-1, -1], "fixed_start": [-1, 1], "release": [0, 0]}, "predecessor"),
    ],
)
def test_infeasible_with_reason(optional: dict[str, object], words: str) -> None:
    """Fixed operations colliding with a window, with each other or with their own job
    give status infeasible and a reason, never an exception."""
    jobs = [[[(0, 3)]], [[(0, 3)]]]
    if "release" in optional:  # one job, op 1 fixed to start at 1, before op 0 can end
        jobs = [[[(0, 3)], [(1, 2)]]]
        optional = {k: v for k, v in optional.items() if k != "release"}
    data = ProblemData.from_jobs(jobs, num_machines=2, **optional)
    result = solve_cpsat(data, time_limit=2.0)
    assert result.status is Status.INFEASIBLE
    assert result.schedule is None
    assert words in result.message


def test_infeasible_proved_by_cpsat() -> None:
    """A contradiction the precheck does not see (job 0's first operation needs 2 units
    on M0 before its fixed successor at 2, but a fixed job occupies [0, 1)) is proved
    by CP-SAT."""
    data = ProblemData.from_jobs(
        [[[(0, 2)], [(0, 2)]], [[(0, 1)]]],
        num_machines=1,
        fixed_machine=[-1, 0, 0],
        fixed_start=[-1, 2, 0],
    )
    result = solve_cpsat(data, time_limit=2.0)
    assert result.status is Status.INFEASIBLE
    assert "no schedule" in result.message


def test_zero_length_operations_respect_checker() -> None:
    """Zero-length operations never sit strictly inside another operation or a window."""
    data = ProblemData.from_jobs(
        [[[(0, 5)]], [[(0, 0)], [(0, 1)]], [[(0, 0)]]],
        release=[0, 2, 2],
        window_ptr=[0, 1],
        window_start=[7],
        window_end=[9],
    )
    schedule = solved(data)
    assert schedule.makespan == 6


def test_setups_and_transport() -> None:
    """Setups (by family) and transport lags are respected and counted exactly."""
    setup = np.zeros((2, 2, 2), np.int64)
    setup[:, 0, 1] = setup[:, 1, 0] = 3
    data = ProblemData.from_jobs(
        [[[(0, 2)], [(1, 2)]], [[(0, 2)], [(1, 2)]]],
        op_family=[0, 0, 1, 1],
        setup=setup,
        transport=[[0, 1], [1, 0]],
    )
    result = solve_cpsat(data, time_limit=5.0, workers=1)
    assert result.status is Status.OPTIMAL and result.makespan == brute_force(data)[0]  # type: ignore[index]
    assert result.schedule is not None and check(data, result.schedule) == []


def test_short_limit_spent_in_presolve_still_returns_the_greedy_start() -> None:
    """Two 3-operation jobs, 4 machines each, setups on two of them: CP-SAT 9.15 spends
    all of 0.5 s in presolve's symmetry detection and returns no solution, not even the
    complete hint (found by test_following_a_plan_finishes_and_conserves). The greedy
    start is feasible, so ``cpsat`` returns it rather than "no schedule found"."""
    short, long_ = [(2, 3), (3, 3), (0, 6), (1, 6)], [(2, 6), (3, 6), (0, 3), (1, 3)]
    last = [(0, 3), (1, 3), (2, 6), (3, 6)]
    setup = np.zeros((6, 3, 3), np.int64)
    setup[2:4] = 1 - np.eye(3, dtype=np.int64)
    data = ProblemData.from_jobs(
        [[short, long_, last], [short, long_, last]],
        num_machines=6,
        op_family=[2] * 6,
        setup=setup,
    )
    result = solve_cpsat(data, time_limit=0.5, workers=1)
    assert result.schedule is not None and check(data, result.schedule) == []
    assert result.makespan is not None and result.makespan >= (result.lower_bound or 0)


def test_deterministic_with_one_worker() -> None:
    """One worker and one seed give one schedule."""
    data = ProblemData.from_jobs(
        [[[(0, 3), (1, 2)], [(1, 2), (2, 4)]] for _ in range(4)], num_machines=3
    )
    first = solve_cpsat(data, time_limit=5.0, workers=1, seed=3)
    second = solve_cpsat(data, time_limit=5.0, workers=1, seed=3)
    assert first.schedule == second.schedule


def test_no_solution_in_time_is_unknown() -> None:
    """Stopping before any solution (here: right after presolve, with a fixed operation
    so no greedy hint exists) gives status unknown and says so."""
    data = ProblemData.from_jobs(
        [[[(0, 3), (1, 2)], [(1, 2), (0, 4)]] for _ in range(3)],
        num_machines=2,
        fixed_machine=[0, -1, -1, -1, -1, -1],
        fixed_start=[0, -1, -1, -1, -1, -1],
    )
    result = solve_cpsat(data, time_limit=5.0, params={"stop_after_presolve": True})
    assert result.status is Status.UNKNOWN
    assert result.schedule is None
    assert "time limit" in result.message


def test_unknown_option_and_bad_hint_raise() -> None:
    """Misspelt options and hints of the wrong size are rejected with a clear error."""
    data = ProblemData.from_jobs([[[(0, 1)]]])
    with pytest.raises(TypeError, match="unknown option"):
        solve_cpsat(data, time_limt=1.0)
    with pytest.raises(ValueError, match="hint has 2 operations"):
        solve_cpsat(data, hint=Schedule([0, 0], [0, 1], [1, 2]))
    assert issubclass(SchedulerError, ValueError)


def random_instance(n_jobs: int, n_machines: int, n_ops: int, seed: int) -> ProblemData:
    """A Brandimarte-like random instance (1-3 eligible machines, durations 1-9)."""
    rng = np.random.default_rng(seed)
    jobs = []
    for _ in range(n_jobs):
        job = []
        for _ in range(n_ops):
            machines = rng.choice(n_machines, size=rng.integers(1, 4), replace=False)
            job.append([(int(k), int(rng.integers(1, 10))) for k in machines])
        jobs.append(job)
    return ProblemData.from_jobs(jobs, num_machines=n_machines)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_jobs=6, max_machines=3, max_ops=3, extras=True, loads=False))
def test_lns_never_worsens_and_stays_feasible(data: ProblemData) -> None:
    """Two LNS threads from a start schedule return a checked schedule no worse."""
    inst = Instance.of(data)
    start = greedy_schedule(inst) or solved(data, lns=False)
    reporter = Reporter(None, time.perf_counter())
    best, stats = improve(
        inst,
        start,
        Objective.MAKESPAN,
        (1, 1),
        deadline=time.perf_counter() + 0.3,
        seeds=np.random.SeedSequence(1),
        make_solver=lambda seed: cp_model.CpSolver(),
        reporter=reporter,
        threads=2,
    )
    assert check(data, best) == []
    assert best.makespan <= start.makespan
    assert stats["lns_iterations"] >= 0


def test_large_instance_goes_through_lns() -> None:
    """With enough jobs the phased search (full solve, LNS, full solve) runs and its
    schedule passes the checker; on_solution sees only improvements."""
    data = random_instance(16, 5, 5, seed=7)
    seen: list[float] = []
    result = solve_cpsat(data, time_limit=3.0, workers=2, on_solution=lambda v, t: seen.append(v))
    assert result.schedule is not None and check(data, result.schedule) == []
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.lower_bound is not None and result.lower_bound <= result.makespan  # type: ignore[operator]
    assert seen == sorted(seen, reverse=True)
    if result.status is Status.FEASIBLE:
        assert result.stats["lns_iterations"] > 0


def test_infeasible_hint_is_not_trusted() -> None:
    """A wrong hint (ineligible machines, everything at time 0) neither shrinks the
    horizon nor leaks into the result: the schedule is still feasible and optimal."""
    data = random_instance(5, 3, 3, seed=2)
    bad = Schedule(
        np.zeros(data.num_ops, np.int64),
        np.zeros(data.num_ops, np.int64),
        np.ones(data.num_ops, np.int64),
    )
    assert check(data, bad) != []
    for lns in (True, False):
        result = solve_cpsat(data, time_limit=5.0, workers=1, hint=bad, lns=lns)
        assert result.schedule is not None and check(data, result.schedule) == []
        assert result.status is Status.OPTIMAL


@FAST
@given(problems(max_jobs=4, max_machines=3, max_ops=3, extras=True, loads=False))
def test_greedy_start_is_feasible(data: ProblemData) -> None:
    """The earliest-completion-time start (the default hint and horizon) passes check."""
    start = greedy_schedule(Instance.of(data))
    if start is None:
        assert np.any(data.fixed_start >= 0)  # type: ignore[operator]
        return
    assert check(data, start) == []


@pytest.mark.parametrize("objective", ["makespan", "tardiness", "weighted", "lexicographic"])
def test_every_objective_with_every_extra(objective: str) -> None:
    """Eight jobs with due dates, setups, windows, transport and a fixed operation:
    each objective returns a checked schedule whose value is reported correctly."""
    base = random_instance(8, 3, 3, seed=5)
    rng = np.random.default_rng(5)
    setup = rng.integers(0, 3, size=(3, 2, 2))
    fixed_machine = np.full(base.num_ops, -1)
    fixed_start = np.full(base.num_ops, -1)
    fixed_machine[0], fixed_start[0] = base.modes(0)[0][0], 0
    data = base.replace(
        due=rng.integers(5, 40, size=8),
        weight=rng.integers(1, 4, size=8),
        op_family=rng.integers(0, 2, size=base.num_ops),
        setup=setup,
        transport=rng.integers(0, 3, size=(3, 3)),
        window_ptr=[0, 1, 1, 2],
        window_start=[30, 12],
        window_end=[34, 15],
        fixed_machine=fixed_machine,
        fixed_start=fixed_start,
    )
    result = solve_cpsat(data, time_limit=3.0, workers=2, objective=objective, weights=(2, 1))
    assert result.schedule is not None and check(data, result.schedule) == []
    assert result.objective == evaluate(data, result.schedule, objective, (2, 1))
    assert result.lower_bound is None or result.lower_bound <= result.objective  # type: ignore[operator]


def test_model_invalid_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable hinted twice makes CP-SAT's model invalid: a clear RuntimeError, not
    a wrong status (guards the 'every variable exactly once' rule of the hints)."""
    import scheduler.cpsat.solver as solver_module

    real = solver_module.add_complete_hint

    def twice(v, schedule):  # type: ignore[no-untyped-def]
        real(v, schedule)
        v.model.add_hint(v.makespan, schedule.makespan)

    monkeypatch.setattr(solver_module, "add_complete_hint", twice)
    data = ProblemData.from_jobs([[[(0, 2)], [(1, 3)]], [[(1, 2)]]])
    with pytest.raises(RuntimeError, match="internal error"):
        solve_cpsat(data, time_limit=2.0, lns=False)
