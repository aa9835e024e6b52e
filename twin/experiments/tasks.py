"""What a worker runs: one point's scenario document, a seed and some replication indices.

A :class:`Task` carries plain parameters only (the scenario as its parsed YAML document,
the seed, the replication indices), never SimPy objects or a built shop, so the same
task runs in this process, in a process pool or on a Dask worker, and gives the same
numbers: replication ``r`` of seed ``s`` draws from ``SeedSequence(s, spawn_key=(r,))``
whatever runs it (:func:`twin.run.simulate`). The same ``(seed, r)`` at every point is
what makes the comparisons use common random numbers.

:func:`run_task` never raises for a failing simulation: it returns the error as text,
so that one bad point is recorded and the sweep goes on (and no exception has to
survive pickling on its way back from a worker).
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Task", "TaskResult", "flatten_kpis", "run_task"]


@dataclass(frozen=True)
class Task:
    """Replications ``replications`` of one point (``planned``: a solver plans once,
    then every replication follows that plan)."""

    point: str
    data: dict[str, Any] = field(repr=False)
    source: str
    seed: int
    replications: tuple[int, ...]
    planned: bool = False


@dataclass
class TaskResult:
    """Per replication: its index and flat numeric KPIs; the solver summary and warnings
    of the first; ``error`` (text) when the task failed; the wall-clock seconds."""

    point: str
    replications: list[dict[str, Any]] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def flatten_kpis(kpis: dict[str, Any]) -> dict[str, float]:
    """Every numeric KPI as a float: top-level numbers keep their key, numbers one level
    down (per station or unit) become ``kpi.name``; flags, text and deeper tables
    (``state_time``, ``oee_by_unit``) are left out, ``None`` becomes NaN."""
    out: dict[str, float] = {}

    def number(value: Any) -> float | None:
        if isinstance(value, bool):
            return None
        if value is None:
            return math.nan
        if isinstance(value, int | float):
            return float(value)
        return None

    for key, value in kpis.items():
        if isinstance(value, dict):
            for name, inner in value.items():
                x = number(inner)
                if x is not None:
                    out[f"{key}.{name}"] = x
        else:
            x = number(value)
            if x is not None:
                out[key] = x
    return out


def run_task(task: Task) -> TaskResult:
    """Simulate the task's replications (in the worker that calls it)."""
    from twin.run import simulate  # the worker imports the simulation on first use
    from twin.scenario import Scenario

    started = time.perf_counter()
    result = TaskResult(task.point)
    try:
        scenario = Scenario.from_dict(task.data, source=task.source)
        first = None
        for r in task.replications:
            if first is None:
                run = simulate(scenario, seed=task.seed, replication=r)
                first = run
                result.solver = dict(run.solver)
            else:
                # As twin.run.replicate: later replications follow the first's plan (or
                # its dispatch rule) with their own random streams.
                run = simulate(
                    scenario,
                    plan=first.plan,
                    seed=task.seed,
                    method=first.execution.rule,
                    replication=r,
                    solver=first.solver,
                    problem=first.problem,
                    times=first.times,
                )
            result.replications.append({"replication": r, "kpis": flatten_kpis(run.kpis.to_dict())})
            result.warnings.extend(w for w in run.execution.warnings if w not in result.warnings)
    except Exception as exc:  # recorded, never raised: see the module docstring
        from twin.errors import TwinError

        text = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, TwinError):
            tail = traceback.format_exception(exc)[-3:]
            text += "\n" + "".join(tail).strip()
        result.error = text
        result.replications = []
    result.seconds = time.perf_counter() - started
    return result
