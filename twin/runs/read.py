"""Read a run folder (``summary.json``, ``events.csv``, ``schedule.csv``) into frames.

The folder is the contract with ``twin run`` (:mod:`twin.runs.write`); everything
here checks that contract, so plots and reports never touch SimPy and work on logs
reported by a real MES just as well. The frames derived from it are in
:mod:`twin.runs.frames`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.errors import TwinError
from twin.runs.write import SCHEDULE_COLUMNS

__all__ = [
    "EVENT_COLUMNS",
    "SCHEDULE_COLUMNS",
    "RunData",
    "RunDirError",
    "kpis_with_ci",
    "read_run",
    "validate_events",
    "validate_plan",
]

EVENT_COLUMNS = ("time", "kind", "station", "job", "operation", "state", "value", "product")


class RunDirError(TwinError):
    """A run folder, or a frame claimed to come from one, breaks the contract."""


@dataclass(frozen=True)
class RunData:
    """One run: the summary dict, the event log and the plan (``None`` if absent).

    For a replicated run, :func:`read_run` presents each scalar KPI of
    ``summary["kpis"]`` as ``{"mean": ..., "ci95": ...}`` (the file's mean with its
    ``kpis_ci95`` half-width, see :func:`kpis_with_ci`): the display form the report
    and plots read ("mean ± CI"). Single runs keep plain numbers.
    """

    summary: dict[str, Any]
    events: pd.DataFrame
    plan: pd.DataFrame | None = None
    path: Path | None = None

    @property
    def time_unit(self) -> str:
        return str(self.summary.get("time_unit", "min"))

    @property
    def machines(self) -> list[str]:
        """Unit names in scheduler machine-index order (``summary["machines"]``)."""
        return [str(m) for m in self.summary.get("machines", [])]

    @property
    def job_names(self) -> list[str]:
        return [str(j.get("id", f"J{i}")) for i, j in enumerate(self.summary.get("jobs", []))]

    @property
    def job_products(self) -> list[str]:
        return [str(j.get("product", "")) for j in self.summary.get("jobs", [])]

    @property
    def horizon(self) -> float:
        """Time of the last event (0 for an empty log)."""
        return float(self.events["time"].max()) if len(self.events) else 0.0


def read_run(run_dir: str | Path) -> RunData:
    """Read and validate a run folder; errors name the file and the column or field."""
    root = Path(run_dir)
    if not root.is_dir():
        raise RunDirError(f"{root}: not a run folder (expected a directory from 'twin run')")
    summary_path = root / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(
            f"{summary_path}: missing (is {root} a 'twin run' output folder?)"
        ) from None
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{summary_path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(summary, dict):
        raise RunDirError(f"{summary_path}: expected a JSON object, got {type(summary).__name__}")
    for name in ("kpis", "kpis_ci95"):
        if not isinstance(summary.get(name, {}), dict):
            raise RunDirError(f"{summary_path}: field {name!r} must be an object")
    summary = kpis_with_ci(summary)
    events_path = root / "events.csv"
    if not events_path.is_file():
        raise RunDirError(f"{events_path}: missing")
    events = validate_events(_read_csv(events_path), source=str(events_path))
    plan_path = root / "schedule.csv"
    plan = validate_plan(_read_csv(plan_path), str(plan_path)) if plan_path.is_file() else None
    machines, jobs = _names(summary, summary_path)
    # A summary without job or machine lists (a log from elsewhere) bounds nothing above.
    n_jobs = len(jobs) if "jobs" in summary else _NO_BOUND
    n_machines = len(machines) if "machines" in summary else _NO_BOUND
    _check_range(events, "job", -1, n_jobs, str(events_path), "summary.json's jobs")
    if plan is not None:
        _check_range(plan, "job", 0, n_jobs, str(plan_path), "summary.json's jobs")
        _check_range(plan, "machine", 0, n_machines, str(plan_path), "summary.json's machines")
    return RunData(summary=summary, events=events, plan=plan, path=root)


_NO_BOUND = 2**62


def _names(summary: dict[str, Any], source: Path) -> tuple[list[Any], list[Any]]:
    """``summary["machines"]`` (names) and ``summary["jobs"]`` (objects), checked."""
    machines, jobs = summary.get("machines", []), summary.get("jobs", [])
    if not isinstance(machines, list) or not all(isinstance(m, str) for m in machines):
        raise RunDirError(f"{source}: field 'machines' must be a list of unit names")
    if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
        raise RunDirError(f"{source}: field 'jobs' must be a list of objects")
    return machines, jobs


def _check_range(
    frame: pd.DataFrame, column: str, low: int, size: int, source: str, of: str
) -> None:
    """Every index in ``column`` is in ``[low, size)``: an index past the list would be
    drawn on the wrong unit (-1 is the last one in numpy) or crash a figure."""
    values = frame[column].to_numpy()
    bad = np.flatnonzero((values < low) | (values >= size))
    if len(bad):
        row = int(bad[0])
        raise RunDirError(
            f"{source}: row {row}, column {column!r}: index {values[row]} outside "
            f"{low}..{size - 1} ({of} has {size})"
        )


def kpis_with_ci(summary: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``summary`` whose scalar ``kpis`` with a 95 % half-width in
    ``kpis_ci95`` become ``{"mean": value, "ci95": half}``; unchanged without
    ``kpis_ci95`` (single runs, folders written before the field existed)."""
    kpis, ci95 = summary.get("kpis") or {}, summary.get("kpis_ci95") or {}
    if not ci95:
        return summary
    shown = dict(kpis)
    for key, value in kpis.items():
        half = ci95.get(key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and isinstance(half, int | float) and not isinstance(half, bool):
            shown[key] = {"mean": value, "ci95": half}
    return dict(summary, kpis=shown)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # keep_default_na=False: an empty product or state is "", not NaN.
        return pd.read_csv(path, keep_default_na=False, na_values={"time": [""], "value": [""]})
    except pd.errors.EmptyDataError:
        raise RunDirError(f"{path}: empty file (expected a header line)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path}: cannot parse: {exc}") from None


def _numeric(frame: pd.DataFrame, column: str, kind: type, source: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise RunDirError(
            f"{source}: row {row}, column {column!r}: expected a number, "
            f"got {frame[column].iloc[row]!r}"
        )
    return values.astype(kind)


def validate_events(frame: pd.DataFrame, source: str = "events") -> pd.DataFrame:
    """Check the event-log columns and normalise dtypes (a new frame, sorted stably by time)."""
    missing = [c for c in EVENT_COLUMNS if c not in frame.columns]
    if missing:
        raise RunDirError(f"{source}: missing column(s) {missing} (expected {list(EVENT_COLUMNS)})")
    out = pd.DataFrame(
        {
            "time": _numeric(frame, "time", float, source),
            "kind": frame["kind"].astype(str),
            "station": frame["station"].astype(str),
            "job": _numeric(frame, "job", int, source),
            "operation": _numeric(frame, "operation", int, source),
            "state": frame["state"].astype(str),
            "value": _numeric(frame, "value", float, source),
            "product": frame["product"].astype(str),
        }
    )
    bad_time = ~np.isfinite(out["time"].to_numpy()) | (out["time"] < 0).to_numpy()
    if bad_time.any():
        row = int(np.flatnonzero(bad_time)[0])
        raise RunDirError(f"{source}: row {row}: time {out['time'].iloc[row]} is not >= 0")
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def validate_plan(frame: pd.DataFrame, source: str = "schedule") -> pd.DataFrame:
    """Check ``job,operation,machine,start,end`` (integer indices, numeric times,
    end >= start; a published plan's times need not be whole units)."""
    missing = [c for c in SCHEDULE_COLUMNS if c not in frame.columns]
    if missing:
        raise RunDirError(
            f"{source}: missing column(s) {missing} (expected {list(SCHEDULE_COLUMNS)})"
        )
    out = pd.DataFrame(
        {c: _numeric(frame, c, float if c in ("start", "end") else int, source)
         for c in SCHEDULE_COLUMNS}
    )  # fmt: skip
    for c in ("start", "end"):  # a solver's plan: whole units, read back as integers
        if np.isfinite(out[c]).all() and (out[c] == out[c].round()).all():
            out[c] = out[c].astype(int)
    bad = np.flatnonzero((out["end"] < out["start"]).to_numpy())
    if len(bad):
        r = int(bad[0])
        raise RunDirError(f"{source}: row {r}: end {out['end'][r]} before start {out['start'][r]}")
    return out
