"""Comparison figures: several variants (sweep points or run folders) side by side.

Inputs are the frames of a sweep (:mod:`twin.experiments.results`), so the figures
work on a fresh sweep, a saved one or a set of run folders alike:

``summary``
    long frame: ``point``, ``kpi``, ``n``, ``mean``, ``ci95`` (95 % half-width), ...
``differences``
    long frame: ``point``, ``kpi``, ``diff``, ``diff_rel``, ``ci95``, ``baseline_mean``,
    ``significant``, ...
``points``
    one row per point: ``point``, ``cost`` (NaN when unknown), ``status``, ...

Figures: :func:`kpi_intervals` (KPIs side by side with their intervals),
:func:`baseline_differences` (relative difference against the baseline with the paired
interval), :func:`nc_rate_target` (数控化率 against the target) and :func:`cost_pareto`
(investment against throughput and labour, the Pareto front marked).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twin.kpi.labels import KPI_LABELS
from twin.plot.figures import NamedFigure
from twin.plot.style import PALETTE, base_layout, duration_scale

__all__ = [
    "COMPARE_KPIS",
    "LOWER_IS_BETTER",
    "baseline_differences",
    "comparison_figures",
    "cost_pareto",
    "display_scale",
    "kpi_intervals",
    "nc_rate_target",
    "pareto_front",
]

#: The KPIs a comparison shows by default, in order.
COMPARE_KPIS = (
    "throughput_per_hour",
    "lead_time_mean",
    "makespan",
    "on_time_rate",
    "wip_mean",
    "oee",
    "nc_rate_equipment",
    "labour_hours",
    "labour_hours_per_good_part",
    "energy_kwh_per_part",
)
_GOOD, _BAD, _FLAT = "#009e73", "#cc79a7", "#9aa5b1"
#: KPIs where less is better (differences are coloured by what they mean, not by sign).
LOWER_IS_BETTER = {
    "lead_time_mean",
    "lead_time_p95",
    "makespan",
    "wip_mean",
    "tardiness_total",
    "labour_hours",
    "labour_hours_worked",
    "labour_hours_per_good_part",
    "worked_hours_per_good_part",
    "energy_kwh",
    "energy_kwh_per_part",
    "energy_kgce",
    "primary_energy_kgce",
    "jobs_open",
    "jobs_overdue",
    "parts_scrap",
    "start_delay_mean",
}


def _label(kpi: str, time_unit: str, scale: tuple[float, str] | None = None) -> str:
    label, unit = KPI_LABELS.get(kpi, (kpi, ""))
    if unit == "t":
        unit = scale[1] if scale else time_unit
    return f"{label} [{unit}]" if unit else label


def display_scale(kpi: str, values: Sequence[float], time_unit: str) -> tuple[float, str]:
    """Factor and unit to show ``kpi`` in: shares in %, durations in h or d."""
    unit = KPI_LABELS.get(kpi, ("", ""))[1]
    if unit == "%":
        return 100.0, "%"
    if unit == "t":
        finite = [abs(v) for v in values if math.isfinite(v)]
        return duration_scale(max(finite, default=0.0), time_unit)
    return 1.0, unit


def _order(points: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    names = [p for p in points["point"].tolist() if p in set(summary["point"])]
    return names or list(dict.fromkeys(summary["point"].tolist()))


def kpi_intervals(
    summary: pd.DataFrame,
    points: pd.DataFrame,
    kpis: Sequence[str] = COMPARE_KPIS,
    *,
    time_unit: str = "min",
    baseline: str | None = None,
) -> go.Figure:
    """One panel per KPI: each point's mean with its 95 % interval (the baseline's mean
    as a dotted line)."""
    kpis = [k for k in kpis if k in set(summary["kpi"])]
    names = _order(points, summary)
    cols = 2
    rows = max(1, math.ceil(len(kpis) / cols))
    scales = {
        k: display_scale(k, summary.loc[summary["kpi"] == k, "mean"].tolist(), time_unit)
        for k in kpis
    }
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_label(k, time_unit, scales[k]) for k in kpis],
        horizontal_spacing=0.22,
        vertical_spacing=min(0.08, 0.6 / rows),
    )
    for i, kpi in enumerate(kpis):
        factor, _ = scales[kpi]
        data = summary[summary["kpi"] == kpi].set_index("point").reindex(names)
        mean = (data["mean"] * factor).tolist()
        half = (data["ci95"].fillna(0.0) * factor).tolist()
        colors = [PALETTE[0] if p != baseline else PALETTE[1] for p in names]
        fig.add_trace(
            go.Scatter(
                x=mean,
                y=names,
                mode="markers",
                marker={"color": colors, "size": 9},
                error_x={"type": "data", "array": half, "visible": True, "thickness": 1.5},
                name=kpi,
                showlegend=False,
                hovertemplate="%{y}: %{x:,.4g} ± %{error_x.array:,.3g}<extra>" + kpi + "</extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
        base = float(data["mean"].get(baseline, math.nan)) if baseline else math.nan
        if math.isfinite(base):
            fig.add_vline(
                x=base * factor,
                line_dash="dot",
                line_color="#7b8794",
                row=i // cols + 1,
                col=i % cols + 1,
            )
    fig.update_yaxes(autorange="reversed")
    title = "KPIs by variant 各方案指标 (mean ± 95 % CI)"
    return base_layout(fig, title, height=max(360, 90 + rows * (60 + 26 * len(names))))


def baseline_differences(
    differences: pd.DataFrame,
    points: pd.DataFrame,
    kpis: Sequence[str] = COMPARE_KPIS,
    *,
    baseline: str = "",
) -> go.Figure:
    """One panel per KPI: each point's difference against the baseline in % of the
    baseline's mean, with the paired 95 % interval; green where the change is an
    improvement, pink where it is worse, grey where the interval includes 0."""
    kpis = [k for k in kpis if k in set(differences["kpi"])]
    names = [p for p in points["point"].tolist() if p in set(differences["point"])]
    cols = 2
    rows = max(1, math.ceil(len(kpis) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[KPI_LABELS.get(k, (k, ""))[0] for k in kpis],
        horizontal_spacing=0.22,
        vertical_spacing=min(0.08, 0.6 / rows),
    )
    for i, kpi in enumerate(kpis):
        data = differences[differences["kpi"] == kpi].set_index("point").reindex(names)
        base = data["baseline_mean"].abs()
        rel = (100.0 * data["diff"] / base).tolist()
        half = (100.0 * data["ci95"] / base).fillna(0.0).tolist()
        colors = []
        for r, significant in zip(rel, data["significant"].fillna(False).tolist(), strict=True):
            better = (r < 0) if kpi in LOWER_IS_BETTER else (r > 0)
            colors.append(_FLAT if not significant else (_GOOD if better else _BAD))
        fig.add_trace(
            go.Scatter(
                x=rel,
                y=names,
                mode="markers",
                marker={"color": colors, "size": 10, "symbol": "diamond"},
                error_x={"type": "data", "array": half, "visible": True, "thickness": 1.5},
                showlegend=False,
                hovertemplate="%{y}: %{x:+.1f} % ± %{error_x.array:.1f}<extra>" + kpi + "</extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
        fig.add_vline(x=0, line_color="#52606d", row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(ticksuffix=" %")
    title = f"Difference against the baseline 相对基准方案的变化: {baseline} (paired 95 % CI)"
    return base_layout(fig, title, height=max(360, 90 + rows * (60 + 26 * len(names))))


def nc_rate_target(summary: pd.DataFrame, points: pd.DataFrame, target: float = 0.7) -> go.Figure:
    """数控化率 (equipment and process) of each point against the target."""
    names = _order(points, summary)
    fig = go.Figure()
    for k, kpi in enumerate(("nc_rate_equipment", "nc_rate_process")):
        data = summary[summary["kpi"] == kpi].set_index("point").reindex(names)
        if data["mean"].isna().all():
            continue
        fig.add_trace(
            go.Bar(
                x=names,
                y=100.0 * data["mean"],
                name=KPI_LABELS[kpi][0],
                marker_color=PALETTE[k],
                text=[f"{100 * v:.1f} %" for v in data["mean"]],
                error_y={"type": "data", "array": (100.0 * data["ci95"].fillna(0.0)).tolist()},
            )
        )
    fig.add_hline(
        y=100.0 * target,
        line_dash="dash",
        line_color="#c62828",
        annotation_text=f"target 目标 {100 * target:.0f} %",
        annotation_position="top left",
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="%", range=[0, 105])
    return base_layout(fig, "数控化率 NC rate against the target 对标目标", height=420)


def pareto_front(x: Sequence[float], y: Sequence[float], maximise: bool = True) -> list[bool]:
    """Which of the points ``(x, y)`` are on the Pareto front of least ``x`` and best
    ``y`` (largest when ``maximise``): no other point is at least as good on both and
    better on one. Points with a NaN are never on it."""
    pts = [(float(a), float(b) if maximise else -float(b)) for a, b in zip(x, y, strict=True)]
    out = []
    for i, (xi, yi) in enumerate(pts):
        if not (math.isfinite(xi) and math.isfinite(yi)):
            out.append(False)
            continue
        dominated = any(
            j != i
            and math.isfinite(xj)
            and math.isfinite(yj)
            and xj <= xi
            and yj >= yi
            and (xj < xi or yj > yi)
            for j, (xj, yj) in enumerate(pts)
        )
        out.append(not dominated)
    return out


def _label_positions(x: Sequence[float]) -> list[str]:
    """Labels to the right of the cheaper half's points and to the left of the dearer
    half's, alternately above and below, so neighbours and the plot's edges spare them."""
    finite = [v for v in x if math.isfinite(v)]
    middle = (min(finite, default=0.0) + max(finite, default=0.0)) / 2
    rank = {i: r for r, i in enumerate(sorted(range(len(x)), key=lambda i: (x[i], i)))}
    return [
        f"{'top' if rank[i] % 2 == 0 else 'bottom'} {'right' if v <= middle else 'left'}"
        for i, v in enumerate(x)
    ]


def cost_pareto(
    summary: pd.DataFrame,
    points: pd.DataFrame,
    *,
    currency: str = "",
    panels: Sequence[tuple[str, bool]] = (("throughput_per_hour", True), ("labour_hours", False)),
) -> go.Figure:
    """Investment against each panel's KPI (with its 95 % interval); the points on the
    Pareto front (cheapest for what they give) are joined and filled."""
    costs = points.set_index("point")["cost"]
    names = [p for p in _order(points, summary) if p in costs.index]
    shown = [(k, up) for k, up in panels if k in set(summary["kpi"])]
    fig = make_subplots(
        rows=1,
        cols=max(len(shown), 1),
        horizontal_spacing=0.12,
        subplot_titles=[_label(k, "") for k, _ in shown],
    )
    for c, (kpi, maximise) in enumerate(shown, start=1):
        data = summary[summary["kpi"] == kpi].set_index("point").reindex(names)
        x = costs.reindex(names).astype(float).tolist()
        y = data["mean"].tolist()
        front = pareto_front(x, y, maximise)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers+text",
                text=names,
                textposition=_label_positions(x),
                cliponaxis=False,
                marker={
                    "size": 11,
                    "color": [PALETTE[2] if f else "#ffffff" for f in front],
                    "line": {"color": PALETTE[2], "width": 2},
                },
                error_y={"type": "data", "array": data["ci95"].fillna(0.0).tolist()},
                showlegend=False,
                hovertemplate="%{text}: %{y:,.4g} at %{x:,.0f}<extra></extra>",
            ),
            row=1,
            col=c,
        )
        ordered = sorted((a, b) for a, b, f in zip(x, y, front, strict=True) if f)
        if len(ordered) > 1:
            fig.add_trace(
                go.Scatter(
                    x=[a for a, _ in ordered],
                    y=[b for _, b in ordered],
                    mode="lines",
                    line={"color": PALETTE[2], "dash": "dot"},
                    showlegend=c == 1,
                    name="Pareto front 帕累托前沿",
                    hoverinfo="skip",
                ),
                row=1,
                col=c,
            )
        finite = [v for v in x if math.isfinite(v)]
        span = max(finite, default=1.0) - min(finite, default=0.0) or 1.0
        fig.update_xaxes(
            title_text=f"investment 投资 {currency}".strip(),
            # room for the labels of the cheapest and dearest points
            range=[min(finite, default=0.0) - 0.08 * span, max(finite, default=1.0) + 0.2 * span],
            row=1,
            col=c,
        )
    title = "Investment against output and labour 投资与产出、人工"
    base_layout(fig, title, height=500)
    fig.update_layout(legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0})
    return fig


def comparison_figures(
    summary: pd.DataFrame,
    differences: pd.DataFrame,
    points: pd.DataFrame,
    *,
    baseline: str,
    time_unit: str = "min",
    nc_target: float = 0.7,
    currency: str = "",
    kpis: Sequence[str] = COMPARE_KPIS,
) -> list[NamedFigure]:
    """The comparison report's figures, in order (a figure without data is left out)."""
    out = [
        NamedFigure(
            "kpis",
            "Each KPI's mean over the replications with its 95 % interval; "
            "the dotted line is the baseline.",
            kpi_intervals(summary, points, kpis, time_unit=time_unit, baseline=baseline),
        ),
    ]
    if not differences.empty:
        out.append(
            NamedFigure(
                "differences",
                "Paired differences (common random numbers): grey where the 95 % "
                "interval includes 0, green where the change is an improvement, pink where worse.",
                baseline_differences(differences, points, kpis, baseline=baseline),
            )
        )
    if "nc_rate_equipment" in set(summary["kpi"]):
        out.append(
            NamedFigure(
                "nc_rate",
                "设备数控化率 counts NC key-process units; 工序数控化率 weighs them by "
                "process hours (docs/KPIS.md).",
                nc_rate_target(summary, points, nc_target),
            )
        )
    if points["cost"].notna().any():
        out.append(
            NamedFigure(
                "pareto",
                "Filled markers are on the Pareto front: no other variant gives as much for less.",
                cost_pareto(summary, points, currency=currency),
            )
        )
    return out
