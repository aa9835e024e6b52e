"""Gantt charts: plan vs actual by machine, and a bare scheduler result.

Bars are horizontal ``go.Bar`` traces with ``base=start`` and ``x=duration``: ONE trace
per colour group (product or job), never one per bar, so a 10,000-operation run stays
a handful of traces the browser draws quickly. Beyond :data:`MAX_LEGEND_GROUPS` groups
(e.g. colour by job on a big run) all bars share one trace with a per-bar colour array.
Breakdowns and off-shift time are shaded the same way (one trace each): off-shift and
setups under the operations, breakdowns over them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scheduler import ProblemData, Schedule
from twin.plot.style import (
    MAX_LEGEND_GROUPS,
    STATE_COLORS,
    base_layout,
    group_colors,
    time_axis,
)

__all__ = ["gantt", "schedule_frame", "schedule_gantt"]

GanttMode = Literal["overlay", "stacked"]
_LABEL_BARS = 400  # label bars with their job up to this many bars
_HOVER = (
    "<b>%{customdata[0]}</b> · %{customdata[1]}<br>%{y}<br>"
    "start %{customdata[2]:,.1f} → end %{customdata[3]:,.1f} (%{customdata[6]:,.1f} long)<br>"
    "setup before %{customdata[4]:,.1f}<br>%{customdata[5]}%{customdata[7]}"
    "<extra>%{fullData.name}</extra>"
)


def _customdata(frame: pd.DataFrame, job_names: Sequence[str] | None) -> np.ndarray:
    """Hover fields per bar; times rounded to 0.01 (the page stores them as JSON text).

    Optional frame columns: ``op_name`` (the routing step's name; else "op k", counted
    from 1), ``due`` (the lot's due time, shown when known)."""
    jobs = frame["job"].to_numpy()
    label = _job_labels(jobs, job_names)
    setup = frame["setup"].to_numpy() if "setup" in frame else np.zeros(len(frame))
    start = frame["start"].to_numpy(dtype=float)
    end = frame["end"].to_numpy(dtype=float)
    if "op_name" in frame:
        op = frame["op_name"].astype(str).to_numpy()
    else:
        op = np.array([f"op {k + 1}" for k in frame["operation"].to_numpy()], dtype=object)
    due = np.full(len(frame), "", dtype=object)
    if "due" in frame:
        due = np.array(
            ["" if d is None or d != d else f" · due {d:,.1f}" for d in frame["due"].to_numpy()],
            dtype=object,
        )
    return np.column_stack(
        [
            label.astype(object),
            op,
            np.round(start, 2),
            np.round(end, 2),
            np.round(setup.astype(float), 2),
            frame["product"].astype(str).to_numpy()
            if "product" in frame
            else np.full(len(frame), ""),
            np.round(end - start, 2),
            due,
        ]
    )


def _job_labels(jobs: np.ndarray, job_names: Sequence[str] | None) -> np.ndarray:
    """Job names where known (``summary["jobs"]``), else the index as text."""
    out = jobs.astype(str).astype(object)
    if job_names:
        names = np.asarray(job_names, dtype=object)
        known = (jobs >= 0) & (jobs < len(names))
        out[known] = names[jobs[known]]
    return out


def _group_key(frame: pd.DataFrame, color_by: str, job_names: Sequence[str] | None) -> pd.Series:
    if color_by == "product" and "product" in frame and (frame["product"] != "").any():
        return frame["product"].astype(str)
    return pd.Series(_job_labels(frame["job"].to_numpy(), job_names), index=frame.index)


def _bar_traces(
    frame: pd.DataFrame,
    color_by: str,
    job_names: Sequence[str] | None,
    *,
    plan: bool,
    width: float = 0.5,
    outline: bool = True,
) -> list[go.Bar]:
    """Bars of one layer: per-group traces, or one trace with per-bar colours."""
    if frame.empty:
        return []
    key = _group_key(frame, color_by, job_names)
    if color_by == "job":  # J2 before J10: job order, not string order
        groups = list(dict.fromkeys(key.iloc[np.argsort(frame["job"].to_numpy(), kind="stable")]))
    else:
        groups = sorted(key.unique())
    colors = group_colors(groups)
    # meta tags the layer (actual / plan / shade:<state>) for tests and callers.
    common: dict[str, Any] = {"orientation": "h", "hovertemplate": _HOVER, "meta": "actual"}
    if not plan and len(frame) <= _LABEL_BARS:
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
    if plan and not outline:
        # Plan on its own axis (stacked mode): translucent filled bars.
        return [
            go.Bar(
                name="plan 计划",
                y=frame["station"].to_numpy(),
                x=(frame["end"] - frame["start"]).to_numpy(),
                base=frame["start"].to_numpy(),
                customdata=_customdata(frame, job_names),
                marker={"color": key.map(colors).to_numpy(), "opacity": 0.55, "line": edge},
                width=width,
                legendgroup="plan",
                legendrank=900,
                **(common | {"meta": "plan"}),
            )
        ]
    if plan:
        # Plan over the actual bars: hollow outline boxes, wider than the bars they frame.
        return [
            go.Bar(
                name="plan 计划",
                y=frame["station"].to_numpy(),
                x=(frame["end"] - frame["start"]).to_numpy(),
                base=frame["start"].to_numpy(),
                customdata=_customdata(frame, job_names),
                marker={
                    "color": "rgba(255,255,255,0)",
                    "line": {"color": key.map(colors).to_numpy(), "width": 1.6},
                },
                width=0.8,
                legendgroup="plan",
                legendrank=900,
                **(common | {"meta": "plan"}),
            )
        ]
    if len(groups) > MAX_LEGEND_GROUPS:
        return [
            go.Bar(
                name=f"actual 实际 ({len(groups)} {color_by}s)",
                y=frame["station"].to_numpy(),
                x=(frame["end"] - frame["start"]).to_numpy(),
                base=frame["start"].to_numpy(),
                customdata=_customdata(frame, job_names),
                marker={"color": key.map(colors).to_numpy(), "line": edge},
                width=width,
                **common,
            )
        ]
    traces = []
    for g in groups:
        sub = frame[key == g]
        traces.append(
            go.Bar(
                name=str(g),
                y=sub["station"].to_numpy(),
                x=(sub["end"] - sub["start"]).to_numpy(),
                base=sub["start"].to_numpy(),
                customdata=_customdata(sub, job_names),
                marker={"color": colors[g], "line": edge},
                width=width,
                legendgroup=str(g),
                **common,
            )
        )
    return traces


def _shade_traces(
    shading: pd.DataFrame | None, limit: int, bar_width: float
) -> tuple[list[go.Bar], list[str]]:
    """Off-shift and down time as full-height translucent bars, setups as hatched bars
    beside the operations (one trace per state).

    A state with more than ``limit`` intervals is left out (and named in the second
    return value): the state timeline shows it, and the Gantt stays quick to open.
    """
    if shading is None or shading.empty:
        return [], []
    out, omitted = [], []
    styles = (  # state, label, hatch, hatch colour, bar width, opacity
        ("off", "off shift 非班次", "", "#4a5563", 1.0, 0.22),
        ("down", "breakdown 故障", "x", "#7f1010", 1.0, 0.45),
        # white with dark hatching: no product colour looks like it
        ("setup", "setup 换型", "/", "#3e4c59", bar_width, 1.0),
    )
    for state, label, pattern, ink, width, opacity in styles:
        sub = shading[shading["state"] == state]
        if sub.empty:
            continue
        if len(sub) > limit:
            omitted.append(f"{label} ({len(sub):,} intervals)")
            continue
        out.append(
            go.Bar(
                name=label,
                y=sub["station"].to_numpy(),
                x=(sub["end"] - sub["start"]).to_numpy(),
                base=sub["start"].to_numpy(),
                orientation="h",
                width=width,
                marker={
                    "color": "#ffffff" if state == "setup" else STATE_COLORS[state],
                    "opacity": opacity,
                    "line": {"width": 0},
                    "pattern": {"shape": pattern, "fgcolor": ink, "size": 6, "solidity": 0.25},
                },
                legendrank=950,
                meta=f"shade:{state}",
                hovertemplate=f"{label}<br>%{{y}}<br>%{{base:,.1f}} → +%{{x:,.1f}}<extra></extra>",
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
    title: str = "Gantt by machine 设备甘特图: plan vs actual",
    max_shading: int = 5000,
) -> go.Figure:
    """Gantt by machine of executed (``actual``) and/or planned operations.

    Parameters
    ----------
    actual, plan
        Frames with ``station, job, operation, start, end`` (+ ``product``, ``setup``),
        as from :func:`twin.runs.read.operation_intervals` / :func:`~twin.runs.read.plan_intervals`.
    shading
        ``station, state, start, end`` rows; ``down`` and ``off`` rows are shaded and
        ``setup`` rows drawn beside the operations (each up to ``max_shading``
        intervals, so a long run stays quick to open).
    mode
        ``overlay``: plan as outlined boxes around the actual bars (drift is visible
        at a glance); ``stacked``: plan above, actual below, shared time axis.
    """
    if mode not in ("overlay", "stacked"):
        raise ValueError(f"mode must be 'overlay' or 'stacked', got {mode!r}")
    if color_by not in ("product", "job"):
        raise ValueError(f"color_by must be 'product' or 'job', got {color_by!r}")
    order = _station_order([actual, plan, shading], station_order)
    bar_width = 0.5 if plan is not None and mode == "overlay" else 0.7
    shade, omitted = _shade_traces(shading, max_shading, bar_width)
    # off shift and setups under the operations, breakdowns on top (they cut them)
    under = [t for t in shade if t.meta != "shade:down"]
    over = [t for t in shade if t.meta == "shade:down"]
    if omitted:
        title += f"<br><sup>not shaded here (see the state timeline): {', '.join(omitted)}</sup>"
    act = (
        _bar_traces(actual, color_by, job_names, plan=False, width=bar_width)
        if actual is not None
        else []
    )
    pln = (
        _bar_traces(
            plan,
            color_by,
            job_names,
            plan=True,
            width=0.8 if mode == "overlay" else 0.7,
            outline=mode == "overlay",
        )
        if plan is not None
        else []
    )
    height = max(320, 120 + 28 * len(order))
    if mode == "overlay" or plan is None or actual is None:
        fig = go.Figure([*under, *pln, *act, *over])
        fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    else:
        fig = make_subplots(
            rows=2,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.08,
            subplot_titles=("plan 计划", "actual 实际"),
        )
        for t in pln:
            fig.add_trace(t, row=1, col=1)
        for t in [*under, *act, *over]:
            fig.add_trace(t, row=2, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
        height = 2 * height - 80
    fig.update_layout(barmode="overlay", bargap=0.2, uniformtext={"minsize": 9, "mode": "hide"})
    ends = [f["end"].max() for f in (actual, plan, shading) if f is not None and not f.empty]
    time_axis(fig, time_unit, float(max(ends, default=0.0)))
    base_layout(fig, title, height=height)
    if mode == "stacked" and plan is not None and actual is not None:
        fig.update_xaxes(title_text=None, row=1, col=1)  # one time title, at the bottom
        fig.update_layout(margin={"t": 120})
        for ann in fig.layout.annotations:  # subplot titles: left, bold, clear of the legend
            ann.update(x=0, xanchor="left", font={"size": 14})
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
