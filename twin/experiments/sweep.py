""":func:`run_sweep`: every point of a sweep x its replications, on any executor,
resumable, into a sweep folder (:mod:`twin.experiments.store`)::

    from twin.experiments import run_sweep
    result = run_sweep("scenarios/sweeps/upgrade_study.yaml", "runs/upgrade", workers=2)
    result.summary        # per point and KPI: mean, std, 95 % CI, replications needed
    result.differences    # against the baseline, paired (common random numbers)

Tasks are batches of one point's replications (:mod:`twin.experiments.tasks`): a point
planned by a solver is one task (its plan is made once and every replication follows
it); a dispatched point is split into about ``4 x workers / points`` batches, so that a
few points still keep every worker busy while many points pay the task overhead once
each. Results do not depend on the batching, the executor or the number of workers:
replication ``r`` of every point draws from the same ``SeedSequence(seed, (r,))``. (A
time-limited solver is the exception: what it finds in its time depends on the machine's
load; sweep the dispatch rules, or give the solver room, when that matters.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from twin.errors import RunInterrupted
from twin.experiments.executors import check_executor, open_executor
from twin.experiments.load import Point, Sweep, load_sweep
from twin.experiments.results import SweepResult, build_result, write_tables
from twin.experiments.store import check_sweep_folder, point_file, read_point_files, write_json
from twin.experiments.tasks import Task, TaskResult

__all__ = ["SweepProgress", "plan_tasks", "run_sweep", "sweep_meta"]


@dataclass
class SweepProgress:
    """What :func:`run_sweep` reports after each task: replications and points done."""

    replications_done: int = 0
    replications_total: int = 0
    points_done: int = 0
    points_total: int = 0
    points_reused: int = 0
    failed: list[str] = field(default_factory=list)
    last: str = ""


def sweep_meta(sweep: Sweep) -> dict[str, Any]:
    """The content of ``sweep.json``."""
    return {
        "name": sweep.name,
        "description": sweep.spec.description,
        "sweep_file": None if sweep.path is None else str(sweep.path),
        "base": None if sweep.base_path is None else str(sweep.base_path),
        "seed": sweep.seed,
        "replications": sweep.replications,
        "baseline": sweep.baseline,
        "precision": sweep.spec.precision,
        "currency": sweep.spec.currency,
        "time_unit": sweep.time_unit,
        "nc_target": sweep.nc_target,
        "points": [
            {
                "name": p.name,
                "cost": p.cost,
                "description": p.description,
                "changes": [c.describe() for c in p.changes],
                "fingerprint": p.fingerprint(sweep.seed),
                "planned": p.planned,
            }
            for p in sweep.points
        ],
    }


def _reusable(point: Point, doc: dict[str, Any] | None, seed: int, n: int) -> list[dict[str, Any]]:
    """The finished replications (< n) of an earlier run of the same point and seed."""
    if not doc or doc.get("status") != "done" or doc.get("fingerprint") != point.fingerprint(seed):
        return []
    reps = [r for r in doc.get("replications", []) if 0 <= r.get("replication", -1) < n]
    if point.planned and len(reps) < n:
        return []  # a planned point's replications must follow one plan: run it whole
    return reps


def plan_tasks(
    sweep: Sweep, missing: dict[str, list[int]], workers: int, batch: int | None = None
) -> list[Task]:
    """Batches of each point's ``missing`` replications (see the module docstring)."""
    todo = [p for p in sweep.points if missing.get(p.name)]
    if not todo:
        return []
    splits = 1 if workers == 1 else max(1, math.ceil(4 * workers / len(todo)))
    tasks = []
    for point in todo:
        reps = missing[point.name]
        size = len(reps) if point.planned else (batch or math.ceil(len(reps) / splits))
        for k in range(0, len(reps), max(size, 1)):
            chunk = tuple(reps[k : k + size])
            tasks.append(
                Task(point.name, point.data, point.source, sweep.seed, chunk, point.planned)
            )
    return tasks


def _point_doc(point: Point, sweep: Sweep) -> dict[str, Any]:
    return {
        "name": point.name,
        "fingerprint": point.fingerprint(sweep.seed),
        "seed": sweep.seed,
        "status": "done",
        "cost": point.cost,
        "changes": [c.describe() for c in point.changes],
        "replications": [],
        "solver": {},
        "warnings": [],
        "seconds": 0.0,
        "error": None,
    }


def run_sweep(
    sweep: Sweep | str | Path,
    out: str | Path,
    *,
    workers: int = 1,
    executor: str = "local",
    batch: int | None = None,
    report: bool = True,
    on_progress: Callable[[SweepProgress], None] | None = None,
) -> SweepResult:
    """Run every point of ``sweep`` (a :class:`Sweep` or a sweep file) not already
    finished in ``out``; write the point files, the tables and (``report``) the HTML
    report; return the frames.

    A failing point is recorded (``result.points``: status ``failed`` and its error) and
    the others go on. Ctrl-C raises :class:`~twin.errors.RunInterrupted` after writing
    the tables of what finished; its ``finished`` lists those points, and running the
    same sweep again resumes.
    """
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    check_executor(executor)
    folder = check_sweep_folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    meta = sweep_meta(sweep)
    write_json(folder / "sweep.json", meta)

    n = sweep.replications
    earlier = read_point_files(folder)
    docs: dict[str, dict[str, Any]] = {}
    missing: dict[str, list[int]] = {}
    progress = SweepProgress(points_total=len(sweep.points))
    for point in sweep.points:
        kept = _reusable(point, earlier.get(point.name), sweep.seed, n)
        have = {r["replication"] for r in kept}
        todo = [r for r in range(n) if r not in have]
        if not todo:
            docs[point.name] = earlier[point.name] | {"replications": kept}
            progress.points_done += 1
            progress.points_reused += 1
            continue
        doc = _point_doc(point, sweep)
        doc["replications"] = kept
        docs[point.name] = doc
        missing[point.name] = todo
        progress.replications_total += len(todo)
    tasks = plan_tasks(sweep, missing, workers, batch)
    finished = {p.name for p in sweep.points if p.name not in missing}
    left = {name: len(todo) for name, todo in missing.items()}
    try:
        if on_progress is not None:
            on_progress(progress)
        # No more processes than tasks; none at all when every point is reused.
        with open_executor(
            executor if tasks else "local", max(1, min(workers, len(tasks)))
        ) as pool:
            for task, outcome in pool.run(tasks):
                _take(sweep, folder, docs, left, finished, task, outcome, progress)
                if on_progress is not None:
                    on_progress(progress)
    except KeyboardInterrupt:
        partial = build_result(meta, {k: docs[k] for k in finished})
        write_tables(folder, partial)
        done = sorted(finished, key=[p.name for p in sweep.points].index)
        raise RunInterrupted(
            f"running point {progress.points_done + 1} of {progress.points_total}", done
        ) from None
    result = replace(build_result(meta, docs), folder=folder)
    write_tables(folder, result)
    if report:
        from twin.experiments.report import write_sweep_report

        write_sweep_report(result, folder / "report.html")
    return result


def _take(
    sweep: Sweep,
    folder: Path,
    docs: dict[str, dict[str, Any]],
    left: dict[str, int],
    finished: set[str],
    task: Task,
    result: TaskResult,
    progress: SweepProgress,
) -> None:
    """Fold one task's result into its point; write the point once it is complete."""
    progress.replications_done += len(task.replications)
    progress.last = task.point
    if task.point in finished:
        return  # a later batch of a point that already failed
    doc = docs[task.point]
    doc["seconds"] += result.seconds
    if result.error is not None:
        doc.update(status="failed", error=result.error, replications=[])
        progress.failed.append(task.point)
    else:
        doc["replications"].extend(result.replications)
        if result.solver and (not doc["solver"] or 0 in task.replications):
            doc["solver"] = result.solver
        doc["warnings"] += [w for w in result.warnings if w not in doc["warnings"]]
        left[task.point] -= len(task.replications)
        if left[task.point] > 0:
            return
    doc["replications"].sort(key=lambda r: r["replication"])
    write_json(point_file(folder, task.point), doc)
    finished.add(task.point)
    progress.points_done += 1
