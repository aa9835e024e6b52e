"""Running sweeps: the same numbers on every executor, resuming, failures, interrupts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.twin.sweep_fixtures import TINY_SWEEP, write_tiny
from twin.errors import RunInterrupted
from twin.experiments import (
    SweepProgress,
    TaskResult,
    load_sweep,
    plan_tasks,
    read_sweep,
    run_sweep,
)
from twin.experiments.store import point_file


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(scope="module")
def serial(sweep_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "out"
    run_sweep(sweep_file, out, workers=1)
    return out


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A two-worker LocalCluster (threads: quick to start and reliable on 2 cores)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
        dashboard_address=None, silence_logs=logging.ERROR,
    ) as cluster:  # fmt: skip
        yield cluster.scheduler_address


def test_serial_sweep_writes_every_table(serial: Path) -> None:
    """One row per point and replication; summary, differences, points and report."""
    results = pd.read_csv(serial / "results.csv")
    assert list(results[["point", "replication"]].itertuples(index=False, name=None)) == [
        ("today", 0), ("today", 1), ("two lathes", 0), ("two lathes", 1),
    ]  # fmt: skip
    assert {"throughput_per_hour", "lead_time_mean", "nc_rate_equipment", "energy_kwh"} <= set(
        results.columns
    )
    summary = pd.read_csv(serial / "summary.csv")
    assert set(summary.columns) >= {"point", "kpi", "mean", "std", "ci95", "replications_needed"}
    diffs = pd.read_csv(serial / "differences.csv")
    assert set(diffs["point"]) == {"two lathes"} and diffs["paired"].all()
    points = pd.read_csv(serial / "points.csv")
    assert points["status"].tolist() == ["done", "done"]
    assert points["cost"].tolist() == [0.0, 100000.0]
    assert (serial / "report.html").stat().st_size > 1_000_000  # plotly.js embedded


def test_two_local_workers_give_identical_results(
    serial: Path, sweep_file: Path, tmp_path: Path
) -> None:
    """Two processes, batches of one replication: results.csv byte for byte the same."""
    run_sweep(sweep_file, tmp_path / "out", workers=2, batch=1, report=False)
    for name in ("results.csv", "summary.csv", "differences.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (serial / name).read_bytes(), name


def test_dask_cluster_gives_identical_results(
    serial: Path, sweep_file: Path, tmp_path: Path, dask_address: str
) -> None:
    """A two-worker Dask LocalCluster, reached by its address, gives the same file."""
    run_sweep(sweep_file, tmp_path / "out", workers=2, executor=dask_address, report=False)
    assert (tmp_path / "out" / "results.csv").read_bytes() == (serial / "results.csv").read_bytes()


def test_tasks_batch_replications_per_point(sweep_file: Path) -> None:
    """Few points and more workers: points split into batches; one worker: a task each."""
    sweep = load_sweep(sweep_file)
    missing = {"today": [0, 1], "two lathes": [0, 1]}
    assert [t.replications for t in plan_tasks(sweep, missing, workers=1)] == [(0, 1), (0, 1)]
    assert [t.replications for t in plan_tasks(sweep, missing, workers=2)] == [
        (0,), (1,), (0,), (1,),
    ]  # fmt: skip
    task = plan_tasks(sweep, missing, workers=1)[1]
    assert task.point == "two lathes" and task.data["stations"][0]["count"] == 2


def test_a_finished_point_is_not_rerun(serial: Path, sweep_file: Path, tmp_path: Path) -> None:
    """Resume: a second run reuses both point files untouched."""
    out = tmp_path / "out"
    run_sweep(sweep_file, out, report=False)
    files = {p: point_file(out, p).stat().st_mtime_ns for p in ("today", "two lathes")}
    seen: list[SweepProgress] = []
    run_sweep(sweep_file, out, report=False, on_progress=seen.append)
    assert seen[-1].points_reused == 2 and seen[-1].replications_total == 0
    assert {p: point_file(out, p).stat().st_mtime_ns for p in files} == files
    assert (out / "results.csv").read_bytes() == (serial / "results.csv").read_bytes()


def test_more_replications_reuse_the_finished_ones(sweep_file: Path, tmp_path: Path) -> None:
    """Raising replications runs only the new ones (same seeds: same numbers)."""
    out = tmp_path / "out"
    run_sweep(sweep_file, out, report=False)
    three = write_tiny(tmp_path, TINY_SWEEP.replace("replications: 2", "replications: 3"))
    seen: list[SweepProgress] = []
    result = run_sweep(three, out, report=False, on_progress=seen.append)
    assert seen[0].replications_total == 2  # replication 2 of each point
    fresh = run_sweep(three, tmp_path / "fresh", report=False)
    pd.testing.assert_frame_equal(result.results, fresh.results)


def test_a_changed_point_is_rerun(sweep_file: Path, tmp_path: Path) -> None:
    """A point whose changes differ from its file's is run again."""
    out = tmp_path / "out"
    run_sweep(sweep_file, out, report=False)
    changed = write_tiny(tmp_path, TINY_SWEEP.replace("count: 2", "count: 3"))
    seen: list[SweepProgress] = []
    run_sweep(changed, out, report=False, on_progress=seen.append)
    assert seen[0].points_reused == 1 and seen[0].replications_total == 2


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(
    sweep_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error is in points.csv and the point file; the other point has its results."""
    import twin.run

    real = twin.run.simulate

    def flaky(scenario, *args, **kwargs):  # type: ignore[no-untyped-def]
        if scenario.station("lathe").count == 2:
            raise RuntimeError("solver exploded")
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(twin.run, "simulate", flaky)
    result = run_sweep(sweep_file, tmp_path / "out", report=False)
    assert result.failed == ["two lathes"]
    points = pd.read_csv(tmp_path / "out" / "points.csv").set_index("point")
    assert points.at["two lathes", "status"] == "failed"
    assert "RuntimeError: solver exploded" in points.at["two lathes", "error"]
    assert set(result.results["point"]) == {"today"}
    monkeypatch.setattr(twin.run, "simulate", real)
    seen: list[SweepProgress] = []
    again = run_sweep(sweep_file, tmp_path / "out", report=False, on_progress=seen.append)
    assert seen[0].points_reused == 1 and again.failed == []  # only the failed one reran


def test_interrupt_keeps_the_finished_points(sweep_file: Path, tmp_path: Path) -> None:
    """Ctrl-C after the first point: its file and the tables stay; a rerun resumes."""
    out = tmp_path / "out"

    def stop_after_first(p: SweepProgress) -> None:
        if p.points_done == 1:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as info:
        run_sweep(sweep_file, out, report=False, on_progress=stop_after_first)
    assert info.value.finished == ["today"]
    assert set(pd.read_csv(out / "results.csv")["point"]) == {"today"}
    assert not point_file(out, "two lathes").exists()
    seen: list[SweepProgress] = []
    run_sweep(sweep_file, out, report=False, on_progress=seen.append)
    assert seen[0].points_reused == 1
    assert set(read_sweep(out).results["point"]) == {"today", "two lathes"}


def test_task_errors_come_back_as_text() -> None:
    """A task with a broken scenario returns its error instead of raising."""
    from twin.experiments import Task, run_task

    result = run_task(Task("x", {"name": "x"}, "bad.yaml", 0, (0,)))
    assert isinstance(result, TaskResult) and result.replications == []
    assert result.error is not None and result.error.startswith("ScenarioError: bad.yaml")
