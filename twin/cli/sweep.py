"""``twin sweep``: every point of a sweep file x its replications, in parallel, resumable;
and the comparison report behind ``twin report --compare``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.interrupt import Interrupted
from twin.cli.options import check_out_file, check_workers, max_bytes

if TYPE_CHECKING:  # pandas and the simulation load inside the command
    from twin.experiments import SweepResult

__all__ = ["compare_report", "summary_table"]

#: The KPIs the command prints per point (the report and summary.csv have them all).
SHOWN = (
    ("throughput_per_hour", "parts/h", 1.0),
    ("lead_time_mean", "lead time h", 1.0 / 60.0),
    ("nc_rate_equipment", "数控化率 %", 100.0),
    ("labour_hours", "labour h", 1.0),
    ("energy_kwh_per_part", "kWh/part", 1.0),
)


def _pm(mean: float, half: float) -> str:
    """``6.05 ± 0.09``: the half-width to two significant digits, the mean alike."""
    if not math.isfinite(mean):
        return ""
    if not (math.isfinite(half) and half > 0):
        return f"{mean:,.2f}"
    decimals = max(0, 1 - math.floor(math.log10(half)))
    return f"{mean:,.{decimals}f} ± {half:,.{decimals}f}"


def summary_table(result: SweepResult) -> Table:
    """Per point: cost and the headline KPIs as mean ± 95 % CI (lead time in hours)."""
    from twin.scenario.durations import UNIT_SECONDS

    per_hour = UNIT_SECONDS.get(result.time_unit, 60.0) / 3600.0
    table = Table(title=f"{result.name} (mean ± 95 % CI; baseline {result.baseline})")
    table.add_column("point", no_wrap=True)
    table.add_column("cost", justify="right")
    for _, label, _ in SHOWN:
        table.add_column(label, justify="right")
    stats = {(r["point"], r["kpi"]): r for r in result.summary.to_dict("records")}
    for p in result.points.to_dict("records"):
        cost = "" if not math.isfinite(p["cost"]) else f"{p['cost']:,.0f}"
        cells = [str(p["point"]), cost]
        for kpi, _, factor in SHOWN:
            scale = per_hour if kpi == "lead_time_mean" else factor
            row = stats.get((p["point"], kpi))
            cells.append("" if row is None else _pm(row["mean"] * scale, row["ci95"] * scale))
        if p["status"] != "done":
            cells[2] = str(p["status"])
        table.add_row(*cells)
    return table


@app.command("sweep")
def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder (default runs/<stem>).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel workers (processes).")] = 1,
    executor: Annotated[
        str,
        typer.Option(help="local (processes), dask (a LocalCluster) or dask://HOST:PORT."),
    ] = "local",
    batch: Annotated[
        int | None, typer.Option(help="Replications per task (default: balanced).")
    ] = None,
    report: Annotated[bool, typer.Option(help="Write report.html in the folder.")] = True,
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="Largest sweep/scenario file read, MB.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress, no table.")] = False,
) -> None:
    """Run a sweep: points x replications with common random numbers; writes
    results.csv, summary.csv, differences.csv, points.csv and report.html. Finished
    points are kept: run it again to resume."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from twin.errors import RunInterrupted
    from twin.experiments import SweepProgress, check_executor, load_sweep, run_sweep
    from twin.experiments.executors import import_distributed
    from twin.experiments.store import check_sweep_folder

    check_workers(workers)
    if check_executor(executor) != "local":
        import_distributed()  # before the progress bar: a missing extra is one line
    if batch is not None and batch < 1:
        raise CliError(f"--batch must be >= 1, got {batch}")
    folder = out if out is not None else Path("runs") / sweep_file.stem
    check_sweep_folder(folder)
    sweep = load_sweep(sweep_file, max_bytes(max_size))
    console = Console(stderr=True, quiet=quiet)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"{sweep.name}: starting {executor} x {workers}", total=None)

        def show(p: SweepProgress) -> None:
            failed = f", {len(p.failed)} failed" if p.failed else ""
            reused = f", {p.points_reused} reused" if p.points_reused else ""
            bar.update(
                task,
                total=p.replications_total,
                completed=p.replications_done,
                description=f"points {p.points_done}/{p.points_total}{reused}{failed} · "
                "replications",
            )

        try:
            result = run_sweep(
                sweep, folder, workers=workers, executor=executor, batch=batch, report=report,
                on_progress=show,
            )  # fmt: skip
        except RunInterrupted as exc:
            done = len(exc.finished)
            raise Interrupted(
                f"{exc.stage}; kept {done} finished point{'s' if done != 1 else ''} in "
                f"{folder}/ (run the same command to resume)"
            ) from None
    if not quiet:
        Console().print(summary_table(result))
        for name in result.failed:
            error = result.points.set_index("point").at[name, "error"]
            console.print(f"[red]failed:[/] {name}: {str(error).splitlines()[0]}")
        written = "results.csv, summary.csv, differences.csv, points.csv"
        console.print(f"wrote {folder}/: {written}" + (", report.html" if report else ""))
    if result.failed:
        raise typer.Exit(1)


def compare_report(folders: list[Path], out: Path | None, baseline: str | None) -> Path:
    """``twin report --compare``: the comparison report of run and sweep folders."""
    from twin.experiments import compare_folders, write_sweep_report

    for folder in folders:
        if not folder.is_dir():
            raise CliError(f"{folder}: not a folder (expected a run or sweep folder)")
    target = out if out is not None else Path("comparison.html")
    if target.suffix.lower() != ".html":
        raise CliError(f"--out {target}: the report is HTML, expected a .html file name")
    check_out_file(target)
    result = compare_folders(folders, baseline=baseline)
    return write_sweep_report(result, target, title=f"Comparison 方案对比 — {result.name}")
