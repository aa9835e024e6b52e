"""Calendars in the scheduler: the four kinds, setups that pause, every solver exact.

The numba placement kernels agree with the plain-Python reference
(:mod:`scheduler.calendar`); the independent checker accepts what the solvers return
and rejects each kind's violations; CP-SAT's optimum equals a unit-stepping brute
force (``tests/scheduler/brute_force.py``) on tiny calendar instances.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import ProblemData, Schedule, check, solve
from scheduler import calendar as cal
from scheduler.compact import left_shift
from scheduler.cpsat.size import UnsupportedByCpsatError, unsupported
from scheduler.kernels import calendar as kcal
from scheduler.robustness import evaluate_plan
from tests.naive import random_problem
from tests.scheduler.brute_force import brute_force

# A day of 07:00-16:00 shifts in minutes from Monday 00:00: off from 16:00 to 07:00.
DAY = 1440
SHIFTS = [(0, 420)] + [(d * DAY + 960, (d + 1) * DAY + 420) for d in range(5)]


def _windows_arrays(windows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([a for a, _ in windows], np.int64),
        np.array([b for _, b in windows], np.int64),
    )


@st.composite
def _windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Sorted disjoint windows that never touch (as ProblemData merges them)."""
    out, t = [], draw(st.integers(0, 5))
    for _ in range(draw(st.integers(0, 6))):
        a = t + draw(st.integers(1, 8))
        b = a + draw(st.integers(1, 8))
        out.append((a, b))
        t = b
    return out


@given(_windows(), st.integers(0, 60), st.integers(0, 20), st.integers(1, 4), st.integers(1, 5))
@settings(max_examples=400, deadline=None)
def test_kernel_placement_matches_reference(
    windows: list[tuple[int, int]], t: int, p: int, kind: int, loads: int
) -> None:
    ws, we = _windows_arrays(windows)
    hi = len(windows)
    if kind == cal.LOADS:
        p -= p % loads  # a whole number of loads
    if p > 0:
        s, e = cal.place(t, p, kind, windows, loads)
        assert tuple(kcal.place(t, p, kind, loads, 0, hi, ws, we)) == (s, e)
        if kind != cal.LOADS:  # floats (the Monte Carlo kernel) give the same times
            fs, fe = kcal.place(float(t), float(p), kind, 1, 0, hi, ws, we)
            assert (fs, fe) == (float(s), float(e))
        else:
            fe = kcal.loads_end(float(s), p / loads, loads, 0, hi, ws, we)
            assert fe == pytest.approx(e)
    assert kcal.setup_done(t, p, 0, hi, ws, we) == cal.setup_done(t, p, windows)
    assert kcal.on_time(t, 0, hi, ws, we) == cal.on_time(t, windows)


@given(_windows(), st.integers(0, 60), st.integers(1, 6), st.integers(1, 5))
@settings(max_examples=300, deadline=None)
def test_loads_begin_outside_windows_and_run_through(
    windows: list[tuple[int, int]], t: int, each: int, loads: int
) -> None:
    """Stepped one load at a time: each begins at the previous one's end, or at the
    end of the window that end falls in."""
    s, e = cal.place(t, each * loads, cal.LOADS, windows, loads)
    clock = s
    for _ in range(loads):
        for a, b in windows:
            if a <= clock < b:
                clock = b
        clock += each
    assert e == clock


@given(_windows(), st.integers(0, 60), st.integers(1, 20))
@settings(max_examples=300, deadline=None)
def test_resume_counts_exactly_its_work(windows: list[tuple[int, int]], t: int, p: int) -> None:
    """A RESUME span holds exactly p units outside windows, starts and ends outside
    them, and no earlier end would hold p (the reference stepped by unit)."""
    s, e = cal.place(t, p, cal.RESUME, windows)
    inside = {u for a, b in windows for u in range(a, b)}
    assert s >= t and s not in inside
    assert sum(1 for u in range(s, e) if u not in inside) == p
    assert e - 1 not in inside  # the last unit is work: it did not end in a window


def test_attended_work_runs_over_the_night() -> None:
    """456 min of attended work from Monday 14:00 on a 07:00-16:00 shift: 120 min on
    Monday, 336 min on Tuesday from 07:00, so it ends Tuesday 12:36; unattended
    (RUN) it runs through the night and ends at 21:36; BLOCK waits for a stretch it
    fits in, which none does (a 540 min shift is longer: Tuesday 07:00-14:36)."""
    mon_14 = 14 * 60
    tue_07 = DAY + 420
    assert cal.place(mon_14, 456, cal.RESUME, SHIFTS) == (mon_14, tue_07 + 336)
    assert cal.place(mon_14, 456, cal.RUN, SHIFTS) == (mon_14, mon_14 + 456)
    assert cal.place(mon_14, 456, cal.BLOCK, SHIFTS) == (tue_07, tue_07 + 456)
    assert cal.place(17 * 60, 30, cal.RUN, SHIFTS) == (tue_07 - DAY + DAY, tue_07 + 30)
    assert cal.place(17 * 60, 30, cal.FREE, SHIFTS) == (17 * 60, 17 * 60 + 30)
    # 12 loads of 38 min from 14:00: loads begin at 14:00 ... 15:54 (4), the one begun
    # at 15:54 runs to 16:32; the other 8 begin Tuesday 07:00 and end at 12:04
    assert cal.place(mon_14, 456, cal.LOADS, SHIFTS, 12) == (mon_14, tue_07 + 8 * 38)
    # a 30 min setup begun at 15:50 does 10 min, pauses over the night, ends 07:20
    assert cal.setup_done(15 * 60 + 50, 30, SHIFTS) == tue_07 + 20


def _one_machine(kind: int, durations: list[int], setup: int = 0) -> ProblemData:
    n = len(durations)
    return ProblemData(
        1,
        list(range(n + 1)),
        list(range(n + 1)),
        [0] * n,
        durations,
        window_ptr=[0, len(SHIFTS)],
        window_start=[a for a, _ in SHIFTS],
        window_end=[b for _, b in SHIFTS],
        mode_calendar=[kind] * n,
        setup=None if not setup else [[[0, setup], [setup, 0]]],
        op_family=None if not setup else [i % 2 for i in range(n)],
    )


def test_checker_rejects_each_kind_of_calendar_violation() -> None:
    data = _one_machine(cal.RESUME, [456])
    mon_14, tue_07 = 14 * 60, DAY + 420
    good = Schedule(np.array([0]), np.array([mon_14]), np.array([tue_07 + 336]))
    assert check(data, good) == []
    for start, end, why in (
        (mon_14, mon_14 + 456, "outside windows"),  # ran through the night
        (17 * 60, tue_07 + 456, "starts"),  # started off shift
        (mon_14, tue_07 + 337, "outside windows"),  # one unit too long
        (3 * 60, tue_07 + 336, "starts"),  # started in the night before Monday 07:00
    ):
        bad = check(data, Schedule(np.array([0]), np.array([start]), np.array([end])))
        assert any(v.rule == "calendar" and why in v.message for v in bad), (start, end, bad)
    run = _one_machine(cal.RUN, [456])
    assert check(run, Schedule(np.array([0]), np.array([mon_14]), np.array([mon_14 + 456]))) == []
    late = check(run, Schedule(np.array([0]), np.array([17 * 60]), np.array([17 * 60 + 456])))
    assert [v.rule for v in late] == ["calendar"]
    free = _one_machine(cal.FREE, [456])
    assert (
        check(free, Schedule(np.array([0]), np.array([17 * 60]), np.array([17 * 60 + 456]))) == []
    )


def test_checker_makes_setups_pause_in_windows() -> None:
    data = _one_machine(cal.BLOCK, [10, 10], setup=30)
    end0 = 15 * 60 + 50  # ends 15:50; a 30 min setup then ends Tuesday 07:20
    ok = Schedule(np.array([0, 0]), np.array([end0 - 10, DAY + 440]), np.array([end0, DAY + 450]))
    assert check(data, ok) == []
    early = Schedule(
        np.array([0, 0]), np.array([end0 - 10, DAY + 430]), np.array([end0, DAY + 440])
    )
    bad = check(data, early)
    assert [v.rule for v in bad] == ["overlap"] and "inside windows" in bad[0].message


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["dispatch", "tabu", "cpsat", "auto"])
def test_every_solver_is_feasible_with_calendars(seed: int, method: str) -> None:
    data = random_problem(seed, jobs=5, machines=3, extras=True)
    assert data.has_calendar_modes
    if method == "cpsat" and unsupported(data):  # fixture loads: says so, and why
        with pytest.raises(UnsupportedByCpsatError, match="fixture loads"):
            solve(data, method, time_limit=2.0, seed=seed, workers=1)
        data = data.replace(mode_calendar=np.where(data.mode_calendar == 4, 1, data.mode_calendar))
    result = solve(data, method, time_limit=2.0, seed=seed, workers=1)
    assert result.schedule is not None, result.message
    assert check(data, result.schedule) == []
    shifted = left_shift(data, result.schedule)  # a plan the twin replays as it is
    assert check(data, shifted) == [] and shifted.makespan <= result.makespan


@pytest.mark.parametrize("seed", range(4))
def test_monte_carlo_without_variability_replays_the_left_shift(seed: int) -> None:
    data = random_problem(seed, jobs=5, machines=3, extras=True)
    plan = left_shift(data, solve(data, "dispatch", seed=seed).schedule)
    out = evaluate_plan(data, plan, n_samples=3, cv=0.0, seed=seed)
    assert np.all(out.makespan == plan.makespan)


def _resume_instance(seed: int) -> ProblemData:
    """Two machines on a short-shift calendar, every mode RESUME, with setups."""
    rng = np.random.default_rng(seed)
    jobs = [
        [[(int(k), int(rng.integers(1, 6))) for k in rng.choice(2, int(rng.integers(1, 3)), False)]
         for _ in range(2)]
        for _ in range(2)
    ]  # fmt: skip
    data = ProblemData.from_jobs(jobs, num_machines=2)
    return data.replace(
        window_ptr=[0, 2, 3],
        window_start=[4, 11, 6],
        window_end=[7, 13, 9],
        mode_calendar=[cal.RESUME] * data.num_modes,
        setup=[[[0, 2], [2, 0]], [[0, 1], [1, 0]]],
        op_family=[o % 2 for o in range(data.num_ops)],
    )


@pytest.mark.parametrize("seed", range(8))
def test_cpsat_optimum_equals_brute_force_with_resume(seed: int) -> None:
    data = _resume_instance(seed)
    best = brute_force(data)
    assert best is not None
    result = solve(data, "cpsat", time_limit=10.0, workers=1)
    assert result.status.value == "optimal"
    assert result.makespan == best[0]
    assert check(data, result.schedule) == []


def test_the_build_clock_counts_each_window_of_a_work_clock() -> None:
    """Work clocks cost literals per window an operation may span: the build clock
    counts them, so a model past its deadline stops within CHECK_EVERY windows (it used
    to count one step per mode: on the pilot, 2,600 modes x 120 windows ran 23 s past a
    60 s limit)."""
    from scheduler.cpsat.bounds import horizon_bound
    from scheduler.cpsat.constraints import add_constraints
    from scheduler.cpsat.instance import Instance
    from scheduler.cpsat.model import CHECK_EVERY, BuildClock, BuildTimeout, build_variables

    day = 1440
    shifts = [(d * day + 960, (d + 1) * day + 420) for d in range(400)]  # nights off
    n = 40
    data = ProblemData(
        1, list(range(n + 1)), list(range(n + 1)), [0] * n, [600] * n,
        window_ptr=[0, len(shifts)], window_start=[a for a, _ in shifts],
        window_end=[b for _, b in shifts], mode_calendar=[cal.RESUME] * n,
    )  # fmt: skip
    inst = Instance.of(data)
    clock = BuildClock(deadline=0.0)  # long past
    v = build_variables(inst, horizon_bound(inst), 0, tardiness=False, clock=clock)
    with pytest.raises(BuildTimeout):
        add_constraints(v)
    clocked = len(v.work_start)
    assert clocked * len(shifts) <= 2 * CHECK_EVERY + len(shifts)  # a few modes, not 40
    assert clocked < n
