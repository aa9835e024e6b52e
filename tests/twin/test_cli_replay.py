"""`twin replay`: exit codes, the files of the run folder, `twin report` on it, bad input
and Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from live_fixtures import SHOP, shop

from twin.cli import main
from twin.live import Clock
from twin.live.events import dump_event
from twin.mes.emulate import run_events
from twin.run import simulate
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
FILES = ("summary.json", "events.csv", "schedule.csv", "replans.csv", "rejected.jsonl")


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `twin ARGV` in-process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small shop as YAML (CP-SAT on one worker) and its simulated MES stream with
    one bad event and one duplicate."""
    folder = tmp_path_factory.mktemp("replay")
    scenario = folder / "tiny.yaml"
    data = dict(SHOP, run=dict(SHOP["run"], time_limit=1))
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    records = [dump_event(e) for e in run_events(simulate(shop()))]
    bad = {"type": "machine_down", "id": "bad", "time": records[3]["time"], "machine": "nope"}
    records[4:4] = [bad, records[1]]
    events = folder / "events.jsonl"
    events.write_text("".join(json.dumps(r) + "\n" for r in records))
    return scenario, events


def test_replay_writes_the_run_folder_and_report_reads_it(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, events = inputs
    out = tmp_path / "run"
    code, stdout, err = cli(
        ["replay", str(scenario), str(events), "--reschedule", "periodic:30", "--method",
         "cpsat", "--time-limit", "1", "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert all((out / name).is_file() for name in FILES)
    summary = json.loads((out / "summary.json").read_text())
    counts = summary["replay"]
    assert (counts["rejected"], counts["duplicates"], counts["policy"]) == (1, 1, "periodic:30")
    assert counts["replans"] == len((out / "replans.csv").read_text().splitlines()) - 1 > 0
    assert summary["kpis"]["jobs_finished"] == len(SHOP["orders"])
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    assert [(r["id"], r["code"]) for r in rejected] == [("bad", "unknown_machine")]
    assert "1 rejected" in err and "1 duplicates" in err
    assert "Makespan" in stdout
    code, _, err = cli(["report", str(out)], capsys)
    assert code == 0, err
    html = (out / "report.html").read_text()
    assert "lathe#1" in html and summary["scenario"] in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reschedule", "sometimes"], "--reschedule 'sometimes'"),
        (["--reschedule", "periodic:-5"], "--reschedule 'periodic:-5'"),
        (["--method", "magic"], "--method 'magic'"),
        (["--time-limit", "0"], "--time-limit"),
        (["--origin", "monday"], "--origin 'monday'"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:  # fmt: skip
    scenario, events = inputs
    out = tmp_path / "run"
    code, _, err = cli(["replay", str(scenario), str(events), "--out", str(out), *args], capsys)
    assert code == 2 and "Traceback" not in err
    assert message in err.splitlines()[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,kind,station\n0,state,lathe\n", "not JSON lines"),
        ("", "holds no events"),
        (None, "no such file"),
    ],
)
def test_a_stream_that_is_not_json_lines_exits_2(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    content: str | None, message: str,
) -> None:  # fmt: skip
    scenario, _ = inputs
    events = tmp_path / "events.csv"
    if content is not None:
        events.write_text(content)
    code, _, err = cli(["replay", str(scenario), str(events), "--out", str(tmp_path / "r")],
                       capsys)  # fmt: skip
    assert code == 2 and "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and message in lines[0] and str(events) in lines[0]
    assert not (tmp_path / "r").exists()


def test_a_scenario_without_start_needs_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mk01 has no ``start``: without --origin one line naming it, exit 2; with it the
    simulated run's events replay to its makespan."""
    mk01 = ROOT / "scenarios" / "deterministic_mk01.yaml"
    origin = datetime(2026, 1, 5, 6, tzinfo=UTC)
    sim = simulate(load_scenario(mk01))
    events = tmp_path / "mk01.jsonl"
    events.write_text(
        "".join(json.dumps(dump_event(e)) + "\n" for e in run_events(sim, Clock(origin)))
    )
    out = tmp_path / "run"
    code, _, err = cli(["replay", str(mk01), str(events), "--out", str(out), "--quiet"], capsys)
    assert code == 2 and "'start'" in err.splitlines()[0] and not out.exists()
    argv = ["replay", str(mk01), str(events), "--out", str(out), "--quiet",
            "--origin", origin.isoformat()]  # fmt: skip
    code, _, err = cli(argv, capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"]["makespan"] == pytest.approx(sim.kpis.makespan, abs=1e-6)
    assert summary["replay"]["rejected"] == 0


@pytest.mark.slow
def test_ctrl_c_writes_what_was_replayed_and_exits_130(tmp_path: Path) -> None:
    """The pilot stream replanning on every event: Ctrl-C after a few seconds writes the
    folder with the events replayed so far (atomically) and exits 130."""
    folder = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin", "replay", str(ROOT / "scenarios" / "pilot_workshop.yaml"),
         str(ROOT / "scenarios" / "pilot_events.jsonl"), "--reschedule", "on-event",
         "--time-limit", "1", "--quiet", "--out", str(folder)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(8.0)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = [x for x in err.splitlines() if x.strip()][-1]
    assert last.startswith("twin: interrupted: replaying") and "events replayed" in last
    summary = json.loads((folder / "summary.json").read_text())
    replayed = summary["replay"]
    assert replayed["interrupted"] is True
    assert 0 < replayed["read"] < len((ROOT / "scenarios" / "pilot_events.jsonl").read_text()
                                       .splitlines())  # fmt: skip
    assert all((folder / name).is_file() for name in FILES)
