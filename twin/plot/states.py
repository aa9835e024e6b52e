"""What the machines and the orders did over time: state timeline, utilisation, WIP, lead time.

Every function takes frames from :mod:`twin.runs.read` and returns a ``go.Figure`` with a
bounded number of traces (one per state, product or series), whatever the run length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twin.plot.style import (
    MAX_LEGEND_GROUPS,
    STATE_COLORS,
    STATE_LABELS,
    STATE_ORDER,
    base_layout,
    group_colors,
    time_axis,
)

__all__ = [
    "lead_time_histogram",
    "state_shares",
    "state_timeline",
    "utilisation_bars",
    "wip_throughput",
]


def _ordered_states(states: Sequence[str]) -> list[str]:
    """Known states in the fixed order, then any unknown ones (drawn grey) alphabetically."""
    known = [s for s in STATE_ORDER if s in set(states)]
    return known + sorted(set(states) - set(STATE_ORDER))


def _order(intervals: pd.DataFrame, first: Sequence[str]) -> list[str]:
    present = set(intervals["station"].unique())
    seen = dict.fromkeys(s for s in first if s in present)
    seen.update(dict.fromkeys(sorted(present)))
    return list(seen)


def state_timeline(
    intervals: pd.DataFrame,
    *,
    station_order: Sequence[str] = (),
    time_unit: str = "min",
    title: str = "Machine states 设备状态时间线",
    max_bars: int = 20_000,
    bins: int = 1500,
) -> go.Figure:
    """One row per station unit, coloured by state (fixed colours), one trace per state.

    Idle time is drawn as one background bar per unit (from its first to its last logged
    instant) under the other states: the same picture with far fewer shapes. Beyond
    ``max_bars`` other intervals the timeline is drawn at a fixed resolution instead
    (:func:`_binned_traces`: ``bins`` time bins, each showing the state with the most
    time in it), so long runs open in seconds; the subtitle says so.
    """
    order = _order(intervals, station_order)
    horizon = float(intervals["end"].max()) if len(intervals) else 0.0
    height = max(300, 120 + 26 * len(order))
    if int((intervals["state"] != "idle").sum()) > max_bars:
        fig = go.Figure(_binned_traces(intervals, order, bins, time_unit))
        fig.update_yaxes(autorange="reversed")
        # white lines between the units' rows, over the image (a heatmap with gaps
        # would be painted brick by brick at screen size, about twice as slow)
        fig.update_layout(shapes=[_row_gap(k + 0.5) for k in range(len(order) - 1)])
        time_axis(fig, time_unit, horizon)
        step = (horizon - float(intervals["start"].min())) / bins
        note = f"<br><sup>{len(intervals):,} intervals shown as {bins:,} bins of {step:,.1f} "
        note += f"{time_unit}: each bin in the state with most time in it</sup>"
        return base_layout(fig, title + note, height=height)
    traces = []
    if (intervals["state"] == "idle").any():
        span = intervals.groupby("station", sort=False).agg(
            start=("start", "min"), end=("end", "max")
        )
        traces.append(
            go.Bar(
                name=STATE_LABELS["idle"],
                y=span.index.to_numpy(),
                x=(span["end"] - span["start"]).to_numpy(),
                base=span["start"].to_numpy(),
                orientation="h",
                width=0.7,
                marker={"color": STATE_COLORS["idle"], "line": {"width": 0}},
                hovertemplate="%{y}: idle where no other state is drawn<extra></extra>",
            )
        )
    for state in _ordered_states(intervals["state"].unique().tolist()):
        if state == "idle":
            continue
        sub = intervals[intervals["state"] == state]
        traces.append(
            go.Bar(
                name=STATE_LABELS.get(state, state),
                y=sub["station"].to_numpy(),
                x=(sub["end"] - sub["start"]).to_numpy(),
                base=sub["start"].to_numpy(),
                orientation="h",
                width=0.7,
                marker={"color": STATE_COLORS.get(state, "#999999"), "line": {"width": 0}},
                hovertemplate=(
                    f"{state}<br>%{{y}}<br>%{{base:,.1f}} → +%{{x:,.1f}} {time_unit}<extra></extra>"
                ),
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    time_axis(fig, time_unit, horizon)
    return base_layout(fig, title, height=height)


def _row_gap(y: float) -> dict[str, object]:
    """A white line across the plot at ``y`` (a category axis: between two rows)."""
    line = {"color": "white", "width": 4}
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y, "line": line}


def _binned_traces(
    intervals: pd.DataFrame, order: Sequence[str], bins: int, time_unit: str
) -> list[go.BaseTraceType]:
    """A heatmap of the majority state per (unit, time bin), plus legend swatches.

    Time in a state up to ``t`` is piecewise linear in ``t`` (slope 1 inside that state's
    intervals), so its value at every bin edge is one ``np.interp``; differences give
    the time per bin. One image instead of tens of thousands of bars: evenly spaced
    bins and no gaps between rows, so the browser draws one pixel per bin and scales
    the image (plotly's fast path). ``z`` is the state's code (0: no log in the bin);
    ``meta["ztext"]`` names the codes, so the report can leave the per-cell hover
    texts out of the page and have its loader rebuild them (:mod:`twin.plot.report_js`).
    """
    states = _ordered_states(intervals["state"].unique().tolist())
    t0, t1 = float(intervals["start"].min()), float(intervals["end"].max())
    edges = np.linspace(t0, t1, bins + 1)
    row = {s: i for i, s in enumerate(order)}
    per = np.zeros((len(order), len(states), bins))
    for (station, state), g in intervals.groupby(["station", "state"], sort=False):
        g = g.sort_values("start")
        start, end = g["start"].to_numpy(), g["end"].to_numpy()
        before = np.concatenate([[0.0], np.cumsum(end - start)[:-1]])
        x = np.column_stack([start, end]).ravel()
        y = np.column_stack([before, before + end - start]).ravel()
        per[row[str(station)], states.index(str(state))] = np.diff(np.interp(edges, x, y))
    z = (per.argmax(axis=1) + 1).astype(np.uint8)
    z[per.sum(axis=1) <= 0] = 0  # no log for this unit in this bin: transparent
    k = len(states)
    scale: list[list[float | str]] = []
    for i, fill in enumerate(["rgba(0,0,0,0)", *(STATE_COLORS.get(s, "#999999") for s in states)]):
        scale += [[max(0.0, (i - 0.5) / k), fill], [min(1.0, (i + 0.5) / k), fill]]
    names = np.asarray(["no log", *states], dtype=object)
    heat = go.Heatmap(
        x=0.5 * (edges[:-1] + edges[1:]),  # evenly spaced: still the fast path
        y=list(order),
        z=z,
        zmin=0,
        zmax=k,
        colorscale=scale,
        showscale=False,
        text=names[z],
        meta={"ztext": names.tolist()},
        hovertemplate=f"%{{y}}<br>%{{x:,.0f}} {time_unit}: mostly %{{text}}<extra></extra>",
    )
    swatches = [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=STATE_LABELS.get(s, s),
            marker={"symbol": "square", "size": 12, "color": STATE_COLORS.get(s, "#999999")},
        )
        for s in states
    ]
    return [heat, *swatches]


def state_shares(intervals: pd.DataFrame) -> pd.DataFrame:
    """Share of each unit's logged time per state (rows: units, columns: states; sum 1)."""
    dur = intervals.assign(d=intervals["end"] - intervals["start"])
    table = dur.pivot_table(
        index="station", columns="state", values="d", aggfunc="sum", fill_value=0.0
    )
    table = table[_ordered_states(list(table.columns))]
    total = table.sum(axis=1).replace(0.0, np.nan)
    return table.div(total, axis=0).fillna(0.0)


def utilisation_bars(
    intervals: pd.DataFrame,
    *,
    station_order: Sequence[str] = (),
    title: str = "Utilisation by state 设备利用率",
) -> go.Figure:
    """A stacked 100 % bar per station unit: how its time split between states."""
    shares = state_shares(intervals)
    order = [s for s in _order(intervals, station_order) if s in shares.index]
    shares = shares.reindex(order)
    traces = [
        go.Bar(
            name=STATE_LABELS.get(state, state),
            y=shares.index.to_numpy(),
            x=(100.0 * shares[state]).to_numpy(),
            orientation="h",
            marker={"color": STATE_COLORS.get(state, "#999999")},
            text=[f"{v:.0f}%" if v >= 6 else "" for v in 100.0 * shares[state]],
            textposition="inside",
            textfont={"size": 12},
            insidetextanchor="middle",
            hovertemplate=f"%{{y}}<br>{state}: %{{x:.1f}} %<extra></extra>",
        )
        for state in shares.columns
    ]
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="share of time [%]", range=[0, 100])
    return base_layout(fig, title, height=max(300, 120 + 26 * len(order)))


def wip_throughput(
    series: pd.DataFrame, *, time_unit: str = "min", title: str = "WIP and throughput 在制品与产出"
) -> go.Figure:
    """Work in progress (left axis) and cumulative finished lots (right axis), as steps."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    t = series["time"].to_numpy()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=series["wip"].to_numpy(),
            name="WIP 在制品 (lots)",
            line_shape="hv",
            line={"color": "#0072b2"},
            fill="tozeroy",
            fillcolor="rgba(0,114,178,0.15)",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=series["finished"].to_numpy(),
            name="finished 完工 (lots, cumulative)",
            line_shape="hv",
            line={"color": "#e69f00", "width": 2.5},
        ),
        secondary_y=True,
    )
    time_axis(fig, time_unit, float(t.max()) if len(t) else 0.0)
    fig.update_yaxes(title_text="WIP [lots]", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text="finished [lots]",
        rangemode="tozero",
        secondary_y=True,
        showgrid=False,
        tickmode="auto",  # not synced to the WIP grid: whole lots, round ticks
        tickformat=",d",
    )
    return base_layout(fig, title, height=380)


def lead_time_histogram(
    lead: pd.DataFrame, *, time_unit: str = "min", title: str = "Lead time 生产周期分布"
) -> go.Figure:
    """Lead-time distribution (stacked per product when few), with mean and 95th percentile."""
    values = lead["lead_time"].to_numpy(dtype=float)
    products = sorted(lead["product"].astype(str).unique())
    fig = go.Figure()
    if 1 < len(products) <= MAX_LEGEND_GROUPS:
        colors = group_colors(products)
        for p in products:
            sub = lead[lead["product"].astype(str) == p]["lead_time"].to_numpy(dtype=float)
            fig.add_trace(
                go.Histogram(
                    x=sub,
                    name=p,
                    marker_color=colors[p],
                    xbins=_bins(values),
                    hovertemplate="%{x}: %{y} lots",
                )
            )
        fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    else:
        fig.add_trace(
            go.Histogram(x=values, name="lots", marker_color="#0072b2", xbins=_bins(values))
        )
    if len(values):
        for x, label, dash in (
            (float(values.mean()), "mean", "solid"),
            (float(np.percentile(values, 95)), "p95", "dash"),
        ):
            fig.add_vline(
                x=x,
                line={"color": "#333333", "dash": dash, "width": 1.5},
                annotation_text=f"{label} {x:,.0f}",
                annotation_position="top right",
            )
    fig.update_xaxes(title_text=f"lead time (finish − release) [{time_unit}]")
    fig.update_yaxes(title_text="lots")
    return base_layout(fig, title, height=380)


def _bins(values: np.ndarray) -> dict[str, float]:
    """Shared bins for every product (so stacked bars line up): ~30 bins over the range."""
    if len(values) == 0:
        return {}
    lo, hi = float(values.min()), float(values.max())
    size = max((hi - lo) / 30.0, 1e-9) if hi > lo else 1.0
    return {"start": lo, "end": hi + size, "size": size}
