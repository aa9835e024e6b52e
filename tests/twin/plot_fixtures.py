"""Synthetic but self-consistent run folders for plot and report tests.

A tiny list scheduler builds a plan (nominal durations, setups on family change,
manual units off shift from 16:00 to 24:00 of each day starting at 00:00 = 06:00), then
"executes" it in plan-start order with noisy durations and operation-dependent
failures (a failure during an operation stretches it by the repair). Every event,
state change and KPI below is derived from those intervals, so the log obeys the
contract of ``twin run``: states partition each unit's time, ``op_start``/``op_end``
pair up, each job is released once and finishes once after its last operation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DAY, SHIFT_END = 1440.0, 960.0
STATIONS = (  # id, kind, units, numerically_controlled, networked, key_process
    ("cnc_lathe", "cnc", 2, True, True, True),
    ("cnc_mill", "cnc", 2, True, True, True),
    ("manual_drill", "manual", 1, False, False, True),
    ("printer3d", "printer3d", 1, True, True, True),
    ("assembly", "manual", 1, False, True, True),
    ("robot", "robot", 1, True, True, False),
)
POWER = {
    "off": 0.0,
    "idle": 2.0,
    "starved": 2.0,
    "blocked": 2.0,
    "setup": 4.0,
    "busy": 11.0,
    "down": 0.5,
}
PRODUCTS = ("shaft", "gear", "flange", "bracket")


@dataclass(frozen=True)
class SyntheticRun:
    summary: dict[str, Any]
    events: pd.DataFrame
    plan: pd.DataFrame


def _units(n_units: int | None) -> list[tuple[str, str, bool]]:
    """(unit name, station id, attended-only) for the machines the scheduler sees."""
    if n_units is None:
        return [
            (f"{sid}_{u + 1}", sid, kind == "manual")
            for sid, kind, count, *_ in STATIONS
            if kind != "robot"
            for u in range(count)
        ]
    return [(f"M{k + 1:02d}", "cnc_mill", False) for k in range(n_units)]


def _shift_ok(start: float, length: float) -> bool:
    day_pos = start % DAY
    return day_pos + length <= SHIFT_END and day_pos < SHIFT_END


def _next_shift(t: float) -> float:
    return (np.floor(t / DAY) + 1.0) * DAY


def make_run(
    seed: int = 0, n_jobs: int = 24, ops_per_job: int = 4, n_units: int | None = None
) -> SyntheticRun:
    """A run of ``n_jobs`` jobs x ``ops_per_job`` operations on the pilot units (or ``n_units``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    units = _units(n_units)
    m = len(units)
    attended = np.array([u[2] for u in units])
    product = rng.integers(0, len(PRODUCTS), n_jobs)
    release = np.sort(np.round(rng.uniform(0, 40.0 * n_jobs / max(m, 1) * 2, n_jobs)))
    due = release + np.round(rng.uniform(150, 400, n_jobs) * ops_per_job / 4)
    machine = rng.integers(0, m, (n_jobs, ops_per_job))
    nominal = np.round(rng.uniform(8, 45, (n_jobs, ops_per_job)))
    setup_of = np.where(attended, 20.0, 10.0)

    def schedule(durations: np.ndarray, order: list[tuple[int, int]], failures: bool):
        start = np.zeros((n_jobs, ops_per_job))
        end = np.zeros((n_jobs, ops_per_job))
        setup = np.zeros((n_jobs, ops_per_job))
        downs: list[tuple[int, float, float]] = []
        mfree = np.zeros(m)
        mfam = np.full(m, -1)
        job_ready = release.copy()
        for j, k in order:
            u = machine[j, k]
            s = setup_of[u] if mfam[u] not in (-1, product[j]) else 0.0
            t = max(mfree[u] + s, job_ready[j])
            if attended[u]:
                while not _shift_ok(t - s, s + nominal[j, k]):
                    t = _next_shift(t) + s
            d = durations[j, k]
            if failures and rng.random() < 0.12:
                at = t + rng.uniform(0.1, 0.9) * d
                rep = float(np.round(rng.lognormal(np.log(25.0), 0.5), 1))
                downs.append((u, at, at + rep))
                d += rep
            start[j, k], end[j, k], setup[j, k] = t, t + d, s
            mfree[u], mfam[u], job_ready[j] = t + d, product[j], t + d
        return start, end, setup, downs

    est = release[:, None] + np.cumsum(nominal, axis=1) - nominal
    order = [
        (int(j), int(k))
        for j, k in zip(
            *np.unravel_index(np.argsort(est, axis=None, kind="stable"), est.shape), strict=True
        )
    ]
    p_start, p_end, _, _ = schedule(nominal, order, failures=False)
    noise = rng.lognormal(-0.5 * 0.08**2, 0.08, nominal.shape)
    actual_d = np.round(nominal * noise, 2)
    exec_order = sorted(order, key=lambda jk: (p_start[jk], jk))
    a_start, a_end, a_setup, downs = schedule(actual_d, exec_order, failures=True)
    scrap = rng.random(n_jobs) < 0.05
    qty = rng.integers(1, 6, n_jobs)
    horizon = float(a_end.max())
    events = _events(
        units, machine, product, release, qty, scrap, a_start, a_end, a_setup, downs, horizon
    )
    plan = pd.DataFrame(
        {
            "job": np.repeat(np.arange(n_jobs), ops_per_job),
            "operation": np.tile(np.arange(ops_per_job), n_jobs),
            "machine": machine.ravel(),
            "start": p_start.ravel().astype(int),
            "end": p_end.ravel().astype(int),
        }
    )
    summary = _summary(
        units,
        events,
        release,
        due,
        product,
        a_end,
        nominal,
        actual_d,
        downs,
        qty,
        scrap,
        horizon,
        seed,
        int(p_end.max()),
    )
    return SyntheticRun(summary, events, plan)


def _events(units, machine, product, release, qty, scrap, start, end, setup, downs, horizon):
    rows: list[tuple[float, str, str, int, int, str, float, str]] = []
    n_jobs, n_ops = machine.shape
    for j in range(n_jobs):
        p = PRODUCTS[product[j]]
        rows.append((float(release[j]), "release", "", j, -1, "", float(qty[j]), p))
        for k in range(n_ops):
            u = units[machine[j, k]][0]
            if setup[j, k] > 0:
                s0 = start[j, k] - setup[j, k]
                rows.append((s0, "setup_start", u, j, k, p, float(setup[j, k]), p))
                rows.append((start[j, k], "setup_end", u, j, k, p, float(setup[j, k]), p))
            rows.append((start[j, k], "op_start", u, j, k, "", 0.0, p))
            rows.append((end[j, k], "op_end", u, j, k, "", 0.0, p))
        good = 0.0 if scrap[j] else float(qty[j])
        rows.append(
            (float(end[j].max()), "finish", "", j, -1, "scrap" if scrap[j] else "", good, p)
        )
    for u, a, b in downs:
        rows.append((a, "failure", units[u][0], -1, -1, "", b - a, ""))
        rows.append((b, "repair", units[u][0], -1, -1, "", b - a, ""))
    for u, (name, _, attended_only) in enumerate(units):
        for t, state in _states(
            u, attended_only, machine, start, end, setup, release, downs, horizon
        ):
            rows.append((t, "state", name, -1, -1, state, 0.0, ""))
    cols = ["time", "kind", "station", "job", "operation", "state", "value", "product"]
    return (
        pd.DataFrame(rows, columns=cols).sort_values("time", kind="stable").reset_index(drop=True)
    )


def _states(u, attended_only, machine, start, end, setup, release, downs, horizon):
    """Paint idle < starved < off < setup < busy < down on elementary segments of one unit."""
    jk = np.argwhere(machine == u)
    spans: list[tuple[float, float, int]] = [(0.0, horizon, 0)]
    for j, k in jk:
        s0 = start[j, k] - setup[j, k]
        ready = release[j] if k == 0 else end[j, k - 1]
        if k > 0:
            spans.append((min(ready, s0), s0, 1))  # starved: waiting for the upstream op
        spans.append((s0, start[j, k], 3))
        spans.append((start[j, k], end[j, k], 4))
    if attended_only:
        for d in range(int(horizon // DAY) + 1):
            spans.append((d * DAY + SHIFT_END, min((d + 1) * DAY, horizon), 2))
    spans += [(a, b, 5) for v, a, b in downs if v == u]
    cuts = np.unique([x for a, b, _ in spans for x in (a, b) if b > a])
    level = np.zeros(len(cuts) - 1, dtype=int)
    for a, b, p in spans:
        lo, hi = np.searchsorted(cuts, [a, b])
        level[lo:hi] = np.maximum(level[lo:hi], p)
    names = ("idle", "starved", "off", "setup", "busy", "down")
    out, last = [], -1
    for i, lv in enumerate(level):
        if lv != last:
            out.append((float(cuts[i]), names[lv]))
            last = lv
    return out


def _summary(
    units,
    events,
    release,
    due,
    product,
    end,
    nominal,
    actual_d,
    downs,
    qty,
    scrap,
    horizon,
    seed,
    plan_makespan,
) -> dict[str, Any]:
    finish = end.max(axis=1)
    st = events[events["kind"] == "state"].copy()
    st["dur"] = st.groupby("station")["time"].shift(-1).fillna(horizon) - st["time"]
    per = st.pivot_table(index="station", columns="state", values="dur", aggfunc="sum").fillna(0)
    per = per.reindex(columns=list(POWER), fill_value=0.0)
    planned = per.sum(axis=1) - per["off"]
    busy = per["busy"]
    availability = float(busy.sum() / planned.sum())
    performance = float(nominal.sum() / (actual_d.sum()))
    quality = float((~scrap).sum() / len(scrap))
    kwh_by = (per * pd.Series(POWER)).sum(axis=1) / 60.0
    lead = finish - release
    wip_area = float(np.sum(finish - release))
    stations = []
    for sid, kind, count, nc, net, key in STATIONS:
        if any(u[1] == sid for u in units) or kind == "robot":
            names = [u[0] for u in units if u[1] == sid] or [f"{sid}_{i + 1}" for i in range(count)]
            stations.append(
                {
                    "id": sid,
                    "kind": kind,
                    "units": names,
                    "numerically_controlled": nc,
                    "networked": net,
                    "key_process": key,
                    "power_kw": dict(POWER),
                }
            )
    key_units = [
        (s["numerically_controlled"], len(s["units"])) for s in stations if s["key_process"]
    ]
    nc_eq = sum(n for nc, n in key_units if nc) / sum(n for _, n in key_units)
    all_units = [(s["networked"], len(s["units"])) for s in stations]
    networked = sum(n for net, n in all_units if net) / sum(n for _, n in all_units)
    busy_nc = sum(
        busy.get(u[0], 0.0) for u in units if u[1] != "manual_drill" and u[1] != "assembly"
    )
    a_by = busy / planned
    good = float(qty[~scrap].sum())
    station_of = {u[0]: u[1] for u in units}
    kwh_station = kwh_by.groupby(kwh_by.index.map(station_of)).sum()
    kpis = {
        "time_unit": "min",
        "window_start": 0.0,
        "window_end": horizon,
        "throughput_per_hour": good / (horizon / 60.0),
        "throughput_lots_per_hour": len(finish) / (horizon / 60.0),
        "lead_time_mean": float(lead.mean()),
        "lead_time_p95": float(np.percentile(lead, 95)),
        "wip_mean": wip_area / horizon,
        "makespan": horizon,
        "on_time_rate": float(np.mean(finish <= due)),
        "tardiness_total": float(np.maximum(finish - due, 0).sum()),
        "oee": availability * performance * quality,
        "availability": availability,
        "performance": performance,
        "quality": quality,
        "utilisation": {k: float(v) for k, v in (busy / horizon).items()},
        "oee_by_unit": {
            k: {
                "availability": float(a_by[k]),
                "performance": performance,
                "quality": quality,
                "oee": float(a_by[k] * performance * quality),
            }
            for k in busy.index
        },
        "oee_by_station": {
            sid: float(busy[names].sum() / planned[names].sum() * performance * quality)
            for sid, names in pd.Series(list(station_of))
            .groupby(pd.Series(list(station_of)).map(station_of))
            .agg(list)
            .items()
        },
        "state_time": {k: {s: float(v) for s, v in row.items()} for k, row in per.iterrows()},
        "nc_rate_equipment": nc_eq,
        "nc_rate_process": float(busy_nc / busy.sum()),
        "networked_rate": networked,
        "nc_rate_threshold": 0.70,
        "nc_rate_equipment_meets_threshold": nc_eq >= 0.70,
        "nc_rate_process_meets_threshold": float(busy_nc / busy.sum()) >= 0.70,
        "energy_kwh": float(kwh_by.sum()),
        "energy_kwh_per_part": float(kwh_by.sum() / max(1.0, good)),
        "energy_kgce": float(kwh_by.sum() * 0.1229),
        "energy_kwh_by_station": {k: float(v) for k, v in kwh_station.items()},
        "primary_energy_kgce": None,
        "jobs_released": len(release),
        "jobs_finished": len(finish),
        "parts_good": int(good),
        "parts_scrap": int(qty[scrap].sum()),
    }
    return {
        "scenario": "数字化车间试点 digital workshop pilot",
        "scenario_file": "scenarios/pilot.yaml",
        "seed": seed,
        "time_unit": "min",
        "replications": 1,
        "kpis": kpis,
        "stations": stations,
        "machines": [u[0] for u in units],
        "jobs": [
            {
                "id": f"O{j + 1:04d}",
                "product": PRODUCTS[product[j]],
                "release": float(release[j]),
                "due": float(due[j]),
            }
            for j in range(len(release))
        ],
        "solver": {
            "method": "dispatch",
            "status": "feasible",
            "makespan": plan_makespan,
            "lower_bound": None,
            "solve_seconds": 0.01,
        },
    }


def write_run(path: Path, run: SyntheticRun) -> Path:
    """Write ``summary.json``, ``events.csv`` and ``schedule.csv`` like ``twin run``."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "summary.json").write_text(
        json.dumps(run.summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    run.events.to_csv(path / "events.csv", index=False)
    run.plan.to_csv(path / "schedule.csv", index=False)
    return path


def write_twin_run(
    path: Path, scenario: str, method: str = "mwkr", seed: int = 1, weeks: int = 1
) -> Path:
    """A real ``twin`` run of a bundled scenario (online dispatch: fast, deterministic).

    ``weeks > 1`` repeats the scenario's orders week after week (new ids, releases and
    due dates shifted by a week): the pilot workshop at 80 weeks is ~11,700 operations.
    """
    import twin
    from twin.shopinfo import HOURS_PER_UNIT

    root = Path(__file__).resolve().parents[2]
    file = root / "scenarios" / f"{scenario}.yaml"
    sc = twin.load_scenario(file)
    if weeks > 1:
        week = 168.0 / HOURS_PER_UNIT[sc.time_unit]
        orders = [
            o.model_copy(
                update={
                    "id": f"{o.id}-w{w}",
                    "release": o.release + w * week,
                    "due": None if o.due is None else o.due + w * week,
                }
            )
            for w in range(weeks)
            for o in sc.orders
        ]
        sc = sc.model_copy(update={"orders": orders})
    twin.write_run(path, twin.simulate(sc, method=method, seed=seed), file)
    return path
