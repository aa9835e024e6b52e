"""Plan adherence of a planned scenario under its disturbances, against the plan as
published (the solver's decisions timed by a calm twin run, :mod:`twin.sim.timing`) and
against the solver's own times (issue 14).

One JSON line per replication to stdout (or appended to ``--out``)::

    python benchmarks/plan_adherence.py scenarios/pilot_workshop.yaml --replications 5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import twin  # noqa: E402
from twin.kpi.adherence import adherence_kpis  # noqa: E402
from twin.run import plan_info  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--method", default="auto")
    ap.add_argument("--time", type=float, default=10.0, help="solver seconds")
    ap.add_argument("--out", type=Path, default=None, help="JSON lines, appended")
    args = ap.parse_args(argv)
    with Progress(transient=True) as bar:
        task = bar.add_task("plan + replications", total=args.replications)
        runs = twin.replicate(
            args.scenario, args.replications, method=args.method, time_limit=args.time,
            on_progress=lambda done, total: bar.update(task, completed=done),
        )  # fmt: skip
    first = runs[0]
    out = args.out.open("a", encoding="utf-8") if args.out else sys.stdout
    try:
        for r in runs:
            solver = adherence_kpis(plan_info(r.scenario, r.problem, r.plan), r.log.rows())
            k = r.kpis
            row = {
                "scenario": args.scenario.stem, "replication": r.replication,
                "solver_makespan": first.solver.get("makespan"),
                "published_makespan": first.solver.get("planned_makespan"),
                "makespan": k.makespan, "on_time_rate": k.on_time_rate,
                "published": {"adherence": k.plan_adherence, "delay_mean": k.start_delay_mean,
                              "delay_p95": k.start_delay_p95,
                              "lots_late": k.lots_late_against_plan},
                "solver": {"adherence": solver["plan_adherence"],
                           "delay_mean": solver["start_delay_mean"],
                           "delay_p95": solver["start_delay_p95"],
                           "lots_late": solver["lots_late_against_plan"]},
            }  # fmt: skip
            print(json.dumps(row), file=out, flush=True)
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
