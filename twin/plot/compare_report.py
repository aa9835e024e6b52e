"""The offline HTML comparison report: variants side by side in ONE self-contained file.

Like the run report (:mod:`twin.plot.report`): plotly.js embedded once, UTF-8, a CJK
font stack. It shows a table of the variants (cost, each headline KPI as mean ± 95 %
CI and its change against the baseline), the figures of :mod:`twin.plot.compare`, the
replications each KPI needs for the sweep's precision, and the points that failed.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.offline

from twin.kpi.labels import KPI_LABELS
from twin.plot.compare import COMPARE_KPIS, LOWER_IS_BETTER, comparison_figures, display_scale
from twin.plot.report import html_table
from twin.plot.style import FONT_FAMILY
from twin.runs.write import atomic_file

__all__ = ["render_comparison", "write_comparison"]

_CSS = """
body { font-family: %FONT%; margin: 0 auto; max-width: 1360px; padding: 16px 24px;
       color: #1f2933; background: #fff; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 28px 0 6px; }
.meta, .note { color: #52606d; font-size: 13px; margin: 2px 0 10px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f5f7fa; font-weight: 600; }
.up { color: #2e7d32; } .down { color: #c62828; } .flat { color: #7b8794; }
.ok { color: #2e7d32; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
figure { margin: 18px 0 8px; border-top: 1px solid #e4e7eb; padding-top: 8px; }
figcaption { color: #52606d; font-size: 13px; margin: 2px 0 0 4px; }
.warn { background: #fff8e1; border-left: 4px solid #e6772e; padding: 6px 12px; font-size: 13px; }
footer { color: #7b8794; font-size: 12px; margin: 28px 0 8px; }
"""


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 or float(x).is_integer() else f"{x:,.3g}"


def _cell(row: Any, factor: float) -> str:
    """``6.054 ± 0.087``: the half-width to two significant digits, the mean to as many
    decimals."""
    if row is None:
        return "n/a"
    mean, half = float(row["mean"]) * factor, float(row["ci95"]) * factor
    if not (math.isfinite(half) and half > 0):
        return _num(mean)
    decimals = max(0, 1 - math.floor(math.log10(half)))
    return f"{mean:,.{decimals}f} ± {half:,.{decimals}f}"


def _diff(row: Any, lower_better: bool) -> str:
    if row is None or not math.isfinite(float(row["diff_rel"])):
        return ""
    rel, significant = 100.0 * float(row["diff_rel"]), bool(row["significant"])
    good = (rel < 0) if lower_better else (rel > 0)
    css = "flat" if not significant else ("up" if good else "down")
    return f'<br><span class="{css}">{rel:+.1f} %</span>'


def variants_table(
    summary: pd.DataFrame,
    differences: pd.DataFrame,
    points: pd.DataFrame,
    kpis: Sequence[str],
    time_unit: str,
    currency: str = "",
) -> str:
    """Variants x KPIs: mean ± 95 % CI and, below it, the change against the baseline
    (green/red when its paired interval excludes 0)."""
    kpis = [k for k in kpis if k in set(summary["kpi"])]
    scales = {
        k: display_scale(k, summary.loc[summary["kpi"] == k, "mean"].tolist(), time_unit)
        for k in kpis
    }
    stats = {(r["point"], r["kpi"]): r for r in summary.to_dict("records")}
    diffs = {(r["point"], r["kpi"]): r for r in differences.to_dict("records")}
    head = ["variant 方案", f"cost 投资 {html.escape(currency)}".strip()]
    for k in kpis:
        label = KPI_LABELS.get(k, (k, ""))[0]
        unit = scales[k][1]
        head.append(html.escape(label) + (f" [{html.escape(unit)}]" if unit else ""))
    body = []
    for p in points.to_dict("records"):
        if p["status"] != "done":
            continue
        row = [html.escape(str(p["point"])), _num(float(p["cost"]))]
        for k in kpis:
            factor = scales[k][0]
            row.append(
                _cell(stats.get((p["point"], k)), factor)
                + _diff(diffs.get((p["point"], k)), k in LOWER_IS_BETTER)
            )
        body.append(row)
    return html_table(head, body)


def needed_table(summary: pd.DataFrame, kpis: Sequence[str], precision: float) -> str:
    """Replications each KPI needs (largest over the points) for ``precision``."""
    body = []
    for k in kpis:
        data = summary[summary["kpi"] == k]
        if data.empty:
            continue
        need = data["replications_needed"].max()
        rel = data["ci95_rel"].max()
        body.append(
            [
                html.escape(KPI_LABELS.get(k, (k, ""))[0]) + f" <code>{k}</code>",
                str(int(data["n"].max())),
                "n/a" if not math.isfinite(rel) else f"{100 * rel:.1f} %",
                "n/a" if not math.isfinite(need) else f"{int(need):,}",
            ]
        )
    head = [
        "KPI",
        "replications run",
        "widest CI 最大相对半宽",
        f"replications for ±{100 * precision:g} % 所需次数",
    ]
    return html_table(head, body)


def render_comparison(
    title: str,
    summary: pd.DataFrame,
    differences: pd.DataFrame,
    points: pd.DataFrame,
    *,
    baseline: str,
    time_unit: str = "min",
    nc_target: float = 0.7,
    currency: str = "",
    precision: float = 0.05,
    facts: Mapping[str, Any] | None = None,
    kpis: Sequence[str] = COMPARE_KPIS,
) -> str:
    """The whole page as one string."""
    figures = comparison_figures(
        summary,
        differences,
        points,
        baseline=baseline,
        time_unit=time_unit,
        nc_target=nc_target,
        currency=currency,
        kpis=kpis,
    )
    config = {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "scale": 2},
    }
    blocks = [
        f'<figure id="{nf.name}">'
        + nf.figure.to_html(
            full_html=False, include_plotlyjs=False, div_id=f"fig-{nf.name}", config=config
        )
        + f"<figcaption>{html.escape(nf.caption)}</figcaption></figure>"
        for nf in figures
    ]
    failed = points[points["status"] == "failed"]
    warn = ""
    if len(failed):
        items = "".join(
            f"<li><b>{html.escape(str(r.point))}</b>: "
            f"{html.escape(str(r.error).splitlines()[0] if r.error else '')}</li>"
            for r in failed.itertuples(index=False)
        )
        warn = f'<div class="warn"><b>Failed points 失败</b><ul>{items}</ul></div>'
    fact_rows = [
        [html.escape(str(k)), html.escape(str(v))]
        for k, v in (facts or {}).items()
        if v not in (None, "")
    ]
    changes = [
        [
            html.escape(str(r.point)),
            html.escape(str(r.changes) or "(base)"),
            html.escape(str(r.description)),
        ]
        for r in points.itertuples(index=False)
    ]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    heading = html.escape(title)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{heading}</title>",
            f"<style>{_CSS.replace('%FONT%', FONT_FAMILY)}</style>",
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
            "</head><body>",
            f"<h1>{heading}</h1>",
            f'<div class="meta">shopfloor-twin · generated {stamp} · baseline 基准: '
            f"<b>{html.escape(baseline)}</b></div>",
            warn,
            '<h2 id="variants">Variants 方案对比</h2>',
            '<p class="note">Mean ± 95 % confidence half-width over the replications; below it the '
            "change against the baseline (paired over common random numbers; green: better, red: "
            "worse, grey: within the interval).</p>",
            variants_table(summary, differences, points, kpis, time_unit, currency),
            *blocks,
            '<h2 id="precision">Replications needed 所需仿真次数</h2>',
            needed_table(summary, kpis, precision),
            '<h2 id="changes">What each variant changes 方案内容</h2>',
            html_table(
                ["variant 方案", "changes 变更", "description 说明"], changes, numeric_from=9
            ),
            html_table(["sweep 试验", ""], fact_rows, numeric_from=9) if fact_rows else "",
            "<footer>Offline report: plotly.js is embedded; no network access needed.</footer>",
            "</body></html>",
        ]
    )


def write_comparison(path: str | Path, title: str, **frames_and_options: Any) -> Path:
    """Render :func:`render_comparison` (same arguments after ``title``) to ``path``,
    atomically."""
    out = Path(path)
    page = render_comparison(title, **frames_and_options)
    with atomic_file(out, encoding="utf-8") as fh:
        fh.write(page)
    return out
