"""FJSPLIB reader and writer: every public instance, header quirks, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scheduler import InstanceFormatError, fjsp_dir, read_fjs, read_instance, write_fjs, write_json
from tests.benchdata import needs_data

ROOT = fjsp_dir()


@needs_data
def test_reads_every_public_instance_with_the_declared_sizes() -> None:
    """All 192 files parse; jobs, machines and operations match bounds.csv."""
    with (ROOT / "bounds.csv").open() as fh:
        rows = {(r["family"], r["instance"]): r for r in csv.DictReader(fh)}
    files = sorted(ROOT.glob("*/*.fjs"))
    assert len(files) == 192
    for path in files:
        data = read_fjs(path)
        row = rows[(path.parent.name, path.stem)]
        assert data.num_jobs == int(row["jobs"]), path
        assert data.num_machines == int(row["machines"]), path
        assert data.num_ops == int(row["operations"]), path
        assert round(data.flexibility, 2) == pytest.approx(float(row["flexibility"]), abs=0.011)


@needs_data
def test_declared_machine_count_is_kept() -> None:
    """mk06 declares 15 machines but uses 10: the declared count stays."""
    data = read_fjs(ROOT / "brandimarte" / "mk06.fjs")
    assert data.num_machines == 15
    assert int(data.mode_machine.max()) == 9


@needs_data
def test_zero_duration_is_allowed() -> None:
    """orb7's zero-length operation is read as is."""
    data = read_fjs(ROOT / "hurink_edata" / "orb7.fjs")
    assert int(data.mode_duration.min()) == 0


@needs_data
def test_round_trip_through_fjs_and_json(tmp_path: Path) -> None:
    """Writing then reading gives the same instance, in both formats."""
    data = read_fjs(ROOT / "brandimarte" / "mk03.fjs")
    write_fjs(data, tmp_path / "x.fjs")
    write_json(data, tmp_path / "x.json")
    for back in (read_fjs(tmp_path / "x.fjs"), read_instance(tmp_path / "x.json")):
        assert back.num_machines == data.num_machines
        assert back.op_mode_ptr.tolist() == data.op_mode_ptr.tolist()
        assert back.mode_machine.tolist() == data.mode_machine.tolist()
        assert back.mode_duration.tolist() == data.mode_duration.tolist()


def test_third_header_number_is_ignored(tmp_path: Path) -> None:
    """The informative average (often wrong, sometimes a float) does not matter."""
    p = tmp_path / "a.fjs"
    p.write_text("2 2 9.75\n1 1 1 3\n2 1 2 4 2 1 1 2 5\n")
    data = read_fjs(p)
    assert data.modes(2) == [(0, 1), (1, 5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("2 x\n", ":1: expected integers, got 'x'"),
        ("2 2\n1 1 1 3\n", "header declares 2 jobs but 1 job lines follow"),
        ("1 2\n1 1 3 4\n", ":2: operation 1: machine 3 outside 1..2"),
        ("1 2\n2 1 1 4\n", ":2: line ends early: expected the machine count of operation 2"),
        ("1 2\n1 1 1 4 7\n", ":2: 1 extra numbers after the last operation"),
        ("1 2\n1 1 1 -4\n", ":2: operation 1: negative duration -4"),
        ("1 2\n1 1 1 4\n3 3\n", ":3: unexpected content after 1 jobs"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    """A broken file says which file, which line and what was expected."""
    p = tmp_path / "bad.fjs"
    p.write_text(text)
    with pytest.raises(InstanceFormatError) as err:
        read_fjs(p)
    assert message in str(err.value)
    assert "bad.fjs" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is an InstanceFormatError, not a bare OSError."""
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_instance(tmp_path / "nope.fjs")
