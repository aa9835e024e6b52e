"""Scale: ``auto`` vs ``cpsat`` on generated 2,000- and 10,000-operation instances.

Each solve runs in its own process so its peak resident memory (``ru_maxrss``) is its
own. Prints one JSON line per run: makespan, seconds to the first feasible schedule,
peak RSS. Run from the checkout::

    python benchmarks/scale_memory.py --time 60 --workers 2 > /tmp/scale.jsonl
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"gen100x20x20": (100, 20, 20), "gen500x40x20": (500, 40, 20)}  # 2,000 / 10,000 ops


def measure(data: Any, method: str, seconds: float, workers: int, **options: Any) -> dict[str, Any]:
    """Solve ``data`` once in this process (kernels compiled and OR-Tools imported
    first, so neither counts); the row: status, makespan, first solution, wall
    seconds, whether the checker accepts the schedule, the process's peak RSS.
    ``benchmarks/scale_limits.py`` measures its points with it too."""
    sys.path.insert(0, str(ROOT))
    import scheduler.cpsat  # noqa: F401  (OR-Tools' import is start-up, not solving)
    from scheduler import check, solve
    from scheduler.warmup import warmup

    warmup()
    first: list[float] = []
    t0 = time.perf_counter()
    res = solve(
        data,
        method,
        time_limit=seconds,
        workers=workers,
        seed=0,
        on_solution=lambda _v, t: first.append(t) if not first else None,
        **options,
    )
    wall = time.perf_counter() - t0
    feasible = res.schedule is not None and not check(data, res.schedule)
    return {
        "ops": data.num_ops,
        "method": method,
        "time_limit": seconds,
        "status": res.status.value,
        "makespan": res.makespan,
        "lower_bound": res.lower_bound,
        "first_solution_s": round(first[0], 3) if first else None,
        "wall_s": round(wall, 2),
        "build_s": round(res.build_seconds, 2),
        "feasible": feasible,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(name: str, method: str, seconds: float, workers: int) -> None:
    """One solve in this process; prints its row with the process's peak RSS."""
    sys.path.insert(0, str(ROOT))
    from scheduler.generate import generate

    jobs, machines, ops = SIZES[name]
    data = generate(jobs, machines, ops_per_job=ops, flexibility=(1, 4), seed=0)
    print(json.dumps({"instance": name, **measure(data, method, seconds, workers)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--methods", default="auto,cpsat")
    parser.add_argument("--child", nargs=2, metavar=("INSTANCE", "METHOD"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.time, args.workers)
        return
    for name in SIZES:
        for method in args.methods.split(","):
            cmd = [sys.executable, __file__, "--time", str(args.time), "--workers",
                   str(args.workers), "--child", name, method]  # fmt: skip
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
