"""Ctrl-C on a real `twin` process: exit 130, one line saying what was interrupted, and
what finished stays usable (the best schedule so far; the finished replications)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "scenarios" / "pilot_workshop.yaml"


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "twin", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _interrupt(proc: subprocess.Popen[str], after: float, within: float) -> tuple[str, str, float]:
    """SIGINT ``after`` seconds; the process must end within ``within`` seconds of it."""
    time.sleep(after)
    assert proc.poll() is None, "the command ended before it could be interrupted"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"no exit {within} s after Ctrl-C; stderr: {err[-500:]}")
    return out, err, time.monotonic() - sent


def _last_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return lines[-1]


def test_ctrl_c_at_start_up(tmp_path: Path) -> None:
    """While the commands are still importing: one line, exit 130, nothing written."""
    proc = _start(["run", str(PILOT), "--out", str(tmp_path / "run"), "--quiet"], tmp_path)
    _, err, _ = _interrupt(proc, after=0.3, within=10)
    assert proc.returncode == 130, err
    assert _last_line(err).startswith("twin: interrupted")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("method", ["cpsat", "auto"])
def test_ctrl_c_during_a_solve_keeps_the_best_schedule(tmp_path: Path, method: str) -> None:
    """The solver stops within seconds and its best schedule so far is written."""
    instance = tmp_path / "big.fjs"
    subprocess.run(
        [sys.executable, "-m", "twin", "generate", "--jobs", "60", "--machines", "10",
         "--ops", "8-10", "--out", str(instance)],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    out_file = tmp_path / "best.json"
    proc = _start(
        ["schedule", str(instance), "--method", method, "--time-limit", "120", "--workers", "2",
         "--out", str(out_file), "--quiet"],
        tmp_path,
    )  # fmt: skip
    _, err, took = _interrupt(proc, after=6.0, within=20)
    assert proc.returncode == 130, err
    line = _last_line(err)
    assert line.startswith(f"twin: interrupted: the {method} solve was stopped; best so far"), line
    assert took < 15
    payload = json.loads(out_file.read_text())
    assert payload["schedule"] is not None and payload["makespan"] > 0


def test_ctrl_c_during_the_simulation_keeps_finished_replications(tmp_path: Path) -> None:
    """Replications 1..k-1 are written; the one in progress is dropped."""
    folder = tmp_path / "run"
    proc = _start(
        ["run", str(PILOT), "--method", "fifo", "--replications", "500", "--out", str(folder),
         "--quiet"],
        tmp_path,
    )  # fmt: skip
    _, err, _ = _interrupt(proc, after=8.0, within=20)
    assert proc.returncode == 130, err
    line = _last_line(err)
    assert line.startswith("twin: interrupted: simulating replication "), line
    summary = json.loads((folder / "summary.json").read_text())
    done = summary["replications"]
    assert 1 <= done < 500
    assert f"wrote the {done} finished replication" in line
    assert len(summary["kpis_replications"]) == done
    assert (folder / "events.csv").is_file() and (folder / "schedule.csv").is_file()
