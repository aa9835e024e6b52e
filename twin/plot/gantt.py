"""Gantt charts: plan vs actual by machine, and a bare scheduler result.

Bars are horizontal ``go.Bar`` traces with ``base=start`` and ``x=duration``: ONE trace
per colour group (product or job), never one per bar, so a 10,000-operation run stays
a handful of traces. Beyond :data:`MAX_LEGEND_GROUPS` groups (e.g. colour by job on a
big run) all bars share one trace with a per-bar colour array.

An operation paused by the end of a shift or a breakdown is drawn as one piece per
working stretch (:mod:`twin.plot.pauses`); every piece's hover names the whole
operation with its clock times, duration, plan and due date (:mod:`twin.plot.gantt_hover`).
Off-shift time is one heatmap band under the bars, setups are hatched beside them,
breakdowns drawn over them. Beyond :data:`~twin.plot.gantt_fast.MAX_SVG_BARS` bars the
chart carries a level-of-detail switch (:mod:`twin.plot.gantt_fast`): the report shows
an overview and draws only the bars of the zoomed window, so a long run opens and
zooms quickly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scheduler import ProblemData, Schedule
from twin.plot.gantt_fast import MAX_SVG_BARS, band_traces, lod_meta, lod_overview, rgba
from twin.plot.gantt_hover import (
    ACTUAL_TEMPLATE,
    PLAN_TEMPLATE,
    actual_hover,
    clock_texts,
    job_labels,
    plan_hover,
    with_plan_times,
)
from twin.plot.pauses import split_at_pauses
from twin.plot.style import (
    MAX_LEGEND_GROUPS,
    STATE_COLORS,
    base_layout,
    duration_text,
    group_colors,
    time_axis,
)

__all__ = ["gantt", "schedule_frame", "schedule_gantt"]

GanttMode = Literal["overlay", "stacked"]
_LABEL_BARS = 400  # label bars with their job up to this many bars


def _group_key(frame: pd.DataFrame, color_by: str, job_names: Sequence[str] | None) -> pd.Series:
    if color_by == "product" and "product" in frame and (frame["product"] != "").any():
        return frame["product"].astype(str)
    return pd.Series(job_labels(frame["job"].to_numpy(), job_names), index=frame.index)


def _groups(
    frame: pd.DataFrame, color_by: str, job_names: Sequence[str] | None
) -> tuple[pd.Series, list[str], dict[str, str]]:
    """Each bar's colour group, the groups in legend order and their colours."""
    key = _group_key(frame, color_by, job_names)
    if color_by == "job":  # J2 before J10: job order, not string order
        groups = list(dict.fromkeys(key.iloc[np.argsort(frame["job"].to_numpy(), kind="stable")]))
    else:
        groups = sorted(key.unique())
    return key, groups, group_colors(groups)


def _layer(
    frame: pd.DataFrame,
    color_by: str,
    job_names: Sequence[str] | None,
    customdata: np.ndarray,
    *,
    layer: Literal["actual", "plan"],
    width: float,
    outline: bool = True,
) -> list[go.Bar]:
    """Bars of one layer: per-group traces, or one trace with per-bar colours. ``meta``
    tags the layer (actual / plan / shade:<state>) for tests, callers and the report's
    level-of-detail switch."""
    if frame.empty:
        return []
    key, groups, colors = _groups(frame, color_by, job_names)
    per_bar = key.map(colors).to_numpy()
    many = len(groups) > MAX_LEGEND_GROUPS
    if layer == "plan":
        template, name = PLAN_TEMPLATE, "plan 计划"
    else:
        template, name = ACTUAL_TEMPLATE, f"actual 实际 ({len(groups)} {color_by}s)"
    common: dict[str, Any] = {"orientation": "h", "hovertemplate": template, "meta": layer}
    if layer == "actual" and len(frame) <= _LABEL_BARS:
        # Few bars: name the job inside each bar (hidden where it does not fit).
        common |= {
            "texttemplate": "%{customdata[0]}",
            "textposition": "inside",
            "insidetextanchor": "middle",
            "textangle": 0,
            "textfont": {"size": 11},
        }
    # A hairline between adjacent bars keeps back-to-back operations apart.
    edge = {"color": "white", "width": 0.6 if len(frame) <= 2000 else 0}
    y, base = frame["station"].to_numpy(), frame["start"].to_numpy()
    x = (frame["end"] - frame["start"]).to_numpy()
    if layer == "plan":
        # overlay: hollow outline boxes, wider than the bars they frame;
        # stacked (plan on its own axis): translucent filled bars
        marker = (
            {"color": "rgba(255,255,255,0)", "line": {"color": per_bar, "width": 1.6}}
            if outline
            else {"color": per_bar, "opacity": 0.55, "line": edge}
        )
        bar = go.Bar(
            name=name, y=y, x=x, base=base, customdata=customdata, marker=marker,
            width=0.8 if outline else width, legendgroup="plan", legendrank=900, **common,
        )  # fmt: skip
        return [bar]
    if many:
        return [
            go.Bar(
                name=name, y=y, x=x, base=base, customdata=customdata,
                marker={"color": per_bar, "line": edge}, width=width, **common,
            )
        ]  # fmt: skip
    traces = []
    for g in groups:
        mask = (key == g).to_numpy()
        traces.append(
            go.Bar(
                name=str(g), y=y[mask], x=x[mask], base=base[mask], customdata=customdata[mask],
                marker={"color": colors[g], "line": edge}, width=width, legendgroup=str(g),
                **common,
            )
        )  # fmt: skip
    return traces


# The see-through is in the fill colour, not marker.opacity, which plotly's legend
# swatch ignores: the swatch then looks like the bars it names.
_SHADES = (  # state, label, hatch, hatch colour, bar width (None: the bars'), fill alpha
    ("down", "breakdown 故障", "x", "#7f1010", 1.0, 0.45),
    # white with dark hatching: no product colour looks like it
    ("setup", "setup 换型", "/", "#3e4c59", None, 1.0),
)


def _shade_traces(
    shading: pd.DataFrame | None,
    limit: int,
    bar_width: float,
    *,
    time_unit: str,
    start: datetime | None,
) -> tuple[list[go.Bar], list[str]]:
    """Breakdowns as full-height hatched bars, setups as hatched bars beside the
    operations (one trace per state).

    A state with more than ``limit`` intervals is left out of the SVG chart (and named
    in the second return value): the state timeline shows it, and the Gantt stays
    quick to open.
    """
    if shading is None or shading.empty:
        return [], []
    out: list[go.Bar] = []
    omitted = []
    for state, label, pattern, ink, share, alpha in _SHADES:
        sub = shading[shading["state"] == state]
        if sub.empty:
            continue
        if len(sub) > limit:
            omitted.append(f"{label} ({len(sub):,} intervals)")
            continue
        width = bar_width if share is None else share
        t0, t1 = sub["start"].to_numpy(dtype=float), sub["end"].to_numpy(dtype=float)
        data = np.column_stack(
            [
                clock_texts(t0, time_unit, start),
                clock_texts(t1, time_unit, start),
                [duration_text(float(d), time_unit) for d in t1 - t0],
            ]
        )
        hover = f"{label}<br>%{{y}}<br>%{{customdata[0]}} → %{{customdata[1]}} "
        hover += "(%{customdata[2]})<extra></extra>"
        out.append(
            go.Bar(
                name=label,
                y=sub["station"].to_numpy(),
                x=t1 - t0,
                base=t0,
                orientation="h",
                width=width,
                customdata=data,
                marker={
                    "color": "#ffffff" if state == "setup" else rgba(STATE_COLORS[state], alpha),
                    "line": {"width": 0},
                    "pattern": {"shape": pattern, "fgcolor": ink, "size": 6, "solidity": 0.25},
                },
                legendrank=950,
                meta=f"shade:{state}",
                hovertemplate=hover,
            )
        )
    return out, omitted


def _station_order(frames: Sequence[pd.DataFrame | None], first: Sequence[str]) -> list[str]:
    seen = dict.fromkeys(first)
    for f in frames:
        if f is not None and not f.empty:
            seen.update(dict.fromkeys(sorted(f["station"].astype(str).unique())))
    return list(seen)


def gantt(
    actual: pd.DataFrame | None,
    plan: pd.DataFrame | None = None,
    *,
    shading: pd.DataFrame | None = None,
    color_by: Literal["product", "job"] = "product",
    mode: GanttMode = "overlay",
    station_order: Sequence[str] = (),
    job_names: Sequence[str] | None = None,
    time_unit: str = "min",
    start: datetime | None = None,
    title: str = "Gantt by machine 设备甘特图: plan vs actual",
    max_shading: int = 5000,
    split: bool = True,
    lod: bool | None = None,
) -> go.Figure:
    """Gantt by machine of executed (``actual``) and/or planned operations.

    Parameters
    ----------
    actual, plan
        Frames with ``station, job, operation, start, end`` (+ ``product``, ``setup``,
        ``op_name``, ``due``), as from :func:`twin.runs.frames.operation_intervals` /
        :func:`~twin.runs.frames.plan_intervals`. With both, each executed operation's
        hover also gives its planned times.
    shading
        ``station, state, start, end`` rows: ``off`` and ``planned_down`` are one band
        under the bars, ``setup`` rows drawn beside the operations, ``down`` rows over
        them (setups and breakdowns up to ``max_shading`` each, unless ``lod``).
    mode
        ``overlay``: plan as outlined boxes around the actual bars (drift is visible
        at a glance); ``stacked``: plan above, actual below, shared time axis.
    start
        The scenario's start: hover times read as weekday, date and clock.
    split
        Draw each executed operation as one piece per working stretch, cut where
        ``shading`` shows its unit off shift, down or in planned downtime
        (:func:`twin.plot.pauses.split_at_pauses`; a frame that already has a
        ``piece`` column is drawn as it is).
    lod
        Add the level-of-detail switch (:mod:`twin.plot.gantt_fast`): an overview image
        and ``layout.meta["lod"]``, with which the report draws only the bars of the
        visible time window. Default: beyond ``MAX_SVG_BARS`` bars.
    """
    if mode not in ("overlay", "stacked"):
        raise ValueError(f"mode must be 'overlay' or 'stacked', got {mode!r}")
    if color_by not in ("product", "job"):
        raise ValueError(f"color_by must be 'product' or 'job', got {color_by!r}")
    order = _station_order([actual, plan, shading], station_order)
    if actual is not None and shading is not None and split and "piece" not in actual:
        actual = split_at_pauses(actual, shading)
    if actual is not None and plan is not None:
        actual = with_plan_times(actual, plan)
    n_bars = sum(len(f) for f in (actual, plan) if f is not None)
    if shading is not None:
        n_bars += int(shading["state"].isin(["setup", "down"]).sum())
    lod = n_bars > MAX_SVG_BARS if lod is None else lod
    bar_width = 0.5 if plan is not None and mode == "overlay" else 0.7
    band, omitted = band_traces(shading, order) if shading is not None else ([], [])
    limit = n_bars if lod else max_shading  # culled by the switch: nothing to leave out
    shade, more = _shade_traces(shading, limit, bar_width, time_unit=time_unit, start=start)
    omitted += more
    if omitted:
        title += f"<br><sup>not shaded here (see the state timeline): {', '.join(omitted)}</sup>"
    act = (
        _layer(
            actual, color_by, job_names,
            actual_hover(actual, job_names, time_unit=time_unit, start=start),
            layer="actual", width=bar_width,
        )
        if actual is not None
        else []
    )  # fmt: skip
    pln = (
        _layer(
            plan, color_by, job_names,
            plan_hover(plan, job_names, time_unit=time_unit, start=start), layer="plan",
            width=0.8 if mode == "overlay" else 0.7, outline=mode == "overlay",
        )
        if plan is not None
        else []
    )  # fmt: skip
    overview: list[go.Heatmap] = []
    if lod and actual is not None and not actual.empty:
        key, _, colors = _groups(actual, color_by, job_names)
        overview = [lod_overview(actual, key.map(colors).tolist(), order)]
        title += (
            f"<br><sup>{n_bars:,} bars: the whole run shows which {color_by} each unit "
            f"worked on; zoom in to a window of at most {MAX_SVG_BARS:,} bars to see each "
            "operation, setup and breakdown</sup>"
        )
    # off shift, overview and setups under the operations, breakdowns on top (they cut them)
    under = [*band, *overview, *(t for t in shade if t.meta == "shade:setup")]
    over = [t for t in shade if t.meta != "shade:setup"]
    height = max(320, 120 + 28 * len(order))
    if mode == "overlay" or plan is None or actual is None:
        fig = go.Figure([*under, *pln, *act, *over])
    else:
        fig = make_subplots(
            rows=2,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.08,
            subplot_titles=("plan 计划", "actual 实际"),
        )
        for t in [*(go.Heatmap(b) for b in band if b.type == "heatmap"), *pln]:
            fig.add_trace(t, row=1, col=1)
        for t in [*under, *act, *over]:
            fig.add_trace(t, row=2, col=1)
        height = 2 * height - 80
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    fig.update_layout(barmode="overlay", bargap=0.2, uniformtext={"minsize": 9, "mode": "hide"})
    ends = [f["end"].max() for f in (actual, plan, shading) if f is not None and not f.empty]
    time_axis(fig, time_unit, float(max(ends, default=0.0)))
    base_layout(fig, title, height=height)
    if "<br>" in title:  # a subtitle: room for it above the legend
        fig.update_layout(margin={"t": 135})
    if mode == "stacked" and plan is not None and actual is not None:
        fig.update_xaxes(title_text=None, row=1, col=1)  # one time title, at the bottom
        fig.update_layout(margin={"t": 150 if "<br>" in title else 120})
        for ann in fig.layout.annotations:  # subplot titles: left, bold, clear of the legend
            ann.update(x=0, xanchor="left", font={"size": 14})
    if overview:
        fig.update_layout(meta={"lod": lod_meta(fig)})
    return fig


def schedule_frame(data: ProblemData, schedule: Schedule) -> pd.DataFrame:
    """A bare scheduler result as ``station, job, operation, product, start, end, setup``.

    ``setup`` is the sequence-dependent setup the plan leaves before each operation on
    its machine (``data.setup[m, previous family, family]``; none before the first).
    """
    if len(schedule) != data.num_ops:
        raise ValueError(
            f"schedule has {len(schedule)} operations but the problem has {data.num_ops}"
        )
    machine = schedule.machine
    setup = np.zeros(data.num_ops)
    if data.has_setups:
        for seq in schedule.machine_sequences(data.num_machines):
            for prev, op in itertools.pairwise(seq):
                m = machine[op]
                setup[op] = data.setup[m, data.op_family[prev], data.op_family[op]]
    job = data.op_job
    return pd.DataFrame(
        {
            "station": np.asarray(data.machine_names, dtype=object)[machine],
            "job": job,
            "operation": np.arange(data.num_ops) - data.job_op_ptr[job],
            "product": "",
            "start": schedule.start.astype(float),
            "end": schedule.end.astype(float),
            "setup": setup,
        }
    )


def schedule_gantt(
    data: ProblemData, schedule: Schedule, *, time_unit: str = "time units", title: str = ""
) -> go.Figure:
    """Gantt of a scheduler result without a twin run: coloured by job, windows shaded."""
    frame = schedule_frame(data, schedule)
    windows = [
        (data.machine_names[m], "off", float(s), float(e))
        for m in range(data.num_machines)
        for s, e in data.windows(m)
    ]
    shading = pd.DataFrame(windows, columns=["station", "state", "start", "end"])
    label = title or f"Schedule 排产 {data.name or ''}: makespan {schedule.makespan}".strip()
    return gantt(
        frame,
        None,
        shading=shading,
        color_by="job",
        station_order=data.machine_names,
        job_names=data.job_names,
        time_unit=time_unit,
        title=label,
    )
