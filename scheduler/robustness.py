"""How robust is a plan? Monte Carlo evaluation under random durations and breakdowns.

The plan's machine assignment and machine order are kept, times float: see
:mod:`scheduler.kernels.montecarlo` for the execution and breakdown model. With
``cv=0`` and no breakdowns every sample is the plan's left-shifted schedule, so a plan
with idle time it does not need is scored as if it had none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scheduler.compact import chosen_modes
from scheduler.kernels.montecarlo import (
    DIST_FIXED,
    DIST_LOGNORMAL,
    DIST_TRIANGULAR,
    montecarlo_kernel,
)
from scheduler.kernels.rng import make_state
from scheduler.problem import ProblemData
from scheduler.result import Schedule

__all__ = ["DISTRIBUTIONS", "Breakdowns", "RobustnessResult", "Summary", "evaluate_plan"]

DISTRIBUTIONS = {"fixed": DIST_FIXED, "lognormal": DIST_LOGNORMAL, "triangular": DIST_TRIANGULAR}
_TRIANGULAR_MAX_CV = 1.0 / math.sqrt(6.0)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Breakdowns:
    """Machine failures: mean processing time between failures and mean repair time,
    one value for all machines or one per machine (``mtbf=inf``: never fails)."""

    mtbf: float | Sequence[float]
    mttr: float | Sequence[float]

    def arrays(self, num_machines: int) -> tuple[FloatArray, FloatArray]:
        """Per-machine ``(mtbf, mttr)`` for the kernel (``mtbf`` 0 = never fails)."""
        out = []
        for name in ("mtbf", "mttr"):
            arr = np.broadcast_to(np.asarray(getattr(self, name), np.float64), (num_machines,))
            if arr.ndim != 1 or np.isnan(arr).any():
                raise ValueError(f"breakdowns.{name}: expected {num_machines} numbers")
            out.append(np.array(arr))
        mtbf, mttr = out
        for m in np.flatnonzero(mtbf <= 0).tolist():
            raise ValueError(f"breakdowns.mtbf[{m}] must be > 0 (inf = never), got {mtbf[m]}")
        for m in np.flatnonzero((mttr < 0) | ~np.isfinite(mttr)).tolist():
            raise ValueError(f"breakdowns.mttr[{m}] must be finite and >= 0, got {mttr[m]}")
        return np.where(np.isinf(mtbf), 0.0, mtbf), mttr


@dataclass(frozen=True)
class Summary:
    mean: float
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, samples: FloatArray) -> Summary:
        p50, p95 = np.percentile(samples, [50, 95])
        return cls(float(samples.mean()), float(p50), float(p95), float(samples.max()))


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """Per-sample makespan and total weighted tardiness, and their summaries.
    ``planned_*`` are the plan's own values, for comparison."""

    makespan: FloatArray
    tardiness: FloatArray
    planned_makespan: int
    planned_tardiness: int
    seed: int

    @property
    def n_samples(self) -> int:
        return len(self.makespan)

    @property
    def makespan_stats(self) -> Summary:
        return Summary.of(self.makespan)

    @property
    def tardiness_stats(self) -> Summary:
        return Summary.of(self.tardiness)

    def to_dict(self) -> dict[str, Any]:
        """Summaries and plan values (not the samples), JSON-ready."""
        return {
            "n_samples": self.n_samples,
            "seed": self.seed,
            "planned_makespan": self.planned_makespan,
            "planned_tardiness": self.planned_tardiness,
            "makespan": vars(self.makespan_stats),
            "tardiness": vars(self.tardiness_stats),
        }


def _plan_arrays(data: ProblemData, schedule: Schedule) -> dict[str, np.ndarray]:
    """The kernel's view of a plan: order, predecessors, nominal durations."""
    n = data.num_ops
    if len(schedule) != n:
        raise ValueError(f"schedule has {len(schedule)} operations, the problem has {n}")
    machine = np.ascontiguousarray(schedule.machine, np.int64)
    for o in np.flatnonzero((machine < 0) | (machine >= data.num_machines)).tolist():
        raise ValueError(f"operation {o}: machine {machine[o]} outside 0..{data.num_machines - 1}")
    modes = chosen_modes(data, machine)  # raises for a machine that is not eligible
    nominal = np.ascontiguousarray(data.mode_duration[modes])
    kind = np.ascontiguousarray(data.mode_calendar[modes])
    loads = np.ascontiguousarray(data.mode_loads[modes])
    order = np.lexsort((np.arange(n), schedule.end, schedule.start))
    machine_pred = np.full(n, -1, np.int64)
    last = np.full(data.num_machines, -1, np.int64)
    for o in order.tolist():
        machine_pred[o] = last[machine[o]]
        last[machine[o]] = o
    first = data.job_op_ptr[:-1]
    job_pred = np.arange(n, dtype=np.int64) - 1
    job_pred[first] = -1
    earliest = np.zeros(n, np.int64)
    earliest[first] = data.release
    earliest = np.maximum(earliest, data.fixed_start)
    return {
        "order": order.astype(np.int64),
        "machine": machine,
        "machine_pred": machine_pred,
        "job_pred": job_pred,
        "nominal": nominal,
        "earliest": earliest,
        "job_last": np.ascontiguousarray(data.job_op_ptr[1:] - 1),
        "kind": kind,
        "loads": loads,
    }


def evaluate_plan(
    data: ProblemData,
    schedule: Schedule,
    n_samples: int = 1000,
    cv: float = 0.1,
    distribution: str = "lognormal",
    breakdowns: Breakdowns | None = None,
    seed: int = 0,
) -> RobustnessResult:
    """Run the plan ``n_samples`` times with sampled durations (mean = nominal,
    coefficient of variation ``cv``; ``lognormal``, ``triangular`` or ``fixed``) and,
    optionally, machine breakdowns; the same seed gives the same samples.

    Raises
    ------
    ValueError
        On bad arguments, and for instances with renewable resources: a plan fixes
        each machine's order but not who in a pool is served first once durations
        move, so the kernel would have to invent a policy (the twin simulates pools).
    """
    if data.has_resources:
        raise ValueError(
            "evaluate_plan does not model renewable resources (operator pools): simulate "
            "the plan in the twin instead (twin.simulate with plan=...)"
        )
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    if not (math.isfinite(cv) and cv >= 0):
        raise ValueError(f"cv must be finite and >= 0, got {cv}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"unknown distribution {distribution!r} (expected one of {', '.join(DISTRIBUTIONS)})"
        )
    if distribution == "triangular" and cv > _TRIANGULAR_MAX_CV:
        raise ValueError(
            f"triangular durations need cv <= {_TRIANGULAR_MAX_CV:.4f} to stay >= 0, got {cv}"
        )
    dist = DIST_FIXED if cv == 0 else DISTRIBUTIONS[distribution]
    if breakdowns is None:
        mtbf = np.zeros(data.num_machines)
        mttr = np.zeros(data.num_machines)
    else:
        mtbf, mttr = breakdowns.arrays(data.num_machines)
    plan = _plan_arrays(data, schedule)
    makespan, tardiness = montecarlo_kernel(
        plan["order"],
        plan["machine"],
        plan["machine_pred"],
        plan["job_pred"],
        plan["nominal"],
        plan["earliest"],
        data.op_family,
        data.setup,
        data.transport,
        data.window_ptr,
        data.window_start,
        data.window_end,
        plan["job_last"],
        data.due,
        data.weight,
        dist,
        float(cv),
        mtbf,
        mttr,
        int(n_samples),
        make_state(seed),
        plan["kind"],
        plan["loads"],
    )
    return RobustnessResult(
        makespan,
        tardiness,
        schedule.makespan,
        schedule.total_weighted_tardiness(data),
        int(seed),
    )
