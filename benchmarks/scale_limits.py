"""Scale limits: the largest instance each method solves within 1 s, 10 s and 60 s.

A point passes when the solve returns a schedule the checker accepts, with a wall time
(model building included) of at most the limit plus ``TOLERANCE``. Instances are
``scheduler.generate.generate(jobs, 10)`` (5-10 operations per job, 1-3 eligible
machines: ``twin generate --machines 10``), sizes doubling in operations. A sweep per
method and limit stops at its first failure; a longer limit starts from the largest
size the shorter one passed (it can only do better), and ``--max-points`` caps the
points per sweep (the 60 s column). Each solve runs in its own process (wall time and
peak RSS as in ``benchmarks/scale_memory.py``, whose ``measure`` it reuses); kernels
are compiled and OR-Tools imported before the clock starts. Run from the checkout::

    python benchmarks/scale_limits.py run --limits 1,10 --out /tmp/scale_limits.jsonl
    python benchmarks/scale_limits.py run --limits 60 --max-points 3 --out /tmp/scale_limits.jsonl
    python benchmarks/scale_limits.py table /tmp/scale_limits.jsonl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.scale_memory import measure

METHODS = ("dispatch", "tabu", "auto", "cpsat")
OPS_PER_JOB = 7.5  # the mean of generate's default 5-10
MACHINES = 10
SMALLEST = 1000  # operations of the first point
LARGEST = 2**20  # about a million operations: the sweep never goes beyond
WORKERS = 2


def tolerance(limit: float) -> float:
    """Seconds past the limit that still pass: 0.2 s plus 2 % (1.22 s, 10.4 s, 61.4 s)."""
    return 0.2 + 0.02 * limit


def sizes(start: int = SMALLEST) -> list[int]:
    """Operation counts doubling from ``start`` up to ``LARGEST``."""
    out = []
    ops = start
    while ops <= LARGEST:
        out.append(ops)
        ops *= 2
    return out


def child(ops: int, method: str, limit: float) -> None:
    """One point in this process: print its row."""
    from scheduler.generate import generate

    data = generate(max(1, round(ops / OPS_PER_JOB)), MACHINES, seed=0)
    try:
        row = measure(data, method, limit, WORKERS)
    except Exception as exc:  # an error is a result here (e.g. InstanceTooLargeError)
        row = {"ops": data.num_ops, "method": method, "time_limit": limit, "feasible": False,
               "error": f"{type(exc).__name__}: {exc}"}  # fmt: skip
    row["target_ops"] = ops
    row["passed"] = bool(row.get("feasible")) and row.get("wall_s", 1e9) <= limit + tolerance(limit)
    print(json.dumps(row), flush=True)


def point(ops: int, method: str, limit: float) -> dict[str, Any]:
    """Run one point in a child process (killed at 3 x limit + 120 s)."""
    cmd = [sys.executable, __file__, "child", str(ops), method, str(limit)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=3 * limit + 120)
    except subprocess.TimeoutExpired:
        return {"target_ops": ops, "method": method, "time_limit": limit, "passed": False,
                "error": "killed: no answer within 3 x limit + 120 s"}  # fmt: skip
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        return {"target_ops": ops, "method": method, "time_limit": limit, "passed": False,
                "error": f"exit {out.returncode}: {out.stderr.strip()[-300:]}"}  # fmt: skip
    row: dict[str, Any] = json.loads(lines[-1])
    return row


def load(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def largest(rows: list[dict[str, Any]], method: str, limit: float) -> int | None:
    """Operations of the largest passing point (of the sweep: below its first failure)."""
    mine = sorted(
        (r for r in rows if r["method"] == method and r["time_limit"] == limit),
        key=lambda r: r["target_ops"],
    )
    best = None
    for r in mine:
        if not r["passed"]:
            break
        best = r["target_ops"]
    return best


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    rows = load(out)
    limits = [float(x) for x in args.limits.split(",")]
    methods = args.methods.split(",")
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for limit in limits:
            for method in methods:
                shorter = [t for t in sorted({r["time_limit"] for r in rows}) if t < limit]
                start = SMALLEST
                if shorter:  # a longer limit does at least as well as a shorter one
                    start = largest(rows, method, shorter[-1]) or SMALLEST
                plan = sizes(start)[: args.max_points]
                task = progress.add_task(f"{method} {limit:g} s", total=len(plan))
                for ops in plan:
                    done = [
                        r for r in rows
                        if (r["method"], r["time_limit"], r["target_ops"]) == (method, limit, ops)
                    ]  # fmt: skip
                    row = done[0] if done else point(ops, method, limit)
                    if not done:
                        rows.append(row)
                        with out.open("a") as fh:
                            fh.write(json.dumps(row) + "\n")
                    mark = "ok" if row["passed"] else f"FAIL {row.get('error', '')[:80]}"
                    progress.console.print(
                        f"{method} {limit:g} s {row.get('ops', ops):>9,} ops: "
                        f"wall {row.get('wall_s', '-')} s, rss {row.get('peak_rss_mb', '-')} MB "
                        f"{mark}"
                    )
                    progress.advance(task)
                    if not row["passed"]:
                        break


def table(args: argparse.Namespace) -> None:
    rows = load(Path(args.path))
    limits = sorted({r["time_limit"] for r in rows})
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    by_key: dict[tuple[str, float], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_key[r["method"], r["time_limit"]].append(r)
    head = "| method | " + " | ".join(f"{t:g} s" for t in limits) + " |"
    print(head)
    print("|---|" + "---|" * len(limits))
    for method in methods:
        cells = []
        for limit in limits:
            mine = sorted(by_key[method, limit], key=lambda r: r["target_ops"])
            best = largest(rows, method, limit)
            fail = next((r for r in mine if not r["passed"]), None)
            cell = "-"
            if best is not None:
                ok = next(r for r in mine if r["target_ops"] == best)
                cell = f"{ok['ops']:,} ({ok['wall_s']} s, {ok['peak_rss_mb']:.0f} MB)"
            elif fail is not None:
                cell = "none"
            if fail is not None:
                why = fail.get("error") or f"{fail.get('wall_s')} s"
                cell += f"; {fail.get('ops', fail['target_ops']):,}: {_short(why)}"
            elif mine and best == mine[-1]["target_ops"]:
                cell += "; larger not tried"
            cells.append(cell)
        print(f"| {method} | " + " | ".join(cells) + " |")


def _short(why: str) -> str:
    if "InstanceTooLarge" in why:
        return "refused (too large)"
    if why.startswith("killed"):
        return "killed"
    return why if len(why) < 40 else why[:37] + "..."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="sweep sizes per method and limit (resumable)")
    p_run.add_argument("--limits", default="1,10,60")
    p_run.add_argument("--methods", default=",".join(METHODS))
    p_run.add_argument("--max-points", type=int, default=20, help="points per sweep, at most")
    p_run.add_argument("--out", required=True, help="JSON lines, appended")
    p_table = sub.add_parser("table", help="the markdown table of a sweep")
    p_table.add_argument("path")
    p_child = sub.add_parser("child")
    p_child.add_argument("ops", type=int)
    p_child.add_argument("method")
    p_child.add_argument("limit", type=float)
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    elif args.command == "table":
        table(args)
    else:
        child(args.ops, args.method, args.limit)


if __name__ == "__main__":
    main()
