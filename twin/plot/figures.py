"""The whole set of figures of one run, in report order (:func:`run_figures`).

Every figure function returns a ``plotly.graph_objects.Figure`` and never shows or writes it
(the caller decides: a notebook, :mod:`twin.plot.report`, ``twin plot``). Inputs are the
frames of :mod:`twin.runs.read` (event log, plan, summary), so the figures are pure
functions of a run folder or of a live MES log. :func:`run_figures` builds the whole set
for one run, in report order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from twin.eventlog import EventLog
from twin.plot.bottleneck import processing_units
from twin.plot.energy import energy_by_state_bars, load_profile_figure, run_energy
from twin.plot.gantt import GanttMode, gantt
from twin.plot.kpi import (
    kpi_dashboard,
    kpi_value,
    loss_waterfall,
    oee_losses_by_station,
    oee_waterfall,
    replication_spread,
    station_oee,
)
from twin.plot.orders import order_delay_bars, orders_table, run_event_log, run_orders
from twin.plot.states import (
    lead_time_histogram,
    state_timeline,
    utilisation_bars,
    wip_throughput,
)
from twin.plot.style import calendar_axis, fit_margins
from twin.runs.frames import (
    lead_times,
    operation_intervals,
    plan_intervals,
    state_intervals,
    wip_series,
)
from twin.runs.read import RunData

__all__ = ["FIGURE_NAMES", "NamedFigure", "followed_plan", "run_figures"]

FIGURE_NAMES = (
    "kpi", "replications", "gantt", "states", "utilisation", "wip", "lead_time", "oee",
    "oee_stations", "orders", "order_delays", "energy_states", "load_profile",
)  # fmt: skip


@dataclass(frozen=True)
class NamedFigure:
    """A figure with a stable short name (for ``twin plot --figure``) and a caption."""

    name: str
    caption: str
    figure: go.Figure


def run_figures(
    run: RunData,
    names: tuple[str, ...] = FIGURE_NAMES,
    *,
    gantt_mode: GanttMode = "overlay",
    color_by: Literal["product", "job"] = "product",
) -> list[NamedFigure]:
    """The figures of one run, in report order; figures without data are left out.

    Parameters
    ----------
    names
        Subset of :data:`FIGURE_NAMES` to build (unknown names raise ``ValueError``).
    gantt_mode, color_by
        Passed to :func:`gantt` (plan overlaid on or stacked above the actual bars).
    """
    unknown = [n for n in names if n not in FIGURE_NAMES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}: expected some of {list(FIGURE_NAMES)}")
    ev, unit, kpis = run.events, run.time_unit, run.summary.get("kpis", {})
    states = state_intervals(ev)  # vectorised; cheap next to drawing
    out: list[NamedFigure] = []

    start = _start(run.summary)

    def add(name: str, caption: str, build: Callable[[], go.Figure | None]) -> None:
        if name in names:
            fig = build()
            if fig is not None:
                if start is not None and name in _TIME_AXIS:
                    calendar_axis(fig, unit, start, _horizon(fig))
                fit_margins(fig)  # drawn once in the browser, not twice (issue 15)
                out.append(NamedFigure(name, caption, fig))

    def _gantt() -> go.Figure | None:
        actual = operation_intervals(ev)
        plan = (
            plan_intervals(run.plan, run.summary)
            if run.plan is not None and followed_plan(run)
            else None
        )
        if actual.empty and (plan is None or plan.empty):
            return None
        return gantt(
            _named(actual, run.summary),
            None if plan is None else _named(plan, run.summary),
            shading=states[states["state"].isin(["down", "off", "planned_down", "setup"])],
            station_order=run.machines,
            job_names=run.job_names,
            time_unit=unit,
            start=start,
            mode=gantt_mode,
            color_by=color_by,
            title="Gantt by machine 设备甘特图: "
            + ("plan vs actual" if plan is not None else "executed operations 实际"),
        )

    def _wip() -> go.Figure | None:
        series = wip_series(ev)
        return None if series.empty else wip_throughput(series, time_unit=unit)

    def _lead() -> go.Figure | None:
        lead = lead_times(ev)
        return None if lead.empty else lead_time_histogram(lead, time_unit=unit)

    def _oee() -> go.Figure | None:
        a, p, q = (kpi_value(kpis, k) for k in ("availability", "performance", "quality"))
        if a is None or p is None or q is None:
            return None
        times = _processing_state_time(run)
        if times:  # the state-by-state walk from calendar time (docs/KPIS.md)
            return loss_waterfall(times, p, q, title="Where the time goes (shop) 车间时间损失")
        return oee_waterfall(a, p, q, title="OEE loss waterfall (shop) 车间OEE损失瀑布图")

    def _oee_units() -> go.Figure | None:
        per_unit = station_oee(kpis)
        return oee_losses_by_station(per_unit) if per_unit else None

    add(
        "kpi",
        "Headline KPIs and digitalisation rates against the 70 % target.",
        lambda: kpi_dashboard(kpis) if kpis else None,
    )
    add(
        "replications",
        "Every replication's value of the headline KPIs (box: quartiles, dashed: mean).",
        lambda: replication_spread(run.summary.get("kpis_replications") or [], time_unit=unit),
    )
    add(
        "gantt",
        "Executed operations (filled, by product) inside their planned slots (outlined) "
        "when the run followed a plan; an operation paused off shift or by a breakdown is "
        "drawn in pieces, one per working stretch. Setups hatched white, breakdowns red, "
        "off-shift time grey. Hover a bar for the operation, its actual and planned clock "
        "times, duration and due date.",
        _gantt,
    )
    add(
        "states",
        "State of every unit over time.",
        lambda: (
            None
            if states.empty
            else state_timeline(states, station_order=run.machines, time_unit=unit)
        ),
    )
    add(
        "utilisation",
        "Share of each unit's time per state.",
        lambda: None if states.empty else utilisation_bars(states, station_order=run.machines),
    )
    add("wip", "Released-not-finished lots and cumulative finished lots.", _wip)
    add("lead_time", "Lead time (finish − release) of finished lots.", _lead)
    add(
        "oee",
        "Where calendar time goes, state by state, down to valuable operating time; OEE "
        "(on loading time) and TEEP (on calendar time) in the subtitle.",
        _oee,
    )
    add("oee_stations", "OEE and its losses per station unit.", _oee_units)
    _add_orders_energy(run, names, add)
    return out


def _add_orders_energy(
    run: RunData,
    names: tuple[str, ...],
    add: Callable[[str, str, Callable[[], go.Figure | None]], None],
) -> None:
    """The per-order and energy-by-state figures; the event log is built once, if needed."""
    wanted = {"orders", "order_delays", "energy_states", "load_profile"} & set(names)
    if not wanted or run.events.empty:
        return
    log: EventLog = run_event_log(run.events)
    unit = run.time_unit
    if wanted & {"orders", "order_delays"}:
        orders = run_orders(run, log)
        add(
            "orders",
            "Every order by lateness (late first, shaded): due, finish, lateness and the "
            "cause of most of its waiting (docs/KPIS.md, Orders and delay causes).",
            lambda: orders_table(orders, time_unit=unit),
        )
        add(
            "order_delays",
            "Each late order's time in the shop by cause (processing, own setup, transport, "
            "or what the unit of its next operation was doing while it waited); diamonds: "
            "the time its due date allowed.",
            lambda: order_delay_bars(orders, time_unit=unit),
        )
    if wanted & {"energy_states", "load_profile"}:
        energy = run_energy(run, log)
        add(
            "energy_states",
            "kWh per station by the state it was drawn in (idle power while blocked, "
            "starved or waiting; off power in planned downtime).",
            lambda: None if energy is None else energy_by_state_bars(energy),
        )
        add(
            "load_profile",
            "Total power of the station units over time (each at its current state's kW), "
            "with the peak marked.",
            lambda: None if energy is None else load_profile_figure(energy, time_unit=unit),
        )


def _processing_state_time(run: RunData) -> dict[str, float]:
    """Time per state summed over the units that make parts (not robots, vehicles,
    operators or outsourced steps), from summary.json; empty if it has no state times."""
    kpis = run.summary.get("kpis") or {}
    per_unit = kpis.get("state_time") or {}
    making = processing_units(run.summary.get("stations") or [])
    out: dict[str, float] = {}
    for unit, times in per_unit.items():
        if unit in making:
            for state, t in times.items():
                out[state] = out.get(state, 0.0) + float(t or 0.0)
    return out


def _named(frame: pd.DataFrame, summary: Mapping[str, Any]) -> pd.DataFrame:
    """The Gantt frame with each operation's step name (``op_name``) and its lot's due
    time (``due``), where summary.json has them (older run folders do not)."""
    if frame.empty:
        return frame
    steps = summary.get("products") or {}
    jobs = summary.get("jobs") or []
    out = frame
    if steps and "product" in frame:
        names = [
            (steps.get(str(p)) or [])[int(k)] if int(k) < len(steps.get(str(p)) or []) else
            f"op {int(k) + 1}"
            for p, k in zip(frame["product"], frame["operation"], strict=True)
        ]  # fmt: skip
        out = out.assign(op_name=names)
    if jobs:
        due: list[float] = [
            float(d) if isinstance(j, Mapping) and (d := j.get("due")) is not None else math.nan
            for j in jobs
        ]
        lot_due = [due[j] if 0 <= j < len(due) else math.nan for j in frame["job"].astype(int)]
        out = out.assign(due=lot_due)
    return out


#: Figures whose x axis is time: labelled in calendar time when the run has a start.
_TIME_AXIS = frozenset({"gantt", "states", "wip", "load_profile"})


def followed_plan(run: RunData) -> bool:
    """Whether ``schedule.csv`` is a plan the run followed: a run dispatched online
    (solver status ``online``, a ``dispatch_rule``) writes its executed operations
    there instead, which drawn as a plan would match the actual bars by construction."""
    if run.plan is None:
        return False
    solver = run.summary.get("solver") or {}
    online = isinstance(solver, Mapping) and solver.get("status") == "online"
    return not online and not run.summary.get("dispatch_rule")


def _start(summary: Mapping[str, Any]) -> datetime | None:
    text = summary.get("start")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # an unreadable start: model time, as without one


def _horizon(fig: go.Figure) -> float:
    """The end of the figure's time axis: the largest x reached by its traces."""
    end = 0.0
    for trace in fig.data:
        xs = getattr(trace, "x", None)
        if xs is None or len(xs) == 0:
            continue
        base = getattr(trace, "base", None)
        try:
            if trace.type == "bar" and base is not None and trace.orientation == "h":
                end = max(end, max(float(b) + float(x) for b, x in zip(base, xs, strict=True)))
            elif trace.type != "bar":
                end = max(end, max(float(x) for x in xs))
        except (TypeError, ValueError):
            continue
    return end
