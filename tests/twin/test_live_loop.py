"""Closed-loop rescheduling: the simulated shop's events reach the live twin, which
replans; the shop adopts the new plan (twin.live.loop, twin.sim.plan.AdaptivePlanRun)."""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twin.cli import main
from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.live import loop
from twin.live.policy import Policy
from twin.live.replan import Replanner
from twin.run import Run, simulate
from twin.scenario import Scenario, load_scenario
from twin.sim.build import build_problem
from twin.sim.plan import AdaptivePlanRun

PILOT = Path(__file__).resolve().parents[2] / "scenarios" / "pilot_workshop.yaml"

TINY: dict[str, Any] = {
    "name": "loop-tiny",
    "time_unit": "min",
    "start": "2026-01-05T06:00:00+00:00",
    "stations": [
        {"id": "lathe", "kind": "cnc", "count": 2, "variability_cv": 0.3, "mtbf": "3h",
         "mttr": "20min"},
        {"id": "mill", "kind": "manual", "variability_cv": 0.3},
    ],
    "products": [
        {"id": "shaft", "routing": [{"name": "turn", "stations": {"lathe": 2.5}},
                                    {"name": "mill", "stations": {"mill": 3, "lathe": 4}}]},
    ],
    "orders": [
        {"id": f"O{i}", "product": "shaft", "quantity": 12 + 4 * i, "due": 120 + 40 * i}
        for i in range(5)
    ],
    "run": {"scheduling": "cpsat", "breakdowns": True, "variability": True, "time_limit": 2,
            "seed": 5, "replications": 2},
}  # fmt: skip

CPSAT = Replanner(method="cpsat", time_limit=1.0, workers=1)


def tiny() -> Scenario:
    return Scenario.from_dict(json.loads(json.dumps(TINY)), source="loop-tiny.yaml")


@pytest.fixture(scope="module")
def tiny_plan() -> Run:
    return simulate(tiny(), seed=5)


@pytest.fixture(scope="module")
def pilot_slice() -> tuple[Scenario, Run]:
    """The pilot's first two days of orders (buffers, the print cell, AGVs, operators,
    breakdowns, variability), planned by the scheduler's dispatch pass."""
    scenario = load_scenario(PILOT)
    scenario = scenario.model_copy(
        update={"orders": [o for o in scenario.orders if o.release < 2 * 1440]}
    )
    return scenario, simulate(scenario, method="dispatch", seed=3)


def history(log: EventLog) -> dict[tuple[int, int], tuple[str, float, float]]:
    """(job, operation) -> (unit, first start, last end) of every processed operation."""
    spans: dict[tuple[int, int], list[Any]] = {}
    for t, kind, unit, j, k, *_ in log.rows():
        if kind == "op_start":
            spans.setdefault((j, k), [unit, t, None])
        elif kind == "op_end":
            spans[(j, k)][2] = t
    return {key: (u, s, e) for key, (u, s, e) in spans.items()}


def assert_consistent(run: Run, units: set[str]) -> None:
    """Every operation ran once, in routing order, never two at once on a unit (print
    cells excepted: a plate holds several lots)."""
    spans = history(run.log)
    ptr = run.problem.job_op_ptr.tolist()
    for j in range(run.problem.num_jobs):
        ends = [spans[(j, k)] for k in range(ptr[j + 1] - ptr[j])]
        for (_, _, e0), (_, s1, _) in itertools.pairwise(ends):
            assert e0 is not None and s1 >= e0 - 1e-9
    by_unit: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for unit, s, e in spans.values():
        assert e is not None
        if unit in units:
            by_unit[unit].append((s, e))
    for unit, spans_on in by_unit.items():
        spans_on.sort()
        for (_, e0), (s1, _) in itertools.pairwise(spans_on):
            assert s1 >= e0 - 1e-9, f"{unit} runs two operations at once"


def test_policy_none_equals_a_plain_run(tiny_plan: Run) -> None:
    r = loop.simulate(tiny(), "none", tiny_plan.plan, seed=5, problem=tiny_plan.problem,
                      solver=tiny_plan.solver)  # fmt: skip
    assert r.log == tiny_plan.log
    assert json.dumps(r.kpis.to_dict()) == json.dumps(tiny_plan.kpis.to_dict())
    assert r.replans == [] and r.reschedule is not None
    assert r.reschedule["rejected_events"] == 0


def test_policy_none_equals_a_plain_run_on_the_pilot(pilot_slice: tuple) -> None:
    """Buffers that block, a print cell, AGVs and operator pools: still the same run."""
    scenario, base = pilot_slice
    r = loop.simulate(scenario, "none", base.plan, seed=3, problem=base.problem,
                      solver=base.solver)  # fmt: skip
    assert len(r.log) > 1000
    assert r.log == base.log
    assert r.reschedule is not None and r.reschedule["rejected_events"] == 0


def test_on_event_replans_are_feasible_and_the_history_consistent(tiny_plan: Run) -> None:
    scenario = tiny()
    moved = 0
    for rep in range(3):
        r = loop.simulate(
            scenario, "on-event", tiny_plan.plan, seed=5, replanner=CPSAT, replication=rep,
            problem=tiny_plan.problem, solver=tiny_plan.solver,
        )  # fmt: skip
        assert r.replans, "breakdowns every 3 h: the policy must replan"
        assert {row["trigger"] for row in r.replans} <= {"breakdown", "deviation"}
        assert all(row["violations"] == 0 for row in r.replans)
        assert r.execution.unfinished == 0
        assert r.reschedule is not None and r.reschedule["rejected_events"] == 0
        assert_consistent(r, set(r.problem.machine_names))
        moved += sum(row["moved"] for row in r.replans)
    assert moved > 0  # some replan changed what the shop does


def test_on_event_on_the_pilot_slice(pilot_slice: tuple) -> None:
    scenario, base = pilot_slice
    replanner = Replanner(method="cpsat", time_limit=1.0, workers=1)
    r = loop.simulate(scenario, "on-event:240", base.plan, seed=3, replanner=replanner,
                      problem=base.problem, solver=base.solver)  # fmt: skip
    assert r.replans and sum(row["moved"] for row in r.replans) > 0
    assert all(row["violations"] == 0 for row in r.replans)
    assert r.execution.unfinished == 0
    assert r.reschedule is not None and r.reschedule["rejected_events"] == 0
    assert r.reschedule["policy"] == "on-event:240"
    printers = {"printer_slm"}
    assert_consistent(r, set(r.problem.machine_names) - printers)


def test_periodic_replans_on_its_ticks(tiny_plan: Run) -> None:
    r = loop.simulate(tiny(), "periodic:50", tiny_plan.plan, seed=5, replanner=CPSAT,
                      problem=tiny_plan.problem, solver=tiny_plan.solver)  # fmt: skip
    assert r.replans
    assert all(row["time"] % 50 == 0 and row["trigger"] == "periodic" for row in r.replans)
    assert all(row["violations"] == 0 for row in r.replans)
    assert_consistent(r, set(r.problem.machine_names))


def test_the_same_seed_gives_the_same_closed_loop(tiny_plan: Run) -> None:
    args = dict(seed=5, replanner=CPSAT, problem=tiny_plan.problem, solver=tiny_plan.solver)
    a = loop.simulate(tiny(), "on-event", tiny_plan.plan, **args)  # type: ignore[arg-type]
    b = loop.simulate(tiny(), "on-event", tiny_plan.plan, **args)  # type: ignore[arg-type]
    assert a.log == b.log
    assert [r["moved"] for r in a.replans] == [r["moved"] for r in b.replans]


def test_adopt_moves_operations_not_begun() -> None:
    """Mid-run, a new plan sends the mill steps to the lathes: the shop does so for the
    steps not begun, and the step under way stays where it is."""
    data = json.loads(json.dumps(TINY))
    data["stations"][0].update(mtbf=None, mttr=None, variability_cv=0)
    data["stations"][1]["variability_cv"] = 0
    data["run"].update(breakdowns=False, variability=False)
    scenario = Scenario.from_dict(data, source="adopt.yaml")
    problem = build_problem(scenario)
    plan = simulate(scenario, seed=5).plan
    assert plan is not None
    log = EventLog()
    run = AdaptivePlanRun(scenario, problem, log, np.random.SeedSequence(5))
    for o in scenario.orders:
        run.new_lot(o.id, o.product, o.quantity, o.release, o.due)
    run.follow(plan)
    run.env.run(until=60)
    names = problem.machine_names
    units = [names[m] for m in plan.machine.tolist()]
    mill_ops = [o for o, u in enumerate(units) if u == "mill"]
    begun = {o for o in mill_ops if run.committed_on[o] is not None}
    new_units = list(units)
    for i, o in enumerate(o for o in mill_ops if o not in begun):
        new_units[o] = ("lathe#1", "lathe#2")[i % 2]
    pinned = run.adopt(new_units, [60 + o for o in range(problem.num_ops)])
    assert pinned == []
    run.expected = len(run.lots)
    run.env.run(until=run.all_done)
    spans = history(log)
    ptr = problem.job_op_ptr.tolist()
    for o in mill_ops:
        j = int(problem.op_job[o])
        unit = spans[(j, o - ptr[j])][0]
        assert unit == ("mill" if o in begun else new_units[o])
    assert len(mill_ops) > len(begun)


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run `twin ARGV` in-process; (exit code, stdout + stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out + err


def test_replans_csv_and_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(json.dumps(TINY))
    out = tmp_path / "run"
    code, text = cli(
        ["run", str(path), "--reschedule", "on-event", "--replications", "1",
         "--replan-time-limit", "1", "--out", str(out), "--quiet"], capsys,
    )  # fmt: skip
    assert code == 0, text
    rows = list(csv.DictReader((out / "replans.csv").open()))
    assert rows and set(loop.REPLAN_COLUMNS) == set(rows[0])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reschedule"]["policy"] == "on-event"
    assert summary["reschedule"]["replans"] == [len(rows)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reschedule", "sometimes"], "unknown policy"),
        (["--reschedule", "periodic:x"], "not a number"),
        (["--reschedule", "on-event", "--method", "edd"], "needs a plan"),
    ],
)
def test_bad_reschedule_options_exit_with_one_line(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(json.dumps(TINY))
    code, text = cli(["run", str(path), *args, "--out", str(tmp_path / "o")], capsys)
    assert code != 0
    assert message in text and len(text.strip().splitlines()) == 1
    assert "Traceback" not in text


def test_parse_policy() -> None:
    assert loop.parse_policy("on-event:30") == Policy("on-event", deviation=30.0)
    assert loop.parse_policy("periodic:480").every == 480
    with pytest.raises(TwinError, match="give the period"):
        loop.parse_policy("periodic")


def test_every_replan_passes_the_independent_checker_directly(tiny_plan: Run) -> None:
    """The live twin's plan after each replan, checked with scheduler.check (not only
    the count the loop records); at the end the twin's facts are the shop's: every
    order done, and equal to their replay from the journal."""
    closed = loop.ClosedLoop(tiny(), tiny_plan.problem, tiny_plan.plan, Policy("on-event"),
                             CPSAT, np.random.SeedSequence(5, spawn_key=(1,)))  # fmt: skip
    checks: list[int] = []
    original = closed.replan

    def replan(trigger: str) -> None:
        original(trigger)
        checks.append(len(closed.live.check()))

    closed.replan = replan  # type: ignore[method-assign]
    closed.execute()
    assert checks and all(c == 0 for c in checks)
    facts = closed.live.facts
    assert repr(closed.live.replay()) == repr(facts)
    assert all(o.status == "done" for o in facts.orders.values())
    spans = history(closed.log)  # what the shop did is what the twin knows
    assert len(spans) == len(facts.ops)
    for (j, k), (unit, start, end) in spans.items():
        op = facts.ops[(closed.orders[j], k)]
        assert op.machine == unit
        assert op.start == pytest.approx(start, abs=1e-6)
        assert op.end == pytest.approx(end, abs=1e-6)


def test_cli_reschedule_none_writes_the_run_of_plain_twin_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(json.dumps(TINY))
    common = ["--replications", "2", "--workers", "1", "--quiet"]
    plain, closed = tmp_path / "plain", tmp_path / "closed"
    assert cli(["run", str(path), *common, "--out", str(plain)], capsys)[0] == 0
    code, text = cli(
        ["run", str(path), *common, "--reschedule", "none", "--out", str(closed)], capsys
    )
    assert code == 0, text
    for name in ("events.csv", "schedule.csv"):
        assert (plain / name).read_bytes() == (closed / name).read_bytes()
    a, b = (json.loads((f / "summary.json").read_text()) for f in (plain, closed))
    assert a["kpis"] == b["kpis"] and a["kpis_replications"] == b["kpis_replications"]
    assert b["reschedule"] == {"policy": "none", "replans": [0, 0]}
    assert (closed / "replans.csv").read_text().strip() == ",".join(loop.REPLAN_COLUMNS)
