"""Rescheduling policies compared in the closed loop (issue 16, "Evidence").

The pilot workshop (breakdowns and variability on) is planned once with ``auto``; each
replication then runs the simulated shop under each policy from the same plan and the
same seed (common random numbers), the live twin replanning as the policy says
(:mod:`twin.live.loop`). One JSON line per (policy, replication); ``table`` turns them
into the markdown of benchmarks/RESULTS.md::

    python benchmarks/reschedule_policies.py run --days 5 --replications 4 \
        --out /tmp/reschedule.jsonl
    python benchmarks/reschedule_policies.py table /tmp/reschedule.jsonl

The first plan is saved beside the output (``OUT.plan.npz``) and reused by later
calls, so ``--first N`` adds replications N, N+1, ... of the same plan.

``--days D`` keeps the orders released in the first D days (the whole pilot has 716
operations over five weeks, and ``on-event`` replans it about every deviation).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler import Schedule
from twin.kpi.replications import kpi_ci95
from twin.live import loop
from twin.live.replan import Replanner
from twin.run import simulate
from twin.scenario import Scenario, load_scenario

PILOT = Path(__file__).resolve().parent.parent / "scenarios" / "pilot_workshop.yaml"


def pilot(days: float | None) -> Scenario:
    scenario = load_scenario(PILOT)
    if days is None:
        return scenario
    orders = [o for o in scenario.orders if o.release < days * 1440]
    return scenario.model_copy(update={"orders": orders})


def run(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    scenario = pilot(args.days)
    policies = args.policies.split(",")
    t0 = time.perf_counter()
    first = simulate(scenario, method="auto", time_limit=args.plan_time, seed=args.seed)
    plan_seconds = time.perf_counter() - t0
    saved = Path(f"{args.out}.plan.npz")  # the first plan, kept so that --first can add runs
    if saved.exists():
        arrays = np.load(saved)
        first.plan = Schedule(arrays["machine"], arrays["start"], arrays["end"])
    else:
        assert first.plan is not None
        plan = first.plan
        np.savez(saved, machine=plan.machine, start=plan.start, end=plan.end)
    n_ops = first.problem.num_ops
    replanner = Replanner(method="auto", time_limit=args.replan_time, seed=args.seed, workers=1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    total = args.replications * len(policies)
    reps = range(args.first, args.first + args.replications)
    with (
        out.open("a") as fh,
        Progress(*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
                 TimeElapsedColumn()) as progress,
    ):  # fmt: skip
        task = progress.add_task("closed-loop runs", total=total)
        for r in reps:
            for policy in policies:
                progress.update(task, description=f"replication {r + 1}, {policy}")
                t = time.perf_counter()
                result = loop.simulate(
                    scenario, policy, first.plan, seed=args.seed, replanner=replanner,
                    replication=r, solver=first.solver, problem=first.problem,
                )  # fmt: skip
                k = result.kpis
                row: dict[str, Any] = {
                    "policy": policy,
                    "replication": r,
                    "seed": args.seed,
                    "days": args.days,
                    "orders": len(scenario.orders),
                    "operations": n_ops,
                    "plan_seconds": round(plan_seconds, 2),
                    "replan_time_limit": args.replan_time,
                    "on_time_rate": k.on_time_rate,
                    "tardiness_total": k.tardiness_total,
                    "makespan": k.makespan,
                    "unfinished": result.execution.unfinished,
                    "machine_changed": (result.reschedule or {}).get("machine_changed", 0),
                    "replans": result.replans,
                    "seconds": round(time.perf_counter() - t, 2),
                }
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                progress.advance(task)


def _fmt(mean: float | None, half: float | None, digits: int = 0, scale: float = 1.0) -> str:
    if mean is None:
        return "-"
    text = f"{mean * scale:,.{digits}f}"
    return text if half is None else f"{text} ± {half * scale:,.{digits}f}"


def table(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in Path(args.file).read_text().splitlines() if line]
    by_policy: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_policy[row["policy"]].append(row)
    print(
        "| policy | replications | on-time rate | total tardiness (min) | makespan (min) "
        "| replans per run | ops moved per replan | ops changing machine | replan s median "
        "| replan s p95 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for policy, runs in by_policy.items():
        keys = ("on_time_rate", "tardiness_total", "makespan")
        ci = kpi_ci95([{k: r[k] for k in keys} for r in runs])
        mean = {k: statistics.fmean(r[k] for r in runs) for k in keys}
        replans = [p for r in runs for p in r["replans"]]
        seconds = [p["solve_seconds"] for p in replans]
        moved = statistics.fmean(p["moved"] for p in replans) if replans else 0.0
        share = statistics.fmean(r["machine_changed"] / r["operations"] for r in runs)
        on_time = _fmt(mean["on_time_rate"], ci["on_time_rate"], 1, 100)
        print(
            f"| `{policy}` | {len(runs)} | {on_time} % "
            f"| {_fmt(mean['tardiness_total'], ci['tardiness_total'])} "
            f"| {_fmt(mean['makespan'], ci['makespan'])} "
            f"| {len(replans) / len(runs):.1f} | {moved:.1f} | {share * 100:.1f} % "
            f"| {statistics.median(seconds) if seconds else 0:.2f} "
            f"| {float(np.percentile(seconds, 95)) if seconds else 0:.2f} |"
        )
    first = rows[0]
    print(
        f"\n{first['orders']} orders ({first['operations']} operations, released in the first "
        f"{first['days']} days), seed {first['seed']}, replans auto {first['replan_time_limit']} s "
        f"on one worker; ± is the 95 % Student-t half-width over replications."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="run the comparison, appending JSON lines")
    p.add_argument("--days", type=float, default=5.0, help="orders released in the first D days")
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--first", type=int, default=0, help="first replication (to add runs)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--policies", default="none,periodic:480,on-event")
    p.add_argument("--plan-time", type=float, default=5.0, help="first plan, auto, seconds")
    p.add_argument("--replan-time", type=float, default=0.5, help="each replan, seconds")
    p.add_argument("--out", required=True)
    t = sub.add_parser("table", help="markdown table of a JSON-lines file")
    t.add_argument("file")
    args = parser.parse_args()
    run(args) if args.cmd == "run" else table(args)


if __name__ == "__main__":
    main()
