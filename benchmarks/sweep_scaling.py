"""Sweeps on this machine (issue 17): the speed-up of 2 workers over 1, Dask's overhead
per task, and the Monte Carlo kernel against SimPy replications of one plan.

``python benchmarks/sweep_scaling.py`` prints one JSON line per measurement:

``sweep``
    The upgrade study (``scenarios/sweeps/upgrade_study.yaml``, 6 points of the pilot)
    with ``--replications`` per point, wall clock from start to the written tables
    (pool or cluster start-up included, no HTML report), for the serial executor, 2
    local processes and a 2-process Dask ``LocalCluster``, ``--repeat`` rounds
    interleaved; ``speedup_best`` compares the best times (what other load on the
    machine disturbs least). Every run must write the same ``results.csv`` (checked).
``dask_overhead``
    Seconds per task on a running one-worker ``LocalCluster`` (so that nothing runs in
    parallel): ``noop`` for ``client.map`` of a function that returns at once (Dask's
    own round trip), ``sweep`` for a sweep of ``--tiny-points`` points of a tiny shop,
    one replication per task, minus the same sweep run serially, per task.
``robustness``
    :func:`twin.experiments.plan_robustness` on noisy mk01 (lognormal cv 0.2, failures):
    both means with their 95 % intervals and the speed ratio (Monte Carlo samples in the
    time of one SimPy replication).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STUDY = ROOT / "scenarios" / "sweeps" / "upgrade_study.yaml"


def _emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def _sweep_copy(folder: Path, replications: int) -> Path:
    """The study with another replication count, beside a copy of its base."""
    (folder / "pilot_workshop.yaml").write_text(
        (ROOT / "scenarios" / "pilot_workshop.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    text = STUDY.read_text(encoding="utf-8")
    text = text.replace("base: ../pilot_workshop.yaml", "base: pilot_workshop.yaml")
    text = text.replace("replications: 10", f"replications: {replications}")
    path = folder / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def bench_sweep(replications: int, repeat: int) -> None:
    import os

    from twin.experiments import run_sweep

    work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    runs = (("local", 1), ("local", 2), ("dask", 2))
    times: dict[tuple[str, int], list[float]] = {r: [] for r in runs}
    reference: bytes | None = None
    same = True
    try:
        sweep = _sweep_copy(work, replications)
        for k in range(repeat):  # interleaved, so that other load hits every variant alike
            for executor, workers in runs:
                out = work / f"{executor}-{workers}-{k}"
                t0 = time.perf_counter()
                run_sweep(sweep, out, workers=workers, executor=executor, report=False)
                times[(executor, workers)].append(time.perf_counter() - t0)
                data = (out / "results.csv").read_bytes()
                reference = reference or data
                same = same and data == reference
        best = min(times[("local", 1)])
        for (executor, workers), seconds in times.items():
            _emit({"bench": "sweep", "executor": executor, "workers": workers, "points": 6,
                   "replications": replications, "best_seconds": round(min(seconds), 2),
                   "all_seconds": [round(x, 2) for x in seconds],
                   "speedup_best": round(best / min(seconds), 2), "identical": same,
                   "loadavg": os.getloadavg()[0]})  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _noop(x: int) -> int:
    return x


def bench_dask_overhead(tasks: int, points: int) -> None:
    from distributed import Client, LocalCluster

    from tests.twin.sweep_fixtures import TINY_SCENARIO
    from twin.experiments import run_sweep

    work = Path(tempfile.mkdtemp(prefix="dask-bench-"))
    try:
        (work / "tiny.yaml").write_text(TINY_SCENARIO, encoding="utf-8")
        values = ", ".join(str(k) for k in range(1, points + 1))
        sweep = work / "grid.yaml"
        sweep.write_text(
            "name: grid\nbase: tiny.yaml\nreplications: 1\n"
            f"grid:\n  - {{path: orders.A.quantity, values: [{values}]}}\n",
            encoding="utf-8",
        )
        t0 = time.perf_counter()
        run_sweep(sweep, work / "serial", report=False)
        serial = time.perf_counter() - t0
        with (
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster,
            Client(cluster) as client,
        ):  # fmt: skip
            client.gather(client.map(_noop, range(20)))  # warm the worker
            t0 = time.perf_counter()
            client.gather(client.map(_noop, range(tasks), pure=False))
            noop = (time.perf_counter() - t0) / tasks
            address = cluster.scheduler_address
            run_sweep(sweep, work / "warm", workers=1, executor=address, report=False)
            t0 = time.perf_counter()
            run_sweep(sweep, work / "dask", workers=1, executor=address, batch=1, report=False)
            dask = time.perf_counter() - t0
        same = (work / "dask" / "results.csv").read_bytes() == (
            work / "serial" / "results.csv"
        ).read_bytes()
        _emit({"bench": "dask_overhead", "noop_seconds_per_task": round(noop, 5),
               "sweep_tasks": points, "sweep_serial_seconds": round(serial, 3),
               "sweep_dask_seconds": round(dask, 3),
               "sweep_seconds_per_task": round((dask - serial) / points, 5),
               "identical": same})  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_robustness(replications: int, samples: int) -> None:
    from tests.twin.test_plan_robustness import noisy_mk01
    from twin.experiments import plan_robustness

    for breakdowns in (False, True):
        r = plan_robustness(noisy_mk01(breakdowns), replications, samples, seed=1,
                            method="dispatch")  # fmt: skip
        rows = {(row["kpi"], row["source"]): row for row in r.table.to_dict("records")}
        _emit({
            "bench": "robustness", "breakdowns": breakdowns, "planned_makespan": r.planned_makespan,
            **{f"{k}_{s}": f"{rows[(k, s)]['mean']:.2f} ± {rows[(k, s)]['ci95']:.2f}"
               for k in ("makespan", "tardiness_total") for s in ("montecarlo", "simpy")},
            "agree": r.agree("makespan") and r.agree("tardiness_total"),
            "montecarlo_us_per_sample": round(1e6 * r.montecarlo_seconds_per_sample, 2),
            "simpy_ms_per_replication": round(1e3 * r.simpy_seconds_per_replication, 2),
            "speed_ratio": round(r.speed_ratio),
        })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=4, help="per point of the study")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (best kept)")
    parser.add_argument("--noop-tasks", type=int, default=500)
    parser.add_argument("--tiny-points", type=int, default=60)
    parser.add_argument("--only", choices=("sweep", "dask", "robustness"))
    args = parser.parse_args()
    if args.only in (None, "sweep"):
        bench_sweep(args.replications, args.repeat)
    if args.only in (None, "dask"):
        bench_dask_overhead(args.noop_tasks, args.tiny_points)
    if args.only in (None, "robustness"):
        bench_robustness(1000, 20_000)


if __name__ == "__main__":
    main()
