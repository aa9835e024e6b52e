"""KPI figures: the OEE loss waterfall, OEE losses per station, the KPI dashboard.

They read the ``kpis`` dict of ``summary.json`` (stable key names written by
``twin run``). Replicated runs may store a KPI as ``{"mean": ..., ...}``: the mean is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twin.kpi.formulas import NC_RATE_THRESHOLD
from twin.plot.style import STATE_COLORS, base_layout

__all__ = [
    "STATION_OEE_KEYS",
    "kpi_dashboard",
    "kpi_value",
    "loss_waterfall",
    "oee_losses_by_station",
    "oee_waterfall",
    "replication_spread",
    "station_oee",
]

STATION_OEE_KEYS = ("oee_by_unit", "oee_by_station")
"""Where ``twin run`` puts A/P/Q per unit (first key holding ``{unit: {availability, ...}}``)."""
_GOOD, _LOSS, _TOTAL = "#2e8b57", "#d62728", "#0072b2"


def kpi_value(kpis: Mapping[str, Any], key: str) -> float | None:
    """A KPI as a float (the ``mean`` of a replicated KPI), ``None`` when absent or not numeric."""
    value = kpis.get(key)
    if isinstance(value, Mapping):
        value = value.get("mean")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def station_oee(kpis: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per-unit ``availability/performance/quality`` from the KPIs ({} when not reported)."""
    for key in STATION_OEE_KEYS:
        table = kpis.get(key)
        if isinstance(table, Mapping) and table:
            out = {}
            for station, row in table.items():
                if isinstance(row, Mapping):
                    vals = {
                        k: kpi_value(row, k) for k in ("availability", "performance", "quality")
                    }
                    if all(v is not None for v in vals.values()):
                        out[str(station)] = {k: float(v) for k, v in vals.items() if v is not None}
            if out:
                return out
    return {}


def _losses(a: float, p: float, q: float) -> tuple[float, float, float, float]:
    """Availability, performance and quality losses as shares of planned time; and OEE."""
    return 1.0 - a, a * (1.0 - p), a * p * (1.0 - q), a * p * q


def oee_waterfall(
    availability: float, performance: float, quality: float, *, title: str = "OEE loss waterfall"
) -> go.Figure:
    """Planned time (100 %) minus availability, performance, quality losses = OEE (ISO 22400-2)."""
    for name, v in (
        ("availability", availability),
        ("performance", performance),
        ("quality", quality),
    ):
        if not 0.0 <= v <= 1.5:
            raise ValueError(f"{name} must be a share in [0, 1.5], got {v}")
    la, lp, lq, oee = _losses(availability, performance, quality)
    fig = go.Figure(
        go.Waterfall(
            x=[
                "planned time<br>计划时间",
                "availability loss<br>可用率损失",
                "performance loss<br>性能损失",
                "quality loss<br>质量损失",
                "OEE<br>设备综合效率",
            ],
            y=[100.0, -100 * la, -100 * lp, -100 * lq, 100 * oee],
            measure=["absolute", "relative", "relative", "relative", "total"],
            text=[
                "100 %",
                f"−{100 * la:.1f} %",
                f"−{100 * lp:.1f} %",
                f"−{100 * lq:.1f} %",
                f"{100 * oee:.1f} %",
            ],
            textposition="outside",
            decreasing={"marker": {"color": _LOSS}},
            increasing={"marker": {"color": _GOOD}},
            totals={"marker": {"color": _TOTAL}},
            connector={"line": {"color": "#999999", "dash": "dot"}},
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="share of planned time [%]", range=[0, 118])
    fig.update_layout(showlegend=False)
    subtitle = f"A {availability:.1%} × P {performance:.1%} × Q {quality:.1%} = OEE {oee:.1%}"
    return base_layout(fig, f"{title}<br><sup>{subtitle}</sup>", height=400)


#: The twin's states, in the order time is taken away from calendar time: not loaded
#: (off shift, planned downtime, no order), then availability losses inside loading time.
_NOT_LOADED_STEPS = (
    ("off", "off shift 非班次"),
    ("planned_down", "planned downtime 计划停机"),
    ("no_order", "no order 无任务"),
)
_AVAILABILITY_STEPS = (
    ("down", "breakdowns 故障"), ("setup", "setups 换型"),
    ("waiting_operator", "waiting for operators 待人"), ("starved", "starved 待料"),
    ("blocked", "blocked 堵塞"), ("idle", "idle, other 空闲"),
)  # fmt: skip


def loss_waterfall(
    state_time: Mapping[str, float],
    performance: float,
    quality: float,
    *,
    title: str = "Where the time goes 时间损失瀑布图",
) -> go.Figure | None:
    """Calendar time (100 %) down to valuable operating time, state by state, as the
    KPI document defines the layers (docs/KPIS.md): off shift, planned downtime and no
    order leave loading time; breakdowns, setups, waiting for operators, starved,
    blocked and other idle time leave operating time (busy); the speed loss (busy x
    (1 - P)) and the quality loss (busy x P x (1 - Q)) leave valuable operating time.
    OEE = valuable / loading time, TEEP = valuable / calendar time. Performance above 1
    (faster than nominal: the nominal times are wrong) shows as a gain, flagged, not
    as a negative loss. ``state_time``: time per state summed over the processing
    units. None if there is no time at all."""
    calendar = float(sum(state_time.values()))
    if calendar <= 0:
        return None
    pct = 100.0 / calendar
    x: list[str] = ["calendar time<br>日历时间"]
    y: list[float] = [100.0]
    measure = ["absolute"]
    for state, label in _NOT_LOADED_STEPS:
        x.append(label.replace(" ", "<br>", 1))
        y.append(-pct * state_time.get(state, 0.0))
        measure.append("relative")
    loading = calendar - sum(state_time.get(s, 0.0) for s, _ in _NOT_LOADED_STEPS)
    x.append("loading time<br>负荷时间")
    y.append(pct * loading)
    measure.append("total")
    for state, label in _AVAILABILITY_STEPS:
        x.append(label.replace(" ", "<br>", 1))
        y.append(-pct * state_time.get(state, 0.0))
        measure.append("relative")
    busy = state_time.get("busy", 0.0)
    x.append("operating time<br>开动时间")
    y.append(pct * busy)
    measure.append("total")
    speed = busy * (1.0 - performance)
    x.append("speed loss 速度损失" if speed >= 0 else "faster than nominal (check!)")
    y.append(-pct * speed)
    measure.append("relative")
    quality_loss = busy * performance * (1.0 - quality)
    x.append("quality loss<br>质量损失")
    y.append(-pct * quality_loss)
    measure.append("relative")
    valuable = busy * performance * quality
    x.append("valuable time<br>价值开动时间")
    y.append(pct * valuable)
    measure.append("total")
    fig = go.Figure(
        go.Waterfall(
            x=x, y=y, measure=measure,
            text=[f"{v:+.1f} %" if m == "relative" else f"{v:.1f} %"
                  for v, m in zip(y, measure, strict=True)],
            textposition="outside",
            decreasing={"marker": {"color": _LOSS}},
            increasing={"marker": {"color": _GOOD}},
            totals={"marker": {"color": _TOTAL}},
            connector={"line": {"color": "#999999", "dash": "dot"}},
            hovertemplate="%{x}: %{text} of calendar time<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(title_text="share of calendar time [%]", range=[0, 118])
    fig.update_layout(showlegend=False)
    oee = valuable / loading if loading > 0 else float("nan")
    teep = valuable / calendar
    subtitle = f"OEE = valuable / loading time = {oee:.1%}; TEEP = valuable / calendar = {teep:.1%}"
    if performance > 1.0:
        subtitle += f"; performance {performance:.1%} > 100 %: check the nominal times"
    return base_layout(fig, f"{title}<br><sup>{subtitle}</sup>", height=440)


def oee_losses_by_station(
    per_station: Mapping[str, Mapping[str, float]],
    *,
    title: str = "OEE and losses by station 各设备OEE损失",
) -> go.Figure:
    """Per station: OEE and its three losses stacked to 100 % (the waterfall, one row each)."""
    stations = list(per_station)
    parts: dict[str, list[float]] = {
        "OEE": [],
        "quality": [],
        "performance": [],
        "availability": [],
    }
    for s in stations:
        row = per_station[s]
        la, lp, lq, oee = _losses(row["availability"], row["performance"], row["quality"])
        for key, v in (("OEE", oee), ("quality", lq), ("performance", lp), ("availability", la)):
            parts[key].append(100.0 * v)
    styles = {
        "OEE": ("OEE 设备综合效率", _TOTAL),
        "quality": ("quality loss 质量损失", "#cc79a7"),
        "performance": ("performance loss 性能损失", STATE_COLORS["blocked"]),
        "availability": ("availability loss 可用率损失", STATE_COLORS["down"]),
    }
    fig = go.Figure(
        [
            go.Bar(
                name=styles[key][0],
                y=stations,
                x=vals,
                orientation="h",
                marker_color=styles[key][1],
                text=[f"{v:.0f}%" if abs(v) >= 6 else "" for v in vals],
                textposition="inside",
                hovertemplate=f"%{{y}}<br>{styles[key][0]}: %{{x:.1f}} %<extra></extra>",
            )
            for key, vals in parts.items()
        ]
    )
    fig.update_layout(barmode="relative")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="share of planned time [%]")
    return base_layout(fig, title, height=max(300, 120 + 28 * len(stations)))


def _fmt_pct(v: float | None) -> float:
    return 0.0 if v is None else 100.0 * v


def kpi_dashboard(
    kpis: Mapping[str, Any],
    *,
    title: str = "KPI dashboard 关键指标",
    threshold: float | None = None,
) -> go.Figure:
    """Headline numbers (throughput, on-time rate, OEE, energy) and digitalisation rates.

    The bottom panel compares 设备数控化率 (equipment-based NC rate), 工序数控化率
    (process-based NC rate) and 设备联网率 (networked rate) with the 70 % target line.
    Missing KPIs show as "n/a" rather than 0, so an absent figure is never mistaken for a bad one.
    """
    thr = (
        threshold
        if threshold is not None
        else (kpi_value(kpis, "nc_rate_threshold") or NC_RATE_THRESHOLD)
    )
    tiles = [
        ("throughput_per_hour", "throughput 产出<br>good parts/h", "", 1.0, ",.2f"),
        ("on_time_rate", "on-time rate 准时交付率", " %", 100.0, ".1f"),
        ("oee", "OEE 设备综合效率", " %", 100.0, ".1f"),
        ("energy_kwh", "energy 能耗<br>kWh", "", 1.0, ",.0f"),
        ("energy_kgce", "energy 综合能耗<br>kgce (当量值)", "", 1.0, ",.1f"),
    ]
    fig = make_subplots(
        rows=2,
        cols=len(tiles),
        row_heights=[0.3, 0.7],
        vertical_spacing=0.16,
        specs=[
            [{"type": "domain"}] * len(tiles),
            [{"type": "xy", "colspan": len(tiles)}] + [None] * (len(tiles) - 1),
        ],
    )
    for i, (key, label, suffix, scale, fmt) in enumerate(tiles):
        v = kpi_value(kpis, key)
        fig.add_trace(
            go.Indicator(
                mode="number",
                value=None if v is None else v * scale,
                number={"suffix": suffix, "valueformat": fmt, "font": {"size": 34}},
                title={
                    "text": label + ("" if v is not None else "<br>(n/a)"),
                    "font": {"size": 14},
                },
            ),
            row=1,
            col=i + 1,
        )
    rates = [
        ("nc_rate_equipment", "设备数控化率<br>NC rate (equipment)"),
        ("nc_rate_process", "工序数控化率<br>NC rate (process hours)"),
        ("networked_rate", "设备联网率<br>networked rate"),
    ]
    values = [kpi_value(kpis, k) for k, _ in rates]
    fig.add_trace(
        go.Bar(
            x=[label for _, label in rates],
            y=[_fmt_pct(v) for v in values],
            text=["n/a" if v is None else f"{100 * v:.1f} %" for v in values],
            textposition="outside",
            marker_color=[
                "#bbbbbb" if v is None else (_GOOD if v >= thr else STATE_COLORS["blocked"])
                for v in values
            ],
            width=0.5,
            showlegend=False,
            hovertemplate="%{x}: %{text}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    # Explicit refs: add_hline(row=...) trips over the Indicator traces of the grid.
    xy = fig.data[-1]
    xref, yref = f"{xy.xaxis or 'x'} domain", xy.yaxis or "y"
    fig.add_shape(
        type="line",
        xref=xref,
        x0=0,
        x1=1,
        yref=yref,
        y0=100 * thr,
        y1=100 * thr,
        line={"color": STATE_COLORS["down"], "dash": "dash", "width": 2},
    )
    # The target is named in the legend, so its label never sits on top of a bar.
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=f"target 目标 {100 * thr:.0f} % (MIIT 2013-2018 plan; GB/T 37393-2019)",
            line={"color": STATE_COLORS["down"], "dash": "dash", "width": 2},
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="rate [%]", range=[0, 112], row=2, col=1)
    base_layout(fig, title, height=520)
    top = fig.layout[yref.replace("y", "yaxis", 1)].domain[1]
    fig.update_layout(
        showlegend=True,
        legend={"x": 1, "xanchor": "right", "y": top, "yanchor": "bottom", "orientation": "h"},
    )
    return fig


_SPREAD = (
    ("throughput_per_hour", "throughput 产出", 1.0),
    ("oee", "OEE 设备综合效率", 100.0),
    ("on_time_rate", "on-time 准时交付率", 100.0),
    ("lead_time_mean", "mean lead time 平均生产周期", 1.0),
    ("energy_kwh", "energy 能耗", 1.0),
    ("labour_hours_per_good_part", "labour h/part 单件工时", 1.0),
    ("plan_adherence", "plan adherence 计划执行率", 100.0),
)


def replication_spread(
    per_run: Sequence[Mapping[str, Any]],
    *,
    time_unit: str = "min",
    title: str = "Spread over replications 多次仿真波动",
) -> go.Figure | None:
    """Every replication's value of each headline KPI, as its deviation from the KPI's
    mean over the replications in %, on ONE shared axis (``None`` for < 2 runs).

    The report's table gives mean ± 95 % CI; this shows what is behind it (outliers,
    skew) at an honest scale: a KPI that varies by 2 % looks like 2 %, not like a
    full-height box. A KPI equal in every replication is listed as a constant, not
    drawn; hover gives each run's value in the KPI's own unit.
    """
    if len(per_run) < 2:
        return None
    fig = go.Figure()
    constants: list[str] = []
    for key, label, scale in _SPREAD:
        values = [v * scale for r in per_run if (v := kpi_value(r, key)) is not None]
        if len(values) < 2:
            continue
        mean = sum(values) / len(values)
        if max(values) - min(values) <= 1e-9 * max(1.0, abs(mean)):
            constants.append(f"{label} = {mean:,.4g}")
            continue
        if mean == 0:
            continue  # no relative scale for a mean of zero
        unit = time_unit if key == "lead_time_mean" else ("%" if scale == 100.0 else "")
        fig.add_trace(
            go.Box(
                y=[100.0 * (v / mean - 1.0) for v in values],
                customdata=values,
                name=label,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"color": _TOTAL, "size": 6},
                line={"color": "#52606d"},
                fillcolor="rgba(0,114,178,0.12)",
                hovertemplate=f"%{{customdata:,.4g}} {unit} (%{{y:+.1f}} % from the mean)"
                "<extra></extra>",
            )
        )
    if not fig.data and not constants:
        return None
    fig.update_layout(showlegend=False)
    fig.update_yaxes(title_text="deviation from the mean of the replications, %",
                     zeroline=True, ticksuffix=" %")  # fmt: skip
    if constants:
        fig.add_annotation(
            text="equal in every replication: " + "; ".join(constants),
            xref="paper", yref="paper", x=0, y=-0.22, showarrow=False, align="left",
            font={"size": 12, "color": "#52606d"},
        )  # fmt: skip
    return base_layout(fig, f"{title} (n = {len(per_run)})", height=400)
