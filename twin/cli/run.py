"""``twin run``: plan (or dispatch) and simulate a scenario, print the KPIs, write the
run folder (``summary.json``, ``events.csv``, ``schedule.csv``) for ``twin report``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.interrupt import Interrupted, stop_on_sigint
from twin.cli.options import (
    check_replications,
    check_seed,
    check_time_limit,
    check_workers,
    max_bytes,
)
from twin.kpi.labels import CLI_KEYS, KPI_LABELS

if TYPE_CHECKING:  # the CLI imports the simulation lazily: `twin --help` stays fast
    from twin.run import Run
    from twin.scenario import Scenario


def _fmt(value: Any, unit: str, time_unit: str, half: Any = None) -> str:
    """``12.5 %``, ``3.46``, ``2.76 ± 0.06`` (``half``: a 95 % CI half-width); a value
    the same in every replication (half-width 0) is shown alone, a count without
    decimals."""
    if value is None or isinstance(value, dict | list | str):
        return "n/a"
    if half is not None and float(half) == 0.0:
        half = None  # a constant over the replications, not an estimate
    if unit == "" and float(value).is_integer() and half is None:
        return f"{int(value):,}"
    if unit == "%":
        text = f"{100 * float(value):.1f}"
        return f"{text} ± {100 * float(half):.1f} %" if half is not None else f"{text} %"
    suffix = f" {time_unit if unit == 't' else unit}" if unit else ""
    text = f"{float(value):,.2f}"
    return f"{text} ± {float(half):,.2f}{suffix}" if half is not None else f"{text}{suffix}"


def kpi_table(summary: dict[str, Any]) -> Table:
    """The KPI table ``twin run`` prints (mean ± 95 % CI half-width when replicated:
    ``summary["kpis"]`` holds the means, ``summary["kpis_ci95"]`` the half-widths)."""
    kpis, unit = summary["kpis"], summary["time_unit"]
    ci95 = summary.get("kpis_ci95") or {}
    reps = summary["replications"]
    title = f"{summary['scenario']} (seed {summary['seed']}"
    title += f", {reps} replications, mean ± 95 % CI)" if reps > 1 else ")"
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for row in CLI_KEYS:
        key = row.strip()
        label, kind = KPI_LABELS[key]
        if key in kpis and (kpis[key] is not None or key not in _SHOWN_IF_DEFINED):
            indent = row[: len(row) - len(key)]
            table.add_row(indent + label, _fmt(kpis[key], kind, unit, ci95.get(key)))
    meets = kpis.get("nc_rate_equipment_meets_threshold")
    if meets is not None:
        threshold = kpis.get("nc_rate_threshold") or 0.7
        verdict = "meets" if meets else "below"
        table.add_row(f"数控化率 target {100 * float(threshold):.0f} %", verdict)
    return table


# KPIs that exist only for some shops (a dated 等价值 coefficient, operators)
_SHOWN_IF_DEFINED = (
    "primary_energy_kgce", "labour_hours_per_good_part", "operator_utilisation",
    "plan_adherence", "start_delay_mean",
)  # fmt: skip


def _run_with_progress(
    spec: Scenario, n: int, seed: int | None, method: str | None, time_limit: float | None,
    workers: int | None, console: Console, quiet: bool,
) -> list[Run]:  # fmt: skip
    """:func:`twin.run.replicate` under live progress: the kernel warm-up (outside the
    solver's time limit), the planning phase with its incumbent, then the replications.
    Ctrl-C while planning asks the solver to stop; later it stops the simulation."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from twin.run import KERNEL_METHODS, choose_method, replicate

    how, _ = choose_method(spec, method)
    limit = spec.run.time_limit if time_limit is None else time_limit
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TimeElapsedColumn())  # fmt: skip
    with (
        Progress(*columns, console=console, transient=True, disable=quiet) as progress,
        stop_on_sigint(solving=how is not None) as sigint,
    ):
        if how in KERNEL_METHODS:
            from scheduler.warmup import warmup

            task = progress.add_task("compiling the search kernels (numba, cached after)")
            warmup()
            progress.remove_task(task)
        label = f"planning: {how}, time limit {limit:g} s"
        solving = progress.add_task(label, total=None, visible=how is not None)
        reps = progress.add_task(f"{spec.name}: simulating", total=n, start=False, visible=False)

        def incumbent(value: float, seconds: float) -> None:
            progress.update(solving, description=f"{label}, best {value:,.0f} at {seconds:.1f} s")

        started: list[bool] = []

        def advance(done: float, total: int) -> None:
            if not started:  # the first call comes once the plan is ready
                started.append(True)
                sigint.solving = False
                progress.update(solving, visible=False)
                progress.update(reps, visible=True)
                progress.start_task(reps)
            current = min(int(done) + 1, total)
            progress.update(reps, completed=done, description=f"replication {current}/{total}")

        return replicate(
            spec, n, seed, method=method, time_limit=time_limit, workers=workers,
            on_progress=advance, on_solution=incumbent, stop=sigint.event,
        )  # fmt: skip


def _run_rescheduled(
    spec: Scenario, scenario: Path, folder: Path, n: int, seed: int | None, method: str | None,
    time_limit: float | None, workers: int | None, reschedule: str, replan_limit: float,
    console: Console, quiet: bool,
) -> None:  # fmt: skip
    """``twin run --reschedule``: closed-loop replications (:mod:`twin.live.loop`)."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from twin.live import loop
    from twin.live.replan import Replanner
    from twin.run import choose_method

    policy = loop.parse_policy(reschedule)
    how, rule = choose_method(spec, method)
    if how is None:
        raise CliError(
            f"--reschedule needs a plan to reschedule: scheduling {rule!r} dispatches "
            "online (add --method auto, tabu or cpsat)"
        )
    run_seed = spec.run.seed if seed is None else seed
    replanner = Replanner(method=how, time_limit=replan_limit, seed=run_seed, workers=workers)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"planning, then {n} closed-loop run(s) ({policy})", total=n)
        runs = loop.replicate(
            spec, policy, n, seed, method=how, time_limit=time_limit, replanner=replanner,
            workers=workers, on_progress=lambda done, _: progress.update(task, completed=done),
        )  # fmt: skip
    summary = loop.write_run_rescheduled(folder, runs, scenario)
    if not quiet:
        Console().print(kpi_table(summary))
        replans = sum(len(r.replans or []) for r in runs)
        console.print(f"{policy}: {replans} replans over {n} run(s)")
        console.print(f"wrote {folder}/: summary.json, events.csv, schedule.csv, replans.csv")


@app.command("run")
def run_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    replications: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default runs/<stem>).")] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="cpsat | auto | tabu | dispatch, or a rule: spt lpt mwkr mor edd "
            "fifo random ect (default: the scenario's run.scheduling)."
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver seconds (default: scenario's).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Solver cores (default: all).")] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write the HTML report (report.html).")
    ] = False,
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="Largest scenario file read, MB (16).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress, no table.")] = False,
    reschedule: Annotated[
        str | None,
        typer.Option(
            help="Closed loop: none | periodic:N | on-event[:D]. The live twin hears the "
            "simulated shop's MES events and replans as the policy says (writes replans.csv; "
            "needs a solver method)."
        ),
    ] = None,
    replan_time_limit: Annotated[
        float,
        typer.Option("--replan-time-limit", help="Solver seconds per replan (--reschedule)."),
    ] = 1.0,
) -> None:
    """Plan and simulate a scenario; print its KPIs and write the run folder."""
    from twin.errors import RunInterrupted
    from twin.run import SOLVER_METHODS, write_run
    from twin.runs.write import check_run_folder
    from twin.scenario import load_scenario
    from twin.sim.execute import RULES

    check_replications(replications)
    if time_limit is not None:
        check_time_limit(time_limit)
    check_seed(seed)
    check_workers(workers)
    if method is not None and method not in (*SOLVER_METHODS, *RULES):
        raise CliError(
            f"--method {method!r}: expected one of {', '.join((*SOLVER_METHODS, *RULES))}"
        )
    folder = out if out is not None else Path("runs") / scenario.stem
    check_run_folder(folder)
    spec = load_scenario(scenario, max_bytes(max_size))
    n = spec.run.replications if replications is None else replications
    console = Console(stderr=True, quiet=quiet)
    if reschedule is not None:
        check_time_limit(replan_time_limit, "--replan-time-limit")
        _run_rescheduled(
            spec, scenario, folder, n, seed, method, time_limit, workers, reschedule,
            replan_time_limit, console, quiet,
        )  # fmt: skip
        return
    try:
        runs = _run_with_progress(spec, n, seed, method, time_limit, workers, console, quiet)
    except RunInterrupted as exc:
        if not exc.finished:
            raise Interrupted(f"{exc.stage}; nothing finished, nothing written") from None
        write_run(folder, exc.finished, scenario)
        done = len(exc.finished)
        raise Interrupted(
            f"{exc.stage}; wrote the {done} finished replication{'s' if done > 1 else ''} "
            f"to {folder}/"
        ) from None
    solver = runs[0].solver
    if solver.get("status") not in ("online", "given") and not quiet:
        console.print(
            f"plan: {solver['method']} {solver['status']}, makespan {solver['makespan']}, "
            f"lower bound {solver['lower_bound']}, {solver['solve_seconds']:.1f} s"
        )
    summary = write_run(folder, runs, scenario)
    written = "summary.json, events.csv, schedule.csv"
    if report:
        from twin.plot.report import write_report

        with console.status("writing the HTML report ..."):
            write_report(folder, folder / "report.html")
        written += ", report.html"
    if not quiet:
        Console().print(kpi_table(summary))
        for warning in summary.get("warnings", []):
            console.print(f"[yellow]warning:[/] {warning}")
        fast = summary["kpis"].get("performance_above_one") or []
        if fast:
            console.print(
                f"[yellow]warning:[/] faster than nominal by over 5 %: {', '.join(fast)} "
                "(check their cycle times; docs/KPIS.md)"
            )
        console.print(f"wrote {folder}/: {written}")
