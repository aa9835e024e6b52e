"""Read a run folder (``summary.json``, ``events.csv``, ``schedule.csv``) into frames.

The folder is the contract with ``twin run``; everything here is a pure function of
pandas frames and the summary dict, so plots and reports never touch SimPy and work
on logs reported by a real MES just as well. Derived frames:

- :func:`state_intervals`: one row per (station, state, start, end) from ``state`` events;
- :func:`operation_intervals`: executed operations, ``op_start`` paired with ``op_end``,
  with the setup that preceded each one;
- :func:`plan_intervals`: the plan (``schedule.csv``) with machine names and products;
- :func:`wip_series` and :func:`lead_times`: work in progress, cumulative output, lead time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.errors import TwinError

__all__ = [
    "EVENT_COLUMNS",
    "SCHEDULE_COLUMNS",
    "RunData",
    "RunDirError",
    "kpis_with_ci",
    "lead_times",
    "operation_intervals",
    "plan_intervals",
    "read_run",
    "state_intervals",
    "validate_events",
    "validate_plan",
    "wip_series",
]

EVENT_COLUMNS = ("time", "kind", "station", "job", "operation", "state", "value", "product")
SCHEDULE_COLUMNS = ("job", "operation", "machine", "start", "end")
_INTERVAL_COLUMNS = ["station", "job", "operation", "product", "start", "end", "setup"]


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
    return RunData(summary=summary, events=events, plan=plan, path=root)


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
    if len(out) and (out["time"] < 0).any():
        row = int(np.flatnonzero((out["time"] < 0).to_numpy())[0])
        raise RunDirError(f"{source}: row {row}: negative time {out['time'].iloc[row]}")
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def validate_plan(frame: pd.DataFrame, source: str = "schedule") -> pd.DataFrame:
    """Check ``job,operation,machine,start,end`` (integers, end >= start)."""
    missing = [c for c in SCHEDULE_COLUMNS if c not in frame.columns]
    if missing:
        raise RunDirError(
            f"{source}: missing column(s) {missing} (expected {list(SCHEDULE_COLUMNS)})"
        )
    out = pd.DataFrame({c: _numeric(frame, c, int, source) for c in SCHEDULE_COLUMNS})
    bad = np.flatnonzero((out["end"] < out["start"]).to_numpy())
    if len(bad):
        r = int(bad[0])
        raise RunDirError(f"{source}: row {r}: end {out['end'][r]} before start {out['start'][r]}")
    return out


def state_intervals(events: pd.DataFrame, horizon: float | None = None) -> pd.DataFrame:
    """``station, state, start, end``: each ``state`` event lasts until the next one.

    The last state of a station lasts until ``horizon`` (default: the last event time).
    Zero-length intervals (several changes at one instant) are dropped.
    """
    st = events[events["kind"] == "state"][["station", "state", "time"]]
    st = st.sort_values(["station", "time"], kind="stable")
    end_of_log = float(events["time"].max()) if len(events) else 0.0
    end = horizon if horizon is not None else end_of_log
    nxt = st.groupby("station", sort=False)["time"].shift(-1).fillna(end)
    out = pd.DataFrame(
        {
            "station": st["station"].to_numpy(),
            "state": st["state"].to_numpy(),
            "start": st["time"].to_numpy(),
            "end": np.maximum(nxt.to_numpy(), st["time"].to_numpy()),
        }
    )
    return out[out["end"] > out["start"]].reset_index(drop=True)


def _paired(events: pd.DataFrame, start_kind: str, end_kind: str, keys: list[str]) -> pd.DataFrame:
    """Pair the n-th start with the n-th end of the same keys (repeats are allowed)."""
    starts = events[events["kind"] == start_kind]
    ends = events[events["kind"] == end_kind]
    starts = starts.assign(_n=starts.groupby(keys, sort=False).cumcount())
    ends = ends.assign(_n=ends.groupby(keys, sort=False).cumcount())
    cols = [*keys, "_n", "time"]
    extra = [c for c in ("job", "operation", "product", "value", "state") if c not in keys]
    merged = starts[[*cols, *extra]].merge(
        ends[cols], on=[*keys, "_n"], how="left", suffixes=("", "_end")
    )
    return merged.rename(columns={"time": "start", "time_end": "end"})


def operation_intervals(events: pd.DataFrame, horizon: float | None = None) -> pd.DataFrame:
    """Executed operations: ``station, job, operation, product, start, end, setup``.

    ``op_start`` is paired with the next ``op_end`` of the same (station, job,
    operation); an operation still running at the end of the log ends at ``horizon``.
    ``setup`` is the setup time done on the station for the operation: a setup event
    naming (job, operation) belongs to it; an anonymous one (``job = -1``) to the first
    operation its station starts after the setup ends.
    """
    keys = ["station", "job", "operation"]
    ops = _paired(events, "op_start", "op_end", keys)
    end = horizon if horizon is not None else (float(events["time"].max()) if len(events) else 0.0)
    ops["end"] = ops["end"].fillna(end)
    ops["setup"] = 0.0
    setups = _paired(events, "setup_start", "setup_end", ["station"]).dropna(subset=["end"])
    setups = setups.assign(dur=setups["end"] - setups["start"])
    if len(ops) and len(setups):
        ops = ops.reset_index(drop=True)
        named = setups[setups["job"] >= 0].groupby(keys)["dur"].sum().rename("named")
        ops = ops.join(named, on=keys)
        ops["setup"] = ops["named"].fillna(0.0)
        anonymous = setups[setups["job"] < 0].sort_values("end")
        if len(anonymous):
            o = ops.reset_index().sort_values("start")
            hit = pd.merge_asof(
                anonymous,
                o[["start", "station", "index"]],
                left_on="end",
                right_on="start",
                by="station",
                direction="forward",
                suffixes=("_s", ""),
            ).dropna(subset=["index"])
            per_op = hit.groupby("index")["dur"].sum()
            ops.loc[per_op.index.astype(int), "setup"] += per_op.to_numpy()
    ops = ops.sort_values(["start", "station"], kind="stable").reset_index(drop=True)
    return ops[_INTERVAL_COLUMNS].astype({"start": "float64", "end": "float64"})


def plan_intervals(plan: pd.DataFrame, summary: dict[str, Any]) -> pd.DataFrame:
    """The plan with unit names (``summary["machines"]``) and products (``summary["jobs"]``)."""
    machines = [str(m) for m in summary.get("machines", [])]
    jobs = summary.get("jobs", [])
    top = int(plan["machine"].max()) if len(plan) else -1
    if top >= len(machines) and machines:
        raise RunDirError(
            f"schedule: machine index {top} but summary.json lists {len(machines)} machines"
        )
    names = np.array(machines or [f"M{k}" for k in range(top + 1)], dtype=object)
    products = np.array([str(j.get("product", "")) for j in jobs] or [""], dtype=object)
    job_idx = plan["job"].to_numpy()
    product = products[job_idx] if jobs else np.full(len(plan), "", dtype=object)
    return pd.DataFrame(
        {
            "station": names[plan["machine"].to_numpy()] if len(plan) else [],
            "job": job_idx,
            "operation": plan["operation"].to_numpy(),
            "product": product,
            "start": plan["start"].to_numpy(dtype=float),
            "end": plan["end"].to_numpy(dtype=float),
            "setup": 0.0,
        }
    )


def wip_series(events: pd.DataFrame) -> pd.DataFrame:
    """``time, wip, finished, good_parts``: released-not-finished lots and cumulative output.

    One row per release/finish instant (the last value at a repeated instant wins), so
    a step plot (``line_shape="hv"``) shows the exact level.
    """
    rel = events[events["kind"] == "release"]
    fin = events[events["kind"] == "finish"]
    step = pd.DataFrame(
        {
            "time": np.concatenate([rel["time"].to_numpy(), fin["time"].to_numpy()]),
            "d_wip": np.concatenate([np.ones(len(rel)), -np.ones(len(fin))]),
            "d_fin": np.concatenate([np.zeros(len(rel)), np.ones(len(fin))]),
            "d_good": np.concatenate([np.zeros(len(rel)), fin["value"].to_numpy()]),
        }
    ).sort_values("time", kind="stable")
    out = pd.DataFrame(
        {
            "time": step["time"].to_numpy(),
            "wip": step["d_wip"].cumsum().to_numpy(),
            "finished": step["d_fin"].cumsum().to_numpy(),
            "good_parts": step["d_good"].cumsum().to_numpy(),
        }
    )
    return out.drop_duplicates("time", keep="last").reset_index(drop=True)


def lead_times(events: pd.DataFrame) -> pd.DataFrame:
    """``job, product, release, finish, lead_time`` per finished job: first release, last finish."""
    rel = events[events["kind"] == "release"].groupby("job")["time"].min()
    fin_rows = events[events["kind"] == "finish"]
    fin = fin_rows.groupby("job")["time"].max()
    prod = fin_rows.groupby("job")["product"].last()
    joined = pd.DataFrame({"release": rel}).join(
        pd.DataFrame({"finish": fin, "product": prod}), how="inner"
    )
    joined["lead_time"] = joined["finish"] - joined["release"]
    return joined.reset_index()[["job", "product", "release", "finish", "lead_time"]]
