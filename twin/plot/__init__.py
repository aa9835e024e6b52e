"""Figures and the HTML report: pure functions of run data and KPIs.

Every function returns a ``plotly.graph_objects.Figure`` and never shows or writes it
(the caller decides: a notebook, the report, ``twin plot``). Inputs are the frames of
:mod:`twin.runs.read` (event log, plan, summary) and the KPI dict of ``summary.json``,
so figures work on a saved run or a live MES log alike; this package never runs a
simulation.

- :mod:`~twin.plot.style`: fixed colours, fonts, axes;
- :mod:`~twin.plot.gantt`, :mod:`~twin.plot.states`, :mod:`~twin.plot.kpi`: the figures;
  the Gantt's parts: :mod:`~twin.plot.pauses` (operations split at off shift and
  breakdowns), :mod:`~twin.plot.gantt_hover` (clock times, plan, due date),
  :mod:`~twin.plot.gantt_fast` (the off-shift band, the level-of-detail switch);
- :mod:`~twin.plot.figures`: the set for one run, in report order;
- :mod:`~twin.plot.report`: the self-contained offline HTML report, drawn by the script
  of :mod:`~twin.plot.report_js`.
"""

from twin.plot.figures import FIGURE_NAMES, NamedFigure, run_figures
from twin.plot.gantt import gantt, schedule_frame, schedule_gantt
from twin.plot.kpi import (
    kpi_dashboard,
    loss_waterfall,
    oee_losses_by_station,
    oee_waterfall,
    replication_spread,
    station_oee,
)
from twin.plot.states import (
    lead_time_histogram,
    state_shares,
    state_timeline,
    utilisation_bars,
    wip_throughput,
)
from twin.plot.style import STATE_COLORS, STATE_ORDER

__all__ = [
    "FIGURE_NAMES",
    "STATE_COLORS",
    "STATE_ORDER",
    "NamedFigure",
    "gantt",
    "kpi_dashboard",
    "lead_time_histogram",
    "loss_waterfall",
    "oee_losses_by_station",
    "oee_waterfall",
    "replication_spread",
    "run_figures",
    "schedule_frame",
    "schedule_gantt",
    "state_shares",
    "state_timeline",
    "station_oee",
    "utilisation_bars",
    "wip_throughput",
]
