"""The independent checker: one hand-made violation per rule, and no false positives."""

from __future__ import annotations

import numpy as np

from scheduler import ProblemData, Schedule, Violation, check, is_feasible


def two_jobs(**optional: object) -> ProblemData:
    """J0: op0 on M0 (3) or M1 (4), op1 on M1 (2). J1: op2 on M0 (2), op3 on M0 (1) or M1 (1)."""
    jobs = [[[(0, 3), (1, 4)], [(1, 2)]], [[(0, 2)], [(0, 1), (1, 1)]]]
    return ProblemData.from_jobs(jobs, num_machines=2, **optional)


def valid() -> Schedule:
    # M0: op0 [0,3), op2 [3,5), op3 [5,6); M1: op1 [3,5)
    return Schedule([0, 1, 0, 0], [0, 3, 3, 5], [3, 5, 5, 6])


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_valid_schedule_has_no_violation() -> None:
    """A hand-checked schedule passes, and is_feasible agrees."""
    assert check(two_jobs(), valid()) == []
    assert is_feasible(two_jobs(), valid())


def test_length() -> None:
    """Arrays of the wrong size are reported alone, without raising."""
    out = check(two_jobs(), Schedule([0, 1, 0], [0, 3, 3], [3, 5, 5]))
    assert rules(out) == ["length"]
    assert "expected 4" in out[0].message


def test_negative_start() -> None:
    """A start before 0 is reported (it is also before the job's release 0)."""
    data = two_jobs()
    sched = Schedule([1, 1, 0, 0], [-1, 3, 0, 2], [3, 5, 2, 3])
    assert rules(check(data, sched)) == ["negative_start", "release"]


def test_ineligible() -> None:
    """A machine that is not among the operation's modes is reported."""
    sched = Schedule([0, 0, 0, 0], [0, 3, 5, 7], [3, 5, 7, 8])
    out = check(two_jobs(), sched)
    assert rules(out) == ["ineligible"]
    assert out[0].operations == (1,)


def test_duration() -> None:
    """end - start must equal the duration on the chosen machine (op0 is 4 on M1)."""
    sched = Schedule([1, 1, 0, 0], [0, 3, 0, 2], [3, 5, 2, 3])
    out = check(two_jobs(), sched)
    assert rules(out) == ["duration"]
    assert "expected 4" in out[0].message


def test_overlap() -> None:
    """Two operations on M0 at the same time overlap."""
    sched = Schedule([0, 1, 0, 0], [0, 3, 2, 5], [3, 5, 4, 6])
    out = check(two_jobs(), sched)
    assert rules(out) == ["overlap"]
    assert out[0].operations == (0, 2)


def test_overlap_nested_not_consecutive() -> None:
    """A long operation containing two others is caught against both."""
    data = ProblemData.from_jobs([[[(0, 10)]], [[(0, 2)]], [[(0, 2)]]])
    out = check(data, Schedule([0, 0, 0], [0, 2, 5], [10, 4, 7]))
    assert rules(out) == ["overlap", "overlap"]
    assert {v.operations for v in out} == {(0, 1), (0, 2)}


def test_overlap_setup() -> None:
    """Back-to-back operations of different families need the setup between them."""
    setup = np.zeros((2, 2, 2), np.int64)
    setup[0, 0, 1] = 2
    data = two_jobs(setup=setup, op_family=[0, 0, 1, 1])
    assert rules(check(data, valid())) == ["overlap"]
    shifted = Schedule([0, 1, 0, 0], [0, 3, 5, 7], [3, 5, 7, 8])
    assert check(data, shifted) == []


def test_zero_length_inside_other_operation() -> None:
    """A zero-length operation may touch another's start or end, not sit strictly inside."""
    data = ProblemData.from_jobs([[[(0, 4)]], [[(0, 0)]]])
    for t in (0, 4, 7):
        assert check(data, Schedule([0, 0], [0, t], [4, t])) == []
    assert rules(check(data, Schedule([0, 0], [0, 2], [4, 2]))) == ["overlap"]


def test_precedence() -> None:
    """An operation may not start before its job predecessor ends."""
    sched = Schedule([0, 1, 0, 0], [0, 2, 3, 5], [3, 4, 5, 6])
    out = check(two_jobs(), sched)
    assert rules(out) == ["precedence"]
    assert out[0].operations == (0, 1)


def test_release() -> None:
    """The first operation of a job may not start before the job's release."""
    data = two_jobs(release=[1, 0])
    out = check(data, valid())
    assert rules(out) == ["release"]
    assert "release 1" in out[0].message


def test_unavailability() -> None:
    """An operation overlapping a machine's unavailability window is reported."""
    data = two_jobs(window_ptr=[0, 0, 1], window_start=[4], window_end=[6])
    out = check(data, valid())
    assert rules(out) == ["unavailability"]
    assert out[0].operations == (1,)
    touching = two_jobs(window_ptr=[0, 0, 1], window_start=[5], window_end=[6])
    assert check(touching, valid()) == []


def test_zero_length_in_window() -> None:
    """A zero-length operation is only forbidden strictly inside a window."""
    data = ProblemData.from_jobs([[[(0, 0)]]], window_ptr=[0, 1], window_start=[2], window_end=[5])
    assert check(data, Schedule([0], [2], [2])) == []
    assert check(data, Schedule([0], [5], [5])) == []
    assert rules(check(data, Schedule([0], [3], [3]))) == ["unavailability"]


def test_transport() -> None:
    """The lag transport[m_prev, m_next] separates consecutive operations of a job."""
    data = two_jobs(transport=[[0, 1], [1, 0]])
    out = check(data, valid())
    assert rules(out) == ["transport"]
    assert out[0].operations == (0, 1)


def test_transport_same_machine() -> None:
    """A non-zero diagonal means a lag even when the job stays on its machine."""
    data = two_jobs(transport=[[2, 0], [0, 0]])
    out = check(data, valid())
    assert rules(out) == ["transport"]
    assert out[0].operations == (2, 3)


def test_fixed_machine_and_start() -> None:
    """A moved fixed start and a changed fixed machine are both reported."""
    data = two_jobs(fixed_machine=[-1, -1, -1, 1], fixed_start=[1, -1, -1, -1])
    out = check(data, valid())
    assert rules(out) == ["fixed", "fixed"]
    assert {v.operations for v in out} == {(0,), (3,)}


def test_many_violations_together() -> None:
    """Every broken rule is reported at once, none hidden by another."""
    data = two_jobs(
        release=[0, 1],
        transport=[[0, 5], [5, 0]],
        window_ptr=[0, 1, 1],
        window_start=[0],
        window_end=[1],
        fixed_start=[-1, -1, -1, 9],
    )
    sched = Schedule([0, 0, 0, 0], [-1, 1, 0, 2], [2, 3, 2, 4])
    found = set(rules(check(data, sched)))
    assert found == {
        "negative_start",
        "ineligible",
        "duration",
        "overlap",
        "precedence",
        "release",
        "unavailability",
        "fixed",
    }


def test_out_of_range_machine_does_not_raise() -> None:
    """A machine index outside 0..m-1 is ineligible, not an IndexError."""
    setup = np.zeros((2, 1, 1), np.int64)
    data = two_jobs(
        setup=setup,
        transport=[[0, 0], [0, 0]],
        window_ptr=[0, 0, 1],
        window_start=[50],
        window_end=[60],
    )
    sched = Schedule([0, 7, -3, 0], [0, 3, 3, 5], [3, 5, 5, 6])
    assert rules(check(data, sched)) == ["ineligible", "ineligible"]


def test_large_valid_schedule() -> None:
    """10,000 operations of a valid staircase schedule give no false positive."""
    n_jobs = 500
    ops = 20
    jobs = [[[(k % 10, 1)] for k in range(ops)] for _ in range(n_jobs)]
    data = ProblemData.from_jobs(jobs, num_machines=10)
    start = np.zeros(n_jobs * ops, np.int64)
    for j in range(n_jobs):
        start[j * ops : (j + 1) * ops] = j * ops + np.arange(ops)
    machine = np.tile(np.arange(ops) % 10, n_jobs)
    sched = Schedule(machine, start, start + 1)
    assert check(data, sched) == []
    late = start.copy()
    late[5] += 1  # now overlaps its job successor
    assert rules(check(data, Schedule(machine, late, late + 1))) == ["precedence"]
