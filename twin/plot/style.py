"""Shared look of every figure: fixed state colours, the product palette, fonts, axes.

Colours are fixed so the same state or product looks the same in every chart of a
report and between reports (an engineer learns "red = down" once).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

import plotly.graph_objects as go

__all__ = [
    "BOTTLENECK_COLOR",
    "FONT_FAMILY",
    "MAX_LEGEND_GROUPS",
    "PALETTE",
    "STATE_COLORS",
    "STATE_LABELS",
    "STATE_ORDER",
    "base_layout",
    "calendar_axis",
    "clock_text",
    "duration_scale",
    "duration_text",
    "fit_margins",
    "group_colors",
    "time_axis",
]

# CJK fonts first that exist on Linux, Windows and macOS workshop PCs, so 数控化率 renders.
FONT_FAMILY = (
    '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", "Hiragino Sans GB", "Source Han Sans SC", "Segoe UI", "Helvetica Neue", '
    "Arial, sans-serif"
)

STATE_ORDER = (
    "busy", "setup", "waiting_operator", "idle", "starved", "blocked", "down", "planned_down",
    "no_order", "off",
)  # fmt: skip
STATE_COLORS = {
    "busy": "#2e8b57",
    "setup": "#f2b33d",
    "idle": "#c9ced6",
    "starved": "#8e6cc2",
    "blocked": "#e6772e",
    "down": "#d62728",
    "waiting_operator": "#d98cb3",
    "planned_down": "#6b8fb8",
    "no_order": "#aeb6c2",
    "off": "#4a5563",
}
STATE_LABELS = {
    "busy": "busy 加工",
    "setup": "setup 换型",
    "idle": "idle 空闲",
    "starved": "starved 待料",
    "blocked": "blocked 堵塞",
    "down": "down 故障",
    "waiting_operator": "waiting operator 待人",
    "planned_down": "planned down 计划停机",
    "no_order": "no order 无任务",
    "off": "off 停机/非班次",
}

# Colour-blind-safe qualitative palette (Okabe-Ito extended with Tableau tones); no pure red,
# which is reserved for breakdowns.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#8c564b", "#f0e442",
    "#7f7f7f", "#17becf", "#bcbd22", "#9467bd", "#2ca02c", "#ff9896", "#c5b0d5",
    "#c49c94", "#9edae5", "#dbdb8d", "#aec7e8", "#ffbb78", "#98df8a",
)  # fmt: skip

MAX_LEGEND_GROUPS = len(PALETTE)


def group_colors(groups: Sequence[str]) -> dict[str, str]:
    """A stable colour per group, in the order given (cycled beyond the palette)."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def base_layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    """Title, fonts, white background, legend on top: the same frame for every figure."""
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 17}},
        font={"family": FONT_FAMILY, "size": 13},
        template="plotly_white",
        margin={"l": 10, "r": 20, "t": 110 if "<br>" in title else 90, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0, "xanchor": "left"},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


# -- margins that fit the labels, so the browser draws a figure once -----------------------

#: Width of a 13 px character of the font stack: Latin (and digits), and CJK.
_CHAR_PX, _WIDE_PX = 7.6, 13.5
#: The report's plot width (a 1,400 px window); narrower windows may still rotate labels.
_PLOT_PX = 1150.0


def _text_px(text: object) -> float:
    plain = re.sub(r"<[^>]+>", "", str(text))
    return sum(_WIDE_PX if unicodedata.east_asian_width(c) in "WF" else _CHAR_PX for c in plain)


def _category_labels(fig: go.Figure, letter: str) -> list[str]:
    """The text labels on the first ``x`` or ``y`` axis: tick texts, a category array,
    or the string values of the traces on it (empty for a numeric axis)."""
    axis = fig.layout[f"{letter}axis"]
    if axis.ticktext and letter == "y":
        return [str(t) for t in axis.ticktext]
    if axis.categoryarray is not None and len(axis.categoryarray):
        return [str(t) for t in axis.categoryarray]
    labels: set[str] = set()
    for trace in fig.data:
        if trace.type in ("indicator", "table", "pie"):
            continue
        if (getattr(trace, f"{letter}axis", None) or letter) != letter:
            continue
        values = getattr(trace, letter, None)
        if values is not None and len(values) and isinstance(values[0], str):
            labels.update(str(v) for v in values)
    return sorted(labels)


def fit_margins(fig: go.Figure) -> go.Figure:
    """Margins wide enough for the axis labels and titles, estimated from their text.

    plotly.js draws a figure, then grows any margin a label does not fit in and draws
    the whole figure again ("automargin"): measured in headless Chromium, that second
    pass was about 40 % of the report's drawing time (issue 15). With margins that
    already fit, it draws once; where an estimate falls short (another font, a narrow
    window) automargin still grows the margin, so nothing is cut off.
    """
    if not any(t.type not in ("indicator", "table") for t in fig.data):
        return fig
    layout = fig.layout
    margin = layout.margin
    y_labels, x_labels = _category_labels(fig, "y"), _category_labels(fig, "x")
    y_title = 24 if layout.yaxis.title.text else 0
    widest_y = max((_text_px(v) for v in y_labels), default=38.0)  # numbers: ~5 digits
    left = widest_y + 14 + y_title
    right = 24.0
    second = getattr(layout, "yaxis2", None)  # a secondary axis on the right
    if second is not None and (second.overlaying or second.side == "right"):
        right = 52 + (24 if second.title.text else 0)
    x_title = 32 if layout.xaxis.title.text else 0
    bottom = 50.0 + x_title
    if layout.xaxis.tickvals is not None and layout.xaxis.ticktext is not None:
        x_labels = [str(t) for t in layout.xaxis.ticktext]
    if x_labels:
        widest = max(_text_px(v) for v in x_labels)
        if len(x_labels) * (widest + 14) > _PLOT_PX:  # crowded: plotly turns them 30 degrees
            bottom = 0.5 * widest + 30 + x_title
            right = max(right, 0.7 * widest)  # the last label, turned, overhangs
    # labels inside the margins: no measuring each one for overflow past the div (on a
    # Gantt with a thousand bars, each measure lays out the page: 0.1-0.2 s)
    fig.update_xaxes(ticklabeloverflow="allow")
    fig.update_yaxes(ticklabeloverflow="allow")
    fig.update_layout(
        margin={
            "l": math.ceil(max(left, margin.l or 0)),
            "r": math.ceil(max(right, margin.r or 0)),
            "b": math.ceil(max(bottom, margin.b or 0)),
        }
    )
    return fig


_PER_DAY = {"s": 86_400.0, "min": 1_440.0, "h": 24.0}


def time_axis(fig: go.Figure, time_unit: str, horizon: float) -> go.Figure:
    """Time in the scenario unit; runs over two days get a day (or week) grid to read shifts.

    Minor grid lines rather than fixed ticks, so zooming in still shows finer ticks.
    """
    day = _PER_DAY.get(time_unit)
    if day is None or horizon < 2 * day:
        fig.update_xaxes(title_text=f"time [{time_unit}]")
        return fig
    if horizon <= 60 * day:
        step, label = day, "1 day"
    else:
        weeks = _weeks_per_step(horizon / day, _MAX_GRID_LINES)
        step, label = 7 * weeks * day, "1 week" if weeks == 1 else f"{weeks} weeks"
    fig.update_xaxes(
        title_text=f"time [{time_unit}] · grid: {label} = {step:,.0f} {time_unit}",
        minor={
            "dtick": step,
            "tick0": 0,
            "showgrid": True,
            "gridcolor": "#b8c0cc",
            "griddash": "dot",
        },
    )
    return fig


#: At most this many labelled ticks, and grid lines: thousands of custom tick labels
#: (a run whose log runs on for decades) made plotly take minutes to draw one axis.
_MAX_TICKS = 60
_MAX_GRID_LINES = 400


def _weeks_per_step(days: float, most: int) -> int:
    """Whole weeks between two ticks so that ``days`` hold at most ``most`` of them."""
    return max(1, math.ceil(days / 7 / most))


def calendar_axis(fig: go.Figure, time_unit: str, start: datetime, horizon: float) -> go.Figure:
    """Label the time axis in calendar time from the scenario's ``start``: a tick at
    every midnight (every Monday past 60 days, every few Mondays past 60 weeks), written
    as weekday and date (and year past a year), shifts readable against the grid; the
    data stay in the model unit (hover too)."""
    day = _PER_DAY.get(time_unit)
    if day is None or horizon <= 0:
        return fig
    midnight = datetime.combine(start.date(), datetime.min.time(), tzinfo=start.tzinfo)
    first = midnight if midnight >= start else midnight + timedelta(days=1)
    step_days = 1 if horizon <= 60 * day else 7 * _weeks_per_step(horizon / day, _MAX_TICKS)
    if step_days >= 7:
        first += timedelta(days=(7 - first.weekday()) % 7)  # Mondays
    vals: list[float] = []
    text: list[str] = []
    when = first
    per_second = day / 86_400.0
    while True:
        x = (when - start).total_seconds() * per_second
        if x > horizon:
            break
        vals.append(x)
        text.append(when.strftime("%a %m-%d" if horizon <= 366 * day else "%a %Y-%m-%d"))
        when += timedelta(days=step_days)
    if not vals:
        return fig
    fig.update_xaxes(
        tickvals=vals,
        ticktext=text,
        title_text=f"calendar time 日历时间 from {start:%a %Y-%m-%d %H:%M} "
        f"(model time in {time_unit})",
        showgrid=True,
        gridcolor="#b8c0cc",
        griddash="dot",
    )
    return fig


# -- durations and clock times in words a planner reads ---------------------------------

_UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3_600.0}
#: Highlight of the bottleneck bar: the palette's orange (red means "down").
BOTTLENECK_COLOR = PALETTE[1]


def duration_scale(value: float, time_unit: str) -> tuple[float, str]:
    """The factor from ``time_unit`` and the unit that reads best for ``value``.

    Two days or more: days; two hours or more: hours; two minutes or more: minutes;
    never finer than ``time_unit`` itself (``0 min`` stays ``0 min``). The run files
    keep the model unit; only the report converts.
    """
    seconds = _UNIT_SECONDS.get(time_unit)
    if seconds is None:
        return 1.0, time_unit
    s = abs(value) * seconds
    for unit, size in (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if size <= seconds or s >= 2 * size:
            return (1.0, time_unit) if size <= seconds else (seconds / size, unit)
    return 1.0, time_unit


def duration_text(value: float, time_unit: str, half: float | None = None) -> str:
    """``"7.3 d"``, ``"5.2 h"``, ``"45 min"``, ``"7.3 ± 0.4 d"`` (with a 95 % half-width)."""
    factor, unit = duration_scale(value, time_unit)
    x = value * factor
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    if half is not None:
        text += f" ± {half * factor:,.1f}"
    return f"{text} {unit}"


def clock_text(start: datetime, value: float, time_unit: str) -> str:
    """Model time ``value`` as weekday, date and clock: ``"Mon 2026-01-05 06:00"``."""
    at = start + timedelta(seconds=value * _UNIT_SECONDS.get(time_unit, 60.0))
    return at.strftime("%a %Y-%m-%d %H:%M")
