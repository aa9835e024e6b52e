"""The offline HTML run report: ONE self-contained file (workshops are often offline).

plotly.js is embedded once, after the text (the verdict and tables show while it
loads); each figure is an empty ``<div>`` with its JSON beside it, drawn one by one,
first screen first, by the script of :mod:`twin.plot.report_js`. A figure that is one
plotly table (the orders) is written as an HTML table instead. The page declares
UTF-8 and a CJK-capable font stack so Chinese KPI names (数控化率, 设备联网率) render
on Linux, Windows and macOS alike.
"""

from __future__ import annotations

import html
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io
import plotly.offline

from twin.kpi.labels import KPI_GROUPS, KPI_LABELS
from twin.plot.bottleneck import ranking_html
from twin.plot.figures import FIGURE_NAMES, NamedFigure, run_figures
from twin.plot.kpi import kpi_value
from twin.plot.report_js import loader_script
from twin.plot.style import FONT_FAMILY, clock_text, duration_scale, duration_text
from twin.plot.verdict import VERDICT_CSS, ranking_of, run_start, verdict_html
from twin.runs.read import RunData, read_run
from twin.runs.write import atomic_file

__all__ = ["build_report", "html_table", "render_html", "write_report"]

log = logging.getLogger(__name__)

_TOC = {
    "kpi": "KPI dashboard 指标看板",
    "replications": "replications 多次仿真",
    "gantt": "Gantt 甘特图",
    "states": "states 状态",
    "utilisation": "utilisation 利用率",
    "wip": "WIP 在制品",
    "lead_time": "lead time 生产周期",
    "oee": "time losses 时间损失 (OEE, TEEP)",
    "oee_stations": "OEE by unit 各设备OEE",
    "orders": "orders 订单延误",
    "order_delays": "delay causes 延误原因",
    "energy_states": "energy by state 分状态能耗",
    "load_profile": "load profile 负荷曲线",
}
_SHARES = {"utilisation", "availability", "performance", "quality", "oee", "oee_by_station"}
_SKIP = {"time_unit", "state_time"}  # shown elsewhere (header, utilisation figure)
_COLUMN_LABELS = {
    "utilisation": "utilisation 利用率",
    "oee_by_unit.availability": "A 可用率",
    "oee_by_unit.performance": "P 性能率",
    "oee_by_unit.quality": "Q 质量",
    "oee_by_unit.oee": "OEE",
    "oee_by_station": "OEE",
    "energy_kwh_by_station": "energy 能耗 kWh",
    "mtbf_by_unit": "MTBF 平均故障间隔 (operating)",
    "mttr_by_unit": "MTTR 平均修复时间",
}

_CSS = """
body { font-family: %FONT%; margin: 0 auto; max-width: 1360px; padding: 16px 24px;
       color: #1f2933; background: #fff; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 28px 0 6px; }
.meta { color: #52606d; font-size: 13px; margin-bottom: 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f5f7fa; font-weight: 600; }
code { color: #7b8794; font-size: 11px; }
.ok { color: #2e7d32; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
.tables { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 18px 0 8px; border-top: 1px solid #e4e7eb; padding-top: 8px; }
figcaption { color: #52606d; font-size: 13px; margin: 2px 0 0 4px; }
.note { color: #52606d; font-size: 13px; margin: 2px 0 6px; }
.warn { background: #fff8e1; border-left: 4px solid #e6772e; padding: 6px 12px; font-size: 13px; }
.toc { font-size: 13px; margin: 0 0 6px; } .toc a { color: #0072b2; text-decoration: none; }
footer { color: #7b8794; font-size: 12px; margin: 28px 0 8px; }
.table-figure h3 { font-size: 17px; font-weight: normal; margin: 6px 0 6px 4px; }
.table-figure .scroll { overflow: auto; border: 1px solid #e4e7eb; }
.table-figure summary { cursor: pointer; color: #0072b2; font-size: 13px; margin: 6px 4px; }
.table-figure table { margin: 0; width: 100%; }
.table-figure th { position: sticky; top: 0; }
@media print { .table-figure .scroll { max-height: none !important; } }
"""


def _number(v: float, unit: str) -> str:
    """A number in its unit's style (no unit suffix): shares as percent, big values rounded."""
    if unit == "%":
        return f"{100 * v:.1f}"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.2f}" if abs(v) < 1e5 else f"{v:,.0f}"


def _fmt(value: Any, unit: str, time_unit: str) -> str:
    """``12.5 %``, ``3.46 parts/h``, ``2.76 ± 0.06 parts/h`` (replicated), ``yes ✓``, ``n/a``.

    Durations (unit ``"t"``) longer than two hours or days read in ``h`` or ``d``.
    """
    if isinstance(value, bool):
        return '<span class="ok">yes ✓</span>' if value else '<span class="bad">no ✗</span>'
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    suffix = {"t": time_unit, "%": "%"}.get(unit, unit)
    if unit == "t" and isinstance(value, int | float | Mapping):
        mean = kpi_value({"v": value}, "v")
        if mean is not None and duration_scale(mean, time_unit)[1] != time_unit:
            half = kpi_value(value, "ci95") if isinstance(value, Mapping) else None
            ok = half is not None and math.isfinite(half)
            return duration_text(mean, time_unit, half if ok else None)
    if isinstance(value, Mapping) and "mean" in value:
        mean = kpi_value(value, "mean")
        if mean is None or not math.isfinite(mean):
            return "n/a"
        half = value.get("ci_halfwidth", value.get("ci95"))
        text = _number(mean, unit)
        if isinstance(half, int | float) and not isinstance(half, bool):
            text += f" ± {_number(float(half), unit)}"
        return f"{text} {html.escape(suffix)}".strip()
    if isinstance(value, int | float):
        return f"{_number(float(value), unit)} {html.escape(suffix)}".strip()
    if isinstance(value, list):  # names, e.g. units flagged faster than nominal
        return html.escape(", ".join(str(v) for v in value) or "none")
    return html.escape("n/a" if value is None else str(value))


_CLOCK_KEYS = ("window_start", "window_end")  # points in time, not durations


def _kpi_tables(kpis: Mapping[str, Any], time_unit: str, start: datetime | None = None) -> str:
    """One small table per KPI group side by side; unknown scalars go to "other".

    With the scenario's ``start`` (a datetime), the window's ends read as dates."""
    tables = []
    if start is not None:
        kpis = dict(kpis)
        for k in _CLOCK_KEYS:
            t = kpi_value(kpis, k)
            if t is not None and math.isfinite(t):
                kpis[k] = clock_text(start, t, time_unit)
    for title, keys in KPI_GROUPS:
        rows = [
            [
                f"{html.escape(KPI_LABELS[k][0])} <code>{k}</code>",
                _fmt(kpis[k], KPI_LABELS[k][1], time_unit),
            ]
            for k in keys
            if k in kpis
        ]
        if rows:
            tables.append(html_table([html.escape(title), "value 数值"], rows))
    known = {k for _, keys in KPI_GROUPS for k in keys} | _SKIP
    other = [
        [f"<code>{html.escape(k)}</code>", _fmt(v, "", time_unit)]
        for k, v in kpis.items()
        if k not in known
        and (isinstance(v, int | float | bool | str) or (isinstance(v, Mapping) and "mean" in v))
    ]
    if other:
        tables.append(html_table(["other 其他", "value 数值"], other))
    return "".join(tables)


def _name_table(
    kpis: Mapping[str, Any], keys: Sequence[str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Dict-valued KPIs (``utilisation``, ``oee_by_unit``, ...) as columns, one row per name."""
    cols: list[str] = []
    rows: dict[str, dict[str, str]] = {}

    def put(name: str, col: str, x: Any) -> None:
        if x is None or (isinstance(x, int | float) and not isinstance(x, bool)):
            share = col.split(".")[-1] in _SHARES or col in _SHARES
            cols.append(col)
            rows.setdefault(str(name), {})[col] = _fmt(x, "%" if share else "", "")

    for key in keys:
        for name, v in kpis[key].items():
            if isinstance(v, Mapping):  # e.g. oee_by_unit: one column per inner field
                for inner, x in v.items():
                    put(name, f"{key}.{inner}", x)
            else:
                put(name, key, v)
    return list(dict.fromkeys(cols)), rows


def _per_name_tables(kpis: Mapping[str, Any]) -> str:
    """Per-unit KPIs in one table, ``*_by_station`` KPIs (keyed by station id) in another."""
    tables = [
        k for k, v in kpis.items() if k not in _SKIP and isinstance(v, Mapping) and "mean" not in v
    ]
    out = []
    for title, keys in (
        ("unit 设备", [k for k in tables if not k.endswith("_by_station")]),
        ("station 工位", [k for k in tables if k.endswith("_by_station")]),
    ):
        cols, rows = _name_table(kpis, keys)
        if rows:
            head = [title, *(_COLUMN_LABELS.get(c, f"<code>{html.escape(c)}</code>") for c in cols)]
            body = [[html.escape(n), *(r.get(c, "") for c in cols)] for n, r in rows.items()]
            out.append(html_table(head, body))
    return "".join(out)


def html_table(head: Sequence[str], body: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    """An HTML table; cells from column ``numeric_from`` on are right-aligned numbers."""
    th = "".join(f"<th>{h}</th>" for h in head)
    trs = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in body
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _summary_html(summary: Mapping[str, Any], run: RunData) -> str:
    esc = html.escape
    solver = summary.get("solver") or {}
    seconds = solver.get("solve_seconds")
    facts = [
        ("scenario file", summary.get("scenario_file")),
        ("seed", summary.get("seed")),
        ("replications", summary.get("replications")),
        ("time unit", run.time_unit),
        ("jobs (lots)", len(summary.get("jobs", []))),
        ("station units", len(run.machines)),
        ("events", f"{len(run.events):,}"),
        ("horizon", f"{run.horizon:,.1f} {run.time_unit}"),
        ("scheduling", " · ".join(str(solver[k]) for k in ("method", "status") if solver.get(k))),
        ("dispatch rule", summary.get("dispatch_rule")),
        ("plan makespan", solver.get("makespan")),
        ("lower bound", solver.get("lower_bound")),
        ("solve time", None if seconds is None else f"{float(seconds):.2f} s"),
    ]
    meta = html_table(
        ["run 运行", ""], [[esc(k), esc(str(v))] for k, v in facts if v not in (None, "")]
    )
    stations = summary.get("stations") or []
    yes = lambda b: "✓" if b else "–"  # noqa: E731
    st_rows = [
        [
            esc(str(s.get("id"))),
            esc(str(s.get("name", ""))),
            esc(str(s.get("kind", ""))),
            str(len(s.get("units", []))),
            yes(s.get("numerically_controlled")),
            yes(s.get("networked")),
            yes(s.get("key_process")),
        ]
        for s in stations
        if isinstance(s, Mapping)
    ]
    st = (
        html_table(
            [
                "station 工位",
                "name 名称",
                "kind",
                "units",
                "NC 数控",
                "networked 联网",
                "key process 关键工序",
            ],
            st_rows,
            numeric_from=3,
        )
        if st_rows
        else ""
    )
    return f'<div class="tables">{meta}{st}</div>'


def render_html(run: RunData, figures: Sequence[NamedFigure], *, title: str | None = None) -> str:
    """The whole report page as one string (plotly.js included once)."""
    summary, kpis = run.summary, run.summary.get("kpis", {})
    name = str(summary.get("scenario") or (run.path.name if run.path else "run"))
    heading = html.escape(title or f"Run report 运行报告 — {name}")
    kpi_table = _kpi_tables(kpis, run.time_unit, run_start(summary)) if kpis else ""
    ranking = ranking_of(run)
    reps = summary.get("replications")
    note = (
        f'<p class="note">Replicated run: mean ± 95 % confidence half-width over {reps} '
        "replications. The per-unit tables and the figures show replication 0 (events.csv).</p>"
        if isinstance(reps, int) and reps > 1
        else ""
    )
    warnings = [str(w) for w in summary.get("warnings") or []]
    warn = (
        '<div class="warn"><b>Warnings 警告</b><ul>'
        + "".join(f"<li>{html.escape(w)}</li>" for w in warnings[:50])
        + (f"<li>… and {len(warnings) - 50} more</li>" if len(warnings) > 50 else "")
        + "</ul></div>"
        if warnings
        else ""
    )
    per_name = _per_name_tables(kpis) if kpis else ""
    config = {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "scale": 2},
    }
    blocks = [
        f'<figure id="{nf.name}">'
        + (
            _table_div(nf.figure, f"fig-{nf.name}-{i}")
            if _is_table(nf.figure)
            else _figure_div(nf.figure, f"fig-{nf.name}-{i}")
        )
        + f"<figcaption>{html.escape(nf.caption)}</figcaption></figure>"
        for i, nf in enumerate(figures)
    ]
    toc = " · ".join(
        f'<a href="#{nf.name}">{html.escape(_TOC.get(nf.name, nf.name))}</a>' for nf in figures
    )
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{heading}</title>",
            f"<style>{_CSS.replace('%FONT%', FONT_FAMILY)}{VERDICT_CSS}</style>",
            "</head><body>",
            f"<h1>{heading}</h1>",
            f'<div class="meta">shopfloor-twin · generated {stamp}</div>',
            verdict_html(run, ranking) if kpis else "",
            warn,
            '<h2 id="bottlenecks">Bottlenecks 瓶颈</h2>' + ranking_html(ranking, run.time_unit)
            if ranking.units
            else "",
            '<h2 id="kpis">KPIs 关键指标</h2>',
            note,
            f'<div class="tables">{kpi_table}</div>',
            '<h2 id="figures">Figures 图表</h2>',
            f'<nav class="toc">{toc}</nav>' if toc else "",
            *blocks,
            (
                '<h2 id="per-station">Per unit and station 各设备</h2>'
                f'<div class="tables">{per_name}</div>'
            )
            if per_name
            else "",
            '<h2 id="scenario">Scenario 场景</h2>',
            _summary_html(summary, run),
            "<footer>Offline report: plotly.js is embedded; no network access needed. "
            "Hover a bar for details; drag to zoom, double-click to reset.</footer>",
            f"<script>window.__twinReport = {json.dumps({'figures': [f.name for f in figures]})};"
            "</script>",
            # plotly.js and the figures after the text: the verdict shows while they load
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
            f"<script>{loader_script(config)}</script>",
            "</body></html>",
        ]
    )


def _figure_div(fig: go.Figure, div_id: str) -> str:
    """An empty plot container of the figure's height and the figure as JSON beside it,
    drawn by the page's loader (:mod:`twin.plot.report_js`). ``<`` is escaped in the
    JSON so no text in a figure can end the script element."""
    spec = plotly.io.json.to_json_plotly(_compact(fig.to_dict())).replace("<", "\\u003c")
    height = int(fig.layout.height or 450)
    return (
        f'<div id="{div_id}" class="plotly-graph-div" style="height:{height}px; width:100%;">'
        f'</div><script type="application/json" class="twin-figure" data-div="{div_id}">'
        f"{spec}</script>"
    )


def _compact(spec: dict[str, Any]) -> dict[str, Any]:
    """The figure's JSON without what the loader rebuilds: a heatmap's per-cell hover
    texts when ``meta["ztext"]`` names its codes (``text[i][j] = ztext[z[i][j]]``:
    1.3 MB of the 30-day pilot report's 2.4 MB of figures)."""
    for trace in spec.get("data", []):
        meta = trace.get("meta")
        if isinstance(meta, dict) and "ztext" in meta and "z" in trace:
            trace.pop("text", None)
    return spec


#: Rows of a table figure shown at once; the others in a closed ``<details>``.
TABLE_ROWS = 300


def _is_table(fig: go.Figure) -> bool:
    """A figure that is one plotly table (the orders): the report writes it as HTML."""
    return len(fig.data) == 1 and fig.data[0].type == "table"


def _table_div(fig: go.Figure, div_id: str) -> str:
    """A plotly table figure as a native HTML table, every row kept, in a box of the
    figure's height that scrolls (header fixed): the browser lays out a few hundred rows
    in milliseconds where plotly's SVG table took about 0.4 s to draw (issue 15), and the
    text can be searched and copied. Row fills (late orders shaded) are kept."""
    table = fig.data[0]
    head = [html.escape(str(h)) for h in (table.header.values or ())]
    columns = [list(c) for c in (table.cells.values or ())]
    fills = table.cells.fill.color if table.cells.fill else None
    row_fill = (
        list(fills[0])
        if isinstance(fills, list | tuple) and fills and isinstance(fills[0], list | tuple)
        else None
    )
    rows = []
    for r, row in enumerate(zip(*columns, strict=True)):
        fill = row_fill[r] if row_fill is not None and r < len(row_fill) else None
        style = f' style="background:{html.escape(str(fill))}"' if fill else ""
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
        rows.append(f"<tr{style}>{cells}</tr>")
    title = fig.layout.title.text or ""
    height = int(fig.layout.height or 450)
    head_row = "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>"

    def box(body: Sequence[str]) -> str:
        size = min(height - 60, 36 + 27 * len(body))
        return (
            f'<div class="scroll" style="max-height:{size}px"><table>{head_row}'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )

    # a long list (a year's 2,000 orders took the browser 0.7 s to lay out, before the
    # first figure): the first rows (late first) in view, the rest one click away in a
    # closed <details>, which the browser lays out only when opened
    shown, rest = rows[:TABLE_ROWS], rows[TABLE_ROWS:]
    more = (
        f"<details><summary>the other {len(rest):,} rows 其余 {len(rest):,} 行</summary>"
        f"{box(rest)}</details>"
        if rest
        else ""
    )
    return (
        f'<div id="{div_id}" class="table-figure"><h3>{html.escape(title)}</h3>'
        f"{box(shown)}{more}</div>"
    )


def build_report(run: RunData, names: tuple[str, ...] = FIGURE_NAMES) -> str:
    """Figures of ``run`` and the page around them."""
    t0 = time.perf_counter()
    figures = run_figures(run, names)
    page = render_html(run, figures)
    log.info(
        "report: %d figures, %.1f kB in %.2f s",
        len(figures),
        len(page) / 1e3,
        time.perf_counter() - t0,
    )
    return page


def write_report(run_dir: str | Path, out_path: str | Path) -> Path:
    """Read the run folder ``run_dir`` and write its HTML report to ``out_path``."""
    out = Path(out_path)
    run = read_run(run_dir)
    page = build_report(run)
    with atomic_file(out, encoding="utf-8") as fh:
        fh.write(page)
    return out
