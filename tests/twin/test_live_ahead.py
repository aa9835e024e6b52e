"""Simulating ahead from the live twin's state (twin.live.ahead, what_if(simulate=N))."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from live_fixtures import event, live_twin, shop

from twin.errors import TwinError
from twin.live import LiveTwin
from twin.mes.emulate import run_events
from twin.run import simulate
from twin.scenario import load_scenario

PILOT = Path(__file__).resolve().parents[2] / "scenarios" / "pilot_workshop.yaml"


def state(twin: LiveTwin) -> str:
    return json.dumps([twin.snapshot(), twin.plan_rows(), len(twin.journal), twin.now], default=str)


def mid_state(twin: LiveTwin) -> LiveTwin:
    """One operation finished, one running, a lathe down (with a known repair)."""
    rows = sorted(twin.plan_rows(), key=lambda r: (r["start"], r["order"]))
    a = rows[0]
    twin.ingest(event(twin, "operation_started", "a0", a["start"], order=a["order"],
                      step=a["step"], machine=a["machine"]))  # fmt: skip
    twin.ingest(event(twin, "operation_finished", "a1", a["end"], order=a["order"],
                      step=a["step"], machine=a["machine"], good=4, scrap=0))  # fmt: skip
    b = next(r for r in rows if r["start"] >= a["end"] and r["step"] == 0 and r is not a)
    twin.ingest(event(twin, "operation_started", "b0", b["start"], order=b["order"],
                      step=b["step"], machine=b["machine"]))  # fmt: skip
    idle = next(u for u in ("lathe#1", "lathe#2", "mill") if u != b["machine"])
    t = b["start"] + 1
    twin.ingest(event(twin, "machine_down", "d0", t, machine=idle,
                      expected_up=event(twin, "x", "x", t + 25)["time"]))  # fmt: skip
    twin.advance(t + 2)
    assert twin.rejected == []
    return twin


def test_without_disturbances_the_simulated_makespan_is_the_projection() -> None:
    twin = mid_state(live_twin())
    assert any(m.state == "down" for m in twin.facts.machines.values())
    ahead = twin.simulate_ahead(2, seed=1)
    assert ahead.mean["makespan"] == pytest.approx(twin.kpis()["makespan"])
    assert ahead.mean["tardiness"] == pytest.approx(twin.kpis()["tardiness"])
    assert ahead.ci95["makespan"] == 0.0  # nothing random: every replication the same


def test_simulating_ahead_leaves_the_live_twin_as_it_was() -> None:
    twin = mid_state(live_twin())
    before = state(twin)
    twin.simulate_ahead(3)
    assert state(twin) == before


def test_disturbances_spread_the_outcome_and_the_seed_fixes_it() -> None:
    stations = [
        {"id": "lathe", "kind": "cnc", "count": 2, "variability_cv": 0.4, "mtbf": "1h",
         "mttr": "15min"},
        {"id": "mill", "kind": "manual", "variability_cv": 0.4},
    ]  # fmt: skip
    run = {"scheduling": "cpsat", "breakdowns": True, "variability": True, "time_limit": 2}
    noisy = shop(stations=stations, run=run)
    twin = mid_state(LiveTwin(noisy))
    a = twin.simulate_ahead(6, seed=7)
    b = twin.simulate_ahead(6, seed=7)
    c = twin.simulate_ahead(6, seed=8)
    assert a.runs == b.runs
    assert a.runs != c.runs
    assert len({r["makespan"] for r in a.runs}) > 1
    assert a.ci95["makespan"] is not None and a.ci95["makespan"] > 0
    lower, upper = min(r["makespan"] for r in a.runs), max(r["makespan"] for r in a.runs)
    assert lower <= a.mean["makespan"] <= upper


def test_what_if_simulates_the_fork_and_the_live_state_with_the_same_draws() -> None:
    twin = mid_state(live_twin())
    before = state(twin)
    change = event(twin, "machine_down", "w1", twin.now, machine="mill",
                   expected_up=event(twin, "x", "x", twin.now + 120)["time"])  # fmt: skip
    result = twin.what_if(change, simulate=2, seed=3)
    assert state(twin) == before
    assert result.simulated_baseline is not None and result.simulated_outcome is not None
    assert result.simulated_baseline.mean["makespan"] == pytest.approx(twin.kpis()["makespan"])
    assert result.simulated_outcome.mean["makespan"] == pytest.approx(result.outcome["makespan"])
    assert result.simulated_outcome.mean["makespan"] > result.simulated_baseline.mean["makespan"]
    assert twin.what_if(change).simulated_outcome is None


def test_bad_replications() -> None:
    with pytest.raises(TwinError, match="replications must be >= 1"):
        live_twin().simulate_ahead(0)


def test_the_pilot_started_mid_run_finishes_as_the_whole_run_does() -> None:
    """Pilot orders of the first two days, no disturbances: the shop started from the
    twin's state after 30 hours of MES events ends when the run from time 0 ends."""
    scenario = load_scenario(PILOT)
    update: dict[str, Any] = {"breakdowns": False, "variability": False}
    scenario = scenario.model_copy(
        update={"orders": [o for o in scenario.orders if o.release < 2 * 1440],
                "run": scenario.run.model_copy(update=update)}
    )  # fmt: skip
    whole = simulate(scenario, method="dispatch", seed=3)
    twin = LiveTwin(scenario, whole.plan)
    events = [e for e in run_events(whole) if twin.clock.to_model(e.time) <= 30 * 60]
    assert twin.ingest_many(events)["accepted"] == len(events)
    assert any(op.end is None for op in twin.facts.ops.values())  # something runs now
    ahead = twin.simulate_ahead(1)
    assert ahead.mean["makespan"] == pytest.approx(whole.kpis.makespan)
    assert ahead.mean["tardiness"] == pytest.approx(whole.kpis.tardiness_total)
