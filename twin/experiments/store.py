"""The sweep folder: one file per finished point, written atomically, and the tables.

::

    DIR/sweep.json            the sweep: name, base, seed, replications, baseline, points
    DIR/points/<slug>.json    one per point that ran: its replications' KPIs, or its error
    DIR/results.csv           one row per point and replication, every numeric KPI
    DIR/summary.csv           per point and KPI: n, mean, std, 95 % CI, replications needed
    DIR/differences.csv       per point and KPI: paired difference against the baseline
    DIR/points.csv            per point: status, cost, changes, error, seconds
    DIR/report.html           the comparison report (offline)

A point file is written whole (temporary file, then rename) once every replication of
the point has finished, so an interrupt never leaves half a point: a rerun reads the
point files, keeps those whose scenario and seed are unchanged and runs the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from twin.errors import TwinError
from twin.runs.write import atomic_file

__all__ = [
    "POINTS",
    "check_sweep_folder",
    "point_file",
    "read_point_files",
    "replication_rows",
    "write_frame",
    "write_json",
]

POINTS = "points"
_MARKER = "sweep.json"


def check_sweep_folder(folder: str | Path) -> Path:
    """``folder`` may be absent, empty or an earlier sweep folder (it holds
    ``sweep.json``); anything else is refused so that no file of the user's is touched."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise TwinError(f"--out {path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / _MARKER).is_file():
        raise TwinError(
            f"--out {path}: folder holds other files and no {_MARKER}; give a new or empty "
            "folder, or the folder of an earlier sweep to resume it"
        )
    return path


def point_file(folder: Path, name: str) -> Path:
    """``points/<slug>-<hash>.json``: readable, and unique whatever the name holds."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:60] or "point"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return folder / POINTS / f"{slug}-{digest}.json"


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_clean(doc), indent=1, ensure_ascii=False, allow_nan=False, default=str)
    with atomic_file(path, encoding="utf-8") as fh:
        fh.write(text + "\n")


def read_point_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Every readable point file by point name (unreadable ones are ignored: the point
    simply runs again)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / POINTS).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("name"), str):
            out[doc["name"]] = doc
    return out


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """A CSV written atomically (full float precision, no index)."""
    with atomic_file(path, encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False)


def replication_rows(points: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``results.csv`` from point documents, in the order given."""
    rows = []
    for doc in points:
        for rep in sorted(doc.get("replications", []), key=lambda r: r["replication"]):
            kpis = {k: (math.nan if v is None else float(v)) for k, v in rep["kpis"].items()}
            rows.append(
                {"point": doc["name"], "replication": rep["replication"], "seed": doc["seed"]}
                | kpis
            )
    return rows
