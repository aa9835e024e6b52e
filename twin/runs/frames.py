"""Frames derived from a run's event log and plan, for plots and reports.

- :func:`state_intervals`: one row per (station, state, start, end) from ``state`` events;
- :func:`operation_intervals`: executed operations, ``op_start`` paired with ``op_end``,
  with the setup that preceded each one;
- :func:`plan_intervals`: the plan (``schedule.csv``) with machine names and products;
- :func:`wip_series` and :func:`lead_times`: work in progress, cumulative output, lead time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twin.runs.read import RunDirError

__all__ = [
    "lead_times",
    "operation_intervals",
    "plan_intervals",
    "state_intervals",
    "wip_series",
]

_INTERVAL_COLUMNS = ["station", "job", "operation", "product", "start", "end", "setup"]


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
