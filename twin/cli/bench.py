"""``twin bench``: run a method over a benchmark family and compare with best-known bounds."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.options import check_out_file, check_seed, check_solver_options, check_workers
from twin.runs.write import atomic_file


def _parse_seeds(text: str) -> list[int]:
    """``"0"``, ``"0,1,2"`` or ``"0-2"``: at least one seed, each a valid solver seed."""
    expected = f"--seeds {text!r}: expected e.g. '0', '0,1,2' or '0-2' (LO <= HI)"
    parts = text.split("-")
    try:
        if len(parts) == 2:
            lo, hi = int(parts[0]), int(parts[1])
            if lo > hi or hi - lo >= 10_000:
                raise CliError(expected + (", at most 10000 seeds" if lo <= hi else ""))
            seeds = list(range(lo, hi + 1))
        else:
            seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise CliError(expected) from None
    if not seeds:
        raise CliError(expected)
    for s in seeds:
        check_seed(s, "--seeds")
    return seeds


@app.command("bench")
def bench_command(
    family: Annotated[str, typer.Option(help="Benchmark family folder, e.g. brandimarte.")],
    method: Annotated[str, typer.Option(help="auto | cpsat | tabu | dispatch")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per solve.")] = 30.0,
    workers: Annotated[int | None, typer.Option(help="Cores per solve (default: all).")] = None,
    seeds: Annotated[str, typer.Option(help="Seeds: '0', '0,1,2' or '0-2'.")] = "0",
    instances: Annotated[
        str | None, typer.Option(help="Comma-separated subset, e.g. mk01,mk02.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Benchmark folder (default ../shared/fjsp).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="CSV file for the results.")] = None,
) -> None:
    """Solve every instance of a family and report the gap to the best-known makespan."""
    import scheduler
    from scheduler.benchmark import COLUMNS, mean_gap, run_benchmark, select_instances

    check_solver_options(method, time_limit)
    check_workers(workers)
    check_out_file(out, (".csv",))
    seed_list = _parse_seeds(seeds)
    root = scheduler.fjsp_dir(data)
    if not (root / "bounds.csv").is_file():
        raise CliError(f"no benchmark data in {root} (set --data or SHOPFLOOR_FJSP_DIR)")
    names = [s.strip() for s in instances.split(",")] if instances else None
    total = len(select_instances(family, names, root)) * len(seed_list)
    if method in scheduler.KERNEL_METHODS:
        from scheduler.warmup import warmup  # compile kernels before any timed solve

        warmup()
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: do not cut the table to 80 columns
        console = Console(width=120)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task(f"{family} / {method}", total=total)
        rows = run_benchmark(
            family,
            method,
            time_limit=time_limit,
            workers=workers,
            seeds=seed_list,
            instances=names,
            root=root,
            on_start=lambda inst, seed: progress.update(
                task, description=f"{family} / {method}: {inst} seed {seed}"
            ),
            on_row=lambda row: progress.advance(task),
        )
    table = Table(title=f"{family}: {method}, {time_limit:g} s, {workers or 'all'} workers")
    for col in (
        "instance",
        "seed",
        "status",
        "makespan",
        "lower bound",
        "best known",
        "gap %",
        "build s",
        "solve s",
    ):
        table.add_column(col, justify="left" if col == "instance" else "right")
    for r in rows:
        table.add_row(
            r.instance,
            str(r.seed),
            r.status,
            "-" if r.makespan is None else str(r.makespan),
            "-" if r.lower_bound is None else f"{r.lower_bound:g}",
            "-" if r.best_known is None else str(r.best_known),
            "-" if r.gap_pct is None else f"{r.gap_pct:.2f}",
            f"{r.build_s:.2f}",
            f"{r.solve_s:.2f}",
        )
    console.print(table)
    gap = mean_gap(rows)
    console.print(f"mean gap to best known: {'-' if gap is None else f'{gap:.2f} %'}")
    if out is not None:
        with atomic_file(out, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            writer.writeheader()
            for r in rows:
                writer.writerow(r.as_dict())
