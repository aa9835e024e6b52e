"""The Gantt's fast layers: off-shift time as one image, and a level-of-detail switch.

Measured in headless Chromium (``benchmarks/report_timing.py``), every SVG bar costs
the browser about 0.1 ms at each redraw: the 4,279 off-shift bars of a 36-day pilot
run made each zoom take 0.7-0.8 s, and 20,000 operation pieces (a year of the pilot)
1.1-2.2 s. WebGL (``go.Scattergl`` line segments as bars) was tried and measured no
faster there (software rendering in a headless browser: 1.2-2.5 s per zoom at 20,000
bars, and slower to open), so it is not used. Instead:

- off shift and planned downtime are ONE heatmap under the bars (:func:`band_traces`);
- beyond :data:`MAX_SVG_BARS` bars the figure carries a level-of-detail switch
  (:func:`lod_overview`): an overview image of which product each unit worked on,
  shown while the visible time window holds more than that many bars, and the bars of
  the window (and as much again on each side, for panning) once it holds fewer. The
  switch is a few lines of JavaScript in the report (:mod:`twin.plot.report_js`),
  driven by ``layout.meta["lod"]``; elsewhere (a notebook, ``fig.show()``) the figure
  draws every bar, slowly but completely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.plot.style import STATE_COLORS

__all__ = ["BAND_STATES", "MAX_SVG_BARS", "band_traces", "lod_meta", "lod_overview", "rgba"]

#: Above this many bars (pieces, plan slots, setups, breakdowns) in view, the Gantt
#: shows its overview instead (about 0.3 s per zoom on a 2-core machine at this size).
MAX_SVG_BARS = 3000
#: Layers whose bars the level-of-detail switch draws only inside the visible window.
LOD_LAYERS = ("actual", "plan", "shade:setup", "shade:down")
#: States drawn as full-height bands, with their label and fill (colour and alpha).
BAND_STATES = {
    "off": ("off shift 非班次", 0.22),
    "planned_down": ("planned down 计划停机", 0.35),
}


def rgba(color: str, alpha: float) -> str:
    """``#4a5563`` at ``alpha`` as ``rgba(74,85,99,0.22)``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


def band_traces(
    shading: pd.DataFrame, order: Sequence[str], max_cells: int = 250_000
) -> tuple[list[go.BaseTraceType], list[str]]:
    """Off-shift and planned-down intervals of ``shading`` as one heatmap under the bars,
    plus one legend swatch per state in exactly the band's colour (the heatmap itself
    has no swatch; the swatch and the heatmap share a legend group, so clicking the
    swatch hides the band).

    The heatmap's columns run between the instants where any unit's band starts or
    ends; the browser redraws every cell (units x columns) at each zoom. So a unit's
    gaps shorter than 1/20,000 of the run are closed (a robot that moves for a minute
    in a break would otherwise add two columns for every unit), and beyond
    ``max_cells`` cells the instants are rounded to a coarser grid until it fits.
    """
    sub = shading[shading["state"].isin(list(BAND_STATES)) & shading["station"].isin(order)]
    if sub.empty:
        return [], []
    t0, t1 = float(sub["start"].min()), float(sub["end"].max())
    grid = (t1 - t0) / 20_000
    while True:
        band = _closed(sub, grid)
        edges = np.unique(np.concatenate([band["start"].to_numpy(), band["end"].to_numpy()]))
        if len(order) * (len(edges) - 1) <= max_cells or grid <= 0:
            break
        grid *= 2
        band = band.assign(start=np.round(band["start"] / grid) * grid)
        band = band.assign(end=np.round(band["end"] / grid) * grid)
        sub = band[band["end"] > band["start"]]
    z = np.zeros((len(order), max(len(edges) - 1, 0)), dtype=np.uint8)
    row = {s: i for i, s in enumerate(order)}
    code = {s: k + 1 for k, s in enumerate(BAND_STATES)}
    lo = np.searchsorted(edges, band["start"].to_numpy())
    hi = np.searchsorted(edges, band["end"].to_numpy())
    for r, c, a, b in zip(band["station"].map(row), band["state"].map(code), lo, hi, strict=True):
        z[r, a:b] = c
    fills = [rgba(STATE_COLORS[s], alpha) for s, (_, alpha) in BAND_STATES.items()]
    n = len(BAND_STATES)
    # discrete colours: code k (0 = working, transparent) fills (k - 1/2, k + 1/2) / n
    scale: list[list[float | str]] = []
    for k, fill in enumerate(["rgba(0,0,0,0)", *fills]):
        scale += [[max(0.0, (k - 0.5) / n), fill], [min(1.0, (k + 0.5) / n), fill]]
    present = [s for s in BAND_STATES if (sub["state"] == s).any()]
    traces: list[go.BaseTraceType] = [
        go.Heatmap(
            x=edges,
            y=list(order),
            z=z,
            zmin=0,
            zmax=n,
            colorscale=scale,
            showscale=False,
            hoverinfo="skip",
            legendgroup="band",
            showlegend=False,
            name="off shift 非班次",
            meta="shade:off",
        )
    ]
    for state in present:
        label, alpha = BAND_STATES[state]
        traces.append(_swatch(label, rgba(STATE_COLORS[state], alpha), f"band:{state}"))
    return traces, []


def _closed(band: pd.DataFrame, gap: float) -> pd.DataFrame:
    """Per unit and state, intervals less than ``gap`` apart joined into one."""
    out = []
    for (station, state), g in band.groupby(["station", "state"], sort=False):
        g = g.sort_values("start")
        start, end = g["start"].to_numpy(), g["end"].to_numpy()
        new = np.ones(len(g), dtype=bool)
        new[1:] = start[1:] - np.maximum.accumulate(end)[:-1] > gap
        first = np.flatnonzero(new)
        out.append(
            pd.DataFrame(
                {"station": station, "state": state, "start": start[new],
                 "end": np.maximum.reduceat(end, first)}
            )
        )  # fmt: skip
    return pd.concat(out, ignore_index=True)


def _swatch(label: str, fill: str, meta: str) -> go.Bar:
    """A legend entry without data, in the fill of what it names."""
    return go.Bar(
        x=[None],
        y=[None],
        name=label,
        orientation="h",
        marker={"color": fill, "line": {"width": 0}},
        legendgroup="band",
        legendrank=950,
        hoverinfo="skip",
        meta=meta,
    )


def lod_overview(
    frame: pd.DataFrame, colors: Sequence[str], order: Sequence[str], bins: int = 2000
) -> go.Heatmap:
    """The level-of-detail overview: per unit and time bin, the colour (product or job
    colour) with the most operation time in it; hidden until the report's switch shows
    it (``visible=False``).

    Time in a colour up to ``t`` is piecewise linear in ``t`` (slope 1 inside its
    bars), so its value at every bin edge is one ``np.interp``; differences give the
    time per bin (as in :func:`twin.plot.states.state_timeline`).
    """
    t0, t1 = float(frame["start"].min()), float(frame["end"].max())
    edges = np.linspace(t0, t1, bins + 1)
    palette = list(dict.fromkeys(colors))
    row = {s: i for i, s in enumerate(order)}
    per = np.zeros((len(order), len(palette) + 1, bins))
    keyed = frame.assign(_c=np.asarray(colors, dtype=object))
    for (station, color), g in keyed.groupby(["station", "_c"], sort=False):
        g = g.sort_values("start")
        start, end = g["start"].to_numpy(dtype=float), g["end"].to_numpy(dtype=float)
        before = np.concatenate([[0.0], np.cumsum(end - start)[:-1]])
        x = np.column_stack([start, end]).ravel()
        y = np.column_stack([before, before + end - start]).ravel()
        per[row[str(station)], palette.index(str(color)) + 1] = np.diff(np.interp(edges, x, y))
    z = per.argmax(axis=1).astype(np.uint8)  # 0 (no work in the bin) stays transparent
    n = max(len(palette), 1)
    scale: list[list[float | str]] = []
    for k, fill in enumerate(["rgba(0,0,0,0)", *palette]):
        scale += [[max(0.0, (k - 0.5) / n), fill], [min(1.0, (k + 0.5) / n), fill]]
    return go.Heatmap(
        x0=t0 + (t1 - t0) / bins / 2,
        dx=(t1 - t0) / bins,
        y=list(order),
        z=z,
        zmin=0,
        zmax=n,
        colorscale=scale,
        showscale=False,
        ygap=6,
        hovertemplate="%{y}<br>zoom in to see each operation<extra>overview</extra>",
        name="overview 概览",
        showlegend=False,
        visible=False,
        meta="lod:overview",
    )


def lod_meta(fig: go.Figure, max_bars: int = MAX_SVG_BARS) -> dict[str, Any]:
    """``layout.meta["lod"]`` for the report's switch: the overview trace's index, the
    indices of the traces it culls, and the budget of bars in view."""
    metas = [t.meta for t in fig.data]
    return {
        "max_bars": max_bars,
        "overview": metas.index("lod:overview"),
        "culled": [i for i, m in enumerate(metas) if m in LOD_LAYERS],
    }
