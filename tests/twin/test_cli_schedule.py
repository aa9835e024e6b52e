"""`twin schedule` and `twin bench`: outputs, and one readable line on bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import scheduler
from twin.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "instances" / "demo_shop.fjs"
FJSP = scheduler.fjsp_dir()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_schedule_writes_csv_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out x.csv: header job,operation,machine,start,end; rows pass the checker."""
    out = tmp_path / "plan.csv"
    code, stdout, _ = run(
        [
            "schedule",
            str(DEMO),
            "--method",
            "cpsat",
            "--time-limit",
            "5",
            "--workers",
            "1",
            "--out",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    assert "demo_shop" in stdout and "makespan" in stdout
    with out.open() as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["job", "operation", "machine", "start", "end"]
        rows = list(reader)
    data = scheduler.read_fjs(DEMO)
    assert len(rows) == data.num_ops
    assert [(int(r["job"]), int(r["operation"])) for r in rows] == [
        data.locate(o) for o in range(data.num_ops)
    ]
    sched = scheduler.Schedule(
        [int(r["machine"]) for r in rows],
        [int(r["start"]) for r in rows],
        [int(r["end"]) for r in rows],
    )
    assert scheduler.check(data, sched) == []


def test_schedule_writes_full_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out x.json holds the result, the rows and the problem."""
    out = tmp_path / "plan.json"
    code, _, _ = run(
        [
            "schedule",
            str(DEMO),
            "--method",
            "cpsat",
            "--time-limit",
            "5",
            "--out",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["status"] in ("optimal", "feasible")
    data = scheduler.ProblemData.from_dict(payload["problem"])
    sched = scheduler.Schedule.from_dict(payload["schedule"])
    assert sched.makespan == payload["makespan"]
    assert scheduler.check(data, sched) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["schedule", "missing.fjs"], "missing.fjs: no such file"),
        (["schedule", str(DEMO), "--method", "magic"], "--method 'magic'"),
        (["schedule", str(DEMO), "--time-limit", "-1"], "--time-limit must be > 0"),
        (["schedule", str(DEMO), "--out", "x.txt"], "expected a .csv or .json"),
        (["schedule", str(DEMO), "--workers", "abc"], "--workers"),
        (["schedule"], "Missing argument"),
        (
            ["bench", "--family", "nosuch", "--method", "cpsat"],
            # without the benchmark folder the error names the folder instead
            "no benchmark family 'nosuch'"
            if (FJSP / "bounds.csv").is_file()
            else "no benchmark data in",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every user error: one line on stderr, exit code 2, no traceback."""
    code, _, err = run(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_malformed_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken instance names file and line."""
    bad = tmp_path / "bad.fjs"
    bad.write_text("1 2\n1 1 9 4\n")
    code, _, err = run(["schedule", str(bad)], capsys)
    assert code == 2 and "bad.fjs:2: operation 1: machine 9 outside 1..2" in err


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    """The real process prints one line and exits 2 for a missing file."""
    proc = subprocess.run(
        [sys.executable, "-m", "twin", "schedule", str(tmp_path / "none.fjs")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.skipif(not (FJSP / "bounds.csv").is_file(), reason=f"no FJSP data at {FJSP}")
def test_bench_writes_the_documented_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """twin bench solves the chosen instances and reports gaps to bounds.csv."""
    out = tmp_path / "bench.csv"
    code, stdout, _ = run(
        [
            "bench",
            "--family",
            "brandimarte",
            "--method",
            "cpsat",
            "--instances",
            "mk01,mk02",
            "--time-limit",
            "3",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0 and "mean gap to best known" in stdout
    with out.open() as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames is not None
    assert reader.fieldnames[:10] == [
        "family",
        "instance",
        "method",
        "time_limit",
        "makespan",
        "lower_bound",
        "best_known",
        "gap_pct",
        "build_s",
        "solve_s",
    ]
    assert [r["instance"] for r in rows] == ["mk01", "mk02"]
    assert [int(r["best_known"]) for r in rows] == [40, 26]
    for r in rows:
        gap = 100 * (int(r["makespan"]) - int(r["best_known"])) / int(r["best_known"])
        assert float(r["gap_pct"]) == pytest.approx(gap)
        assert int(r["makespan"]) >= int(r["best_known"])
