"""``twin report`` (offline HTML report of a run folder) and ``twin plot`` (one figure).

``twin plot`` draws a ``twin schedule --out x.json`` result (the JSON carries the
problem; otherwise ``--instance FILE``), a schedule CSV with ``--instance``, or one
named figure of a run folder. ``.html`` output embeds plotly.js (works offline);
``.png``/``.svg`` need the optional kaleido extra.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.options import check_out_file
from twin.runs.write import atomic_file

if TYPE_CHECKING:  # plotly loads inside the commands: `twin --help` stays fast
    import plotly.graph_objects as go

IMAGE_SUFFIXES = (".png", ".svg")
PLOT_SUFFIXES = (".html", *IMAGE_SUFFIXES)
IMAGE_EXTRA = 'pip install "shopfloor-twin[image]"'


@app.command("report")
def report_command(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="Output folder of 'twin run' (with --compare: run or sweep folders)."),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RUN_DIR/report.html).")
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Compare the folders side by side (default --out comparison.html).",
        ),
    ] = False,
    baseline: Annotated[
        str | None, typer.Option(help="With --compare: the point to compare against.")
    ] = None,
) -> None:
    """Write one self-contained HTML report (KPIs, Gantt, states, OEE) that works offline."""
    from twin.plot.report import write_report

    if compare:
        from twin.cli.sweep import compare_report

        path = compare_report(run_dirs, out, baseline)
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        return
    if len(run_dirs) != 1:
        raise CliError(
            f"expected one run folder, got {len(run_dirs)} (to compare folders: --compare)"
        )
    run_dir = run_dirs[0]
    if not run_dir.is_dir():
        raise CliError(f"{run_dir}: not a run folder (expected the output folder of 'twin run')")
    target = out if out is not None else run_dir / "report.html"
    if target.suffix.lower() != ".html":
        raise CliError(f"--out {target}: the report is HTML, expected a .html file name")
    check_out_file(target)
    path = write_report(run_dir, target)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("plot")
def plot_command(
    source: Annotated[
        Path,
        typer.Argument(
            help="schedule.json from 'twin schedule --out', a schedule CSV, or a 'twin run' folder."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="x.html, x.png or x.svg.")],
    instance: Annotated[
        Path | None, typer.Option(help="Instance (.fjs/.json) when the schedule lacks the problem.")
    ] = None,
    figure: Annotated[
        str,
        typer.Option(
            help="Figure of a run folder: kpi gantt states utilisation wip "
            "lead_time oee oee_stations."
        ),
    ] = "gantt",
    mode: Annotated[
        str, typer.Option(help="Gantt of a run: plan 'overlay' on the actual bars, or 'stacked'.")
    ] = "overlay",
    color_by: Annotated[str, typer.Option("--color-by", help="Gantt colours: product or job.")] = (
        "product"
    ),
) -> None:
    """Draw a schedule (or one figure of a run) as HTML, PNG or SVG."""
    if mode not in ("overlay", "stacked"):
        raise CliError(f"--mode {mode!r}: expected overlay or stacked")
    if color_by not in ("product", "job"):
        raise CliError(f"--color-by {color_by!r}: expected product or job")
    if out.suffix.lower() not in PLOT_SUFFIXES:
        raise CliError(f"--out {out}: expected a .html, .png or .svg file name")
    check_out_file(out)
    if out.suffix.lower() in IMAGE_SUFFIXES and importlib.util.find_spec("kaleido") is None:
        raise CliError(f"--out {out}: PNG/SVG export needs kaleido: {IMAGE_EXTRA}")
    if not source.exists():
        raise CliError(f"{source}: no such file or folder")
    if source.is_dir():
        fig = _run_figure(source, figure, mode, color_by)
    else:
        fig = _schedule_figure(source, instance)
    _write(fig, out)
    typer.echo(f"wrote {out}")


def _run_figure(run_dir: Path, name: str, mode: str, color_by: str) -> go.Figure:
    from twin.plot import FIGURE_NAMES, run_figures
    from twin.runs.read import read_run

    if name not in FIGURE_NAMES:
        raise CliError(f"--figure {name!r}: expected one of {', '.join(FIGURE_NAMES)}")
    figures = run_figures(
        read_run(run_dir),
        (name,),
        gantt_mode="stacked" if mode == "stacked" else "overlay",
        color_by="job" if color_by == "job" else "product",
    )
    if not figures:
        raise CliError(f"{run_dir}: no data for figure {name!r}")
    return figures[0].figure


def _schedule_figure(path: Path, instance: Path | None) -> go.Figure:
    import scheduler
    from scheduler.limits import read_text_capped
    from twin.plot import schedule_gantt

    if path.suffix.lower() == ".csv":
        payload = _csv_payload(path)
    else:
        try:
            payload = json.loads(read_text_capped(path))
        except json.JSONDecodeError as exc:
            raise CliError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise CliError(f"{path}: invalid JSON: nested too deeply") from None
        if not isinstance(payload, dict) or "schedule" not in payload:
            raise CliError(
                f"{path}: expected the JSON of 'twin schedule --out x.json' "
                "(an object with a 'schedule' field)"
            )
    if instance is not None:
        data = scheduler.read_instance(instance)
    elif isinstance(payload.get("problem"), dict):
        data = scheduler.read_json(path)  # the strict reader checks the embedded problem
    else:
        raise CliError(f"{path}: the schedule does not include the problem; pass --instance FILE")
    if payload["schedule"] is None:
        raise CliError(f"{path}: no schedule ({payload.get('status', 'unknown')}): nothing to plot")
    fields = payload["schedule"]
    for key in ("machine", "start", "end"):
        values = fields.get(key) if isinstance(fields, dict) else None
        if not isinstance(values, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            raise CliError(f"{path}: field 'schedule.{key}': expected a list of integers")
    try:
        sched = scheduler.Schedule.from_dict(payload["schedule"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CliError(f"{path}: field 'schedule': {exc}") from None
    if len(sched) != data.num_ops:
        raise CliError(
            f"{path}: the schedule has {len(sched)} operations but the instance "
            f"{data.name or instance} has {data.num_ops}"
        )
    outside = [o for o, m in enumerate(sched.machine) if not 0 <= m < data.num_machines]
    if outside:
        o = outside[0]
        raise CliError(
            f"{path}: operation {o}: machine {sched.machine[o]} outside 0..{data.num_machines - 1}"
        )
    backwards = [o for o in range(len(sched)) if sched.end[o] < sched.start[o]]
    if backwards:
        o = backwards[0]
        raise CliError(f"{path}: operation {o}: end {sched.end[o]} before start {sched.start[o]}")
    status = " · ".join(str(payload[k]) for k in ("method", "status") if payload.get(k))
    title = f"Schedule 排产 {data.name}: makespan {sched.makespan}" + (
        f" ({status})" if status else ""
    )
    return schedule_gantt(data, sched, title=title)


def _csv_payload(path: Path) -> dict[str, Any]:
    """``job,operation,machine,start,end`` rows in operation order -> a schedule payload."""
    import pandas as pd

    from twin.runs.read import RunDirError, validate_plan

    try:
        rows = validate_plan(pd.read_csv(path), str(path))
    except (RunDirError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CliError(str(exc)) from None
    rows = rows.sort_values(["job", "operation"], kind="stable")
    return {"schedule": {k: rows[k].tolist() for k in ("machine", "start", "end")}}


def _write(fig: go.Figure, out: Path) -> None:
    if out.suffix.lower() == ".html":
        # Explicit UTF-8: Chinese labels must survive a Windows locale.
        page = fig.to_html(
            include_plotlyjs=True, full_html=True, config={"displaylogo": False, "responsive": True}
        )
        with atomic_file(out, encoding="utf-8") as fh:
            fh.write(page)
        return
    try:
        image = fig.to_image(
            format=out.suffix.lower()[1:],
            width=1400,
            height=max(500, int(fig.layout.height or 500)),
        )
    except Exception as exc:  # kaleido failures (no Chrome, ...) are environment problems
        raise CliError(f"--out {out}: image export failed: {exc}") from None
    with atomic_file(out, "wb") as fh:
        fh.write(image)
