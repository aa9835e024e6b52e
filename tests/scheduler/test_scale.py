"""Huge input: every method honours its time limit (model building included) or says
at once that the instance is too large for it; the fast paths behind that agree with
their slow twins."""

from __future__ import annotations

import time

import numpy as np
import pytest

import scheduler
from scheduler import ProblemData, Schedule, check
from scheduler.compact import left_shift
from scheduler.cpsat.size import CIRCUIT, PADDED, InstanceTooLargeError, model_size, plan
from scheduler.dispatch import RULES, dispatch, pin_machines
from scheduler.generate import generate
from scheduler.kernels.decode import kernel_data
from scheduler.kernels.rng import make_state
from scheduler.search.encoding import decode_schedule, initial_ms, random_os
from scheduler.search.shift import left_shifted
from scheduler.warmup import warmup
from tests.benchdata import bench
from tests.naive_dispatch import dispatch_naive

SLACK = 0.5  # seconds past the limit a loaded 2-core machine may add


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    warmup()
    import scheduler.cpsat  # noqa: F401  (importing OR-Tools is not part of a solve)


def with_setups(data: ProblemData, families: int = 5, seed: int = 0) -> ProblemData:
    rng = np.random.default_rng(seed)
    m = data.num_machines
    return data.replace(
        op_family=rng.integers(0, families, data.num_ops),
        setup=rng.integers(0, 10, (m, families, families)),
    )


def long_routing() -> ProblemData:
    """The issue's case: 8 jobs of 1,000 steps with setups, ~26M circuit arcs."""
    return with_setups(generate(8, 10, ops_per_job=1000, seed=0))


def timed(data: ProblemData, method: str, limit: float, **kwargs: object) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = scheduler.solve(data, method, time_limit=limit, workers=2, seed=0, **kwargs)
    return time.perf_counter() - t0, result


def test_benchmark_instances_keep_exact_setup_circuits() -> None:
    """Normal sizes build the exact model, as before (mk10: 0.1 s of building; with
    setups 55,000 arcs, 2 s: exact from a 5 s limit on)."""
    data = bench("brandimarte", "mk10")
    assert plan(data, 0.5) == CIRCUIT
    assert model_size(data).arcs == 0
    assert plan(with_setups(data), 5.0) == CIRCUIT
    assert plan(with_setups(data), 1.0) == PADDED
    assert plan(with_setups(bench("brandimarte", "mk01")), 0.5) == CIRCUIT


def test_cpsat_refuses_the_long_routing_at_once() -> None:
    """26M arcs: no model fits 1 s, and the error says so before building anything."""
    data = long_routing()
    t0 = time.perf_counter()
    with pytest.raises(InstanceTooLargeError, match=r"too large for cpsat within 1 s") as err:
        scheduler.solve(data, "cpsat", time_limit=1)
    assert time.perf_counter() - t0 < 0.5
    assert "8,000 operations with setups need ~26M circuit arcs" in str(err.value)
    assert "dispatch or tabu" in str(err.value)
    assert isinstance(err.value, scheduler.SchedulerError)


def test_cpsat_pads_setups_when_circuits_do_not_fit() -> None:
    """1,000 operations with setups (420,000 arcs, ~20 s to build): padded intervals
    instead, a checked schedule within the limit."""
    data = with_setups(generate(125, 10, ops_per_job=8, seed=0))
    assert plan(data, 2.0) == PADDED
    took, result = timed(data, "cpsat", 2.0)
    assert took < 2.0 + SLACK
    assert result.stats["setups"] == PADDED  # type: ignore[attr-defined]
    assert check(data, result.schedule) == []  # type: ignore[attr-defined]


def test_padded_model_solves_small_setup_instances_feasibly() -> None:
    """Forced padded setups on the rich small instances: every schedule checks."""
    for seed in range(4):
        data = with_setups(generate(6, 3, (2, 4), (1, 3), (0, 9), seed=seed), 3, seed)
        result = scheduler.solve(data, "cpsat", time_limit=2, workers=1, setups=PADDED)
        assert result.schedule is not None and check(data, result.schedule) == []


def test_a_build_that_runs_out_of_time_returns_the_greedy_start() -> None:
    """Forcing the 420,000-arc circuits into 1 s: building stops at the deadline and
    the greedy start (feasible by construction) comes back at once."""
    data = with_setups(generate(125, 10, ops_per_job=8, seed=0))
    took, result = timed(data, "cpsat", 1.0, setups=CIRCUIT)
    assert took < 1.0 + SLACK
    assert result.stats["build_timeout"] and result.stats["fallback"] == "greedy"  # type: ignore[attr-defined]
    assert check(data, result.schedule) == []  # type: ignore[attr-defined]


def test_auto_skips_cpsat_when_its_model_does_not_fit() -> None:
    """auto never refuses: the long routing gets its search phases and no CP-SAT."""
    data = long_routing()
    took, result = timed(data, "auto", 2.0)
    assert took < 2.0 + SLACK
    assert "too large for cpsat" in result.stats["cpsat_skipped"]  # type: ignore[attr-defined]
    assert check(data, result.schedule) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "jobs"),
    [("dispatch", 6700), ("tabu", 1330), ("tabu", 6700), ("auto", 1330), ("auto", 6700),
     ("cpsat", 270)],
)  # fmt: skip
def test_one_second_is_honoured_at_scale(method: str, jobs: int) -> None:
    """10,000 and 50,000 operations (2,000 for CP-SAT): back within the second,
    building included, with a checked schedule."""
    data = generate(jobs, 10, seed=0)
    took, result = timed(data, method, 1.0)
    assert took < 1.0 + SLACK, f"{method} on {data.num_ops} operations took {took:.2f} s"
    assert check(data, result.schedule) == []  # type: ignore[attr-defined]


def test_dispatch_of_20000_jobs_returns_its_first_schedule_quickly() -> None:
    """The issue's case (b): 150,000 operations, which took minutes, now take about a
    second (one pass is the answer, whatever the limit)."""
    data = generate(20_000, 10, seed=0)
    took, result = timed(data, "dispatch", 1.0)
    assert took < 5.0
    assert check(data, result.schedule) == []  # type: ignore[attr-defined]


def test_cpsat_too_large_for_one_second_at_10000_operations() -> None:
    data = generate(1250, 10, ops_per_job=8, seed=0)
    with pytest.raises(InstanceTooLargeError, match="10,000 operations"):
        scheduler.solve(data, "cpsat", time_limit=1)


@pytest.mark.parametrize("flex", [(1, 3), (2, 3), (1, 1)])
def test_kernel_matches_naive_twin_in_a_backlogged_shop(flex: tuple[int, int]) -> None:
    """60 jobs on 3 machines, all released at once: long backlogs, so jobs are set
    aside and parked (their best machine elsewhere) many times."""
    data = generate(60, 3, (3, 6), flex, (1, 30), seed=sum(flex))
    pins = pin_machines(data)
    for rule in RULES:
        expected = dispatch_naive(data, rule, pins, int(make_state(4)[0]))
        got = dispatch(data, rule, seed=4)
        assert got.machine.tolist() == expected[0], rule
        assert got.start.tolist() == expected[1], rule


def test_left_shifted_equals_left_shift() -> None:
    """The graph-kernel path gives exactly compact.left_shift's schedule."""
    for seed in range(6):
        data = generate(30, 5, (2, 6), (1, 3), (1, 20), seed=seed, release=40)
        kd = kernel_data(data)
        rng = np.random.default_rng(seed)
        decoded = decode_schedule(data, kd, random_os(data, rng), initial_ms(data, rng), False)
        assert decoded is not None
        for schedule in (dispatch(data, "mwkr"), decoded):
            late = schedule.start + 5 * (np.arange(len(schedule)) % 2)  # gaps to remove
            if check(data, Schedule(schedule.machine, late, late + schedule.end - schedule.start)):
                late = schedule.start
            shifted = Schedule(schedule.machine, late, late + schedule.end - schedule.start)
            assert left_shifted(data, kd, shifted) == left_shift(data, shifted)


def _initial_ms_reference(data: ProblemData, rng: np.random.Generator, kind: str) -> np.ndarray:
    """The former numpy version of ``initial_ms`` (20 us per operation)."""
    ms = np.empty(data.num_ops, np.int64)
    load = np.zeros(data.num_machines, np.int64)
    for j in rng.permutation(data.num_jobs).tolist():
        if kind == "local":
            load[:] = 0
        for o in range(int(data.job_op_ptr[j]), int(data.job_op_ptr[j + 1])):
            lo, hi = int(data.op_mode_ptr[o]), int(data.op_mode_ptr[o + 1])
            if data.fixed_machine[o] >= 0:
                lo += int(np.flatnonzero(data.mode_machine[lo:hi] == data.fixed_machine[o])[0])
                hi = lo + 1
            if kind == "random":
                ms[o] = lo + int(rng.integers(hi - lo))
                continue
            cost = load[data.mode_machine[lo:hi]] + data.mode_duration[lo:hi]
            best = np.flatnonzero(cost == cost.min())
            ms[o] = lo + int(best[int(rng.integers(len(best)))])
            load[data.mode_machine[ms[o]]] += data.mode_duration[ms[o]]
    return ms


@pytest.mark.parametrize("kind", ["global", "local", "random"])
def test_initial_ms_draws_as_the_numpy_version(kind: str) -> None:
    """Same vectors and the same generator state after, fixed machines included."""
    for seed in range(8):
        data = generate(12, 4, (1, 5), (1, 4), (1, 6), seed=seed)
        fixed = np.full(data.num_ops, -1)
        fixed[seed % data.num_ops] = data.modes(seed % data.num_ops)[-1][0]
        data = data.replace(fixed_machine=fixed)
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(3):
            assert (
                initial_ms(data, a, kind).tolist() == _initial_ms_reference(data, b, kind).tolist()
            )
        assert a.integers(10**9) == b.integers(10**9)
