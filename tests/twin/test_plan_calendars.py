"""Plans the shop can follow: the scheduler sees the shift calendars, so a planned run
without randomness starts and ends every operation exactly when the plan says."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import twin
from scheduler import Schedule, check
from scheduler.calendar import FREE, LOADS, RESUME, RUN
from twin.scenario import Scenario
from twin.sim.build import build_problem, calendar_kind, tending
from twin.sim.hint import online_hint


def _shift_shop(scheduling: str, start: str | None = "2026-11-02T00:00:00") -> Scenario:
    """Three stations on a 07:00-16:00 day shift with a lunch break, weekends off: a
    manual lathe (attended: its cycles pause off shift), a CNC mill whose operator
    loads each lot (attended by load) with family setups that pause off shift, and an
    unattended washer that runs at night. Lots of 3-11 hours each: most span a
    night."""
    rng = np.random.default_rng(7)
    orders = []
    for i in range(9):
        orders.append({
            "id": f"O{i}", "product": "shaft" if i % 2 else "flange",
            "quantity": int(rng.integers(4, 12)), "release": int(rng.integers(0, 600)),
        })  # fmt: skip
    data: dict[str, Any] = {
        "name": "shifts",
        "time_unit": "min",
        "calendars": {
            "day": {
                "shifts": [["07:00", "16:00"]],
                "breaks": [["12:00", "12:30"]],
                "days_off": ["sat", "sun"],
            },
        },
        "stations": [
            {"id": "lathe", "kind": "manual", "count": 2, "calendar": "day"},
            {
                "id": "mill",
                "kind": "cnc",
                "calendar": "day",
                "setup": {"default": 45, "families": {"flanges": {"shafts": 50}}},
            },
            {"id": "washer", "kind": "generic", "calendar": "day", "unattended": True},
        ],
        "products": [
            {
                "id": "shaft",
                "family": "shafts",
                "routing": [
                    {"stations": {"lathe": 37}},
                    {"stations": {"mill": 23}},
                    {"stations": {"washer": 9}},
                ],
            },
            {
                "id": "flange",
                "family": "flanges",
                "routing": [
                    {"stations": {"mill": 41}},
                    {"stations": {"lathe": 29}},
                    {"stations": {"washer": 11}},
                ],
            },
        ],
        "orders": orders,
        "run": {
            "breakdowns": False,
            "variability": False,
            "scheduling": scheduling,
            "time_limit": 3,
            "objective": "makespan",
        },
    }
    if start is not None:
        data["start"] = start
    return Scenario.from_dict(data)


def _assert_follows(run: Any, plan: Schedule) -> None:
    """Every operation of ``run`` starts and ends when ``plan`` says."""
    starts = {(r[3], r[4]): r[0] for r in run.log.where("op_start")}
    ends = {(r[3], r[4]): r[0] for r in run.log.where("op_end")}
    ptr = run.problem.job_op_ptr
    for j in range(run.problem.num_jobs):
        for k, o in enumerate(range(ptr[j], ptr[j + 1])):
            assert starts[(j, k)] == pytest.approx(plan.start[o]), (j, k)
            assert ends[(j, k)] == pytest.approx(plan.end[o]), (j, k)


def test_calendars_become_windows_and_kinds() -> None:
    problem = build_problem(_shift_shop("auto"))
    assert problem.has_calendar_modes
    names = problem.machine_names
    lathe = names.index("lathe#1")
    # Monday 2 Nov: off until 07:00, lunch 12:00-12:30, off 16:00 to Tuesday 07:00
    assert problem.windows(lathe)[:3] == [(0, 420), (720, 750), (960, 1860)]
    # the weekend: Friday 16:00 to Monday 07:00
    assert (4 * 1440 + 960, 7 * 1440 + 420) in problem.windows(lathe)
    kinds = dict(zip([names[m] for m in problem.mode_machine], problem.mode_calendar, strict=True))
    assert kinds["lathe#1"] == RESUME and kinds["mill"] == LOADS and kinds["washer"] == FREE
    # the mill runs one fixture load per part (loading.parts 1): a lot of q parts is q loads
    qty = [o.quantity for o in _shift_shop("auto").orders]
    mill = names.index("mill")
    for i in np.flatnonzero(problem.mode_machine == mill):
        assert problem.mode_loads[i] == qty[problem.op_job[problem.mode_op[i]]]


@pytest.mark.parametrize("method", ["dispatch", "tabu", "auto"])
def test_the_twin_follows_a_calendar_plan_exactly(method: str) -> None:
    run = twin.simulate(_shift_shop("auto"), method=method, time_limit=3)
    plan = run.plan
    assert plan is not None and check(run.problem, plan) == []
    spans = [
        e - s for s, e in zip(plan.start.tolist(), plan.end.tolist(), strict=True) if e - s > 0
    ]  # the plan stretches attended work over nights: some span more than a shift
    assert max(spans) > 540
    _assert_follows(run, plan)
    assert run.kpis.plan_adherence == 1.0 and run.kpis.start_delay_p95 == 0.0
    assert run.kpis.makespan == pytest.approx(plan.makespan)
    # nothing the scheduler does not see: the plan is published as solved
    assert run.times is not None and np.array_equal(run.times.start, plan.start)


def test_a_plan_that_would_outrun_its_windows_is_planned_again() -> None:
    """Windows cover a bound of the plan's length; a plan past them is re-planned with
    twice the cover, never silently run past the last shift the plan knew."""
    scenario = _shift_shop("auto")
    small = build_problem(scenario, cover=3000)
    assert max(small.window_end) <= 3000 + 1440 * 3
    run = twin.simulate(scenario, method="dispatch")
    assert run.plan is not None
    assert run.plan.makespan <= max(run.problem.window_end)
    assert check(run.problem, run.plan) == []


def test_a_cpsat_plan_treats_loads_as_resumable_and_the_twin_is_never_later() -> None:
    """CP-SAT declines fixture loads over shift windows: its plan counts them as work
    that pauses off shift. The twin finishes the load under way before it pauses, so
    every operation starts and ends no later than planned."""
    run = twin.simulate(_shift_shop("auto"), method="cpsat", time_limit=3)
    plan = run.plan
    assert plan is not None and check(run.problem, plan) == []
    assert LOADS not in run.problem.mode_calendar.tolist()
    starts = {(r[3], r[4]): r[0] for r in run.log.where("op_start")}
    ends = {(r[3], r[4]): r[0] for r in run.log.where("op_end")}
    ptr = run.problem.job_op_ptr
    early = 0
    for j in range(run.problem.num_jobs):
        for k, o in enumerate(range(ptr[j], ptr[j + 1])):
            assert starts[(j, k)] <= plan.start[o] + 1e-9 and ends[(j, k)] <= plan.end[o] + 1e-9
            early += ends[(j, k)] < plan.end[o] - 1e-9
    assert early > 0  # some load did run over a break


def test_the_pilot_stations_meet_their_calendars_as_the_twin_runs_them() -> None:
    scenario = twin.load_scenario(
        Path(__file__).resolve().parents[2] / "scenarios" / "pilot_workshop.yaml"
    )
    robots = tending(scenario)
    kind = {s.id: calendar_kind(s, robots.get(s.id)) for s in scenario.stations}
    assert kind["manual_lathe"] == RESUME  # the machinist runs the whole cycle
    assert kind["cnc_lathe"] == LOADS  # the operator loads each part on shift
    # the cell's robot is unattended (a robot's default): the cell runs lights-out
    assert scenario.station("cell_robot").is_unattended and kind["cell_vmc"] == FREE
    assert kind["printer_slm"] == RUN and kind["harden"] == FREE


def test_a_plan_starts_from_the_twins_online_dispatch() -> None:
    """The search starts from a deterministic online run of the twin (most work
    remaining without due dates), left-shifted onto the calendars: never worse."""
    scenario = _shift_shop("auto")
    problem = build_problem(scenario)
    hint = online_hint(scenario, problem, "mwkr")
    assert hint is not None and check(problem, hint) == []
    run = twin.simulate(scenario, time_limit=3)
    assert run.solver["warm_start"] == "mwkr"
    assert run.plan is not None and run.plan.makespan <= hint.makespan


def test_an_operator_pool_is_a_resource_the_plan_and_the_twin_share() -> None:
    """One turner for both manual lathes (the whole cycle each): the plan never runs
    the two lathes at once, and the twin, whose units ask for the turner no earlier
    than planned, follows the plan exactly."""
    scenario = _shift_shop("auto")
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["operators"] = [
        {"id": "turner", "count": 1, "calendar": "day", "skills": ["lathe"]},
        {"id": "setter", "count": 1, "calendar": "day", "skills": ["mill"]},
    ]
    scenario = Scenario.from_dict(data)
    problem = build_problem(scenario)
    assert problem.has_resources and problem.resource_capacity.tolist() == [1, 1]
    run = twin.simulate(scenario, method="auto", time_limit=3)
    plan = run.plan
    assert plan is not None and check(run.problem, plan) == []
    names = run.problem.machine_names
    lathes = [o for o in range(problem.num_ops) if names[plan.machine[o]].startswith("lathe")]
    spans = sorted((int(plan.start[o]), int(plan.end[o])) for o in lathes)
    assert all(b <= c for (_, b), (c, _) in itertools.pairwise(spans))  # one at a time
    _assert_follows(run, plan)
