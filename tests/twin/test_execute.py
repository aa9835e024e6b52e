"""twin.sim.execute: plans replayed exactly, dispatch rules, randomness, physics around ops."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_build import BASE, small_scenario

import scheduler
from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.run import simulate
from twin.scenario import load_scenario
from twin.sim.build import build_problem
from twin.sim.execute import RULES, execute

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _executed(run: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = run.executed_rows()
    return tuple(np.array([r[k] for r in rows]) for k in ("machine", "start", "end"))  # type: ignore[return-value]


def _replay(scenario: Any) -> tuple[Any, Any]:
    data = build_problem(scenario)
    result = scheduler.solve(data, "cpsat", time_limit=30, workers=1, seed=0)
    assert result.schedule is not None and scheduler.check(data, result.schedule) == []
    return result, simulate(scenario, plan=result.schedule, seed=5)


def test_replay_reproduces_the_mk01_plan_exactly() -> None:
    """No randomness: the twin replays the CP-SAT plan of mk01 to the minute (makespan 40)."""
    result, run = _replay(load_scenario(SCENARIOS / "deterministic_mk01.yaml"))
    assert run.kpis.makespan == result.makespan == 40
    machine, start, end = _executed(run)
    plan = result.schedule
    assert np.array_equal(machine, plan.machine)
    assert np.array_equal(start, plan.start) and np.array_equal(end, plan.end)


def test_replay_with_setups_and_transport_is_exact() -> None:
    """Family setups (done before the lot arrives) and travel delays match the plan."""
    stations = copy.deepcopy(BASE["stations"])
    stations[0]["setup"] = {"default": 3}
    stations[1]["setup"] = {"default": 4, "families": {"shaft": {"disc": 7}}}
    products = copy.deepcopy(BASE["products"])
    products[0]["routing"][0]["stations"]["lathe"] = 3
    products[1]["routing"][0]["stations"]["lathe"] = 2
    orders = [
        {
            "id": f"O{i}",
            "product": ["shaft", "disc"][i % 2],
            "quantity": 2 + i % 3,
            "release": 2 * i,
        }
        for i in range(8)
    ]
    transport = {"travel_time": {"default": 2, "pairs": [["lathe", "mill", 3]]}}
    scenario = small_scenario(
        stations=stations, products=products, orders=orders, transport=transport
    )
    result, run = _replay(scenario)
    assert run.kpis.makespan == result.makespan
    machine, start, end = _executed(run)
    assert np.array_equal(machine, result.schedule.machine)
    assert np.array_equal(start, result.schedule.start)
    assert np.array_equal(end, result.schedule.end)
    assert any(row[1] == "setup_start" for row in run.log.rows())


def test_same_seed_same_log_different_seed_differs() -> None:
    """Determinism: one seed, one event log; another seed, another log (with noise)."""
    scenario = load_scenario(SCENARIOS / "pilot_workshop.yaml")
    a = simulate(scenario, seed=11, method="edd")
    b = simulate(scenario, seed=11, method="edd")
    c = simulate(scenario, seed=12, method="edd")
    assert a.log == b.log
    assert a.log != c.log
    assert a.kpis.to_dict() == b.kpis.to_dict()


def test_conservation_per_product_with_arrivals() -> None:
    """Per product: released lots = finished lots + lots still open at the horizon."""
    scenario = load_scenario(SCENARIOS / "cnc_line_robot.yaml")
    run = simulate(scenario, seed=3)
    released = Counter(row[7] for row in run.log.where("release"))
    finished = Counter(row[7] for row in run.log.where("finish"))
    done_jobs = {row[3] for row in run.log.where("finish")}
    open_lots = Counter(j.product for i, j in enumerate(run.execution.lots) if i not in done_jobs)
    assert sum(released.values()) == len(run.execution.lots) > 100
    for product in released:
        assert released[product] == finished[product] + open_lots[product]
    assert run.execution.finished == sum(finished.values())
    assert run.execution.unfinished == sum(open_lots.values()) > 0


def _with_station(index: int, **fields: Any) -> list[dict[str, Any]]:
    stations = copy.deepcopy(BASE["stations"])
    stations[index].update(fields)
    return stations


def test_breakdowns_stop_work_and_are_recorded() -> None:
    """Constant MTBF/MTTR on the mill: failures, DOWN time, and a later finish."""
    calm = simulate(small_scenario(), method="fifo")
    failing = small_scenario(
        stations=_with_station(
            1, mtbf={"dist": "constant", "mean": 5}, mttr={"dist": "constant", "mean": 2}
        ),
        run={**BASE["run"], "breakdowns": True},
    )
    run = simulate(failing, method="fifo")
    failures = run.log.where("failure")
    assert len(failures) == 3  # 17 busy minutes on the mill: failures after 5, 10 and 15
    assert run.kpis.state_time["mill"]["down"] == pytest.approx(6.0)
    assert run.kpis.makespan == pytest.approx(calm.kpis.makespan + 6.0)


def test_full_buffer_blocks_the_upstream_station() -> None:
    """A one-place buffer after the lathe: the lathe waits BLOCKED for the slow mill."""
    orders = [{"id": f"O{i}", "product": "shaft", "quantity": 1} for i in range(6)]
    scenario = small_scenario(orders=orders, buffers=[{"id": "b", "capacity": 1, "after": "lathe"}])
    run = simulate(scenario, method="fifo")
    blocked = sum(run.kpis.state_time[u]["blocked"] for u in ("lathe#1", "lathe#2"))
    assert blocked > 0
    assert max(row[6] for row in run.log.where("buffer")) == 1
    assert run.execution.finished == 6


def test_robot_loads_and_unloads_every_tended_operation() -> None:
    """A robot tending the lathes: one load and one unload per part (one part per
    fixture load by default), the lathe busy meanwhile."""
    stations = [
        *copy.deepcopy(BASE["stations"]),
        {"id": "robot", "kind": "robot", "tends": ["lathe"], "load_time": 0.5},
    ]
    run = simulate(small_scenario(stations=stations), method="spt")
    handled = [row[5].split()[0] for row in run.log.where("transport_start")]
    quantity = {j: lot.quantity for j, lot in enumerate(run.execution.lots)}
    parts = sum(quantity[row[3]] for row in run.log.where("op_start") if row[2].startswith("lathe"))
    assert parts > 0 and Counter(handled) == {"load": parts, "unload": parts}
    assert run.kpis.state_time["robot"]["busy"] == pytest.approx(parts * 1.0)


def test_print_cell_batches_parts_of_a_lot() -> None:
    """Six parts on four-part plates: two builds, every part post-processed, one at a
    time on the one bench place (the default)."""
    stations = [
        *copy.deepcopy(BASE["stations"]),
        {
            "id": "printer", "kind": "printer3d", "plate_capacity": 4, "max_wait": 0,
            "build_time": {"base": 30, "per_part": 10}, "cooldown": 20, "post_process": 5,
        },
    ]  # fmt: skip
    products = [{"id": "bracket", "routing": [{"stations": {"printer": 10}}]}]
    orders = [{"id": "C", "product": "bracket", "quantity": 6}]
    run = simulate(
        small_scenario(stations=stations, products=products, orders=orders), method="fifo"
    )
    assert [row[6] for row in run.log.where("build_start")] == [4, 2]
    assert len(run.log.where("op_end")) == 6
    assert run.kpis.makespan == (30 + 40 + 20) + (30 + 20 + 20) + 2 * 5


def test_attended_machine_pauses_at_the_break() -> None:
    """A manual mill on a calendar with a break stops (OFF) mid-operation and resumes."""
    calendars = {"day": {"shifts": [["00:00", "23:59"]], "breaks": [["00:10", "00:20"]]}}
    scenario = small_scenario(
        calendars=calendars,
        stations=_with_station(1, calendar="day"),
        orders=[{"id": "A", "product": "disc", "quantity": 15}],
        products=[{"id": "disc", "routing": [{"stations": {"mill": 1}}]}],
    )
    run = simulate(scenario, method="fifo")
    assert run.kpis.makespan == 25.0
    assert run.kpis.state_time["mill"]["off"] == pytest.approx(10.0)


@pytest.mark.parametrize("rule", RULES)
def test_every_dispatch_rule_finishes_every_lot(rule: str) -> None:
    """Each online rule completes the pilot's lots (four weeks of orders)."""
    run = simulate(SCENARIOS / "pilot_workshop.yaml", seed=1, method=rule)
    lots = len(run.scenario.orders)
    assert lots > 100
    assert run.execution.finished == lots and run.execution.unfinished == 0
    assert run.kpis.jobs_finished + run.kpis.jobs_scrapped == lots


def test_execute_rejects_bad_requests() -> None:
    """Unknown rule, plan of the wrong size, or neither/both of plan and rule."""
    scenario = small_scenario()
    data = build_problem(scenario)
    seed = np.random.SeedSequence(0)
    with pytest.raises(TwinError, match="unknown dispatch rule"):
        execute(scenario, data, EventLog(), seed=seed, rule="fastest")
    with pytest.raises(TwinError, match="exactly one"):
        execute(scenario, data, EventLog(), seed=seed)
    a = np.array
    plan = scheduler.Schedule(a([0]), a([0]), a([1]))
    with pytest.raises(TwinError, match="plan has 1 operations"):
        execute(scenario, data, EventLog(), seed=seed, plan=plan)
    wrong = scheduler.Schedule(a([0, 0, 2]), a([0, 10, 20]), a([10, 22, 25]))  # op 1: mill
    with pytest.raises(TwinError, match=r"operation 1 \(job A, operation 1\) is on machine 0"):
        execute(scenario, data, EventLog(), seed=seed, plan=wrong)


def test_a_plan_that_locks_on_a_full_buffer_stops_with_a_warning() -> None:
    """Blocking the plan did not foresee: the run ends at its cap and reports open lots."""
    stations = [
        {"id": "lathe", "kind": "cnc", "variability_cv": 0},
        {"id": "mill", "kind": "manual", "variability_cv": 0},
    ]
    orders = [{"id": "X", "product": "shaft", "quantity": 4}, {"id": "Y", "product": "shaft"}]
    scenario = small_scenario(
        stations=stations, orders=orders, buffers=[{"id": "b", "capacity": 0, "after": "lathe"}]
    )
    data = build_problem(scenario)
    # lathe: X then Y; mill: Y then X. X blocks the lathe until the mill takes it, and
    # the mill waits for Y, which is behind X on the lathe.
    plan = scheduler.Schedule.from_starts(data, [0, 1, 0, 1], [0, 16, 10, 13])
    assert scheduler.check(data, plan) == []
    run = simulate(scenario, plan=plan)
    assert run.execution.unfinished == 2
    assert "2 lots unfinished" in run.execution.warnings[0]
