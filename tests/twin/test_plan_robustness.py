"""A plan's makespan and tardiness: the numba Monte Carlo kernel and SimPy replications of
the same plan estimate the same distribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.errors import TwinError
from twin.experiments import plan_robustness
from twin.scenario import Scenario, load_scenario
from twin.scenario.load import read_yaml

ROOT = Path(__file__).resolve().parents[2]


def noisy_mk01(breakdowns: bool) -> Scenario:
    """mk01 with lognormal durations (cv 0.2), due dates and, optionally, exponential
    failures on processing time: what the kernel models, and nothing else."""
    doc = read_yaml(ROOT / "scenarios" / "deterministic_mk01.yaml")
    assert isinstance(doc, dict)
    for station in doc["stations"]:
        station.update(variability_cv=0.2, mtbf="8h", mttr="30min")
    for order in doc["orders"]:
        order["due"] = 35
    doc["run"].update(variability=True, breakdowns=breakdowns)
    return Scenario.from_dict(doc, source="mk01-noisy")


@pytest.mark.parametrize("breakdowns", [False, True])
def test_montecarlo_and_simpy_agree_within_their_intervals(breakdowns: bool) -> None:
    """Means of makespan and total tardiness agree; the kernel is far faster per sample."""
    result = plan_robustness(noisy_mk01(breakdowns), replications=300, samples=5000,
                             seed=1, method="dispatch")  # fmt: skip
    table = result.table.set_index(["kpi", "source"])
    assert table.loc[("makespan", "simpy"), "n"] == 300
    assert result.agree("makespan") and result.agree("tardiness_total")
    assert result.notes == []
    assert result.speed_ratio > 20
    mean = table.loc[("makespan", "montecarlo"), "mean"]
    assert mean >= result.planned_makespan * (1.05 if breakdowns else 1.0)


def test_scenarios_beyond_the_kernel_are_refused() -> None:
    """Calendars, operators, robots, buffers: the kernel does not model them."""
    with pytest.raises(
        TwinError, match="does not model what the scenario has: station saw has a calendar"
    ):
        plan_robustness(load_scenario(ROOT / "scenarios" / "pilot_workshop.yaml"))
