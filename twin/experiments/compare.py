"""Comparing folders: run folders (``twin run``) and sweep folders (``twin sweep``) as the
points of one comparison, with the same frames as a sweep.

A run folder becomes one point named after the folder, its replications read from
``summary.json`` (``kpis_replications``); a sweep folder contributes each of its
finished points (``folder/point`` when several folders are compared). The first point
is the baseline unless one is named. Differences are paired when two points ran with
the same seed (common random numbers: ``twin run`` of two scenarios at one seed),
otherwise they use Welch's unpaired interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from twin.errors import TwinError
from twin.experiments.results import POINT_COLUMNS, SweepResult, read_sweep
from twin.experiments.stats import differences, summarise
from twin.experiments.tasks import flatten_kpis

__all__ = ["compare_folders"]


def _run_folder(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    file = path / "summary.json"
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TwinError(f"{file}: cannot read: {exc}") from None
    reps = doc.get("kpis_replications") if isinstance(doc, dict) else None
    if not isinstance(reps, list) or not reps or not all(isinstance(r, dict) for r in reps):
        kpis = doc.get("kpis") if isinstance(doc, dict) else None
        if not isinstance(kpis, dict):
            raise TwinError(f"{file}: expected the summary.json of 'twin run' (no 'kpis')")
        reps = [kpis]
    seed = doc.get("seed")
    rows = [
        {"point": path.name, "replication": r, "seed": seed if isinstance(seed, int) else math.nan}
        | flatten_kpis(kpis)
        for r, kpis in enumerate(reps)
    ]
    return pd.DataFrame(rows), doc


def compare_folders(
    folders: Sequence[str | Path], baseline: str | None = None, precision: float = 0.05
) -> SweepResult:
    """One comparison of the points of ``folders`` (see the module docstring)."""
    if not folders:
        raise TwinError("nothing to compare: give at least one run or sweep folder")
    frames: list[pd.DataFrame] = []
    points: list[dict[str, Any]] = []
    time_unit, currency = "min", ""
    several = len(folders) > 1
    for folder in map(Path, folders):
        if (folder / "sweep.json").is_file():
            sweep = read_sweep(folder)
            time_unit, currency = sweep.time_unit, sweep.currency or currency
            rename = {p: f"{folder.name}/{p}" if several else p for p in sweep.points["point"]}
            frames.append(sweep.results.assign(point=sweep.results["point"].map(rename)))
            table = sweep.points.assign(point=sweep.points["point"].map(rename))
            points.extend({str(k): v for k, v in r.items()} for r in table.to_dict("records"))
        elif (folder / "summary.json").is_file():
            frame, doc = _run_folder(folder)
            time_unit = str(doc.get("time_unit", time_unit))
            frames.append(frame)
            points.append(
                {
                    "point": folder.name,
                    "status": "done",
                    "cost": math.nan,
                    "replications": len(frame),
                    "seconds": math.nan,
                    "changes": str(doc.get("scenario_file") or ""),
                    "description": str(doc.get("scenario", "")),
                    "error": "",
                }
            )
        else:
            raise TwinError(
                f"{folder}: neither a run folder (summary.json) nor a sweep folder (sweep.json)"
            )
    names = [p["point"] for p in points]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TwinError(f"two compared points are both called {twice[0]!r}: rename a folder")
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    done = [p["point"] for p in points if p["status"] == "done"]
    base = baseline or (done[0] if done else names[0])
    if base not in names:
        raise TwinError(f"baseline {base!r} is not among the compared points: {', '.join(names)}")
    target = 0.7
    if "nc_rate_threshold" in results.columns and results["nc_rate_threshold"].notna().any():
        target = float(results["nc_rate_threshold"].dropna().iloc[0])
    title = " vs ".join(Path(f).name for f in folders)
    return SweepResult(
        name=title,
        baseline=base,
        results=results,
        summary=summarise(results, precision),
        differences=differences(results, base),
        points=pd.DataFrame(points, columns=POINT_COLUMNS),
        precision=precision,
        time_unit=time_unit,
        nc_target=target,
        currency=currency,
    )
