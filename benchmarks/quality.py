"""Solution quality of ``auto`` against ``cpsat`` on the public FJSP benchmarks.

Run from the checkout (results are appended as JSON lines, so a sweep can be resumed
or run in pieces; ``table`` turns them into the markdown of benchmarks/RESULTS.md)::

    python benchmarks/quality.py run brandimarte --pattern 'mk0*,mk10' --time 5 \
        --seeds 3 --methods auto,cpsat --out /tmp/quality/bm_5s.jsonl
    python benchmarks/quality.py table /tmp/quality/bm_5s.jsonl
    python benchmarks/quality.py scale --time 30 --out /tmp/quality/scale.jsonl

Each run gets the whole machine's workers (``--workers``, default 2); kernels are
compiled before the first timed run. Gaps are to the best known upper bound of
``bounds.csv``; medians are over seeds.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler import read_bounds, read_fjs, solve
from scheduler.check import check
from scheduler.generate import generate
from scheduler.instances import family_instances
from scheduler.problem import ProblemData
from scheduler.warmup import warmup


def _commit() -> str:
    """The checkout's commit, recorded with every row."""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    return out.stdout.decode().strip()


COMMIT = _commit()


def _one(data: ProblemData, method: str, seconds: float, seed: int, workers: int) -> dict[str, Any]:
    first: list[float] = []
    t0 = time.perf_counter()
    res = solve(
        data, method, time_limit=seconds, workers=workers, seed=seed,
        on_solution=lambda _v, t: first.append(t) if not first else None,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    ok = res.schedule is not None and not check(data, res.schedule)
    return {
        "method": method,
        "seed": seed,
        "time_limit": seconds,
        "makespan": res.makespan,
        "lower_bound": res.lower_bound,
        "status": res.status.value,
        "wall": round(wall, 3),
        "first_solution": round(first[0], 3) if first else None,
        "feasible": ok,
        "commit": COMMIT,
    }


def run(args: argparse.Namespace) -> None:
    warmup()
    bounds = read_bounds()
    patterns = args.pattern.split(",")
    paths = [
        p
        for p in family_instances(args.family)
        if any(fnmatch.fnmatch(p.stem, x) for x in patterns)
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in paths:
        data = read_fjs(path)
        bound = bounds.get((args.family, path.stem))
        for method in args.methods.split(","):
            for seed in range(args.seeds):
                row = _one(data, method, args.time, seed, args.workers)
                row.update(
                    family=args.family, instance=path.stem, ops=data.num_ops,
                    bks=bound.ub if bound else None, best_lb=bound.lb if bound else None,
                )  # fmt: skip
                with out.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


def scale(args: argparse.Namespace) -> None:
    warmup()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sizes = [(100, 20, 10), (200, 25, 20), (500, 40, 20)]
    for jobs, machines, ops in sizes:
        data = generate(jobs, machines, ops_per_job=ops, flexibility=(1, 4), seed=0)
        for method in args.methods.split(","):
            row = _one(data, method, args.time, 0, args.workers)
            row.update(instance=f"gen{jobs}x{machines}x{ops}", ops=data.num_ops, family="generated")
            with out.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def table(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for f in args.files for line in Path(f).read_text().splitlines()]
    groups: dict[tuple[str, str, float], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in rows:
        groups[(r["family"], r["instance"], r["time_limit"])][r["method"]].append(r)
    methods = sorted({r["method"] for r in rows})
    head = "| instance | ops | BKS | " + " | ".join(
        f"{m} median (min-max) | {m} gap %" for m in methods
    )
    print(head + " |")
    print("|" + "---|" * (3 + 2 * len(methods)))
    gaps: dict[str, list[float]] = defaultdict(list)
    for (_fam, inst, _t), by_method in sorted(groups.items(), key=lambda kv: kv[0]):
        any_row = next(iter(by_method.values()))[0]
        bks = any_row.get("bks")
        cells = [inst, str(any_row["ops"]), str(bks or "-")]
        for m in methods:
            runs = by_method.get(m, [])
            vals = [r["makespan"] for r in runs if r["makespan"] is not None]
            if not vals:
                cells += ["-", "-"]
                continue
            med = statistics.median(vals)
            bad = "" if all(r["feasible"] for r in runs) else " INFEASIBLE"
            cells.append(f"{med:g} ({min(vals)}-{max(vals)}){bad}")
            if bks:
                gap = 100.0 * (med - bks) / bks
                gaps[m].append(gap)
                cells.append(f"{gap:.2f}")
            else:
                cells.append("-")
        print("| " + " | ".join(cells) + " |")
    means = ["**mean**", "", ""]
    for m in methods:
        means += ["", f"**{statistics.mean(gaps[m]):.2f}**" if gaps[m] else "-"]
    print("| " + " | ".join(means) + " |")
    if {"auto", "cpsat"} <= set(methods):
        worse = []
        for (_fam, inst, _t), by_method in sorted(groups.items(), key=lambda kv: kv[0]):
            meds = {}
            for m in ("auto", "cpsat"):
                vals = [r["makespan"] for r in by_method.get(m, []) if r["makespan"] is not None]
                meds[m] = statistics.median(vals) if vals else float("inf")
            if meds["auto"] > meds["cpsat"]:
                worse.append(f"{inst} ({meds['auto']:g} vs {meds['cpsat']:g})")
        print(f"\nauto median worse than cpsat on: {', '.join(worse) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("family")
    p.add_argument("--pattern", default="*")
    p.add_argument("--time", type=float, default=5.0)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--methods", default="auto,cpsat")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", required=True)
    s = sub.add_parser("scale")
    s.add_argument("--time", type=float, default=30.0)
    s.add_argument("--methods", default="auto,cpsat")
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    args = parser.parse_args()
    {"run": run, "scale": scale, "table": table}[args.cmd](args)


if __name__ == "__main__":
    main()
