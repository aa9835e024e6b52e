"""The live twin on the digital-workshop pilot, fed by a simulated shop's MES events."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from twin.live import LiveTwin, Replanner
from twin.mes.emulate import run_events
from twin.run import simulate
from twin.scenario import load_scenario

PILOT = Path(__file__).resolve().parents[2] / "scenarios" / "pilot_workshop.yaml"


@pytest.fixture(scope="module")
def pilot_stream() -> tuple[object, list[object]]:
    scenario = load_scenario(PILOT)
    return scenario, run_events(simulate(scenario, seed=3))


def test_a_month_of_simulated_mes_events_is_accepted(pilot_stream: tuple) -> None:
    """Every event of a simulated month (breakdowns, setups, scrap) is accepted, the
    facts equal their replay from the journal, and the plan in force stays feasible."""
    scenario, events = pilot_stream
    twin = LiveTwin(scenario)
    day = [e for e in events if twin.clock.to_model(e.time) <= 2 * 1440]
    assert twin.ingest_many(day)["accepted"] == len(day), twin.rejected[:3]
    assert twin.check() == []
    rest = events[len(day) :]
    assert twin.ingest_many(rest)["accepted"] == len(rest)
    assert repr(twin.replay()) == repr(twin.facts)
    assert all(o.status == "done" for o in twin.facts.orders.values())


@pytest.mark.slow
def test_pilot_replan_with_the_first_day_frozen_is_feasible_within_2_s(
    pilot_stream: tuple,
) -> None:
    """A replan of the pilot after its first day (auto, 1.5 s budget) returns a
    feasible plan within 2 s (kernels compiled first)."""
    from scheduler.warmup import warmup

    warmup()
    scenario, events = pilot_stream
    twin = LiveTwin(scenario, replanner=Replanner(method="auto", time_limit=1.0))
    twin.ingest_many(e for e in events if twin.clock.to_model(e.time) <= 1440)
    twin.advance(1440)
    t0 = time.perf_counter()
    report = twin.replan()
    assert time.perf_counter() - t0 < 2.0
    assert report.feasible and report.frozen > 0 and twin.check() == []
