"""ProblemData: validation with named culprits, immutability, JSON round trip."""

from __future__ import annotations

import re

import numpy as np
import pytest

from scheduler import Model, ProblemData, ProblemDataError, Schedule


def small() -> ProblemData:
    return ProblemData.from_jobs(
        [[[(0, 3), (1, 4)], [(1, 2)]], [[(1, 5)], [(0, 1), (1, 1)]]], num_machines=2
    )


def test_csr_layout_and_derived_arrays() -> None:
    """Operations are flattened in job order with CSR pointers."""
    d = small()
    assert d.num_jobs == 2 and d.num_ops == 4 and d.num_modes == 6
    assert d.job_op_ptr.tolist() == [0, 2, 4]
    assert d.op_mode_ptr.tolist() == [0, 2, 3, 4, 6]
    assert d.op_job.tolist() == [0, 0, 1, 1]
    assert d.modes(3) == [(0, 1), (1, 1)]
    assert d.locate(3) == (1, 1)
    assert d.flexibility == pytest.approx(1.5)


def test_arrays_are_read_only() -> None:
    """Problem data cannot be changed behind a solver's back."""
    d = small()
    with pytest.raises(ValueError):
        d.mode_duration[0] = 99
    with pytest.raises(AttributeError):
        d.num_machines = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("jobs", "kwargs", "message"),
    [
        ([[[]]], {"num_machines": 1}, "operation 0 (job 0, operation 0) has no alternative"),
        ([[[(5, 1)]]], {"num_machines": 2}, "unknown machine 5"),
        ([[[(0, -2)]]], {}, "negative duration -2"),
        ([[[(0, 1), (0, 2)]]], {}, "operation 0: machine 0 listed twice"),
        ([[[(0, 1)]]], {"release": [-1]}, "job 0: negative release -1"),
        (
            [[[(0, 1)]]],
            {"fixed_machine": [1], "num_machines": 2},
            "fixed machine 1 is not eligible",
        ),
        (
            [[[(0, 1)]]],
            {"release": [5], "fixed_start": [3]},
            "fixed start 3 is before the release 5 of job 0",
        ),
        ([[[(0, 1)]]], {"due": [-7]}, "due date -7"),
        ([[[(0, 1)]]], {"transport": [[-1]]}, "negative transport"),
    ],
)
def test_invalid_data_names_the_culprit(jobs: list, kwargs: dict, message: str) -> None:
    """Each kind of bad data raises ProblemDataError naming the index and value."""
    kwargs = dict(kwargs)
    m = kwargs.pop("num_machines", None)
    with pytest.raises(ProblemDataError, match=re.escape(message)):
        ProblemData.from_jobs(jobs, num_machines=m, **kwargs)


def test_job_without_operations_is_rejected() -> None:
    """A job with no operation is named."""
    with pytest.raises(ProblemDataError, match=r"job 1 .* has no operation"):
        ProblemData(1, [0, 1, 1], [0, 1], [0], [3])


def test_windows_are_sorted_and_merged() -> None:
    """Overlapping unavailability windows of a machine merge into one."""
    d = ProblemData.from_jobs(
        [[[(0, 1)]]], window_ptr=[0, 3], window_start=[20, 5, 8], window_end=[30, 10, 12]
    )
    assert d.windows(0) == [(5, 12), (20, 30)]
    with pytest.raises(ProblemDataError, match=r"window \[4, 4\)"):
        ProblemData.from_jobs([[[(0, 1)]]], window_ptr=[0, 1], window_start=[4], window_end=[4])


def test_json_round_trip_keeps_everything() -> None:
    """to_dict/from_dict is exact, optional parts included."""
    m = Model("rt")
    a, b = m.add_machine("lathe"), m.add_machine("mill")
    j = m.add_job("shaft", release=2, due=40, weight=3)
    j.add_operation({a: 5, b: 7}, family=0)
    j.add_operation({b: 4}, family=1)
    m.set_setup(b, 0, 1, 6)
    m.set_transport(a, b, 2)
    m.add_unavailability(a, 10, 15)
    d = m.data()
    back = ProblemData.from_dict(d.to_dict())
    for key in d.__dataclass_fields__:
        left, right = getattr(d, key), getattr(back, key)
        if isinstance(left, np.ndarray):
            assert np.array_equal(left, right), key
        else:
            assert left == right, key
    assert back.machine_names == ("lathe", "mill") and back.setup[1, 0, 1] == 6


def test_from_dict_rejects_unknown_fields() -> None:
    """A misspelt field in a JSON instance is an error, not silently dropped."""
    payload = small().to_dict()
    payload["relase"] = [0, 0]
    with pytest.raises(ProblemDataError, match="unknown field"):
        ProblemData.from_dict(payload)


def test_schedule_metrics() -> None:
    """Makespan, tardiness and machine sequences follow from the arrays."""
    d = small().replace(due=[4, 20], weight=[2, 1])
    s = Schedule(machine=[0, 1, 1, 0], start=[0, 5, 0, 7], end=[3, 7, 5, 8])
    assert s.makespan == 8
    assert s.job_completion(d).tolist() == [7, 8]
    assert s.tardiness(d).tolist() == [3, 0]
    assert s.total_weighted_tardiness(d) == 6
    assert s.machine_sequences(2) == [[0, 3], [2, 1]]
    assert Schedule.from_starts(d, [0, 1, 1, 0], [0, 5, 0, 7]) == s
