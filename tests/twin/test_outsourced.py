"""Outsourced steps (heat treatment at a subcontractor): a lead time per lot, capacity in
lots, and no equipment of the shop in its KPIs."""

from __future__ import annotations

from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.scenario import Scenario
from twin.sim.build import build_problem


def _data(**ht: Any) -> dict[str, Any]:
    """Turn 2 min/part, harden at a subcontractor (1 day a lot, two lots away at once),
    grind 1 min/part; three lots of 10 parts."""
    return {
        "name": "outsourced",
        "stations": [
            {"id": "lathe", "kind": "cnc", "unattended": True, "networked": True},
            {"id": "harden", "kind": "outsourced", "count": 2, **ht},
            {"id": "grinder", "kind": "cnc", "unattended": True, "networked": True},
        ],
        "products": [{"id": "pin", "routing": [
            {"stations": {"lathe": 2}}, {"stations": {"harden": "1d"}},
            {"stations": {"grinder": 1}}]}],
        "orders": [{"id": f"O{i}", "product": "pin", "quantity": 10} for i in range(3)],
        "run": {"breakdowns": False, "variability": False},
    }  # fmt: skip


def test_the_lead_time_is_per_lot_and_the_capacity_in_lots() -> None:
    scenario = Scenario.from_dict(_data())
    data = build_problem(scenario)
    assert data.modes(1) == [(1, 1440), (2, 1440)]  # not 10 x 1440
    run = twin.simulate(scenario, method="fifo")
    # lots leave the lathe at 20, 40, 60; two are hardened at once: the third waits for
    # the first to come back at 1460, returns at 2900, and is ground 2900-2910
    assert run.kpis.makespan == pytest.approx(2910)
    # the subcontractor is no equipment of ours: OEE, 数控化率 and 设备联网率 ignore it
    assert not any(u.startswith("harden") for u in run.kpis.oee_by_unit)
    assert run.kpis.networked_rate == 1.0
    assert run.kpis.nc_rate_equipment == 1.0


def test_an_outsourced_station_has_no_setup() -> None:
    with pytest.raises(ScenarioError, match=r"stations\[1\]\.setup"):
        Scenario.from_dict(_data(setup={"default": 10}))
