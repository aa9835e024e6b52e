"""twin.sim.build: a scenario becomes a scheduler problem and a SimPy shop."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import simpy

from twin.eventlog import EventLog
from twin.scenario import Scenario
from twin.sim.build import build_problem, build_shop, ceil_time, printer_estimate, shop_info

BASE: dict[str, Any] = {
    "name": "tiny",
    "time_unit": "min",
    "stations": [
        {"id": "lathe", "kind": "cnc", "count": 2, "variability_cv": 0},
        {"id": "mill", "kind": "manual", "variability_cv": 0},
    ],
    "products": [
        {"id": "shaft", "routing": [{"stations": {"lathe": 2.5}}, {"stations": {"mill": 3}}]},
        {"id": "disc", "routing": [{"stations": {"mill": 1, "lathe": 1.2}}]},
    ],
    "orders": [
        {"id": "A", "product": "shaft", "quantity": 4, "release": 0.5, "due": 100.7},
        {"id": "B", "product": "disc", "quantity": 5, "priority": 3},
    ],
    "run": {"scheduling": "fifo", "breakdowns": False, "variability": False},
}


def small_scenario(**changes: Any) -> Scenario:
    """The tiny two-station scenario above with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return Scenario.from_dict(data, source="tiny.yaml")


def test_ceil_time_rounds_up_but_ignores_float_residue() -> None:
    """Durations go up to the grid, never to 0 unless 0, and 12.000000000001 stays 12."""
    assert [ceil_time(x) for x in (0, 0.2, 1.0, 2.5, 12.000000000001)] == [0, 1, 1, 3, 12]


def test_orders_become_jobs_on_units() -> None:
    """Each unit is a machine; durations = ceil(quantity x cycle); names are kept."""
    data = build_problem(small_scenario())
    assert data.machine_names == ("lathe#1", "lathe#2", "mill")
    assert data.job_names == ("A", "B")
    assert data.modes(0) == [(0, 10), (1, 10)]
    assert data.modes(1) == [(2, 12)]
    assert sorted(data.modes(2)) == [(0, 6), (1, 6), (2, 5)]
    assert data.release.tolist() == [1, 0]
    assert data.due.tolist() == [100, -1]
    assert data.weight.tolist() == [1, 3]
    assert not data.has_setups and not data.has_transport


def test_setups_by_family_and_transport_times() -> None:
    """Family changes cost the station's setup; travel times fill the transport matrix."""
    stations = copy.deepcopy(BASE["stations"])
    stations[1]["setup"] = {"default": 4, "families": {"shaft": {"disc": 7.5}}}
    scenario = small_scenario(
        stations=stations,
        transport={"travel_time": {"default": 2, "pairs": [["lathe", "mill", 3.2]]}},
    )
    data = build_problem(scenario)
    fam = {name: i for i, name in enumerate(sorted(["shaft", "disc"]))}
    assert data.setup[2, fam["shaft"], fam["disc"]] == 8
    assert data.setup[2, fam["disc"], fam["shaft"]] == 4
    assert data.setup[0].sum() == 0
    assert data.op_family.tolist() == [fam["shaft"], fam["shaft"], fam["disc"]]
    assert data.transport.tolist() == [[0, 0, 4], [0, 0, 4], [4, 4, 0]]


def test_robot_handling_and_print_estimates() -> None:
    """A tended unit's duration adds a load and an unload per part (one part per fixture
    load by default); a print op is whole plates."""
    stations = [
        *copy.deepcopy(BASE["stations"]),
        {"id": "robot", "kind": "robot", "tends": ["lathe"], "load_time": "30s"},
        {
            "id": "printer", "kind": "printer3d", "plate_capacity": 4, "max_wait": 60,
            "build_time": {"base": 30, "per_part": 10}, "cooldown": 20, "post_process": 5,
        },
    ]  # fmt: skip
    products = [
        *copy.deepcopy(BASE["products"]),
        {"id": "bracket", "routing": [{"stations": {"printer": 10}}]},
    ]
    orders = [*copy.deepcopy(BASE["orders"]), {"id": "C", "product": "bracket", "quantity": 6}]
    scenario = small_scenario(stations=stations, products=products, orders=orders)
    data = build_problem(scenario)
    assert "robot" not in data.machine_names
    assert data.modes(0) == [(0, 14), (1, 14)]  # 4 x 2.5 + 4 x (0.5 + 0.5)
    assert printer_estimate(scenario.station("printer"), 6) == (30 + 40 + 20) + (30 + 20 + 20) + 5
    assert data.modes(3) == [(3, 165)]


def test_shop_info_carries_nc_flags_and_power() -> None:
    """KPI metadata: kind defaults for NC and key process (networked only if said)."""
    info = shop_info(small_scenario())
    by_name = {u.name: u for u in info.units}
    assert by_name["lathe#2"].numerically_controlled and not by_name["lathe#2"].networked
    assert not by_name["mill"].numerically_controlled and by_name["mill"].key_process
    assert info.products["disc"][0].cycle == {"mill": 1.0, "lathe": 1.2}
    assert info.jobs[0].release == 0.5 and info.jobs[1].due is None


def test_build_shop_makes_every_unit() -> None:
    """One SimPy unit per station unit, each recording its initial state."""
    scenario = small_scenario()
    log = EventLog()
    shop = build_shop(simpy.Environment(), scenario, log, np.random.SeedSequence(0).spawn(3))
    assert set(shop.machines) == {"lathe#1", "lathe#2", "mill"}
    assert {row[2] for row in log.where("state")} == {"lathe#1", "lathe#2", "mill"}
    with pytest.raises(ValueError, match="expected 3 unit seeds"):
        build_shop(simpy.Environment(), scenario, log, [])
