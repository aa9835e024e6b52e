"""twin.live.replay: an MES stream through the live twin into the event log of a run.

The cross-check: the MES events of a simulated run (``run_events``), replayed, give the
KPIs of that run wherever the facts are complete (throughput, lead time, delivery,
machine utilisation, breakdowns), since both logs then hold the same history."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from live_fixtures import SHOP, shop

from twin.errors import TwinError
from twin.live import Replanner
from twin.live.events import dump_event
from twin.live.replay import REPLAN_COLUMNS, read_stream, replay
from twin.mes.emulate import run_events
from twin.run import Run, simulate
from twin.runs.read import read_run
from twin.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "scenarios" / "pilot_workshop.yaml"
PILOT_EVENTS = ROOT / "scenarios" / "pilot_events.jsonl"
CPSAT = Replanner(method="cpsat", time_limit=1.0, workers=1)

#: KPIs a replay of a simulated run's complete MES events must reproduce.
SAME = (
    "throughput_per_hour", "throughput_lots_per_hour", "lead_time_mean", "lead_time_p95",
    "wip_mean", "makespan", "on_time_rate", "tardiness_total", "jobs_released",
    "jobs_finished", "jobs_scrapped", "jobs_open", "jobs_overdue", "parts_good", "parts_scrap",
)  # fmt: skip


def disturbed() -> Scenario:
    """The small shop with breakdowns, variable cycle times and scrap."""
    stations = [dict(s, variability_cv=0.2) for s in SHOP["stations"]]
    stations[0] = dict(stations[0], mtbf="40min", mttr="10min")
    products = [dict(p, scrap_rate=0.05) for p in SHOP["products"]]
    run = dict(SHOP["run"], breakdowns=True, variability=True)
    return shop(stations=stations, products=products, run=run)


def close(value: float) -> Any:
    """Equal but for MES timestamps, which carry whole microseconds."""
    return pytest.approx(value, rel=1e-7, abs=1e-6)


def assert_same_kpis(sim: Run, replayed: Any, units: list[str]) -> None:
    a, b = sim.kpis.to_dict(), replayed.kpis.to_dict()
    for key in SAME:
        assert b[key] == close(a[key]), key
    for unit in units:
        assert b["utilisation"][unit] == close(a["utilisation"][unit]), unit


def test_replaying_a_simulated_run_gives_its_kpis() -> None:
    """Every event of a deterministic run is accepted; the KPIs are the run's."""
    scenario = shop()
    sim = simulate(scenario)
    result = replay(scenario, run_events(sim), replanner=CPSAT)
    assert result.counts()["accepted"] == len(run_events(sim))
    assert result.counts()["rejected"] == 0
    assert_same_kpis(sim, result, ["lathe#1", "lathe#2", "mill"])


def test_breakdowns_and_scrap_replay_to_the_same_kpis() -> None:
    """With breakdowns, variable cycles and scrap: delivery, parts, utilisation and the
    achieved MTBF / MTTR per unit equal the simulated run's."""
    scenario = disturbed()
    sim = simulate(scenario, seed=5)
    kinds = Counter(kind for _, kind, *_ in sim.log.rows())
    assert kinds["failure"] > 0 and kinds["scrap"] > 0  # the check is not vacuous
    result = replay(scenario, run_events(sim), replanner=CPSAT)
    assert result.counts()["rejected"] == 0
    assert_same_kpis(sim, result, ["lathe#1", "lathe#2", "mill"])
    for key in ("mtbf_by_unit", "mttr_by_unit"):
        a, b = sim.kpis.to_dict()[key], result.kpis.to_dict()[key]
        assert a.keys() == b.keys() and a
        assert all(b[u] == close(a[u]) for u in a), key


@pytest.mark.slow
def test_a_simulated_pilot_month_replays_to_the_same_kpis() -> None:
    """The pilot (shift calendars, outsourcing, a print cell): delivery KPIs equal, and
    the utilisation of units whose work pauses off shift; machines loaded one fixture at a
    time finish the load under way past the shift end, which the MES does not say: within
    1 point. (Print builds and the robot are not MES facts.)"""
    scenario = load_scenario(PILOT)
    sim = simulate(scenario, seed=3)
    result = replay(scenario, run_events(sim))
    assert result.counts()["rejected"] == 0
    loads = ("cnc_lathe", "cell_lathe", "cell_vmc", "hobber")
    exact = [u for u in sim.machines if not u.startswith((*loads, "printer_slm", "cell_robot"))]
    assert_same_kpis(sim, result, exact)
    for unit in (u for u in sim.machines if u.startswith(loads)):
        assert result.kpis.utilisation[unit] == pytest.approx(sim.kpis.utilisation[unit], abs=0.01)


def test_work_open_at_the_end_is_reported_open_not_invented() -> None:
    """A stream cut halfway: running operations have no end, unfinished lots no finish;
    what finished is counted exactly as in the run."""
    scenario = shop()
    sim = simulate(scenario)
    events = run_events(sim)
    cut = [e for e in events if e.time <= events[len(events) // 2].time]
    result = replay(scenario, cut, replanner=CPSAT)
    steps = {o["id"]: len(p["routing"]) for o in SHOP["orders"] for p in SHOP["products"]
             if p["id"] == o["product"]}  # fmt: skip
    done = {e.order for e in cut if e.type == "operation_finished" and e.step == steps[e.order] - 1}
    rows = list(result.log.rows())
    assert {j for _, kind, _, j, *_ in rows if kind == "finish"} == {
        j for j, o in enumerate(result.scenario.orders) if o.id in done
    }
    started = Counter(kind for _, kind, *_ in rows)
    running = [e for e in cut if e.type == "operation_started"]
    assert started["op_start"] == len(running)
    assert started["op_end"] == sum(1 for e in cut if e.type == "operation_finished")
    opened = result.summary()["replay"]["open"]
    assert len(opened["operations_running"]) == started["op_start"] - started["op_end"] > 0
    assert sorted(opened["orders_open"]) == sorted(o for o in steps if o not in done)
    assert result.kpis.jobs_finished == len(done)
    assert result.kpis.jobs_open == len(steps) - len(done)
    assert 0 < len(done) < len(steps)


def test_bad_events_are_rejected_duplicates_ignored_and_the_log_unchanged(
    tmp_path: Path,
) -> None:
    """Planted bad events each land in rejected.jsonl with their reason; duplicates are
    counted, not applied; the actuals equal those of the clean stream."""
    scenario = shop()
    sim = simulate(scenario)
    clean = [dump_event(e) for e in run_events(sim)]
    t = clean[5]["time"]
    bad = [
        {"type": "machine_down", "id": "b1", "time": t, "machine": "laser#1"},
        {"type": "operation_started", "id": "b2", "time": t, "order": "O99", "step": 0,
         "machine": "mill"},
        {"type": "machine_setup", "id": "b3", "time": "2026-01-05T05:00:00+00:00",
         "machine": "mill"},
        {"type": "machine_up", "id": "b4", "time": "2026-01-05T06:30:00", "machine": "mill"},
    ]  # fmt: skip
    stream = tmp_path / "events.jsonl"
    lines = [json.dumps(r) for r in clean[:6]] + [json.dumps(r) for r in bad]
    lines += [json.dumps(clean[2]), "not json at all"] + [json.dumps(r) for r in clean[6:]]
    stream.write_text("\n".join(lines) + "\n")
    result = replay(scenario, stream, replanner=CPSAT)
    codes = {r.id: r.code for r in result.live.rejected}
    assert codes == {"b1": "unknown_machine", "b2": "unknown_order", "b3": "too_old",
                     "b4": "invalid", None: "invalid"}  # fmt: skip
    counts = result.counts()
    assert counts["duplicates"] == 1 and counts["invalid_lines"] == 2
    assert counts["accepted"] == len(clean) and counts["read"] == len(lines)
    assert result.log == replay(scenario, clean, replanner=CPSAT).log
    result.write(tmp_path / "run", events_file=stream)
    written = [
        json.loads(x) for x in (tmp_path / "run" / "rejected.jsonl").read_text().splitlines()
    ]
    assert [r["id"] for r in written] == ["b1", "b2", "b3", "b4", None]
    assert all(r["message"] for r in written)
    assert written[3]["message"].startswith(f"{stream}:10: machine_up.time:")  # line 10


def test_the_folder_is_a_run_folder_with_replans(tmp_path: Path) -> None:
    """read_run reads it (jobs and machines in range); replans.csv has a row per replan."""
    scenario = shop()
    events = run_events(simulate(scenario))
    result = replay(scenario, events, "periodic:20", replanner=CPSAT)
    assert result.replans and {r.trigger for r in result.replans} == {"periodic"}
    doc = result.write(tmp_path / "run", "live-tiny.yaml")
    run = read_run(tmp_path / "run")
    assert len(run.events) == len(result.log)
    assert run.plan is not None and len(run.plan) == sum(
        len(p["routing"]) for o in SHOP["orders"] for p in SHOP["products"]
        if p["id"] == o["product"]
    )  # fmt: skip
    assert doc["replay"]["replans"] == len(result.replans)
    text = (tmp_path / "run" / "replans.csv").read_text().splitlines()
    assert text[0].split(",") == list(REPLAN_COLUMNS)
    assert len(text) == 1 + len(result.replans)
    assert [float(x.split(",")[1]) for x in text[1:]] == [r.time for r in result.replans]


def test_on_event_replans_on_a_breakdown_and_none_never() -> None:
    """The policy decides: a machine_down replans under on-event, not under none."""
    scenario = shop()
    down = {"type": "machine_down", "id": "d1", "time": "2026-01-05T06:05:00+00:00",
            "machine": "lathe#1", "expected_up": "2026-01-05T06:45:00+00:00"}  # fmt: skip
    assert replay(scenario, [down], "none", replanner=CPSAT).replans == []
    reports = replay(scenario, [down], "on-event", replanner=CPSAT).replans
    assert [r.trigger for r in reports] == ["breakdown"]


def test_ctrl_c_keeps_what_was_replayed() -> None:
    """An interrupt while ingesting stops there: the result holds the events before it."""
    scenario = shop()
    events = run_events(simulate(scenario))

    def stop_at(n: int) -> None:
        if n == 7:
            raise KeyboardInterrupt

    result = replay(scenario, events, replanner=CPSAT, on_progress=stop_at)
    assert result.interrupted and result.read == 7
    assert result.counts()["accepted"] == 7
    assert result.summary()["solver"]["status"] == "interrupted"
    assert result.log == replay(scenario, events[:7], replanner=CPSAT).log


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name: a scenario\nstations: []\n", "not JSON lines"),
        (b'[{"type": "machine_up"}]\n', "not JSON lines"),
        (b"\n\n", "holds no events"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_json_lines_is_one_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    with pytest.raises(TwinError, match=expected) as info:
        read_stream(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_the_pilot_stream_rejects_exactly_its_planted_bad_events() -> None:
    """scenarios/pilot_events.jsonl: the ``bad-*`` events are rejected, the repeated ids
    are duplicates, everything else is accepted, and the stream covers a breakdown and
    its repair, a rush order, an extra order and an operator absent and back."""
    records = [json.loads(line) for line in PILOT_EVENTS.read_text().splitlines()]
    ids = Counter(r["id"] for r in records)
    planted = {i for i in ids if i.startswith("bad-")}
    types = Counter(r["type"] for r in records)
    assert len(planted) == 4 and sum(n - 1 for n in ids.values()) == 3
    for kind in ("machine_down", "machine_up", "order_changed", "operator_absent",
                 "operator_back", "operation_started", "operation_finished"):  # fmt: skip
        assert types[kind] > 0, kind
    assert any(r["type"] == "order_released" and "product" in r for r in records)
    result = replay(load_scenario(PILOT), PILOT_EVENTS)
    assert {r.id for r in result.live.rejected} == planted
    counts = result.counts()
    assert counts["duplicates"] == 3
    assert counts["accepted"] == len(records) - 3 - len(planted)
    assert result.kpis.jobs_finished > 0 and result.kpis.jobs_open > 0
    assert "X-901" in [o.id for o in result.scenario.orders]


@pytest.mark.slow
def test_the_pilot_stream_regenerates_exactly() -> None:
    """scenarios/make_pilot_events.py (seeded) writes the bundled file byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pilot_events", ROOT / "scenarios" /
                                                  "make_pilot_events.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    records = module.stream(load_scenario(PILOT))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    assert text == PILOT_EVENTS.read_text(encoding="utf-8")
