"""Property tests: generated valid scenarios run, conserve lots and keep a sane event log.

Every example is a small scenario from :mod:`scenario_strategies` simulated online with
a random dispatch rule (or following a solver's plan); the assertions are the physics
any run must obey, whatever the shop: lots are conserved, order-only runs finish, each
unit does one thing at a time, operations run once, in routing order, on an eligible
unit, setups happen only on a family change, KPIs are finite rates, and one seed gives
one event log.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_strategies import DISPATCH_RULES, scenarios

import scheduler
import twin
from twin.run import Run
from twin.scenario import Scenario

FAST = int(os.environ.get("TWIN_PROPERTY_EXAMPLES", "60"))
SETTINGS = settings(max_examples=FAST, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
RATES = ("availability", "quality", "on_time_rate", "networked_rate", "nc_rate_equipment",
         "nc_rate_process")  # fmt: skip
# Performance (nominal time / busy time, ISO 22400-2) exceeds 1 when noise makes parts run
# faster than nominal, or when a print cell's build model beats the routing's cycle time
# per part; without either it is a fraction like the others.
SPEED_RATES = ("performance", "oee")
# what a machine shows while an operation is open: between fixture loads it may wait
# for the robot (starved) or an operator
OP_STATES = {"busy", "down", "off", "starved", "waiting_operator"}


def _run(data: dict[str, Any], seed: int, method: str, **kwargs: Any) -> Run:
    return twin.simulate(Scenario.from_dict(data, "gen.yaml"), seed=seed, method=method, **kwargs)


def check_conservation(run: Run, must_finish: bool = True) -> None:
    """Released lots = finished + still in the shop, per product; released parts = good
    parts delivered + parts scrapped on the way + parts still in the shop; an order-only
    run finishes every lot (else it says so in a warning)."""
    released: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    parts_in: Counter[str] = Counter()
    parts_out: Counter[str] = Counter()
    seen_release: set[int] = set()
    seen_finish: set[int] = set()
    spoiled: Counter[int] = Counter()  # lot -> parts its operations scrapped
    spoiled_parts: Counter[str] = Counter()
    for _t, kind, _, j, _, state, value, product in run.log.rows():
        if kind == "release":
            assert j not in seen_release, f"lot {j} released twice"
            seen_release.add(j)
            released[product] += 1
            parts_in[product] += int(value)
        elif kind == "finish":
            assert j in seen_release and j not in seen_finish, f"lot {j} finished unreleased/twice"
            seen_finish.add(j)
            finished[product] += 1
            parts_out[product] += int(value)
            assert (value == 0) == (state == "scrap")
            assert int(value) + spoiled[j] == run.execution.lots[j].quantity
        elif kind == "scrap":
            assert j in seen_release and j not in seen_finish and value >= 1
            spoiled[j] += int(value)
            spoiled_parts[product] += int(value)
    in_shop = {j for j in seen_release - seen_finish}
    wip: Counter[str] = Counter(run.execution.lots[j].product for j in in_shop)
    wip_parts: Counter[str] = Counter()
    for j in in_shop:
        wip_parts[run.execution.lots[j].product] += run.execution.lots[j].quantity - spoiled[j]
    for product in set(released) | set(finished):
        assert released[product] == finished[product] + wip[product], product
        assert (
            parts_in[product] == parts_out[product] + spoiled_parts[product] + wip_parts[product]
        ), product
    assert run.execution.finished == len(seen_finish)
    assert len(seen_release) <= len(run.execution.lots)  # arrivals are lots too
    if run.scenario.run.warmup == 0:
        assert run.kpis.parts_good == sum(parts_out.values())
        assert run.kpis.parts_scrap == sum(spoiled[j] for j in seen_finish)
    if run.execution.unfinished and not must_finish:
        assert run.execution.warnings, "a run stopped with open lots must say so"
    elif run.scenario.run.horizon is None:
        assert run.execution.unfinished == 0, run.execution.warnings
        assert len(seen_finish) == len(run.execution.lots) == len(run.scenario.orders)
        assert run.kpis.jobs_finished + run.kpis.jobs_scrapped == len(run.scenario.orders)
    k = run.kpis
    assert k.jobs_released == k.jobs_finished + k.jobs_scrapped + k.jobs_open


def check_event_log(run: Run) -> None:
    """Times ordered; one op at a time per machine and one move per robot or vehicle; ops
    matched, in routing order, on eligible units; setups only on a family change."""
    scenario = run.scenario
    unit_station = scenario.unit_station
    printers = {u for s in scenario.stations if s.kind == "printer3d" for u in s.unit_names}
    setups = {s.id: s.setup for s in scenario.stations}
    has_setup = {s.id: s.setup.default > 0 or bool(s.setup.families) for s in scenario.stations}
    family = {p.id: p.family_name for p in scenario.products}
    lots = run.execution.lots
    last_t = -math.inf
    open_ops: dict[str, list[tuple[int, int]]] = defaultdict(list)
    unit_family: dict[str, str | None] = {}
    set_up_for: dict[str, str | None] = {}  # family a setup has prepared since the last op
    starts: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    ends: dict[tuple[int, int], list[float]] = defaultdict(list)
    finished: set[int] = set()
    moving: set[str] = set()  # robots and vehicles carry one lot at a time
    for t, kind, unit, j, o, st_, _, product in run.log.rows():
        assert t >= last_t, f"time goes back at {t} < {last_t}"
        last_t = t
        if kind == "state":
            if unit not in printers:
                assert not open_ops[unit] or st_ in OP_STATES, (unit, st_, open_ops[unit])
        elif kind == "op_start":
            if unit not in printers:
                assert not open_ops[unit], f"{unit} starts {(j, o)} while {open_ops[unit]} open"
                station = unit_station[unit]
                if has_setup[station]:
                    new = family[product]
                    need = setups[station].time(unit_family.get(unit), new) > 0
                    assert not need or set_up_for.get(unit) == new, (unit, j, o, "no setup")
                    unit_family[unit], set_up_for[unit] = new, None
            open_ops[unit].append((j, o))
            starts[(j, o)].append((t, unit))
        elif kind == "op_end":
            assert (j, o) in open_ops[unit], f"op_end of {(j, o)} on {unit} without op_start"
            open_ops[unit].remove((j, o))
            ends[(j, o)].append(t)
        elif kind == "setup_start":
            assert unit not in printers and not open_ops[unit]
            current = set_up_for.get(unit) or unit_family.get(unit)
            assert current is not None and current != st_, f"{unit}: setup {current}->{st_}"
            set_up_for[unit] = st_
        elif kind == "transport_start":
            assert unit not in moving, f"{unit} starts a second move at {t}"
            moving.add(unit)
        elif kind == "transport_end":
            assert unit in moving, f"{unit} ends a move it never started at {t}"
            moving.remove(unit)
        elif kind == "finish":
            finished.add(j)
    for j in finished:
        routing = scenario.product(lots[j].product).routing
        previous_end = -math.inf
        for k, step in enumerate(routing):
            ran = starts.get((j, k), [])
            units = {u for _, u in ran}
            expected = lots[j].quantity if units and units <= printers else 1
            assert len(ran) == expected and len(ends[(j, k)]) == expected, (j, k, ran)
            assert all(unit_station[u] in step.stations for u in units), (j, k, units)
            assert min(t for t, _ in ran) >= previous_end, f"lot {j} op {k} before op {k - 1}"
            previous_end = max(ends[(j, k)])
        assert (j, len(routing)) not in starts
    if scenario.run.horizon is None:
        assert not any(open_ops.values()), open_ops


def check_kpis(run: Run, must_finish: bool = True) -> None:
    """Finite (or NaN when undefined, never inf) numbers; rates in [0, 1]; energy >= 0."""
    k = run.kpis
    for name, value in asdict(k).items():
        if isinstance(value, float):
            assert not math.isinf(value), (name, value)
    for name in RATES:
        value = getattr(k, name)
        assert math.isnan(value) or 0.0 <= value <= 1.0 + 1e-9, (name, value)
    for name in SPEED_RATES:
        value = getattr(k, name)
        exact = not run.scenario.run.variability and not any(
            s.kind == "printer3d" for s in run.scenario.stations
        )
        top = 1.0 + 1e-9 if exact else math.inf
        assert math.isnan(value) or 0.0 <= value <= top, (name, value)
    for unit, value in k.utilisation.items():
        assert 0.0 <= value <= 1.0 + 1e-9, (unit, value)
    assert k.energy_kwh >= 0 and k.energy_kgce >= 0
    assert all(v >= 0 for v in k.energy_kwh_by_station.values())
    finished = must_finish or not run.execution.unfinished
    if run.scenario.run.horizon is None and run.scenario.run.warmup == 0 and finished:
        assert math.isfinite(k.makespan) and math.isfinite(k.lead_time_mean)
        assert k.parts_good + k.parts_scrap == sum(o.quantity for o in run.scenario.orders)


def check_all(run: Run, must_finish: bool = True) -> None:
    check_conservation(run, must_finish)
    check_event_log(run)
    check_kpis(run, must_finish)


rules = st.sampled_from(DISPATCH_RULES)
seeds = st.integers(0, 2**16)


@SETTINGS
@given(data=scenarios(arrivals=False), rule=rules, seed=seeds)
def test_order_only_scenarios_finish_and_conserve(
    data: dict[str, Any], rule: str, seed: int
) -> None:
    """Orders only, online dispatch: every order finishes; the log obeys the physics."""
    check_all(_run(data, seed, rule))


@SETTINGS
@given(data=scenarios(arrivals=True), rule=rules, seed=seeds)
def test_open_ended_scenarios_conserve_at_the_horizon(
    data: dict[str, Any], rule: str, seed: int
) -> None:
    """Arrivals with a horizon: what was released is finished or still in the shop."""
    run = _run(data, seed, rule)
    assert run.execution.end == data["run"]["horizon"]
    check_all(run)


@settings(max_examples=max(5, FAST // 5), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(data=scenarios(arrivals=False), method=st.sampled_from(["dispatch", "cpsat"]))
def test_following_a_plan_finishes_and_conserves(data: dict[str, Any], method: str) -> None:
    """A solver's plan (tiny time limit) is followed to the end without a deadlock.

    Known limit: the solver ignores finite buffers, so with one its plan may lock the
    shop (see the xfail below); the run then stops at its cap, says so, and conserves."""
    check_all(_run(data, 3, method, time_limit=0.5, workers=1), must_finish=not data.get("buffers"))


@SETTINGS
@given(data=scenarios(), rule=rules, seed=seeds)
def test_one_seed_gives_one_event_log(data: dict[str, Any], rule: str, seed: int) -> None:
    """Same scenario, rule and seed: identical event logs, frame for frame."""
    first, second = _run(data, seed, rule), _run(data, seed, rule)
    assert first.log == second.log
    assert first.log.to_frame().equals(second.log.to_frame())


@pytest.mark.slow
@SLOW
@given(data=scenarios(), rule=rules, seed=seeds)
def test_many_generated_scenarios_obey_every_property(
    data: dict[str, Any], rule: str, seed: int
) -> None:
    """The same properties over many more examples (run with -m slow)."""
    check_all(_run(data, seed, rule))


# -- regressions found by the properties above ------------------------------------------

REENTRANT: dict[str, Any] = {
    "name": "re-entrant",
    "stations": [{"id": "s0", "kind": "cnc", "variability_cv": 0}],
    "buffers": [{"id": "buf", "capacity": 0, "after": "s0"}],
    "products": [{"id": "p0", "routing": [{"stations": {"s0": 1}}, {"stations": {"s0": 1}}]}],
    "orders": [
        {"id": "O0", "product": "p0", "quantity": 1},
        {"id": "O1", "product": "p0", "quantity": 2},
    ],
    "run": {"breakdowns": False, "variability": False},
}


@pytest.mark.parametrize("capacity", [0, 1])
@pytest.mark.parametrize("method", ["spt", "fifo", "mwkr", "cpsat", "dispatch"])
def test_a_routing_back_to_a_blocked_station_does_not_deadlock(capacity: int, method: str) -> None:
    """One unit, a full buffer after it, the next step on the same unit: the blocked unit
    takes its own lot back (dispatch and a plan alike; both deadlocked before the fix,
    also a plan that interleaves the two lots, as the scheduler's dispatch plan does)."""
    data = {**REENTRANT, "buffers": [{"id": "buf", "capacity": capacity, "after": "s0"}]}
    run = _run(data, 0, method, time_limit=2, workers=1)
    assert run.execution.unfinished == 0, run.execution.warnings
    assert run.kpis.makespan == 6  # 1 + 2 parts, two operations each, back to back
    check_all(run)


def test_an_operation_cut_by_the_warm_up_counts_only_its_part_after_it() -> None:
    """Nominal time is prorated like busy time: performance <= 1 without noise (it was
    1.05 when an operation straddled the end of the warm-up)."""
    data = {
        "name": "warm-up",
        "stations": [{"id": "s0", "kind": "cnc", "variability_cv": 0}],
        "products": [{"id": "p0", "routing": [{"stations": {"s0": 4}}]}],
        "orders": [{"id": f"O{k}", "product": "p0", "release": 10 * k} for k in range(4)],
        "run": {"breakdowns": False, "variability": False, "horizon": 40, "warmup": 12},
    }
    run = _run(data, 0, "fifo")
    # ops run 0-4, 10-14, 20-24, 30-34; the window 12-40 holds 2 + 4 + 4 busy minutes,
    # and between them nothing is released: no-order time, outside loading time
    assert run.kpis.performance == pytest.approx(1.0)
    assert run.kpis.availability == pytest.approx(1.0)
    assert run.kpis.loading_ratio == pytest.approx(10 / 28)
    assert run.kpis.teep == pytest.approx(10 / 28)
    assert run.kpis.state_time["s0"]["no_order"] == pytest.approx(18)


def test_a_failure_inside_an_operation_cut_by_the_warm_up_is_not_production() -> None:
    """The share of an operation inside the window is its busy share, not its elapsed
    share: busy 0-10, down 10-20, busy 20-30, warm-up 5 -> 15 of 20 busy minutes count
    (the elapsed share, 25 of 30, gave performance 1.11 without noise)."""
    from twin.eventlog import EventLog
    from twin.kpi import compute_kpis
    from twin.shopinfo import JobInfo, OpInfo, ShopInfo, UnitInfo

    log = EventLog()
    r = log.record
    r(0, "release", "", job=0, value=1, product="p")
    r(0, "state", "m", state="busy")
    r(0, "op_start", "m", job=0, operation=0, value=20, product="p")
    r(10, "state", "m", state="down")
    r(20, "state", "m", state="busy")
    r(30, "op_end", "m", job=0, operation=0, value=20, product="p")
    r(30, "state", "m", state="idle")
    r(30, "finish", "m", job=0, value=1, product="p")
    shop = ShopInfo(
        name="t", time_unit="min", units=(UnitInfo("m", "m", "cnc", True, True, True),),
        products={"p": (OpInfo(True, {"m": 20.0}),)}, jobs=(JobInfo("J", "p", 1, 0, None),),
        warmup=5.0, horizon=30.0,
    )  # fmt: skip
    kpis = compute_kpis(shop, log)
    assert kpis.performance == pytest.approx(1.0)
    assert kpis.availability == pytest.approx(15 / 25)


@pytest.mark.xfail(strict=True, reason="two units blocked on each other's lot: no swap modelled")
def test_two_blocked_units_waiting_for_each_other_swap_their_lots() -> None:
    """Known limit: x and y, zero buffers after both, lot A goes x->y and B y->x; each
    unit ends blocked by the lot the other needs (a real cell would swap them). The run
    stops at its cap with both lots unfinished (conservation still holds)."""
    data: dict[str, Any] = {
        "name": "swap",
        "stations": [{"id": s, "kind": "cnc", "variability_cv": 0} for s in ("x", "y")],
        "buffers": [
            {"id": "bx", "capacity": 0, "after": "x"},
            {"id": "by", "capacity": 0, "after": "y"},
        ],
        "products": [
            {"id": "a", "routing": [{"stations": {"x": 1}}, {"stations": {"y": 1}}]},
            {"id": "b", "routing": [{"stations": {"y": 1}}, {"stations": {"x": 1}}]},
        ],
        "orders": [{"id": "A", "product": "a"}, {"id": "B", "product": "b"}],
        "run": {"breakdowns": False, "variability": False},
    }
    run = _run(data, 0, "fifo")
    check_conservation(run)


@pytest.mark.xfail(strict=True, reason="a plan that ignores a full buffer can lock the shop")
def test_a_plan_that_ignores_a_full_buffer_still_finishes() -> None:
    """Known limit: s0 (zero buffer after it) runs a lot's three re-entrant steps, then s1;
    the plan (CP-SAT's optimum) runs O1 first on s1 but O0 first on s0. O0, done on s0,
    blocks it waiting for s1; s1 waits for O1, which needs s0: following it deadlocks."""
    data: dict[str, Any] = {
        "name": "plan-lock",
        "stations": [{"id": s, "kind": "cnc", "variability_cv": 0} for s in ("s0", "s1")],
        "buffers": [{"id": "buf", "capacity": 0, "after": "s0"}],
        "products": [
            {"id": "p0", "routing": [*[{"stations": {"s0": 1}}] * 3, {"stations": {"s1": 1}}]}
        ],
        "orders": [{"id": "O0", "product": "p0"}, {"id": "O1", "product": "p0", "quantity": 2}],
        "run": {"breakdowns": False, "variability": False},
    }
    # the CP-SAT optimum (makespan 10), fixed here so the example never changes
    rows = ([0, 0, 0, 1, 0, 0, 0, 1], [0, 7, 8, 9, 1, 3, 5, 7], [1, 8, 9, 10, 3, 5, 7, 9])
    plan = scheduler.Schedule(*(np.array(r, dtype=np.int64) for r in rows))
    check_all(twin.simulate(Scenario.from_dict(data), plan=plan, seed=0))
