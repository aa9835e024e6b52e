"""The FJSP benchmark runner behind ``twin bench``: solve every instance of a family and
compare with the best-known bounds in ``bounds.csv``."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from scheduler.fjs import read_fjs
from scheduler.instances import family_instances, fjsp_dir, read_bounds
from scheduler.solve import solve

__all__ = ["COLUMNS", "BenchRow", "mean_gap", "run_benchmark"]

COLUMNS = (
    "family",
    "instance",
    "method",
    "time_limit",
    "makespan",
    "lower_bound",
    "best_known",
    "gap_pct",
    "build_s",
    "solve_s",
    "seed",
    "status",
)


@dataclass(frozen=True)
class BenchRow:
    family: str
    instance: str
    method: str
    time_limit: float
    makespan: int | None
    lower_bound: float | None
    best_known: int | None
    gap_pct: float | None  # 100 * (makespan - best_known) / best_known
    build_s: float
    solve_s: float
    seed: int
    status: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def gap_pct(makespan: int | None, best_known: int | None) -> float | None:
    if makespan is None or not best_known:
        return None
    return 100.0 * (makespan - best_known) / best_known


def mean_gap(rows: Iterable[BenchRow]) -> float | None:
    """Mean gap over instances, taking each instance's median over seeds."""
    per: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        if row.gap_pct is not None:
            per.setdefault((row.family, row.instance), []).append(row.gap_pct)
    if not per:
        return None
    return statistics.fmean(statistics.median(v) for v in per.values())


def select_instances(family: str, names: Iterable[str] | None, root: Path | None) -> list[Path]:
    files = family_instances(family, root)
    if names:
        wanted = list(names)
        by_stem = {p.stem: p for p in files}
        missing = [n for n in wanted if n not in by_stem]
        if missing:
            raise FileNotFoundError(
                f"family {family!r} has no instance {', '.join(missing)} "
                f"(has {', '.join(sorted(by_stem))})"
            )
        return [by_stem[n] for n in wanted]
    return files


def run_benchmark(
    family: str,
    method: str = "auto",
    *,
    time_limit: float = 30.0,
    workers: int | None = None,
    seeds: Iterable[int] = (0,),
    instances: Iterable[str] | None = None,
    root: str | Path | None = None,
    on_row: Callable[[BenchRow], None] | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> list[BenchRow]:
    """Solve each instance of ``family`` once per seed; ``on_row`` sees each result."""
    folder = fjsp_dir(root)
    bounds = read_bounds(folder)
    rows = []
    for path in select_instances(family, instances, folder):
        data = read_fjs(path)
        known = bounds.get((family, path.stem))
        for seed in seeds:
            if on_start is not None:
                on_start(path.stem, seed)
            res = solve(data, method, time_limit=time_limit, workers=workers, seed=seed)
            best = known.ub if known else None
            row = BenchRow(
                family=family,
                instance=path.stem,
                method=method,
                time_limit=time_limit,
                makespan=res.makespan,
                lower_bound=res.lower_bound,
                best_known=best,
                gap_pct=gap_pct(res.makespan, best),
                build_s=round(res.build_seconds, 3),
                solve_s=round(res.solve_seconds, 3),
                seed=seed,
                status=res.status.value,
            )
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows
