"""``twin schedule``: solve one FJSP instance (``.fjs`` or JSON) and show the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.interrupt import Interrupted, stop_on_sigint
from twin.cli.options import (
    check_out_file,
    check_seed,
    check_solver_options,
    check_workers,
    max_bytes,
)
from twin.runs.write import atomic_file, write_schedule_csv

OUT_SUFFIXES = (".csv", ".json")


@app.command("schedule")
def schedule_command(
    path: Annotated[Path, typer.Argument(help="Instance file: FJSPLIB .fjs or JSON.")],
    method: Annotated[str, typer.Option(help="auto | cpsat | tabu | dispatch")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds.")] = 10.0,
    workers: Annotated[int | None, typer.Option(help="Cores (default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for every random choice.")] = 0,
    objective: Annotated[
        str, typer.Option(help="makespan | tardiness | weighted | lexicographic")
    ] = "makespan",
    out: Annotated[Path | None, typer.Option(help="Write the schedule: x.csv or x.json.")] = None,
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="Largest instance file read, MB (64).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress.")] = False,
) -> None:
    """Solve a flexible job-shop instance and print a summary table. Ctrl-C stops the
    solver: its best schedule so far is still written to --out."""
    import scheduler

    check_out_file(out, OUT_SUFFIXES)
    check_solver_options(method, time_limit)
    check_seed(seed)
    check_workers(workers)
    limit = {} if max_size is None else {"max_bytes": max_bytes(max_size)}
    data = scheduler.read_instance(path, **limit)
    console = Console(stderr=True, quiet=quiet)
    if method in scheduler.KERNEL_METHODS:
        # Compile (or load from numba's cache) before the solver's clock starts.
        from scheduler.warmup import warmup

        with console.status("compiling the search kernels ..."):
            warmup()
    with (
        console.status(f"solving {data.name or path.name} with {method} ...") as status,
        stop_on_sigint() as sigint,
    ):

        def on_solution(value: float, elapsed: float) -> None:
            status.update(
                f"solving {path.name} with {method}: incumbent {value:g} at {elapsed:.1f}s"
            )

        result = scheduler.solve(
            data,
            method,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            objective=objective,
            on_solution=on_solution,
            stop=sigint.event,
        )
    _print_summary(path, data, result)
    if out is not None and result.schedule is not None:
        _write(out, path, data, result)
    if sigint.event.is_set():
        kept = "no schedule found yet"
        if result.schedule is not None:
            kept = f"best so far: makespan {result.makespan}"
            kept += f", written to {out}" if out is not None else " (not written: no --out)"
        raise Interrupted(f"the {method} solve was stopped; {kept}")
    if result.schedule is None:
        raise CliError(
            f"no schedule: {result.status.value}: {result.message or 'no solution found'}"
        )


def _write(out: Path, path: Path, data: object, result: object) -> None:
    """The schedule as CSV rows, or as JSON with its problem (for ``twin plot``)."""
    from scheduler import ProblemData, Result

    assert isinstance(data, ProblemData) and isinstance(result, Result)
    assert result.schedule is not None
    rows = result.schedule.to_rows(data)
    if out.suffix.lower() == ".csv":
        with atomic_file(out, newline="") as fh:
            write_schedule_csv(fh, rows)
        return
    payload = {"instance": str(path), **result.to_dict(), "rows": rows}
    payload["problem"] = data.to_dict()
    with atomic_file(out) as fh:
        fh.write(json.dumps(payload, ensure_ascii=False, indent=1))


def _print_summary(path: Path, data: object, result: object) -> None:
    from scheduler import ProblemData, Result

    assert isinstance(data, ProblemData) and isinstance(result, Result)
    table = Table(title=f"twin schedule {path.name}", show_header=False)
    table.add_column("field")
    table.add_column("value", justify="right")
    lb = "-" if result.lower_bound is None else f"{result.lower_bound:g}"
    rows = [
        ("instance", data.name or path.stem),
        ("jobs", str(data.num_jobs)),
        ("machines", str(data.num_machines)),
        ("operations", str(data.num_ops)),
        ("method", result.method),
        ("status", result.status.value),
        ("makespan", "-" if result.makespan is None else str(result.makespan)),
        ("proven lower bound", lb),
        ("build s", f"{result.build_seconds:.2f}"),
        ("solve s", f"{result.solve_seconds:.2f}"),
    ]
    if result.objective_name != "makespan" and result.objective is not None:
        rows.append((f"objective ({result.objective_name})", f"{result.objective:g}"))
    for key, value in rows:
        table.add_row(key, value)
    Console().print(table)
