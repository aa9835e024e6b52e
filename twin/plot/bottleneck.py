"""Which unit limits the shop: processing units ranked by load on their available time.

Load = busy / available time, available = calendar time - ``off`` - ``planned_down``
(time on shift and not in planned maintenance). Unlike OEE's loading time it keeps
``no_order``, so a unit starved of work by an upstream bottleneck ranks low. The
bottleneck is the unit with the highest load. Robots, transport, operators and
outsourced steps are not equipment to rank (a robot's load follows its machines; a
subcontractor's capacity is not ours). Units that never worked are listed, not dropped:
a machine bought and never used is a finding of its own.

Pure functions of ``summary.json`` (``kpis.state_time`` and ``stations``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from twin.plot.style import BOTTLENECK_COLOR, STATE_COLORS, base_layout, duration_text

__all__ = [
    "NOT_RANKED_KINDS",
    "Ranking",
    "UnitLoad",
    "bottleneck_bars",
    "processing_units",
    "rank_units",
    "ranking_html",
]

#: Station kinds that are not processing equipment (operators and AGVs are no station).
NOT_RANKED_KINDS = frozenset({"robot", "outsourced", "agv", "operator", "transport"})


@dataclass(frozen=True)
class UnitLoad:
    """One unit's busy and available time (the run's time unit) and its station."""

    unit: str
    station: str
    busy: float
    available: float

    @property
    def load(self) -> float:
        """busy / available; 0 when the unit had no available time."""
        return self.busy / self.available if self.available > 0 else 0.0


@dataclass(frozen=True)
class Ranking:
    """Units by load, highest first; the ones that never worked; the bottleneck."""

    units: tuple[UnitLoad, ...]
    never_used: tuple[str, ...]

    @property
    def bottleneck(self) -> UnitLoad | None:
        """The most loaded unit, ``None`` when no unit worked at all."""
        return self.units[0] if self.units and self.units[0].busy > 0 else None


def processing_units(stations: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{unit: station id}`` of the stations whose kind is processing equipment."""
    return {
        str(unit): str(s.get("id", ""))
        for s in stations
        if isinstance(s, Mapping) and s.get("kind") not in NOT_RANKED_KINDS
        for unit in s.get("units") or []
    }


def _time(row: Mapping[str, Any], state: str) -> float:
    x = row.get(state)
    if isinstance(x, Mapping):  # a replicated value {"mean": ...}
        x = x.get("mean")
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return 0.0
    return float(x)


def rank_units(
    state_time: Mapping[str, Mapping[str, Any]], units: Mapping[str, str] | None = None
) -> Ranking:
    """Rank the units of ``state_time`` (``{unit: {state: time}}``) by load.

    Parameters
    ----------
    state_time
        Time per state and unit, as ``summary.json``'s ``kpis.state_time``.
    units
        ``{unit: station}`` of the units to rank (:func:`processing_units`); ``None``
        ranks every unit of ``state_time`` (a log without station data). A unit listed
        here but absent from ``state_time`` never worked.

    Returns
    -------
    Ranking
        Sorted by load, highest first (ties by name); ``never_used`` in name order.
    """
    names = list(state_time) if units is None else list(units)
    loads = []
    for name in names:
        row = state_time.get(name) or {}
        calendar = sum(_time(row, s) for s in row)
        available = calendar - _time(row, "off") - _time(row, "planned_down")
        station = name if units is None else units[name]
        loads.append(UnitLoad(name, station, _time(row, "busy"), max(available, 0.0)))
    loads.sort(key=lambda u: (-u.load, u.unit))
    never = tuple(sorted(u.unit for u in loads if u.busy <= 0))
    return Ranking(tuple(loads), never)


def bottleneck_bars(ranking: Ranking, *, title: str | None = None) -> go.Figure:
    """Horizontal bars of load per unit, the highest on top; the bottleneck highlighted
    and the units that never worked marked "never worked"."""
    top = ranking.bottleneck
    rows = list(reversed(ranking.units))  # plotly draws the first category at the bottom
    fig = go.Figure(
        go.Bar(
            x=[100 * u.load for u in rows],
            y=[u.unit for u in rows],
            orientation="h",
            marker_color=[
                BOTTLENECK_COLOR if top is not None and u.unit == top.unit else STATE_COLORS["busy"]
                for u in rows
            ],
            text=["never worked 未使用" if u.busy <= 0 else f"{100 * u.load:.1f} %" for u in rows],
            textposition="outside",
            customdata=[[u.station, u.busy, u.available] for u in rows],
            hovertemplate="%{y} (%{customdata[0]})<br>load %{x:.1f} %<br>"
            "busy %{customdata[1]:,.0f} of %{customdata[2]:,.0f} available<extra></extra>",
        )
    )
    name = "none" if top is None else f"{top.unit} {100 * top.load:.1f} %"
    base_layout(
        fig,
        title or f"Load on available time 设备负荷 (busy / on shift) · bottleneck 瓶颈: {name}",
        height=max(260, 90 + 24 * len(rows)),
    )
    peak = max((u.load for u in rows), default=0.0)
    fig.update_xaxes(title_text="load 负荷 [%]", range=[0, max(100.0, 100 * peak) * 1.15])
    fig.update_yaxes(automargin=True)
    fig.update_layout(showlegend=False)
    return fig


def ranking_html(ranking: Ranking, time_unit: str) -> str:
    """The ranking as a sorted bar list (plain HTML, no script) with the call-outs:
    the bottleneck and the units that never worked."""
    if not ranking.units:
        return '<p class="note">No state times in this run: no load ranking.</p>'
    top = ranking.bottleneck
    peak = max(1.0, max(u.load for u in ranking.units))
    rows = []
    for u in ranking.units:
        colour = BOTTLENECK_COLOR if top is not None and u is top else STATE_COLORS["busy"]
        width = 0 if u.busy <= 0 else max(1, round(320 * u.load / peak))
        value = "never worked 未使用" if u.busy <= 0 else f"{100 * u.load:.1f} %"
        rows.append(
            f"<tr><td>{html.escape(u.unit)}</td><td><code>{html.escape(u.station)}</code></td>"
            f'<td><span class="bar" style="width:{width}px;background:{colour}"></span> '
            f'{value}</td><td class="num">{duration_text(u.busy, time_unit)} of '
            f"{duration_text(u.available, time_unit)}</td></tr>"
        )
    callouts = []
    if top is not None:
        callouts.append(
            f"<b>Bottleneck 瓶颈: {html.escape(top.unit)}</b> ({html.escape(top.station)}), "
            f"busy {100 * top.load:.1f} % of its available time."
        )
    if ranking.never_used:
        callouts.append(
            f"<b>Never worked 未使用 ({len(ranking.never_used)}):</b> "
            + html.escape(", ".join(ranking.never_used))
            + ". Idle capacity, or a routing no order uses."
        )
    head = (
        "<tr><th>unit 设备</th><th>station</th><th>load 负荷 (busy / available)</th>"
        "<th>busy of available</th></tr>"
    )
    return (
        "".join(f'<p class="note">{c}</p>' for c in callouts)
        + f'<table class="loadbars"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        + '<p class="note">Available time = calendar − off shift − planned maintenance. '
        "Robots, transport, operators and outsourced steps are not ranked.</p>"
    )
