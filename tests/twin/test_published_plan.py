"""The plan published to the shop (the solver's decisions timed by the twin without
randomness, :mod:`twin.sim.timing`) is one the twin follows exactly, on every bundled
scenario; adherence under disturbances is measured against it."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import twin
from twin.runs.read import read_run
from twin.sim.build import build_problem
from twin.sim.timing import calm, plan_times

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _ops_by_unit(machine: np.ndarray, start: np.ndarray) -> dict[int, list[int]]:
    order = np.lexsort((np.arange(len(start)), start))
    units: dict[int, list[int]] = {}
    for o in order.tolist():
        units.setdefault(int(machine[o]), []).append(o)
    return units


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_twin_follows_the_published_plan_exactly(path: Path) -> None:
    scenario = twin.load_scenario(path)
    problem = build_problem(scenario)
    first = twin.simulate(scenario, method="dispatch", problem=problem, replication=1)
    plan = first.plan
    if scenario.arrivals is not None:  # open-ended arrivals are dispatched online
        assert plan is None and first.times is None
        return
    assert plan is not None and first.times is not None
    # timed by its own calm run, independent of the (noisy) run that asked for it
    published = plan_times(scenario, problem, plan, np.random.SeedSequence(scenario.run.seed))
    assert published is not None
    assert np.array_equal(published.start, first.times.start)
    assert np.array_equal(published.end, first.times.end)
    # a second, separate calm run of the same plan starts and ends every operation then
    again = twin.simulate(calm(scenario), plan=plan, problem=problem)
    assert again.times is not None
    assert np.array_equal(again.times.start, published.start)
    assert np.array_equal(again.times.end, published.end)
    k = again.kpis
    assert k.plan_adherence == 1.0 and k.start_delay_p95 == 0.0
    assert k.lots_late_against_plan == 0
    assert again.kpis.makespan == pytest.approx(published.makespan)
    # the published times keep the solver's decisions and the shop's rules
    start, end = published.start, published.end
    assert (end >= start).all()
    ptr = problem.job_op_ptr
    for j in range(problem.num_jobs):
        ops = range(int(ptr[j]), int(ptr[j + 1]))
        if problem.release is not None:
            assert start[ops[0]] >= problem.release[j]
        for a, b in itertools.pairwise(ops):
            assert start[b] >= end[a] - 1e-9, (j, a, b)
    ours = _ops_by_unit(plan.machine, start)
    theirs = plan.machine_sequences(problem.num_machines)
    batched = {u for st in scenario.stations if st.kind == "printer3d" for u in st.unit_names}
    for m, seq in enumerate(theirs):
        assert ours.get(m, []) == list(seq), problem.machine_names[m]
        if problem.machine_names[m] in batched:  # a build holds several parts at once
            continue
        span = [(start[o], end[o]) for o in seq]
        for (_, e), (s, _) in itertools.pairwise(span):
            assert s >= e - 1e-9, problem.machine_names[m]


def test_a_plan_the_solver_models_exactly_is_published_as_solved() -> None:
    """On a shop with no operator, robot or transport the scheduler does not see, the
    twin's timing changes nothing: the published plan is the solver's."""
    run = twin.simulate(SCENARIOS[[p.stem for p in SCENARIOS].index("deterministic_mk01")])
    assert run.plan is not None and run.times is not None
    assert np.array_equal(run.times.start, run.plan.start)
    assert np.array_equal(run.times.end, run.plan.end)
    assert run.solver["planned_makespan"] == run.plan.makespan


def test_replications_share_one_published_plan() -> None:
    path = SCENARIOS[[p.stem for p in SCENARIOS].index("pilot_workshop")]
    scenario = twin.load_scenario(path)
    runs = twin.replicate(scenario, 2, method="dispatch")
    assert runs[0].times is runs[1].times is not None
    assert runs[0].solver["planned_makespan"] >= runs[0].solver["makespan"]
    for run in runs:  # breakdowns and variability: starts drift from the published plan
        assert 0.0 <= run.kpis.plan_adherence < 1.0


def test_the_run_folder_holds_the_published_plan(tmp_path: Path) -> None:
    path = SCENARIOS[[p.stem for p in SCENARIOS].index("additive_cell")]
    run = twin.simulate(path, method="dispatch")
    assert run.plan is not None and run.times is not None
    assert not np.array_equal(run.times.start, run.plan.start)  # the model misses things
    twin.write_run(tmp_path / "run", run)
    plan = read_run(tmp_path / "run").plan
    assert plan is not None
    ptr = run.problem.job_op_ptr
    ops = [int(ptr[j]) + k for j, k in zip(plan["job"], plan["operation"], strict=True)]
    assert np.allclose(plan["start"].to_numpy(), run.times.start[ops])
    assert np.allclose(plan["end"].to_numpy(), run.times.end[ops])
