"""Operators and fixture loads in a twin run: labour KPIs, attended CNC semantics, plans
that include loading, and the scenario errors; against hand-computed values."""

from __future__ import annotations

import math
from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.scenario import Scenario
from twin.sim.build import build_problem


def _shop(operators: list[dict[str, Any]] | None = None, **cnc: Any) -> dict[str, Any]:
    """A manual saw (3 min/part) then a CNC mill (2 min/part, loads of 2 parts, 1 min to
    load and 1 to unload each); two lots of 4 parts."""
    data: dict[str, Any] = {
        "name": "staffed",
        "stations": [
            {"id": "saw", "kind": "manual"},
            {"id": "mill", "kind": "cnc", "loading": {"parts": 2, "load": 1, "unload": 1}, **cnc},
        ],
        "products": [{"id": "p", "routing": [{"stations": {"saw": 3}}, {"stations": {"mill": 2}}]}],
        "orders": [{"id": f"O{i}", "product": "p", "quantity": 4} for i in (1, 2)],
        "run": {"breakdowns": False, "variability": False},
    }
    if operators is not None:
        data["operators"] = operators
    return data


def test_the_plan_includes_loading_and_the_twin_reproduces_it() -> None:
    """An operation on the mill = 4 x 2 + 2 loads x (1 + 1) = 12; with an operator free
    whenever needed the replay of the optimal plan ends exactly at its makespan."""
    scenario = Scenario.from_dict(_shop([{"id": "crew", "count": 2}]))
    data = build_problem(scenario)
    assert data.modes(1) == [(1, 12)] and data.modes(0) == [(0, 12)]
    run = twin.simulate(scenario, method="cpsat", time_limit=5)
    assert run.plan is not None
    assert run.kpis.makespan == pytest.approx(run.plan.makespan) == 12 + 12 + 12
    # handling is part of the nominal time: a run at plan speed has performance 1
    assert run.kpis.oee_by_unit["mill"]["performance"] == pytest.approx(1.0)


def test_labour_hours_and_utilisation() -> None:
    """One operator, always on, runs the saw for 2 x 12 min and loads and unloads the
    mill 2 lots x 2 loads x 2 min: worked 32 min; present for the whole run."""
    run = twin.simulate(Scenario.from_dict(_shop([{"id": "crew"}])), method="fifo")
    k = run.kpis
    end = k.window_end
    assert k.labour_hours_worked == pytest.approx(32 / 60)
    assert k.labour_hours == pytest.approx(end / 60)
    assert k.operator_utilisation == pytest.approx(32 / end)
    assert k.labour_hours_per_good_part == pytest.approx(end / 60 / 8)
    assert k.worked_hours_per_good_part == pytest.approx(32 / 60 / 8)
    assert k.state_time["crew.1"]["busy"] == pytest.approx(32)
    # an operator is no equipment: 设备联网率 and OEE ignore it
    assert "crew.1" not in k.oee_by_unit
    assert k.networked_rate == 0.0


def test_without_operators_labour_is_undefined() -> None:
    k = twin.simulate(Scenario.from_dict(_shop()), method="fifo").kpis
    assert math.isnan(k.labour_hours) and math.isnan(k.operator_utilisation)


def test_one_operator_for_saw_and_mill_makes_the_mill_wait() -> None:
    """With one operator the saw's second lot waits (``waiting_operator``) while the
    operator tends the mill (the mill took them first); with two nobody waits. Fewer
    people: a longer run (48 = 12 + 12 + 12 + 12 against 36)."""
    one = twin.simulate(Scenario.from_dict(_shop([{"id": "crew"}])), method="fifo").kpis
    two = twin.simulate(Scenario.from_dict(_shop([{"id": "crew", "count": 2}])), method="fifo")
    assert one.state_time["saw"]["waiting_operator"] == pytest.approx(12)
    assert two.kpis.state_time["saw"]["waiting_operator"] == 0
    assert two.kpis.state_time["mill"]["waiting_operator"] == 0
    assert (one.makespan, two.kpis.makespan) == (48, 36)


def test_lights_out_cnc_needs_nobody_but_a_setup_does() -> None:
    """``unattended: true`` loads itself (handling is part of its cycle): no operator
    time on the mill; a crew that lists only the saw is enough."""
    crew = [{"id": "crew", "skills": ["saw"]}]
    run = twin.simulate(Scenario.from_dict(_shop(crew, unattended=True)), method="fifo")
    assert run.kpis.labour_hours_worked == pytest.approx(24 / 60)
    assert run.kpis.state_time["mill"]["waiting_operator"] == 0


def test_an_attended_cnc_stops_loading_at_the_shift_end() -> None:
    """A two-hour shift (08:00-10:00) for people and machines and 2 x 20 parts: the run
    takes several days, and no operator works (sets up, loads, unloads, saws) outside
    the shift."""
    data = _shop([{"id": "crew", "count": 2, "calendar": "short"}])
    data["calendars"] = {"short": {"shifts": [["08:00", "10:00"]]}}
    for st in data["stations"]:
        st["calendar"] = "short"
    data["orders"] = [{"id": f"O{i}", "product": "p", "quantity": 20} for i in (1, 2)]
    run = twin.simulate(Scenario.from_dict(data), method="fifo")
    rows = run.log.to_frame()
    assert run.kpis.makespan > 1440  # 40 x 3 min of sawing alone fill a shift
    minutes = rows[(rows["station"] == "crew.1") & (rows["state"] == "busy")]["time"] % 1440
    assert ((minutes >= 480) & (minutes < 600)).all()  # nobody works outside the shift


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"operators": [{"id": "crew", "skills": ["lathe"]}]}, "operators[0].skills[0]"),
        ({"operators": [{"id": "crew", "calendar": "nights"}]}, "operators[0].calendar"),
        ({"operators": [{"id": "crew", "skills": ["mill"]}]}, "stations[0].id"),
        ({"operators": [{"id": "saw"}]}, "operators[0].id"),
    ],
)
def test_operator_errors_name_the_field(change: dict[str, Any], where: str) -> None:
    data = {**_shop(), **change}
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert where in str(err.value)


def test_loading_on_a_robot_tended_station_is_an_error() -> None:
    data = _shop()
    data["stations"].append({"id": "robot", "kind": "robot", "tends": ["mill"], "load_time": 1})
    with pytest.raises(ScenarioError, match=r"stations\[1\]\.loading"):
        Scenario.from_dict(data)
