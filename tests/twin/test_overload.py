"""Arrivals that load a station beyond its capacity: said up front, and the run still
ends at its horizon (the heap dispatcher does not slow down as the backlog grows)."""

from __future__ import annotations

import pytest

import twin
from benchmarks.twin_scale import MACHINES, scenario_dict
from twin.scenario import Scenario
from twin.sim.load import offered_load, overloaded


def test_offered_load_matches_the_design_of_the_shop() -> None:
    """Every machine of the benchmark shop carries 80 % (5 steps x 10 min over 20
    machines per lot, one lot every 3.125 min)."""
    loads = offered_load(Scenario.from_dict(scenario_dict(2000)))
    assert len(loads) == MACHINES
    assert all(v == pytest.approx(0.8) for v in loads.values())
    assert overloaded(Scenario.from_dict(scenario_dict(2000))) == []


def test_a_shift_calendar_lowers_capacity() -> None:
    data = scenario_dict(2000)
    data["calendars"] = {"day": {"shifts": [["08:00", "20:00"]]}}  # 12 h of 24, every day
    data["stations"][0]["calendar"] = "day"
    loads = offered_load(Scenario.from_dict(data))
    assert loads["m00"] == pytest.approx(1.6) and loads["m01"] == pytest.approx(0.8)


def test_an_overloaded_station_is_named_and_the_run_ends_at_the_horizon() -> None:
    data = scenario_dict(20_000, load=1.2)
    run = twin.simulate(Scenario.from_dict(data))
    messages = run.execution.warnings
    assert len(messages) == 1 and f"load {MACHINES} stations" in messages[0]
    assert "m00 120 %" in messages[0]
    assert run.execution.end == pytest.approx(data["run"]["horizon"])
    assert run.kpis.jobs_open > 100  # the backlog, left open
    assert run.kpis.jobs_released == run.kpis.jobs_finished + run.kpis.jobs_open
