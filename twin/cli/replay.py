"""``twin replay``: an MES event stream through the live twin, into a run folder.

The folder is the one ``twin run`` writes (``twin report DIR`` reads it; the events are
the actuals), plus ``replans.csv`` and ``rejected.jsonl``. The logic is
:func:`twin.live.replay.replay`; this is the thin layer over it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.interrupt import Interrupted, stop_on_sigint
from twin.cli.options import check_time_limit, max_bytes


@app.command("replay")
def replay_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    events: Annotated[Path, typer.Argument(help="MES event stream (JSON lines).")],
    reschedule: Annotated[
        str,
        typer.Option(
            "--reschedule", help="When to replan: none | periodic:N (model time) | on-event."
        ),
    ] = "none",
    out: Annotated[Path | None, typer.Option(help="Run folder (default runs/<stem>-replay).")] = (
        None
    ),
    method: Annotated[
        str, typer.Option(help="Replan solver: auto | cpsat | tabu | dispatch.")
    ] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per replan.")] = 2.0,
    report: Annotated[
        bool, typer.Option("--report", help="Also write the HTML report (report.html).")
    ] = False,
    origin: Annotated[
        str | None,
        typer.Option(
            help="Wall-clock time of model time 0, ISO 8601 (default: the scenario's start; "
            "UTC without a zone)."
        ),
    ] = None,
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="Largest scenario file read, MB (16).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress, no table.")] = False,
) -> None:
    """Replay MES events through the live twin; write the run folder with the actuals."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from twin.live.policy import Policy
    from twin.live.replan import Replanner
    from twin.live.replay import read_stream, replay
    from twin.run import SOLVER_METHODS
    from twin.runs.write import check_run_folder
    from twin.scenario import load_scenario

    check_time_limit(time_limit)
    if method not in SOLVER_METHODS:
        raise CliError(f"--method {method!r}: expected one of {', '.join(SOLVER_METHODS)}")
    try:
        policy = Policy.parse(reschedule)
    except Exception as exc:  # TwinError: say which option
        raise CliError(
            f"--reschedule {reschedule!r}: {exc} (expected none, periodic:N or on-event)"
        ) from None
    start = None
    if origin is not None:
        try:
            start = datetime.fromisoformat(origin)
        except ValueError:
            raise CliError(
                f"--origin {origin!r}: expected an ISO 8601 time, e.g. 2026-01-05T06:00:00+08:00"
            ) from None
    folder = out if out is not None else Path("runs") / f"{scenario.stem}-replay"
    check_run_folder(folder)
    spec = load_scenario(scenario, max_bytes(max_size))
    stream = read_stream(events)
    console = Console(stderr=True, quiet=quiet)
    replanner = Replanner(method=method, time_limit=time_limit, seed=spec.run.seed)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, console=console, transient=True, disable=quiet) as progress,
        stop_on_sigint(solving=False),
    ):
        label = f"replaying {events.name}"
        task = progress.add_task("making the first plan", total=len(stream))

        def advance(done: int) -> None:
            if done == 0:
                progress.update(task, description=label)
            elif done % 64 == 0 or done == len(stream):
                progress.update(task, completed=done)

        result = replay(
            spec, stream, policy, replanner=replanner, origin=start, on_progress=advance
        )
    summary = result.write(folder, scenario, events)
    written = "summary.json, events.csv, schedule.csv, replans.csv, rejected.jsonl"
    if result.interrupted:
        raise Interrupted(
            f"replaying {events}; wrote the {result.read} events replayed to {folder}/"
        )
    if report:
        from twin.plot.report import write_report

        with console.status("writing the HTML report ..."):
            write_report(folder, folder / "report.html")
        written += ", report.html"
    if not quiet:
        from twin.cli.run import kpi_table

        Console().print(kpi_table(summary))
        counts = summary["replay"]
        opened = counts["open"]
        console.print(
            f"events: {counts['accepted']} accepted, {counts['duplicates']} duplicates, "
            f"{counts['rejected']} rejected ({counts['invalid_lines']} bad lines); "
            f"{counts['replans']} replans; open at {counts['clock_time']}: "
            f"{len(opened['orders_open'])} orders, "
            f"{len(opened['operations_running'])} operations running"
        )
        console.print(f"wrote {folder}/: {written}")
