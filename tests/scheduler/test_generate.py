"""The instance generator: shapes and ranges as asked, reproducible, clear errors; and
the `twin generate` command that writes its instances."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from scheduler import check, read_fjs, read_json, solve
from scheduler.calendar import KINDS
from scheduler.generate import generate


def test_shape_and_ranges() -> None:
    """Sizes, operations per job, machines per operation and durations stay in range."""
    data = generate(40, 8, ops_per_job=(3, 6), flexibility=(2, 4), durations=(5, 20), seed=3)
    assert (data.num_jobs, data.num_machines) == (40, 8)
    ops = np.diff(data.job_op_ptr)
    flex = np.diff(data.op_mode_ptr)
    assert ops.min() >= 3 and ops.max() <= 6 and len(set(ops.tolist())) > 1
    assert flex.min() >= 2 and flex.max() <= 4 and len(set(flex.tolist())) > 1
    assert data.mode_duration.min() >= 5 and data.mode_duration.max() <= 20
    assert not data.has_due_dates and np.all(data.release == 0)
    for o in range(data.num_ops):  # distinct, sorted machines per operation
        machines = [m for m, _ in data.modes(o)]
        assert machines == sorted(set(machines))


def test_every_machine_gets_used() -> None:
    """Subsets are random, not always the first machines."""
    data = generate(30, 10, ops_per_job=5, flexibility=2, seed=0)
    assert set(data.mode_machine.tolist()) == set(range(10))
    assert np.all(np.diff(data.job_op_ptr) == 5) and np.all(np.diff(data.op_mode_ptr) == 2)


def test_same_seed_same_instance() -> None:
    """Seeded: the same seed reproduces the instance exactly, another seed does not."""
    a = generate(20, 5, seed=7, release=30, due_factor=1.3, weights=(1, 4))
    b = generate(20, 5, seed=7, release=30, due_factor=1.3, weights=(1, 4))
    c = generate(20, 5, seed=8, release=30, due_factor=1.3, weights=(1, 4))
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["mode_duration"] != c.to_dict()["mode_duration"]


def test_release_and_due_dates() -> None:
    """Due date = release + ceil(factor x mean total work of the job)."""
    data = generate(12, 4, (2, 3), (1, 3), (1, 9), seed=1, release=(10, 20), due_factor=2.0)
    assert data.release.min() >= 10 and data.release.max() <= 20
    for j in range(data.num_jobs):
        ops = range(data.job_op_ptr[j], data.job_op_ptr[j + 1])
        work = sum(np.mean([d for _, d in data.modes(o)]) for o in ops)
        slack = data.due[j] - data.release[j]
        assert 2.0 * work - 1e-9 <= slack < 2.0 * work + 1
    assert np.all(data.weight == 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jobs": 0}, "jobs must be an integer >= 1, got 0"),
        ({"machines": 2, "flexibility": (1, 3)}, "at most 2 machines per operation"),
        ({"ops_per_job": (4, 2)}, r"ops_per_job: empty range \(4, 2\)"),
        ({"ops_per_job": 0}, "ops_per_job: lower end must be >= 1, got 0"),
        ({"durations": (-1, 5)}, "durations: lower end must be >= 0, got -1"),
        ({"flexibility": "two"}, "flexibility must be an integer or a"),
        ({"due_factor": 0.0}, "due_factor must be > 0"),
        ({"weights": (0, 2)}, "weights: lower end must be >= 1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    """Each bad argument is named in the error with its value."""
    args: dict[str, object] = {"jobs": 3, "machines": 4} | kwargs
    with pytest.raises(ValueError, match=message):
        generate(**args)  # type: ignore[arg-type]


# -- `twin generate` ----------------------------------------------------------------


Main = Callable[[list[str]], None]


@pytest.fixture()
def twin_main() -> Main:
    """The CLI entry point with the generate command registered (until the package
    imports it itself)."""
    import twin.cli.generate  # noqa: F401  (registration side effect)
    from twin.cli import main

    return main


def run(main: Main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_cli_writes_fjs_and_json(
    twin_main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`twin generate` writes the instance `generate` makes, in either format."""
    args = ["--jobs", "12", "--machines", "5", "--ops", "3-5", "--flexibility", "2-4"]
    args += ["--durations", "1-99", "--seed", "4"]
    code, out, _ = run(twin_main, ["generate", *args, "--out", str(tmp_path / "a.fjs")], capsys)
    assert code == 0 and "12 jobs, 5 machines" in out
    expected = generate(12, 5, (3, 5), (2, 4), (1, 99), seed=4)
    got = read_fjs(tmp_path / "a.fjs")
    assert got.mode_duration.tolist() == expected.mode_duration.tolist()
    assert got.mode_machine.tolist() == expected.mode_machine.tolist()
    more = ["--release", "50", "--due-factor", "1.5", "--out", str(tmp_path / "b.json")]
    code, _, _ = run(twin_main, ["generate", *args, *more], capsys)
    data = read_json(tmp_path / "b.json")
    assert code == 0 and data.has_due_dates and data.release.max() <= 50
    assert data.name == "b"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--flexibility", "2-9"], "--flexibility: at most 5 machines per operation"),
        (["--ops", "3..5"], "--ops '3..5': expected N or LO-HI"),
        (["--durations", "9-1"], "--durations '9-1'"),
        (["--jobs", "0"], "--jobs must be in 1..1000000, got 0"),
        (["--out", "x.txt"], "expected a .fjs or .json file name"),
        (["--due-factor", "1.2"], "need a .json output"),
    ],
)
def test_cli_bad_options(
    twin_main: Main,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    """A bad option gives one readable line on stderr and exit code 2."""
    argv = ["generate", "--machines", "5", "--out", str(tmp_path / "x.fjs"), *extra]
    code, _, err = run(twin_main, argv, capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.fjs").exists()


@pytest.mark.parametrize("calendar", ["block", "resume", "run", "free", "mixed"])
def test_a_shift_calendar_gives_windows_and_kinds(calendar: str) -> None:
    data = generate(8, 4, seed=3, shift=(120, 60), calendar=calendar, durations=(1, 99))
    assert data.has_windows and data.num_machines == 4
    for m in range(4):
        windows = data.windows(m)
        assert all(b - a == 60 for a, b in windows)  # off 60, on 120, in turn
        assert all(a2 - b == 120 for (_, b), (a2, _) in itertools.pairwise(windows))
    kinds = set(data.mode_calendar.tolist())
    if calendar == "mixed":
        assert kinds <= {0, 1, 2, 3}
    else:
        assert kinds == {KINDS[calendar]}
    # every solver's schedule passes the checker on them
    assert not check(data, solve(data, "dispatch").schedule)


def test_a_shift_too_short_for_unpausable_work_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        generate(4, 3, durations=(1, 99), shift=(50, 10), calendar="block")
    with pytest.raises(ValueError, match="on and off must be >= 1"):
        generate(4, 3, shift=(0, 10))
    with pytest.raises(ValueError, match="calendar: expected"):
        generate(4, 3, shift=(100, 10), calendar="sometimes")
