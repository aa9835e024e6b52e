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
from twin.cli.options import check_out_folder, check_solver_options
from twin.runs.write import atomic_file, write_schedule_csv

OUT_SUFFIXES = (".csv", ".json")


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        raise CliError(f"--out {out}: expected a .csv or .json file name")
    check_out_folder(out)


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
    quiet: Annotated[bool, typer.Option(help="No live progress.")] = False,
) -> None:
    """Solve a flexible job-shop instance and print a summary table."""
    import scheduler

    _check_out(out)
    check_solver_options(method, time_limit)
    data = scheduler.read_instance(path)
    console = Console(stderr=True, quiet=quiet)
    if method in scheduler.KERNEL_METHODS:
        # Compile (or load from numba's cache) before the solver's clock starts.
        from scheduler.warmup import warmup

        with console.status("compiling the search kernels ..."):
            warmup()
    with console.status(f"solving {data.name or path.name} with {method} ...") as status:

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
        )
    _print_summary(path, data, result)
    if out is not None and result.schedule is not None:
        rows = result.schedule.to_rows(data)
        if out.suffix.lower() == ".csv":
            with atomic_file(out, newline="") as fh:
                write_schedule_csv(fh, rows)
        else:
            payload = {"instance": str(path), **result.to_dict(), "rows": rows}
            payload["problem"] = data.to_dict()
            with atomic_file(out) as fh:
                fh.write(json.dumps(payload, ensure_ascii=False, indent=1))
    if result.schedule is None:
        raise CliError(
            f"no schedule: {result.status.value}: {result.message or 'no solution found'}"
        )


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
