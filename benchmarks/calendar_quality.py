"""``auto`` against ``cpsat`` on shift-calendar instances (issue 14).

Instances come from ``twin generate`` (:func:`scheduler.generate.generate`) with a
machine calendar: every machine works ``on`` units and rests ``off`` in turn, and the
operations meet the rest as ``--calendar`` says (``resume``: attended work pauses;
``mixed``: a kind per machine). Due dates make the lexicographic objective the twin
uses (weighted tardiness, then makespan) available with ``--objective``. Every
schedule is verified by the independent checker; one JSON line per run goes to
``--out`` (appended: an interrupted sweep keeps what finished) and a table to stdout::

    python benchmarks/calendar_quality.py --time 10 --seeds 3 --out cal10.jsonl
    python benchmarks/calendar_quality.py --time 60 --seeds 1 --out cal60.jsonl
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

from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler import check, solve  # noqa: E402
from scheduler.generate import generate  # noqa: E402
from scheduler.warmup import warmup  # noqa: E402

#: (jobs, machines, shift on-off): shifts shorter than the longest jobs' work, so
#: nearly every job spans rests.
SIZES = ((10, 5, (120, 60)), (20, 10, (240, 120)), (50, 10, (480, 240)))
CALENDARS = ("resume", "mixed")


def _run(
    spec: dict[str, Any], method: str, seed: int, limit: float, objective: str
) -> dict[str, Any]:
    data = generate(spec["jobs"], spec["machines"], seed=spec["instance_seed"], release=100,
                    due_factor=2.0, shift=spec["shift"], calendar=spec["calendar"])  # fmt: skip
    t0 = time.perf_counter()
    result = solve(data, method, time_limit=limit, seed=seed, workers=2, objective=objective)
    wall = time.perf_counter() - t0
    feasible = result.schedule is not None and not check(data, result.schedule)
    twt = result.schedule.total_weighted_tardiness(data) if result.schedule is not None else None
    return {**{k: v for k, v in spec.items() if k != "shift"}, "shift": list(spec["shift"]),
            "ops": data.num_ops, "windows": len(data.window_start), "method": method,
            "seed": seed, "time_limit": limit, "objective": objective,
            "makespan": result.makespan, "twt": twt, "status": str(result.status),
            "wall": round(wall, 3), "feasible": feasible}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--methods", default="auto,cpsat")
    parser.add_argument("--objective", default="makespan", choices=["makespan", "tardiness"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    warmup()
    specs = [
        {
            "jobs": j,
            "machines": m,
            "shift": shift,
            "calendar": cal,
            "instance_seed": 0,
            "instance": f"{j}x{m}_{cal}",
        }
        for j, m, shift in SIZES
        for cal in CALENDARS
    ]
    methods = args.methods.split(",")
    rows = []
    total = len(specs) * len(methods) * args.seeds
    with Progress() as bar, args.out.open("a") as out:
        task = bar.add_task("calendar instances", total=total)
        for spec in specs:
            for seed in range(args.seeds):
                for method in methods:
                    row = _run(spec, method, seed, args.time, args.objective)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    rows.append(row)
                    bar.advance(task)
    key = "makespan" if args.objective == "makespan" else "twt"
    by = defaultdict(list)
    for row in rows:
        by[(row["instance"], row["method"])].append(row[key])
    heads = " | ".join(f"{m} median {key}" for m in methods)
    print(f"\n| instance | ops | {heads} | all feasible |")
    print("|---|---|" + "---|" * len(methods) + "---|")
    for spec in specs:
        name = spec["instance"]
        ops = next(r["ops"] for r in rows if r["instance"] == name)
        cells = [str(statistics.median(by[(name, m)])) for m in methods]
        ok = all(r["feasible"] for r in rows if r["instance"] == name)
        print(f"| {name} | {ops} | {' | '.join(cells)} | {ok} |")


if __name__ == "__main__":
    main()
