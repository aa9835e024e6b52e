"""The report's first screen: does the workshop meet its targets, and what limits it?

One block answers the pilot's question before any table: 数控化率 both ways against the
scenario's target with a pass/fail badge, output and delivery, the bottleneck and its
load, OEE (with its formula), labour per good part, and the run's window in calendar
time when the scenario has a ``start``. Every value comes from ``summary.json``
(replicated runs: mean ± 95 % CI half-width); the late-delivery count reads the event
log of replication 0, the only log a run folder keeps.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from twin.plot.bottleneck import Ranking, processing_units, rank_units
from twin.plot.style import clock_text, duration_text
from twin.runs.read import RunData

__all__ = ["VERDICT_CSS", "late_lots", "ranking_of", "run_start", "verdict_html"]

OEE_FORMULA = (
    "OEE = availability × performance × quality, on loading time "
    "(calendar − off shift − no order − planned down); docs/KPIS.md"
)

VERDICT_CSS = """
.verdict { border: 1px solid #d9dee5; border-radius: 6px; padding: 10px 16px 6px;
           margin: 10px 0 14px; background: #fafbfc; }
.verdict .cards { display: flex; flex-wrap: wrap; gap: 10px 28px; }
.verdict .card { min-width: 190px; } .verdict .big { font-size: 22px; font-weight: 600; }
.verdict .lbl { color: #52606d; font-size: 12px; }
.verdict .sub { font-size: 12px; color: #52606d; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 8px; font-size: 13px;
         font-weight: 700; color: #fff; vertical-align: middle; }
.badge.pass { background: #2e7d32; } .badge.fail { background: #c62828; }
.badge.na { background: #7b8794; }
.verdict .headline { font-size: 17px; margin: 2px 0 10px; }
.loadbars { font-size: 12px; margin: 4px 0; } .loadbars td { border: 0; padding: 1px 6px; }
.loadbars .bar { height: 12px; display: inline-block; vertical-align: middle; }
"""


def run_start(summary: Mapping[str, Any]) -> datetime | None:
    """The scenario's ``start`` (time 0) from ``summary.json``, ``None`` if absent or bad."""
    start = summary.get("start")
    if not isinstance(start, str):
        return None
    try:
        return datetime.fromisoformat(start)
    except ValueError:
        return None


def ranking_of(run: RunData) -> Ranking:
    """The load ranking of the run's processing units (all units without station data)."""
    state_time = run.summary.get("kpis", {}).get("state_time")
    if not isinstance(state_time, Mapping):
        return Ranking((), ())
    stations = run.summary.get("stations")
    units = processing_units(stations) if isinstance(stations, list) and stations else None
    return rank_units(state_time, units)


def late_lots(run: RunData) -> int | None:
    """Lots delivered after their due date in the event log (replication 0); ``None``
    when no lot has a due date."""
    jobs = run.summary.get("jobs") or []
    due = np.array(
        [j.get("due") if isinstance(j.get("due"), int | float) else np.nan for j in jobs],
        dtype=float,
    )
    if not np.isfinite(due).any():
        return None
    ev = run.events
    done = ev[(ev["kind"] == "finish") & (ev["job"] >= 0) & (ev["job"] < len(due))]
    late = done["time"].to_numpy() > due[done["job"].to_numpy()]
    return int(late.sum())


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)


def _kpi(kpis: Mapping[str, Any], key: str) -> tuple[float | None, float | None]:
    """(value, 95 % half-width or None); non-finite values count as missing, and a
    half-width of 0 (equal in every replication: a constant) as none."""
    v = kpis.get(key)
    if isinstance(v, Mapping):
        half = _number(v.get("ci95", v.get("ci_halfwidth")))
        return _number(v.get("mean")), half if half else None
    return _number(v), None


def _share(kpis: Mapping[str, Any], key: str) -> str:
    v, half = _kpi(kpis, key)
    if v is None:
        return "n/a"
    return f"{100 * v:.1f}" + ("" if half is None else f" ± {100 * half:.1f}") + " %"


def _plain(kpis: Mapping[str, Any], key: str, fmt: str, unit: str) -> str | None:
    v, half = _kpi(kpis, key)
    if v is None:
        return None
    return format(v, fmt) + ("" if half is None else " ± " + format(half, fmt)) + f" {unit}"


def _badge(ok: bool | None) -> str:
    if ok is None:
        return '<span class="badge na">n/a</span>'
    return (
        '<span class="badge pass">PASS 达标 ✓</span>'
        if ok
        else '<span class="badge fail">FAIL 未达标 ✗</span>'
    )


def _meets(kpis: Mapping[str, Any], key: str, target: float | None) -> bool | None:
    flag = kpis.get(f"{key}_meets_threshold")
    if isinstance(flag, bool):
        return flag
    v, _ = _kpi(kpis, key)
    if v is None or target is None:
        return None
    return v >= target - 1e-9


def _card(label: str, value: str, sub: str = "") -> str:
    return (
        f'<div class="card"><div class="lbl">{label}</div><div class="big">{value}</div>'
        + (f'<div class="sub">{sub}</div>' if sub else "")
        + "</div>"
    )


def _nc_cards(kpis: Mapping[str, Any]) -> tuple[list[str], bool | None]:
    target, _ = _kpi(kpis, "nc_rate_threshold")
    shown = "n/a" if target is None else f"{100 * target:.0f} %"
    cards, verdicts = [], []
    for key, label in (
        ("nc_rate_equipment", "设备数控化率 NC rate (equipment)"),
        ("nc_rate_process", "工序数控化率 NC rate (process hours)"),
    ):
        ok = _meets(kpis, key, target)
        verdicts.append(ok)
        cards.append(_card(label, f"{_share(kpis, key)} {_badge(ok)}", f"target 目标 {shown}"))
    known = [v for v in verdicts if v is not None]
    return cards, (all(known) if known else None)


def _delivery(run: RunData, kpis: Mapping[str, Any]) -> str:
    parts = []
    late = late_lots(run)
    if late is not None:
        reps = run.summary.get("replications")
        parts.append(
            f"{late} late 延期交付"
            + (" (replication 0)" if isinstance(reps, int) and reps > 1 else "")
        )
    overdue = _plain(kpis, "jobs_overdue", ",.0f", "overdue 逾期未交")
    if overdue is not None:
        parts.append(overdue.replace(" ± 0 ", " "))  # every replication agrees
    return "lots 批次: " + " · ".join(parts) if parts else ""


def _window(run: RunData, kpis: Mapping[str, Any]) -> str:
    tu = run.time_unit
    w0, _ = _kpi(kpis, "window_start")
    w1, w1_half = _kpi(kpis, "window_end")
    if w1 is None:
        return ""
    start = run_start(run.summary)
    length = duration_text(w1 - (w0 or 0.0), tu, w1_half)
    if start is None:
        return f"Observation window 统计区间: {length} (no calendar start in the scenario)"
    return (
        f"Observation window 统计区间: {clock_text(start, w0 or 0.0, tu)} → "
        f"{clock_text(start, w1, tu)} ({length})"
    )


def verdict_html(run: RunData, ranking: Ranking | None = None) -> str:
    """The verdict block (``<section id="verdict">``): headline, cards, window."""
    kpis = run.summary.get("kpis") or {}
    ranking = ranking_of(run) if ranking is None else ranking
    nc_cards, nc_ok = _nc_cards(kpis)
    top = ranking.bottleneck
    bottleneck = (
        "no unit worked"
        if top is None
        else f'<a href="#bottlenecks">{html.escape(top.unit)}</a> at {100 * top.load:.0f} % load'
    )
    nc_word = {True: "meets 达标", False: "misses 未达标", None: "has no"}[nc_ok]
    headline = (
        f'<p class="headline">{_badge(nc_ok)} The workshop {nc_word} its 数控化率 target; '
        f"bottleneck 瓶颈: <b>{bottleneck}</b>.</p>"
    )
    cards = list(nc_cards)
    tput = _plain(kpis, "throughput_per_hour", ",.2f", "parts/h")
    if tput is not None:
        lots = _plain(kpis, "throughput_lots_per_hour", ",.3f", "lots/h")
        cards.append(_card("Throughput 产出率", tput, lots or ""))
    if _kpi(kpis, "on_time_rate")[0] is not None:
        cards.append(
            _card("On-time rate 准时交付率", _share(kpis, "on_time_rate"), _delivery(run, kpis))
        )
    if top is not None:
        cards.append(
            _card(
                "Bottleneck 瓶颈",
                f'<a href="#bottlenecks">{html.escape(top.unit)}</a> {100 * top.load:.0f} %',
                "busy / available time (on shift, not in maintenance)",
            )
        )
    if _kpi(kpis, "oee")[0] is not None:
        apq = " · ".join(
            f"{k} {_share(kpis, key)}"
            for k, key in (("A", "availability"), ("P", "performance"), ("Q", "quality"))
            if _kpi(kpis, key)[0] is not None
        )
        label = f'<a href="#kpis" title="{html.escape(OEE_FORMULA)}">OEE 设备综合效率 ⓘ</a>'
        cards.append(_card(label, _share(kpis, "oee"), apq))
    labour = _plain(kpis, "labour_hours_per_good_part", ",.2f", "h")
    if labour is not None:
        cards.append(_card("Labour per good part 单件工时", labour, "operators' attendance hours"))
    lead, half = _kpi(kpis, "lead_time_mean")
    if lead is not None:
        cards.append(_card("Mean lead time 平均生产周期", duration_text(lead, run.time_unit, half)))
    reps = run.summary.get("replications")
    notes = [_window(run, kpis)]
    if isinstance(reps, int) and reps > 1:
        notes.append(f"mean ± 95 % confidence half-width over {reps} replications 多次仿真")
    note = " · ".join(n for n in notes if n)
    return (
        '<section id="verdict" class="verdict"><h2 style="margin-top:4px">Verdict 结论</h2>'
        f'{headline}<div class="cards">{"".join(cards)}</div>'
        + (f'<p class="note">{note}</p>' if note else "")
        + "</section>"
    )
