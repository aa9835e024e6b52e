"""A sweep's results as pandas frames, built from its point files, written as CSV.

:class:`SweepResult` holds the frames the Python API returns and the CSV files hold:
``results`` (one row per point and replication), ``summary`` (per point and KPI),
``differences`` (against the baseline) and ``points`` (status, cost, changes, error).
:func:`read_sweep` rebuilds it from a sweep folder, so a result can be re-analysed (a
different precision, another baseline) without running anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from twin.errors import TwinError
from twin.experiments.stats import differences, summarise
from twin.experiments.store import read_point_files, replication_rows, write_frame

__all__ = ["SweepResult", "build_result", "read_sweep", "write_tables"]

POINT_COLUMNS = [
    "point",
    "status",
    "cost",
    "replications",
    "seconds",
    "changes",
    "description",
    "error",
]


@dataclass(frozen=True)
class SweepResult:
    """The frames of a sweep (see the module docstring) and what they are measured
    against: the baseline point, the relative precision, the 数控化率 target."""

    name: str
    baseline: str
    results: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    points: pd.DataFrame
    precision: float = 0.05
    time_unit: str = "min"
    nc_target: float = 0.7
    currency: str = ""
    folder: Path | None = None

    @property
    def failed(self) -> list[str]:
        """Points that ran and failed."""
        return self.points.loc[self.points["status"] == "failed", "point"].tolist()

    def means(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Point x KPI table of means (points in sweep order)."""
        table = self.summary.pivot(index="point", columns="kpi", values="mean")
        order = [p for p in self.points["point"] if p in table.index]
        table = table.loc[order]
        return table if kpis is None else table.reindex(columns=list(kpis))

    def with_baseline(self, baseline: str) -> SweepResult:
        """The same results compared against another point."""
        if baseline not in set(self.points["point"]):
            raise TwinError(f"baseline {baseline!r} is not a point of {self.name}")
        return replace(self, baseline=baseline, differences=differences(self.results, baseline))


def build_result(meta: Mapping[str, Any], docs: Mapping[str, Mapping[str, Any]]) -> SweepResult:
    """Frames from ``sweep.json``'s content and the point documents by name (points
    without a document are ``pending``)."""
    order = [p["name"] for p in meta["points"]]
    done = [docs[n] for n in order if n in docs and docs[n].get("status") == "done"]
    rows = replication_rows(done)
    results = pd.DataFrame(rows)
    if results.empty:
        results = pd.DataFrame(columns=["point", "replication", "seed"])
    precision = float(meta.get("precision", 0.05))
    baseline = str(meta.get("baseline") or (order[0] if order else ""))
    points = []
    for p in meta["points"]:
        doc = docs.get(p["name"], {})
        status = doc.get("status", "pending")
        points.append(
            {
                "point": p["name"],
                "status": status,
                "cost": p.get("cost", math.nan) if p.get("cost") is not None else math.nan,
                "replications": len(doc.get("replications", [])) if status == "done" else 0,
                "seconds": doc.get("seconds", math.nan),
                "changes": "; ".join(p.get("changes", [])),
                "description": p.get("description", ""),
                "error": doc.get("error") or "",
            }
        )
    return SweepResult(
        name=str(meta.get("name", "")),
        baseline=baseline,
        results=results,
        summary=summarise(results, precision),
        differences=differences(results, baseline),
        points=pd.DataFrame(points, columns=POINT_COLUMNS),
        precision=precision,
        time_unit=str(meta.get("time_unit", "min")),
        nc_target=float(meta.get("nc_target", 0.7)),
        currency=str(meta.get("currency", "")),
    )


def write_tables(folder: Path, result: SweepResult) -> list[str]:
    """Write results.csv, summary.csv, differences.csv and points.csv, each atomically;
    returns the file names."""
    files = {
        "results.csv": result.results,
        "summary.csv": result.summary,
        "differences.csv": result.differences,
        "points.csv": result.points,
    }
    for name, frame in files.items():
        write_frame(folder / name, frame)
    return list(files)


def read_sweep(folder: str | Path) -> SweepResult:
    """The result of the sweep in ``folder`` (finished points; others pending)."""
    root = Path(folder)
    meta_path = root / "sweep.json"
    if not meta_path.is_file():
        raise TwinError(f"{root}: not a sweep folder (no sweep.json)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TwinError(f"{meta_path}: cannot read: {exc}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("points"), list):
        raise TwinError(f"{meta_path}: expected an object with a 'points' list")
    return replace(build_result(meta, read_point_files(root)), folder=root)
