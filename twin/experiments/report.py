"""The HTML comparison report of a sweep (or of compared folders): the frames of a
:class:`~twin.experiments.results.SweepResult` through :mod:`twin.plot.compare_report`."""

from __future__ import annotations

from pathlib import Path

from twin.experiments.results import SweepResult
from twin.plot.compare_report import write_comparison

__all__ = ["write_sweep_report"]


def write_sweep_report(result: SweepResult, path: str | Path, title: str | None = None) -> Path:
    """Write the offline comparison report of ``result`` to ``path`` (atomically)."""
    reps = result.points.loc[result.points["status"] == "done", "replications"]
    facts = {
        "sweep folder": result.folder,
        "points": len(result.points),
        "replications per point": int(reps.max()) if len(reps) else 0,
        "relative precision asked": f"{100 * result.precision:g} %",
        "time unit": result.time_unit,
    }
    return write_comparison(
        path,
        title or f"Comparison 方案对比 — {result.name}",
        summary=result.summary,
        differences=result.differences,
        points=result.points,
        baseline=result.baseline,
        time_unit=result.time_unit,
        nc_target=result.nc_target,
        currency=result.currency,
        precision=result.precision,
        facts=facts,
    )
