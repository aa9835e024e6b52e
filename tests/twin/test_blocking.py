"""Blocking without deadlock: a unit chosen for a lot that a full buffer keeps on its
upstream unit takes the lot straight off that unit instead of waiting for buffer room."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build import small_scenario

import scheduler
from twin.run import simulate
from twin.scenario import Scenario
from twin.sim.build import build_problem
from twin.sim.execute import RULES

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _blocked_pick_scenario() -> Scenario:
    """One lathe, a one-place buffer, one mill. A holds the mill 20 min; meanwhile B
    fills the buffer and C blocks the lathe. When the mill frees, spt picks C (1 min)
    over B (3 min): C is still on the lathe, behind the full buffer."""
    stations = [
        {"id": "lathe", "kind": "cnc", "variability_cv": 0},
        {"id": "mill", "kind": "manual", "variability_cv": 0},
    ]
    products = [
        {"id": "block", "routing": [{"stations": {"lathe": 1}}, {"stations": {"mill": 20}}]},
        {"id": "shaft", "routing": [{"stations": {"lathe": 2.5}}, {"stations": {"mill": 3}}]},
        {"id": "pin", "routing": [{"stations": {"lathe": 3}}, {"stations": {"mill": 1}}]},
    ]
    orders = [
        {"id": "A", "product": "block", "quantity": 1},
        {"id": "B", "product": "shaft", "quantity": 1, "release": 0.5},
        {"id": "C", "product": "pin", "quantity": 1, "release": 0.6},
    ]
    buffers = [{"id": "b", "capacity": 1, "after": "lathe"}]
    return small_scenario(stations=stations, products=products, orders=orders, buffers=buffers)


def test_a_lot_blocked_behind_a_full_buffer_is_taken_straight_off_its_unit() -> None:
    """spt picks the blocked lot C: the mill takes it off the lathe at once, then B."""
    run = simulate(_blocked_pick_scenario(), method="spt")
    assert run.execution.unfinished == 0 and run.execution.warnings == []
    starts = {(r[3], r[4]): r[0] for r in run.log.where("op_start") if r[2] == "mill"}
    assert starts == {(0, 1): pytest.approx(1.0), (2, 1): pytest.approx(21.0),
                      (1, 1): pytest.approx(22.0)}  # fmt: skip
    assert run.kpis.state_time["lathe"]["blocked"] == pytest.approx(21.0 - 6.5)
    levels = [r[6] for r in run.log.where("buffer")]
    assert max(levels) == 1 and levels[-1] == 0  # C never entered the buffer


def test_every_rule_keeps_the_robot_line_flowing() -> None:
    """On the robot-tended CNC line every online rule finishes about as many lots as
    the best one (mwkr and spt used to lock both lathes behind the full conveyor)."""
    done = {
        rule: simulate(SCENARIOS / "cnc_line_robot.yaml", seed=2, method=rule).execution
        for rule in RULES
    }
    best = max(e.finished for e in done.values())
    for rule, execution in done.items():
        assert execution.finished >= 0.95 * best, (rule, execution.finished, best)


def test_a_plan_takes_its_next_lot_straight_off_a_blocked_unit() -> None:
    """Plan: mill does A, C, B. C waits on the lathe behind B in the full buffer; the
    mill, ready for C, takes it off the lathe (it used to wait for buffer room forever)."""
    scenario = _blocked_pick_scenario()
    data = build_problem(scenario)
    # ops: A (0 lathe, 1 mill), B (2, 3), C (4, 5); machines: lathe 0, mill 1
    plan = scheduler.Schedule.from_starts(data, [0, 1, 0, 1, 0, 1], [0, 1, 1, 22, 4, 21])
    assert scheduler.check(data, plan) == []
    run = simulate(scenario, plan=plan)
    assert run.execution.unfinished == 0 and run.execution.warnings == []
    mill = [(r[3], r[0]) for r in run.log.where("op_start") if r[2] == "mill"]
    assert [j for j, _ in mill] == [0, 2, 1]
    assert mill[1][1] == pytest.approx(21.0)
