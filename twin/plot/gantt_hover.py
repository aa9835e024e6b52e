"""What a Gantt bar says when hovered: the operation, its clock times, duration, plan, due.

The texts are made here, in Python, once per bar (``customdata``), because plotly's hover
templates cannot turn model time into a date: with the scenario's ``start`` a time reads
``Mon 2026-01-05 06:00``; without one it stays in the model unit (``120.0 min``).
Durations read in minutes, hours or days as fits (:func:`twin.plot.style.duration_text`).

Columns of ``customdata`` (:data:`HOVER_FIELDS`): the bar's text uses field 0 (the job).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from twin.plot.style import duration_text

__all__ = [
    "HOVER_FIELDS", "actual_hover", "clock_texts", "job_labels", "plan_hover", "with_plan_times",
]  # fmt: skip

HOVER_FIELDS = (
    "job", "operation", "start", "end", "duration", "plan", "setup", "product", "due",
)  # fmt: skip

#: Hover of an executed operation (every piece of a paused one says the same).
ACTUAL_TEMPLATE = (
    "<b>%{customdata[0]}</b> · %{customdata[1]}<br>%{y}<br>"
    "actual 实际 %{customdata[2]} → %{customdata[3]}%{customdata[5]}<br>"
    "duration 时长 %{customdata[4]}%{customdata[6]}<br>"
    "%{customdata[7]}%{customdata[8]}<extra>%{fullData.name}</extra>"
)
#: Hover of a planned slot.
PLAN_TEMPLATE = (
    "<b>%{customdata[0]}</b> · %{customdata[1]}<br>%{y}<br>"
    "planned 计划 %{customdata[2]} → %{customdata[3]}<br>"
    "duration 时长 %{customdata[4]}%{customdata[6]}<br>"
    "%{customdata[7]}%{customdata[8]}<extra>%{fullData.name}</extra>"
)

_UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3_600.0}


def clock_texts(values: np.ndarray, time_unit: str, start: datetime | None) -> np.ndarray:
    """Model times as ``Mon 2026-01-05 06:00`` from ``start``; without a start (or with
    an unknown unit) as ``t=1,234.5 min``. NaN reads as an empty string."""
    values = np.asarray(values, dtype=float)
    known = np.isfinite(values)
    out = np.full(len(values), "", dtype=object)
    seconds = _UNIT_SECONDS.get(time_unit)
    if start is None or seconds is None:
        out[known] = [f"t={v:,.1f} {time_unit}" for v in values[known]]
        return out
    at = pd.Timestamp(start) + pd.to_timedelta(values[known] * seconds, unit="s")
    out[known] = np.asarray(at.strftime("%a %Y-%m-%d %H:%M"), dtype=object)
    return out


def job_labels(jobs: np.ndarray, job_names: Sequence[str] | None) -> np.ndarray:
    """Job names where known (``summary["jobs"]``), else the index as text."""
    out = np.asarray(jobs).astype(str).astype(object)
    if job_names:
        names = np.asarray(job_names, dtype=object)
        known = (jobs >= 0) & (jobs < len(names))
        out[known] = names[jobs[known]]
    return out


def _op_names(frame: pd.DataFrame) -> np.ndarray:
    """The routing step's name (``op_name``), else "op k" counted from 1."""
    if "op_name" in frame:
        return frame["op_name"].astype(str).to_numpy(dtype=object)
    return np.array([f"op {k + 1}" for k in frame["operation"].to_numpy()], dtype=object)


def _common(
    frame: pd.DataFrame, job_names: Sequence[str] | None, time_unit: str, start: datetime | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Job label, operation name, product and due-date text of every row."""
    n = len(frame)
    product = (
        frame["product"].astype(str).to_numpy(dtype=object)
        if "product" in frame
        else np.full(n, "", dtype=object)
    )
    due = np.full(n, "", dtype=object)
    if "due" in frame:
        when = clock_texts(frame["due"].to_numpy(dtype=float), time_unit, start)
        has = when != ""
        due[has] = " · due 交期 " + when[has]
    return job_labels(frame["job"].to_numpy(), job_names), _op_names(frame), product, due


def _durations(values: np.ndarray, time_unit: str) -> np.ndarray:
    return np.array([duration_text(float(v), time_unit) for v in values], dtype=object)


def actual_hover(
    frame: pd.DataFrame,
    job_names: Sequence[str] | None = None,
    *,
    time_unit: str = "min",
    start: datetime | None = None,
) -> np.ndarray:
    """``customdata`` of executed operations (one row per bar piece).

    Times are those of the whole operation (``op_start``/``op_end`` when the frame
    holds pieces of :func:`twin.plot.pauses.split_at_pauses`). The duration is its
    working time, with the stretch it spanned and its pauses when it was paused, and
    which piece the bar is. With ``plan_start``/``plan_end`` columns (a run that
    followed a plan) the planned times come after the duration.
    """
    n = len(frame)
    t0 = frame["op_start" if "op_start" in frame else "start"].to_numpy(dtype=float)
    t1 = frame["op_end" if "op_end" in frame else "end"].to_numpy(dtype=float)
    worked = frame["worked"].to_numpy(dtype=float) if "worked" in frame else t1 - t0
    duration = _durations(worked, time_unit)
    if "pieces" in frame:
        pieces = frame["pieces"].to_numpy()
        paused = np.flatnonzero((pieces > 1) | (t1 - t0 - worked > 1e-9))
        piece = frame["piece"].to_numpy()
        for i in paused:
            duration[i] += (
                f" working over {duration_text(t1[i] - t0[i], time_unit)}, paused "
                f"{duration_text(t1[i] - t0[i] - worked[i], time_unit)} (off shift or down)"
                f"<br>piece 段 {piece[i] + 1} of {pieces[i]}"
            )
    plan = np.full(n, "", dtype=object)
    if "plan_start" in frame and "plan_end" in frame:
        p0 = frame["plan_start"].to_numpy(dtype=float)
        p1 = frame["plan_end"].to_numpy(dtype=float)
        s0, s1 = clock_texts(p0, time_unit, start), clock_texts(p1, time_unit, start)
        for i in np.flatnonzero(np.isfinite(p0)):
            late = t0[i] - p0[i]
            drift = "on time" if abs(late) < 1e-9 else duration_text(abs(late), time_unit)
            if abs(late) >= 1e-9:
                drift = f"started {drift} {'late' if late > 0 else 'early'}"
            plan[i] = f"<br>planned 计划 {s0[i]} → {s1[i]} ({drift})"
    setup = np.full(n, "", dtype=object)
    if "setup" in frame:
        s = frame["setup"].to_numpy(dtype=float)
        for i in np.flatnonzero(s > 0):
            setup[i] = f"<br>setup before 换型 {duration_text(s[i], time_unit)}"
    job, op, product, due = _common(frame, job_names, time_unit, start)
    return _stack(
        job,
        op,
        clock_texts(t0, time_unit, start),
        clock_texts(t1, time_unit, start),
        duration,
        plan,
        setup,
        product,
        due,
    )


def plan_hover(
    frame: pd.DataFrame,
    job_names: Sequence[str] | None = None,
    *,
    time_unit: str = "min",
    start: datetime | None = None,
) -> np.ndarray:
    """``customdata`` of planned slots: the same fields, the plan's times."""
    t0 = frame["start"].to_numpy(dtype=float)
    t1 = frame["end"].to_numpy(dtype=float)
    job, op, product, due = _common(frame, job_names, time_unit, start)
    blank = np.full(len(frame), "", dtype=object)
    return _stack(
        job,
        op,
        clock_texts(t0, time_unit, start),
        clock_texts(t1, time_unit, start),
        _durations(t1 - t0, time_unit),
        blank,
        blank,
        product,
        due,
    )


def with_plan_times(actual: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """``actual`` with ``plan_start`` and ``plan_end``: the planned slot of each executed
    operation's (job, operation), for :func:`actual_hover`."""
    if actual.empty or plan.empty:
        return actual
    planned = plan.groupby(["job", "operation"]).agg(
        plan_start=("start", "min"), plan_end=("end", "max")
    )
    return actual.join(planned, on=["job", "operation"])


def _stack(*columns: np.ndarray) -> np.ndarray:
    """The columns in the order of :data:`HOVER_FIELDS`, one row per bar."""
    return np.column_stack([np.asarray(c, dtype=object) for c in columns])
