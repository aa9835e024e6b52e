"""The shop model an engineer trusts: why units are idle (STARVED while released work is
upstream, NO_ORDER when nothing released needs them), failure bases, per-part scrap,
dated calendars, minor setups per lot; each against hand-computed times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.kpi import state_times
from twin.scenario import Scenario


def _line(**run: Any) -> Scenario:
    """A two-station line, one lot of 2 parts released at 10: cut 3/part, then mill 2/part."""
    return Scenario.from_dict(
        {
            "name": "line",
            "stations": [{"id": "saw", "kind": "manual"}, {"id": "mill", "kind": "cnc"}],
            "products": [
                {"id": "p", "routing": [{"stations": {"saw": 3}}, {"stations": {"mill": 2}}]}
            ],
            "orders": [{"id": "O1", "product": "p", "quantity": 2, "release": 10}],
            "run": {"breakdowns": False, "variability": False, **run},
        }
    )


def _states(run: twin.Run, unit: str) -> list[tuple[float, str]]:
    """The unit's states, without those that lasted no time (a lot released and
    started in the same instant makes its unit starved for zero time)."""
    frame = run.log.to_frame()
    rows = frame[(frame["kind"] == "state") & (frame["station"] == unit)]
    seq = list(zip(rows["time"].tolist(), rows["state"].tolist(), strict=True))
    return [(t, s) for i, (t, s) in enumerate(seq) if i + 1 == len(seq) or seq[i + 1][0] > t]


@pytest.mark.parametrize("method", ["fifo", "cpsat"])
def test_downstream_is_starved_while_its_work_is_upstream(method: str) -> None:
    """Before the release both units have no order; the mill is starved while the saw
    cuts; after the lot both have no order again. Same with a plan or a rule."""
    run = twin.simulate(_line(), method=method, time_limit=5)
    assert _states(run, "saw") == [(0, "no_order"), (10, "busy"), (16, "no_order")]
    assert _states(run, "mill") == [(0, "no_order"), (10, "starved"), (16, "busy"),
                                    (20, "no_order")]  # fmt: skip
    times = run.kpis.state_time["mill"]
    assert (times["no_order"], times["starved"], times["busy"]) == (10, 6, 4)
    # loading time = 20 - 10 no-order: availability = busy / loading = 4 / 10
    assert run.kpis.oee_by_unit["mill"]["availability"] == pytest.approx(4 / 10)
    assert run.kpis.oee_by_unit["saw"]["availability"] == pytest.approx(1.0)


def test_no_order_draws_idle_power() -> None:
    data = _line().model_dump()
    data["stations"][1]["power_kw"] = {"idle": 6.0, "busy": 0.0}
    run = twin.simulate(Scenario.from_dict(data), method="fifo")
    # the mill idles 16 minutes (10 no-order + 6 starved) at 6 kW
    assert run.kpis.energy_kwh == pytest.approx(16 / 60 * 6.0)


@pytest.mark.parametrize("basis", ["operating", "calendar"])
def test_the_failure_basis_is_the_scenarios_choice(basis: str) -> None:
    """On operating time a unit at rest never breaks down; on calendar time it does."""
    data = _line(horizon=2000).model_dump()
    data["stations"][1].update(mtbf=30, mttr=5, failure_basis=basis)
    data["run"]["breakdowns"] = True
    run = twin.simulate(Scenario.from_dict(data), method="fifo", seed=3)
    failures = run.log.to_frame().query("kind == 'failure' and station == 'mill'")
    if basis == "operating":  # 4 busy minutes against a 30-minute mean: rarely one
        assert len(failures) <= 2
    else:  # about 2000 / 35 of them
        assert 30 <= len(failures) <= 90
        assert run.kpis.mttr_by_unit["mill"] == pytest.approx(5, rel=0.3)


@pytest.mark.parametrize("name", ["pilot_workshop", "additive_cell"])
def test_the_one_pass_scan_agrees_with_plain_state_times(name: str) -> None:
    """The KPI scan (which also counts builds, failures and operations) gives the same
    state times as the plain per-state integration, on shops with a print cell."""
    path = Path(__file__).resolve().parents[2] / "scenarios" / f"{name}.yaml"
    run = twin.simulate(twin.load_scenario(path), method="ect", replication=0)
    k = run.kpis
    plain = state_times(run.log, list(k.state_time), k.window_start, k.window_end)
    for unit, times in k.state_time.items():
        assert times == pytest.approx(plain[unit]), unit


def test_scrap_is_drawn_per_part_where_it_happens() -> None:
    """A step scrap rate spoils parts one by one (binomial) at that operation, charged
    to its unit: 1,000 parts at 10 % lose about 100 at the saw, none at the mill."""
    data = _line().model_dump()
    data["orders"][0]["quantity"] = 1000
    data["products"][0]["routing"][0]["scrap_rate"] = 0.1
    run = twin.simulate(Scenario.from_dict(data), method="fifo", seed=5)
    frame = run.log.to_frame()
    scrap = frame[frame["kind"] == "scrap"]
    assert scrap["station"].tolist() == ["saw"] and scrap["operation"].tolist() == [0]
    bad = int(scrap["value"].sum())
    assert 70 <= bad <= 130  # binomial(1000, 0.1): mean 100, sd 9.5
    finish = frame[frame["kind"] == "finish"]
    assert finish["value"].tolist() == [1000 - bad]
    k = run.kpis
    assert (k.parts_good, k.parts_scrap) == (1000 - bad, bad)
    assert k.oee_by_unit["saw"]["quality"] == pytest.approx((1000 - bad) / 1000)
    assert k.oee_by_unit["mill"]["quality"] == 1.0
    # the mill works only the good parts: 2 min each
    assert k.state_time["mill"]["busy"] == pytest.approx(2 * (1000 - bad))


def test_a_lot_spoiled_whole_finishes_as_scrap() -> None:
    data = _line().model_dump()
    data["products"][0]["routing"][0]["scrap_rate"] = 0.999999
    run = twin.simulate(Scenario.from_dict(data), method="fifo", seed=1)
    assert run.kpis.jobs_scrapped == 1 and run.kpis.jobs_finished == 0
    assert run.kpis.parts_good == 0


def test_holidays_and_make_up_days_move_the_work() -> None:
    """Three 8-hour days of work from Monday 08:00 on a Mon-Fri day shift end Wednesday;
    with Tuesday a holiday, Thursday; with Tuesday to Thursday off (a 国庆 week) and the
    Saturday worked in exchange (调休), Saturday."""

    def run(holidays: list[str], workdays: list[str]) -> float:
        data = _line().model_dump()
        data.update(
            start="2026-09-28T00:00:00",  # a Monday
            calendars={"day": {"shifts": [["08:00", "16:00"]], "days_off": ["sat", "sun"],
                               "holidays": holidays, "workdays": workdays}},
        )  # fmt: skip
        data["stations"] = [{"id": "saw", "kind": "manual", "calendar": "day"}]
        data["products"] = [{"id": "p", "routing": [{"stations": {"saw": 480}}]}]
        data["orders"] = [{"id": "O1", "product": "p", "quantity": 3, "release": 480}]
        return twin.simulate(Scenario.from_dict(data), method="fifo").kpis.makespan

    day = 1440
    assert run([], []) == 2 * day + 960  # Mon, Tue, Wed: ends Wednesday 16:00
    assert run(["2026-09-29"], []) == 3 * day + 960  # Tuesday off: Thursday 16:00
    golden_week = [{"from": "2026-09-29", "to": "2026-10-01"}]
    assert run(golden_week, ["2026-10-03"]) == 5 * day + 960
    assert run(golden_week, []) == 7 * day + 960  # without the make-up day: next Monday


def test_dated_days_need_a_start() -> None:
    data = _line().model_dump()
    data["calendars"] = {"day": {"shifts": [["08:00", "16:00"]], "holidays": ["2026-10-01"]}}
    with pytest.raises(ScenarioError, match="need the scenario's start"):
        Scenario.from_dict(data)


@pytest.mark.parametrize("method", ["fifo", "cpsat"])
def test_a_minor_setup_before_every_lot(method: str) -> None:
    """A 5-minute program change before every lot on the mill (none on the saw): the
    twin records it as setup, and a plan that counts it inside each operation is
    followed to the minute."""
    data = _line().model_dump()
    data["stations"][1]["setup"] = {"per_lot": 5}
    data["orders"] = [
        {"id": f"O{k}", "product": "p", "quantity": 2, "release": 10} for k in range(3)
    ]
    run = twin.simulate(Scenario.from_dict(data), method=method, time_limit=5)
    frame = run.log.to_frame()
    setups = frame[(frame["kind"] == "setup_start") & (frame["station"] == "mill")]
    assert setups["value"].tolist() == [5.0, 5.0, 5.0]
    assert run.kpis.state_time["mill"]["setup"] == 15
    assert run.kpis.state_time["saw"]["setup"] == 0
    # the saw frees the first lot at 16; then the mill is the bottleneck: 3 x (5 + 4)
    assert run.kpis.makespan == 16 + 3 * 9
    if run.plan is not None:  # the plan counted the setup inside each operation
        assert run.plan.makespan == 43


def test_vehicles_are_units_of_the_shop() -> None:
    """AGVs count in 设备联网率 and energy like any unit, and never in OEE; with a home
    they travel empty to the next pickup."""
    data = _line().model_dump()
    data["transport"] = {
        "fleet": {"id": "agv", "count": 1, "home": "mill", "networked": True,
                  "power_kw": {"idle": 0.0, "busy": 6.0}},
        "travel_time": {"default": 2},
    }  # fmt: skip
    run = twin.simulate(Scenario.from_dict(data), method="fifo")
    k = run.kpis
    assert "agv.0" in k.state_time and "agv.0" not in k.oee_by_unit
    assert k.networked_rate == pytest.approx(1 / 3)  # the AGV of saw, mill, agv
    legs = run.log.to_frame().query("kind == 'transport_start'")["state"].tolist()
    assert legs == ["empty ->saw", "saw->mill"]  # from home to the pickup, then loaded
    assert k.energy_kwh_by_station["agv"] == pytest.approx(4 / 60 * 6.0)
