"""The twin against queueing theory: every case of ``tests/twin/test_queueing.py``.

M/M/1, M/G/1 (Pollaczek-Khinchine), M/M/c (Erlang C), a tandem Jackson line, Little's
law and availability under failures on operating time: each case is replicated with
independent seeds and its estimates compared with the analytic values; prints the
markdown table of ``benchmarks/RESULTS.md``. Run from the checkout::

    python benchmarks/queueing.py                       # each case's own reps and horizon
    python benchmarks/queueing.py --reps 5 --horizon 50000 --cases mm1,mmc

``--reps`` and ``--horizon`` (minutes) override every case's defaults, which are the
slow tests' own, so the table shows what ``pytest -m slow`` checks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "twin"))  # the cases and measurements live with the tests

import test_queueing as cases  # noqa: E402


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True)
    return out.stdout.decode().strip()


def _provenance() -> str:
    """The commit the run starts from, and whether the simulated code differs from it."""
    dirty = _git("status", "--porcelain", "--", "twin", "models")
    return _git("rev-parse", "--short", "HEAD") + (
        " plus uncommitted changes in twin/ or models/" if dirty else ""
    )


def _row(out: cases.Outcome, i: int, reps: int, horizon: float, seconds: float) -> str:
    case = out.case
    mean, half = out.interval(i)
    theory = case.theory[i]
    error = (mean - theory) / theory
    inside = "yes" if out.inside(i) else "**no**"
    return (
        f"| {case.name}: {case.labels[i]} | {case.parameters}; {reps} x {horizon:,.0f} min "
        f"| {theory:.4f} | {mean:.4f} ± {half:.4f} | {error:+.2%} | {inside} | {seconds:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, help="replications per case (default: the case's)")
    parser.add_argument("--horizon", type=float, help="minutes per run (default: the case's)")
    parser.add_argument("--seed", type=int, default=cases.SEED)
    parser.add_argument("--cases", default=",".join(cases.CASES), help="comma-separated keys")
    args = parser.parse_args()
    keys = args.cases.split(",")
    unknown = [k for k in keys if k not in cases.CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; expected some of {', '.join(cases.CASES)}")
    if args.reps is not None and args.reps < 2:
        parser.error(f"--reps must be >= 2 for a confidence interval, got {args.reps}")
    if args.horizon is not None and args.horizon <= cases.WARMUP + cases.TAIL:
        parser.error(f"--horizon must exceed warm-up + tail ({cases.WARMUP + cases.TAIL:g} min)")

    provenance = _provenance()  # before the runs: the code they simulate is loaded by now
    rows: list[str] = []
    little: list[float] = []
    total = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True) as progress:
        overall = progress.add_task("cases", total=len(keys))
        for key in keys:
            case = cases.CASES[key]
            reps = case.reps if args.reps is None else args.reps
            horizon = case.horizon if args.horizon is None else args.horizon
            task = progress.add_task(f"{case.name}", total=reps)

            def advance(done: float, _total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done)

            t0 = time.perf_counter()
            out = cases.run_case(case, reps, horizon, args.seed, on_progress=advance)
            seconds = time.perf_counter() - t0
            little += out.little
            rows += [_row(out, i, reps, horizon, seconds) for i in range(len(case.labels))]
            progress.remove_task(task)
            progress.advance(overall)
    worst = max(little, key=abs)
    print(f"Commit {provenance}, seed {args.seed}, {time.perf_counter() - total:.0f} s in all.\n")
    print("| case | parameters; runs | theory | twin mean ± 95 % CI | rel. error | inside CI "
          "| runtime |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"\nLittle's law on all {len(little)} runs: worst |WIP / (TH x LT) - 1| = {abs(worst):.3%}"
    )


if __name__ == "__main__":
    main()
