"""Schedule adherence: how closely a run followed its plan.

The plan is plain values (:class:`twin.shopinfo.PlanInfo`: planned start and end per
(lot, operation)), so adherence can be computed for a simulated run or for the event
log of a real shop against the plan it was given. An operation adheres when it starts
within ``tolerance`` of its planned start, early or late (an MES start-time tolerance;
ISO 22400-2 has no adherence KPI, VDI 4499 and APS practice measure it this way).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from twin.shopinfo import PlanInfo

__all__ = ["ADHERENCE_KEYS", "adherence_kpis"]

ADHERENCE_KEYS = (
    "plan_adherence", "start_delay_mean", "start_delay_p95", "lots_late_against_plan",
)  # fmt: skip


def adherence_kpis(
    plan: PlanInfo | None,
    rows: Iterable[tuple[float, str, str, int, int, str, float, str]],
) -> dict[str, float]:
    """Over the operations the plan and the log both have (the first ``op_start`` of
    each (lot, operation) in the log; a print cell's parts share it):

    - ``plan_adherence``: share starting within ``plan.tolerance`` of the planned start;
    - ``start_delay_mean``, ``start_delay_p95``: actual - planned start (negative: early);
    - ``lots_late_against_plan``: lots finished later than their planned finish plus
      the tolerance, or not finished at all.

    NaN (and 0 lots) without a plan.
    """
    if plan is None or not plan.start:
        return {"plan_adherence": math.nan, "start_delay_mean": math.nan,
                "start_delay_p95": math.nan, "lots_late_against_plan": 0}  # fmt: skip
    started: dict[tuple[int, int], float] = {}
    finished: dict[int, float] = {}
    for t, kind, _station, job, operation, _state, _value, _product in rows:
        if kind == "op_start":
            started.setdefault((job, operation), t)
        elif kind == "finish":
            finished[job] = t
    delays = np.array(
        [t - plan.start[key] for key, t in started.items() if key in plan.start], np.float64
    )
    tol = plan.tolerance
    late = sum(1 for job, due in plan.lot_finish.items() if finished.get(job, math.inf) > due + tol)
    if not len(delays):
        return {"plan_adherence": math.nan, "start_delay_mean": math.nan,
                "start_delay_p95": math.nan, "lots_late_against_plan": late}  # fmt: skip
    return {
        "plan_adherence": float(np.mean(np.abs(delays) <= tol + 1e-9)),
        "start_delay_mean": float(delays.mean()),
        "start_delay_p95": float(np.percentile(delays, 95)),
        "lots_late_against_plan": late,
    }
