"""Partial holds: a resource needed only at the head and tail of each load (a robot
loading and unloading machines it tends). The data, the independent checker, every
solver, compaction (CP-SAT's optimum against a brute force that steps one time unit at
a time: test_resources.py; the decoder against its plain-Python twin:
test_kernels_decode.py)."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler import ProblemData, Schedule, check, solve
from scheduler.calendar import BLOCK, LOADS, RESUME, hold_segments
from scheduler.compact import left_shift
from scheduler.errors import ProblemDataError
from tests import naive
from tests.scheduler.brute_force import brute_force
from tests.scheduler.test_resources import _tiny


def _robot_cell(head: int = 2, tail: int = 2) -> ProblemData:
    """Two machines, one robot that loads (``head``) and unloads (``tail``) them; two
    jobs of one 10-unit operation, one per machine."""
    jobs = [[[(0, 10)]], [[(1, 10)]]]
    return ProblemData.from_jobs(
        jobs, resource_capacity=[1], mode_resource=[0, 0], mode_demand=[1, 1],
        mode_hold_head=[head] * 2, mode_hold_tail=[tail] * 2,
    )  # fmt: skip


@pytest.mark.parametrize("method", ["dispatch", "tabu", "cpsat", "auto"])
def test_a_robot_held_only_to_load_and_unload_lets_both_machines_run(method: str) -> None:
    data = _robot_cell()
    assert data.has_partial_holds
    result = solve(data, method, time_limit=2, workers=1)
    # held over the whole span the robot would serialise them: 20; here the second
    # waits only for the first one's load: 2 + 10
    assert result.makespan == 12, method
    assert check(data, result.schedule) == []


def test_the_checker_sees_the_heads_and_tails() -> None:
    data = _robot_cell()
    same_time = Schedule(np.array([0, 1]), np.array([0, 0]), np.array([10, 10]))
    violations = check(data, same_time)
    assert [v.rule for v in violations] == ["resource"] and "held at 0" in violations[0].message
    # the second load starts as the first unload starts: the robot is busy [8, 10)
    clash = Schedule(np.array([0, 1]), np.array([0, 8]), np.array([10, 18]))
    assert [v.rule for v in check(data, clash)] == ["resource"]
    fits = Schedule(np.array([0, 1]), np.array([0, 2]), np.array([10, 12]))
    assert check(data, fits) == []
    # with the whole span held the same schedule is refused
    whole = data.replace(mode_hold_head=None, mode_hold_tail=None)
    assert [v.rule for v in check(whole, fits)] == ["resource"]


def test_a_tail_only_hold_lets_the_next_load_start_at_once() -> None:
    """Only the unload needs the robot: both start at 0; the unloads at [8, 10) collide,
    so one machine's operation must end 2 units later (or start later)."""
    data = _robot_cell(head=0, tail=2)
    assert hold_segments(0, 10, 0, 2) == [(8, 10)]
    for method in ("dispatch", "cpsat"):
        result = solve(data, method, time_limit=2, workers=1)
        assert result.makespan == 12, method
        assert check(data, result.schedule) == []


def test_a_resume_tail_follows_the_stretched_end() -> None:
    """Attended work over a break ends later: its unload is at the new end, in the
    kernels, in CP-SAT and in the checker."""
    data = ProblemData.from_jobs(
        [[[(0, 10)]], [[(1, 4)]]], resource_capacity=[1], mode_resource=[0, 0],
        mode_demand=[1, 1], mode_calendar=[RESUME, BLOCK], mode_hold_head=[1, 4],
        mode_hold_tail=[1, 0], release=[0, 10], window_ptr=[0, 1, 1], window_start=[5],
        window_end=[8],
    )  # fmt: skip
    # dispatch: job 0 runs [0, 13) (paused over [5, 8)), its unload holds [12, 13), so
    # job 1 (released at 10, holding the robot over all of its 4 units) waits until 13
    greedy = solve(data, "dispatch")
    assert greedy.schedule.start.tolist() == [0, 13] and check(data, greedy.schedule) == []
    # the optimum starts job 0 at 2: it ends at 15, unloading after job 1 is done at 14
    best = solve(data, "cpsat", time_limit=5, workers=1)
    assert best.status.value == "optimal" and best.makespan == 15
    assert best.schedule.start.tolist() == [2, 10] and check(data, best.schedule) == []
    early = Schedule(np.array([0, 1]), np.array([0, 10]), np.array([13, 14]))
    assert [v.rule for v in check(data, early)] == ["resource"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode_hold_head": [-1]}, "negative hold"),
        ({"mode_hold_tail": [-2]}, "negative hold"),
        ({"mode_hold_head": [6], "mode_hold_tail": [5]}, "longer than its duration 10"),
        ({"mode_hold_tail": [11]}, "longer than its duration 10"),
    ],
)
def test_bad_holds_are_named(changes: dict[str, list[int]], message: str) -> None:
    base = {"resource_capacity": [1], "mode_resource": [0], "mode_demand": [1]}
    with pytest.raises(ProblemDataError, match=message):
        ProblemData.from_jobs([[[(0, 10)]]], **base, **changes)


def _cpsat_friendly(data: ProblemData) -> ProblemData:
    """CP-SAT declines loads over windows: make those modes ``RESUME``."""
    return data.replace(
        mode_calendar=np.where(data.mode_calendar == LOADS, RESUME, data.mode_calendar)
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["dispatch", "tabu", "cpsat", "auto"])
def test_every_solver_respects_partial_holds(seed: int, method: str) -> None:
    data = naive.random_problem(seed, jobs=6, machines=3, extras=True, resources=True, holds=True)
    if method == "cpsat":
        data = _cpsat_friendly(data)
    assert data.has_partial_holds
    result = solve(data, method, time_limit=1, seed=seed, workers=1)
    assert result.schedule is not None, result.message
    assert check(data, result.schedule) == []
    shifted = left_shift(data, result.schedule)
    assert check(data, shifted) == []
    assert np.all(shifted.start <= result.schedule.start)


def test_left_shift_never_moves_a_start_later() -> None:
    """Moved earlier, an operation's tail can land on a later operation's head: the
    compaction keeps the later ones' old holds reserved until it places them (found
    when CP-SAT's left-shifted optimum came out 20 where the brute force had 18)."""
    data = _tiny(4, holds=True)
    best = brute_force(data)
    assert best is not None
    shifted = left_shift(data, best[1])
    assert check(data, shifted) == []
    assert np.all(shifted.start <= best[1].start) and shifted.makespan == best[0]
