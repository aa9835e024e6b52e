"""Per-order view: a table of orders by lateness and where each late order's time went.

The analysis is :func:`twin.kpi.orders.order_delays` (the attribution rule is in its
module docstring); this module only reads a run folder into it and draws.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from twin.eventlog import EventLog
from twin.kpi.orders import CAUSES, OrderDelay, order_delays
from twin.plot.kpi import kpi_value
from twin.plot.style import STATE_COLORS, base_layout, duration_scale, duration_text
from twin.runs.read import RunData
from twin.shopinfo import JobInfo

__all__ = [
    "CAUSE_COLORS",
    "CAUSE_LABELS",
    "order_delay_bars",
    "orders_table",
    "orders_table_html",
    "run_event_log",
    "run_orders",
]

CAUSE_LABELS = {
    "processing": "processing 加工",
    "setup": "own setup 换型",
    "transport": "transport 搬运",
    "machine": "machine busy 等设备",
    "operator": "operator 等人",
    "robot": "robot / loading 等上下料",
    "breakdown": "breakdown 故障",
    "maintenance": "maintenance 保养",
    "off_shift": "off shift 非班次",
    "blocked": "blocked 堵塞",
    "queued": "queued, not started 排队未开工",
    "other": "other 其他等待",
}
CAUSE_COLORS = {
    "processing": STATE_COLORS["busy"],
    "setup": STATE_COLORS["setup"],
    "transport": "#56b4e9",
    "machine": "#0072b2",
    "operator": STATE_COLORS["waiting_operator"],
    "robot": STATE_COLORS["starved"],
    "breakdown": STATE_COLORS["down"],
    "maintenance": STATE_COLORS["planned_down"],
    "off_shift": STATE_COLORS["off"],
    "blocked": STATE_COLORS["blocked"],
    "queued": "#cc79a7",
    "other": STATE_COLORS["idle"],
}


def run_event_log(events: pd.DataFrame) -> EventLog:
    """An :class:`EventLog` of a run folder's event frame (:func:`twin.runs.read.read_run`)."""
    log = EventLog()
    r = log.record
    # columns as lists first: iterating the categorical columns row by row took most of
    # the time (a 382-day run: 1 M events, 17 s -> 3 s)
    columns = [
        events[c].tolist()
        for c in ("time", "kind", "station", "job", "operation", "state", "value", "product")
    ]
    for t, kind, station, j, o, state, value, product in zip(*columns, strict=True):
        r(t, kind, station, job=j, operation=o, state=state, value=value, product=product)
    return log


def _jobs(run: RunData) -> list[JobInfo]:
    out = []
    for i, j in enumerate(run.summary.get("jobs", [])):
        due = j.get("due")
        out.append(
            JobInfo(
                str(j.get("id", f"J{i}")),
                str(j.get("product", "")),
                int(j.get("quantity", 0) or 0),
                float(j.get("release", 0.0) or 0.0),
                None if due is None else float(due),
            )
        )
    return out


def run_orders(run: RunData, log: EventLog | None = None) -> list[OrderDelay]:
    """The orders of a run folder (due dates from ``summary.json``'s ``jobs``; the window
    end is the ``window_end`` KPI, else the last event)."""
    end = kpi_value(run.summary.get("kpis", {}), "window_end")
    return order_delays(run_event_log(run.events) if log is None else log, _jobs(run), end=end)


def _by_lateness(orders: Sequence[OrderDelay]) -> list[OrderDelay]:
    """Late first (most late on top), then the rest; orders without a due date last."""
    return sorted(
        orders, key=lambda o: (o.lateness is None, -(o.lateness or 0.0), -o.lead_time, o.job)
    )


def _rows(orders: Sequence[OrderDelay], time_unit: str) -> list[list[str]]:
    def when(t: float | None) -> str:
        return "—" if t is None else f"{t:,.0f}"

    rows = []
    for o in _by_lateness(orders):
        status = "scrapped 报废" if o.scrapped else ("open 未完成" if o.finish is None else "")
        late = "—" if o.lateness is None else duration_text(o.lateness, time_unit)
        top = o.top_cause
        rows.append(
            [
                o.name,
                o.product,
                when(o.due),
                when(o.finish) + (f" ({status})" if status else ""),
                ("+" if o.late else "") + late,
                duration_text(o.lead_time, time_unit),
                "—" if top is None else CAUSE_LABELS[top],
                "—" if top is None else duration_text(o.causes[top], time_unit),
            ]
        )
    return rows


_HEADER = (
    "order 订单", "product 产品", "due 交期", "finish 完工", "lateness 延误",
    "lead time 周期", "top delay cause 主要延误原因", "its time",
)  # fmt: skip


def orders_table(orders: Sequence[OrderDelay], *, time_unit: str = "min") -> go.Figure | None:
    """All orders, late first, as a plotly table (None without orders)."""
    if not orders:
        return None
    rows = _rows(orders, time_unit)
    late = {i for i, o in enumerate(_by_lateness(orders)) if o.late}
    fill = ["#fde8e8" if i in late else "#ffffff" for i in range(len(rows))]
    fig = go.Figure(
        go.Table(
            header={"values": list(_HEADER), "fill_color": "#e4e7eb", "align": "left"},
            cells={
                "values": [list(col) for col in zip(*rows, strict=True)],
                "fill_color": [fill],
                "align": "left",
            },
        )
    )
    n_late = len(late)
    title = f"Orders by lateness 订单延误 ({n_late} of {len(rows)} late; times in {time_unit})"
    return base_layout(fig, title, height=min(900, 160 + 26 * len(rows)))


def orders_table_html(orders: Sequence[OrderDelay], *, time_unit: str = "min") -> str:
    """The same table as :func:`orders_table` as an HTML ``<table>`` (escaped), for a
    report that prefers plain tables; late rows carry ``class="late"``."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADER)
    body = []
    for o, row in zip(_by_lateness(orders), _rows(orders, time_unit), strict=True):
        cls = ' class="late"' if o.late else ""
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<table class="orders"><tr>{head}</tr>{"".join(body)}</table>'


def order_delay_bars(
    orders: Sequence[OrderDelay], *, time_unit: str = "min", limit: int = 30
) -> go.Figure | None:
    """Time in the shop by cause per order, one stacked bar each: the late orders (the
    ``limit`` latest of them), else the ``limit`` with the least slack; a diamond marks
    the time the due date allowed (due - release)."""
    ranked = _by_lateness(orders)
    shown = [o for o in ranked if o.late][:limit] or ranked[:limit]
    if not shown:
        return None
    shown = shown[::-1]  # the latest on top
    factor, unit = duration_scale(max(o.lead_time for o in shown), time_unit)
    names = [o.name for o in shown]
    fig = go.Figure()
    for cause in CAUSES:
        x = [o.causes[cause] * factor for o in shown]
        if not any(x):
            continue
        fig.add_bar(
            y=names,
            x=x,
            orientation="h",
            name=CAUSE_LABELS[cause],
            marker_color=CAUSE_COLORS[cause],
            hovertemplate=f"%{{y}}: {CAUSE_LABELS[cause]} %{{x:,.1f}} {unit}<extra></extra>",
        )
    allowed = [(o.name, (o.due - o.release) * factor) for o in shown if o.due is not None]
    if allowed:
        fig.add_scatter(
            y=[n for n, _ in allowed],
            x=[a for _, a in allowed],
            mode="markers",
            name="due 交期 (from release)",
            marker={"symbol": "diamond", "size": 10, "color": "#111827"},
            hovertemplate=f"%{{y}}: due after %{{x:,.1f}} {unit}<extra></extra>",
        )
    late = sum(o.late for o in orders)
    what = f"{len(shown)} latest of {late} late orders" if late else "orders with least slack"
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=f"time since release [{unit}]")
    fig.update_yaxes(type="category")
    base_layout(fig, f"Where late orders' time went 订单延误原因<br>{what}")
    fig.update_layout(height=max(320, 150 + 22 * len(shown)))
    return fig
