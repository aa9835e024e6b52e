"""What a plan minimises comes from the scenario (run.objective), and every planned run
reports how closely it followed its plan (plan adherence)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import twin
from twin.run import plan_objective, scenario_objective
from twin.scenario import Scenario
from twin.sim.build import build_problem

MK01 = Path(__file__).resolve().parents[2] / "scenarios" / "deterministic_mk01.yaml"


def _conflict(objective: str | None) -> Scenario:
    """Makespan and tardiness disagree: A (10 on M1) is due at 10 with weight 10; B (1 on
    M1, then 20 on M2) is due late. B first: makespan 21 but A one late; A first: A on
    time, makespan 31."""
    data: dict[str, Any] = {
        "name": "conflict",
        "stations": [{"id": "m1"}, {"id": "m2"}],
        "products": [
            {"id": "a", "routing": [{"stations": {"m1": 10}}]},
            {"id": "b", "routing": [{"stations": {"m1": 1}}, {"stations": {"m2": 20}}]},
        ],
        "orders": [
            {"id": "A", "product": "a", "quantity": 1, "due": 10, "priority": 10},
            {"id": "B", "product": "b", "quantity": 1, "due": 100},
        ],
        "run": {"breakdowns": False, "variability": False, "scheduling": "cpsat"},
    }
    if objective is not None:
        data["run"]["objective"] = objective
    return Scenario.from_dict(data)


@pytest.mark.parametrize(
    ("objective", "makespan", "tardiness"),
    [
        (None, 31, 0),  # auto: due dates given -> tardiness, then makespan
        ("tardiness_then_makespan", 31, 0),
        ("makespan", 21, 1),
        ("makespan_then_tardiness", 21, 1),
    ],
)
def test_the_scenario_objective_decides_the_plan(
    objective: str | None, makespan: int, tardiness: int
) -> None:
    run = twin.simulate(_conflict(objective), time_limit=5)
    assert run.plan is not None and run.plan.makespan == makespan
    assert run.kpis.makespan == makespan and run.kpis.tardiness_total == tardiness


def test_auto_is_makespan_without_due_dates() -> None:
    scenario = twin.load_scenario(MK01)
    assert all(o.due is None for o in scenario.orders)
    assert scenario_objective(scenario) == "makespan"


def test_tardiness_first_is_an_exact_weighted_sum() -> None:
    """The tardiness weight exceeds any makespan an active schedule can have."""
    scenario = _conflict(None)
    problem = build_problem(scenario)
    kind, (w_makespan, w_tardiness) = plan_objective(scenario, problem)
    assert kind == "weighted" and w_makespan == 1
    assert w_tardiness > 10 + 1 + 20  # the sum of all durations


def test_a_deterministic_replay_follows_its_plan_exactly() -> None:
    run = twin.simulate(MK01, time_limit=5)
    k = run.kpis
    assert run.plan is not None and run.times is not None
    assert (run.times.start == run.plan.start).all()  # published as solved
    assert k.plan_adherence == 1.0 and k.start_delay_mean == 0.0 and k.start_delay_p95 == 0.0
    assert k.lots_late_against_plan == 0


def test_noise_shows_as_delays_against_the_plan() -> None:
    data = twin.load_scenario(MK01).model_dump(by_alias=True)
    data["run"]["variability"] = True
    data["run"]["adherence_tolerance"] = 0.5
    for st in data["stations"]:
        st["variability_cv"] = 0.3
    run = twin.simulate(Scenario.from_dict(data), seed=4, time_limit=5)
    k = run.kpis
    assert 0.0 < k.plan_adherence < 1.0
    assert k.start_delay_p95 >= k.start_delay_mean
    assert k.lots_late_against_plan >= 1


def test_an_online_rule_has_no_plan_to_adhere_to() -> None:
    k = twin.simulate(MK01, method="spt").kpis
    assert math.isnan(k.plan_adherence) and k.lots_late_against_plan == 0
