"""Rework routing: a step's spoiled parts, drawn part by part, are partly reworked at a
station of their own and rejoin the lot, which waits for them; the rest are scrap.
The quality loss stays with the unit that spoiled them (first pass yield, rework
ratio); the rework is busy time of the rework unit, not the step's completion."""

from __future__ import annotations

from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.kpi.scan import scan_log
from twin.scenario import Scenario
from twin.sim import shop_info


def _data(
    share: float | None = 1.0, rate: float = 0.5, quantity: int = 20, lots: int = 2, **run: Any
) -> dict[str, Any]:
    """Saw 3/part (spoils ``rate``, ``share`` of it reworked at the bench, 6/part), then
    mill 2/part; ``lots`` lots released at 0. ``share=None``: no rework at all."""
    first: dict[str, Any] = {"stations": {"saw": 3}, "scrap_rate": rate}
    if share is not None:
        first["rework"] = {"station": "bench", "cycle": 6, "share": share}
    return {
        "name": "rework",
        "stations": [
            {"id": "saw", "kind": "manual"},
            {"id": "mill", "kind": "cnc"},
            {"id": "bench", "kind": "manual", "key_process": False},
        ],
        "products": [{"id": "p", "routing": [first, {"stations": {"mill": 2}}]}],
        "orders": [{"id": f"O{i}", "product": "p", "quantity": quantity} for i in range(lots)],
        "run": {"breakdowns": False, "variability": False, **run},
    }


def _run(data: dict[str, Any], method: str = "fifo", seed: int = 1) -> twin.Run:
    return twin.simulate(Scenario.from_dict(data), method=method, seed=seed, time_limit=5)


def _rows(run: twin.Run, kind: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in run.log.where(kind)]


@pytest.mark.parametrize("method", ["fifo", "cpsat"])
def test_with_share_one_no_part_is_lost(method: str) -> None:
    """Every spoiled part is reworked: all 40 parts are delivered good, the bench is
    busy 6 per reworked part, shop quality is 1 and first pass yield is not."""
    run = _run(_data(share=1.0), method)
    k = run.kpis
    reworked = sum(row[6] for row in _rows(run, "rework"))
    assert reworked > 0 and not _rows(run, "scrap")
    assert (k.parts_good, k.parts_scrap, k.jobs_finished, k.jobs_scrapped) == (40, 0, 2, 0)
    assert k.state_time["bench"]["busy"] == pytest.approx(6 * reworked)
    assert k.quality == 1.0
    assert k.rework_ratio == pytest.approx(reworked / 40)
    assert k.first_pass_yield == pytest.approx(1 - reworked / 40) and k.first_pass_yield < 1
    # charged where the defect arose: the saw, not the bench or the mill
    assert k.oee_by_unit["saw"]["quality"] == pytest.approx(1 - reworked / 40)
    assert k.oee_by_unit["bench"]["quality"] == 1.0
    assert k.oee_by_unit["mill"]["quality"] == 1.0
    # the mill works every part: 2 per part
    assert k.state_time["mill"]["busy"] == pytest.approx(2 * 40)


def test_the_unit_is_free_and_the_lot_waits_during_rework() -> None:
    """The saw starts the second lot as soon as it has unloaded the first (never
    blocked), while the first lot goes to the mill only once its parts are reworked."""
    run = _run(_data(share=1.0))
    starts = {(row[2], row[3], row[4]): row[0] for row in _rows(run, "op_start")}
    ends = {(row[2], row[3], row[4]): row[0] for row in _rows(run, "op_end")}
    assert starts[("saw", 1, 0)] == ends[("saw", 0, 0)] == 60
    assert starts[("bench", 0, 0)] == 60
    assert starts[("mill", 0, 1)] == ends[("bench", 0, 0)] > 60
    assert run.kpis.state_time["saw"]["blocked"] == 0


def test_share_zero_is_the_scrap_only_model() -> None:
    """No part reworkable: the same events and KPIs as without rework, random streams
    included (variability on)."""
    with_rework = _run(_data(share=0.0, variability=True), seed=7)
    without = _run(_data(share=None, variability=True), seed=7)
    assert _rows(with_rework, "scrap")  # something to compare
    assert list(with_rework.log.rows()) == list(without.log.rows())
    assert with_rework.kpis.to_dict() == without.kpis.to_dict()
    assert (
        with_rework.kpis.rework_ratio == 0
        and with_rework.kpis.first_pass_yield == pytest.approx(with_rework.kpis.quality)
    )


def test_the_same_seed_gives_the_same_run() -> None:
    data = _data(share=0.6, quantity=50, lots=4, variability=True)
    first, second = _run(data, seed=11), _run(data, seed=11)
    assert _rows(first, "rework") and _rows(first, "scrap")
    assert list(first.log.rows()) == list(second.log.rows())
    assert first.kpis.to_dict() == second.kpis.to_dict()


@pytest.mark.parametrize("method", ["fifo", "ect", "cpsat"])
def test_plan_and_rules_wait_for_rework_the_same_way(method: str) -> None:
    """Units that take the long way (a buffer after their station), plans included: one
    lot stream, the same draws, the same rework whatever decides the order."""
    data = _data(share=0.7, rate=0.4, quantity=10, lots=4)
    data["products"][0]["routing"][1].update(
        scrap_rate=0.2, rework={"station": "bench", "cycle": 1, "share": 1}
    )
    data["stations"][2]["count"] = 2
    data["buffers"] = [
        {"id": "b1", "after": "saw", "capacity": 1},
        {"id": "b2", "after": "mill", "capacity": 1},
    ]
    run = _run(data, method, seed=2)
    k = run.kpis
    cycle = {0: 6, 1: 1}
    reworks = _rows(run, "rework")
    assert {row[4] for row in reworks} == {0, 1}
    busy = k.state_time["bench#1"]["busy"] + k.state_time["bench#2"]["busy"]
    assert busy == pytest.approx(sum(row[6] * cycle[row[4]] for row in reworks))
    scrapped = sum(row[6] for row in _rows(run, "scrap"))
    assert k.parts_good + k.parts_scrap == 40 and k.parts_scrap == scrapped
    _check_rework_log(run)


def _check_rework_log(run: twin.Run) -> None:
    """Each rework event is followed by one rework operation of the same (job,
    operation) on a rework unit, which ends before the lot's next operation starts;
    each routing step runs once (a print cell: once per part), on an eligible unit."""
    station = run.scenario.unit_station
    printers = {u for s in run.scenario.stations if s.kind == "printer3d" for u in s.unit_names}
    lots = run.execution.lots
    pending: set[tuple[int, int]] = set()
    reworked_until: dict[int, float] = {}
    done: set[tuple[int, int]] = set()
    for t, kind, unit, j, o, _, _, _ in run.log.rows():
        step = run.scenario.product(lots[j].product).routing[o] if o >= 0 else None
        if kind == "rework":
            assert step is not None and step.rework is not None
            assert station[unit] in step.stations  # charged where the defect arose
            pending.add((j, o))
        elif kind == "op_start" and step is not None:
            if station[unit] in step.stations:
                assert (j, o) not in done or unit in printers, (j, o)
                assert t >= reworked_until.get(j, 0.0), (j, o)
                done.add((j, o))
            else:
                assert step.rework is not None and station[unit] == step.rework.station
                assert (j, o) in pending
        elif kind == "op_end" and step is not None and station[unit] not in step.stations:
            pending.remove((j, o))
            reworked_until[j] = t
    assert not pending or run.scenario.run.horizon is not None  # cut mid-rework


def test_lots_and_parts_add_up_at_a_horizon() -> None:
    """Cut mid-run: released = finished + scrapped + open, and every part released is
    good, scrapped or in a lot still open (reworked parts stay in their lot)."""
    data = _data(share=0.5, rate=0.3, quantity=30, lots=6, horizon=500, variability=True)
    run = _run(data, seed=3)
    k = run.kpis
    assert k.jobs_open > 0
    assert k.jobs_released == k.jobs_finished + k.jobs_scrapped + k.jobs_open
    scrapped: dict[int, int] = {}
    for row in _rows(run, "scrap"):
        scrapped[row[3]] = scrapped.get(row[3], 0) + int(row[6])
    finished = {row[3]: int(row[6]) for row in _rows(run, "finish")}
    for j, lot in enumerate(run.execution.lots):
        if j in finished:
            assert finished[j] + scrapped.get(j, 0) == lot.quantity
    assert k.parts_good == sum(finished.values())
    _check_rework_log(run)


def test_the_scan_does_not_count_a_rework_as_the_step() -> None:
    """The rework's op_end adds the reworked parts to the bench, at the time it took,
    without key-process hours (the bench is no key process) and without becoming the
    lot's last unit."""
    run = _run(_data(share=1.0))
    scan = scan_log(shop_info(run.scenario), run.log, None)
    reworked = sum(row[6] for row in _rows(run, "rework"))
    bench, saw = scan.per_unit["bench"], scan.per_unit["saw"]
    assert bench.made == reworked and bench.spoiled == 0 and bench.key_hours == 0
    assert bench.nominal == pytest.approx(run.kpis.state_time["bench"]["busy"])
    assert (saw.made, saw.spoiled, saw.key_hours) == (40, reworked, 120)
    assert all(lot.last_unit == "mill" for lot in scan.lots.values())
    assert sum(lot.reworked for lot in scan.lots.values()) == reworked


def test_a_print_cell_waits_for_its_rework() -> None:
    """A print step's spoiled parts are reworked too; the lot leaves the cell after."""
    data = _data(share=1.0)
    data["stations"].append(
        {
            "id": "slm",
            "kind": "printer3d",
            "plate_capacity": 10,
            "build_time": {"base": 30, "per_part": 0},
        }
    )
    data["products"][0]["routing"][0]["stations"] = {"slm": 3}
    run = _run(data)
    ends = {(row[2], row[3], row[4]): row[0] for row in _rows(run, "op_end")}
    starts = {(row[2], row[3], row[4]): row[0] for row in _rows(run, "op_start")}
    assert _rows(run, "rework") and run.kpis.parts_good == 40
    for j in (0, 1):
        assert starts[("mill", j, 1)] >= ends[("bench", j, 0)]
    _check_rework_log(run)


# -- scenario errors -----------------------------------------------------------------

AT = "products[0].routing[0].rework"


@pytest.mark.parametrize(
    ("rework", "path", "fragment"),
    [
        ({"station": "mill", "cycle": 6}, f"{AT}.station",
         'station "mill" is in a routing (products[0].routing[1])'),
        ({"station": "bnch", "cycle": 6}, f"{AT}.station", 'unknown station "bnch"'),
        ({"station": "bench", "cycle": 6, "share": 1.5}, f"{AT}.share", "<= 1.0, got 1.5"),
        ({"station": "bench", "cycle": 6, "share": -0.1}, f"{AT}.share", ">= 0.0"),
        ({"station": "bench", "cycle": -1}, f"{AT}.cycle", "expected a duration"),
        ({"station": "bench"}, f"{AT}.cycle", "missing"),
        ({"station": "arm", "cycle": 6}, f"{AT}.station", 'station "arm" is a robot'),
    ],
    ids=["used in a routing", "unknown", "share > 1", "share < 0", "negative cycle",
         "no cycle", "a robot"],
)  # fmt: skip
def test_a_bad_rework_names_its_field(rework: dict[str, Any], path: str, fragment: str) -> None:
    data = _data()
    data["stations"].append({"id": "arm", "kind": "robot", "tends": ["mill"]})
    data["products"][0]["routing"][0]["rework"] = rework
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data, source="rework.yaml")
    first = str(info.value).splitlines()[0]
    assert info.value.path == path, first
    assert first.startswith(f"rework.yaml: {path}: ") and fragment in first, first


def test_rework_in_a_file_reads_durations_and_defaults_to_all_parts() -> None:
    data = _data()
    data["products"][0]["routing"][0]["rework"] = {"station": "bench", "cycle": "2h"}
    step = Scenario.from_dict(data).products[0].routing[0]
    assert step.rework is not None
    assert (step.rework.station, step.rework.cycle, step.rework.share) == ("bench", 120, 1.0)
