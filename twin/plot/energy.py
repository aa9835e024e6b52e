"""Energy figures: kWh by state per station, and the shop's load profile with its peak.

The analysis is :func:`twin.kpi.energy_states.energy_states`; the units and their
``power_kw`` come from ``summary.json``'s ``stations``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from twin.eventlog import EventLog
from twin.kpi.energy_states import EnergyStates, energy_states
from twin.plot.kpi import kpi_value
from twin.plot.orders import run_event_log
from twin.plot.style import STATE_COLORS, STATE_LABELS, STATE_ORDER, base_layout, time_axis
from twin.runs.read import RunData
from twin.shopinfo import HOURS_PER_UNIT, UnitInfo

__all__ = ["energy_by_state_bars", "load_profile_figure", "run_energy", "run_units"]

_NO_POWER = "No station has a power rating (power_kw) in this scenario: nothing to show."


def run_units(run: RunData) -> list[UnitInfo]:
    """The station units of a run folder with their ``power_kw`` (``summary["stations"]``)."""
    out = []
    for s in run.summary.get("stations", []):
        for name in s.get("units", []):
            out.append(
                UnitInfo(
                    name=str(name),
                    station=str(s.get("id", name)),
                    kind=str(s.get("kind", "")),
                    numerically_controlled=bool(s.get("numerically_controlled", False)),
                    networked=bool(s.get("networked", False)),
                    key_process=bool(s.get("key_process", False)),
                    power_kw={k: float(v) for k, v in (s.get("power_kw") or {}).items()},
                )
            )
    return out


def run_energy(run: RunData, log: EventLog | None = None) -> EnergyStates | None:
    """Energy by state of a run folder over its KPI window; None without station units,
    events or a known time unit."""
    units = run_units(run)
    if not units or run.time_unit not in HOURS_PER_UNIT or run.events.empty:
        return None
    kpis = run.summary.get("kpis", {})
    start = kpi_value(kpis, "window_start") or 0.0
    end = kpi_value(kpis, "window_end")
    log = run_event_log(run.events) if log is None else log
    return energy_states(units, log, run.time_unit, start, end)


def energy_by_state_bars(energy: EnergyStates) -> go.Figure | None:
    """kWh per station, stacked by state (fixed state colours); a note instead of bars
    when no unit has a power rating (the scenario gives no ``power_kw``)."""
    stations = [s for s, per in energy.by_station.items() if sum(per.values()) > 0]
    fig = go.Figure()
    if not stations:
        fig.add_annotation(
            text=_NO_POWER, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return base_layout(fig, "Energy by state 分状态能耗 (0 kWh)", height=220)
    states = {s for st in stations for s, v in energy.by_station[st].items() if v > 0}
    for state in [*STATE_ORDER, *sorted(states - set(STATE_ORDER))]:
        if state not in states:
            continue
        fig.add_bar(
            x=stations,
            y=[energy.by_station[st].get(state, 0.0) for st in stations],
            name=STATE_LABELS.get(state, state),
            marker_color=STATE_COLORS.get(state, "#999999"),
            hovertemplate=f"%{{x}}: {state} %{{y:,.1f}} kWh<extra></extra>",
        )
    idle = energy.idle_share
    note = "" if idle != idle else f" · {100 * idle:.1f} % drawn while not busy or setting up"
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="kWh")
    return base_layout(
        fig, f"Energy by state 分状态能耗 ({energy.total:,.1f} kWh{note})", height=420
    )


def load_profile_figure(energy: EnergyStates, *, time_unit: str = "min") -> go.Figure | None:
    """The shop's total kW over time (a step line) with its peak marked."""
    p = energy.profile
    if not p.time:
        return None
    fig = go.Figure()
    # numpy arrays: written to the page as binary (float32 kW: 0.1 kW is shown), and
    # not checked value by value by plotly.py (11,000 steps on the 30-day pilot)
    fig.add_scatter(
        x=np.asarray([*p.time, p.end], dtype=float),
        y=np.asarray([*p.kw, p.kw[-1]], dtype=np.float32),
        mode="lines",
        line={"shape": "hv", "color": "#0072b2"},
        name="load 负荷 kW",
        hovertemplate="%{x:,.0f}: %{y:,.1f} kW<extra></extra>",
    )
    if p.peak_kw <= 0:
        fig.add_annotation(
            text=_NO_POWER, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
    else:
        fig.add_scatter(
            x=[p.peak_time],
            y=[p.peak_kw],
            mode="markers+text",
            marker={"symbol": "triangle-down", "size": 12, "color": STATE_COLORS["down"]},
            text=[f"peak {p.peak_kw:,.1f} kW"],
            textposition="top center",
            name="peak 峰值",
        )
    fig.update_yaxes(title_text="kW", rangemode="tozero")
    time_axis(fig, time_unit, p.end)
    return base_layout(fig, "Load profile 负荷曲线 (all station units)", height=380)
