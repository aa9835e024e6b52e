"""Orders with their delay causes and energy by state, on hand-written logs: exact values."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from tests.twin.plot_fixtures import write_twin_run
from twin.eventlog import EventLog
from twin.kpi import CAUSES, energy_states, order_delays
from twin.kpi.energy_states import kwh_by_state, load_profile
from twin.plot.energy import run_energy
from twin.plot.figures import FIGURE_NAMES, run_figures
from twin.plot.orders import order_delay_bars, orders_table, orders_table_html
from twin.plot.report import build_report
from twin.runs.read import read_run
from twin.shopinfo import JobInfo, UnitInfo

JOBS = (JobInfo("J0", "shaft", 1, 0, 40), JobInfo("J1", "gear", 1, 0, 30))


def _orders_log() -> EventLog:
    """J1 runs on the lathe 0-6 while J0 waits; J0 sets up 6-8 and runs 8-14, is moved
    14-16, then waits for the mill (down 10-17, off 17-20, waiting for an operator
    20-22) and runs 22-30. J1 waits for the mill from 6 (idle, down, off, operator, J0)
    and runs 30-36. J2 (an arrival) is released at 20 and never starts."""
    log = EventLog()
    r = log.record
    r(0, "release", "", job=0, value=1, product="shaft")
    r(0, "release", "", job=1, value=1, product="gear")
    r(0, "state", "mill", state="idle")
    r(0, "state", "lathe", state="idle")
    r(0, "state", "lathe", state="busy")  # same instant: the later record wins
    r(0, "op_start", "lathe", job=1, operation=0)
    r(6, "op_end", "lathe", job=1, operation=0)
    r(6, "state", "lathe", state="setup")
    r(6, "setup_start", "lathe", job=0, operation=0, value=2)
    r(8, "setup_end", "lathe", job=0, operation=0, value=2)
    r(8, "state", "lathe", state="busy")
    r(8, "op_start", "lathe", job=0, operation=0)
    r(10, "state", "mill", state="down")
    r(14, "op_end", "lathe", job=0, operation=0)
    r(14, "state", "lathe", state="idle")
    r(14, "transport_start", "agv.0", job=0, operation=1, value=2)
    r(16, "transport_end", "agv.0", job=0, operation=1, value=2)
    r(17, "state", "mill", state="off")
    r(20, "release", "", job=2, value=1, product="shaft")
    r(20, "state", "mill", state="waiting_operator")
    r(22, "state", "mill", state="busy")
    r(22, "op_start", "mill", job=0, operation=1)
    r(30, "op_end", "mill", job=0, operation=1)
    r(30, "finish", "", job=0, value=1, product="shaft")
    r(30, "op_start", "mill", job=1, operation=1)
    r(36, "op_end", "mill", job=1, operation=1)
    r(36, "state", "mill", state="idle")
    r(36, "finish", "", job=1, value=1, product="gear")
    return log


def _causes(**nonzero: float) -> dict[str, float]:
    return {c: nonzero.get(c, 0.0) for c in CAUSES}


def test_each_wait_is_charged_to_what_the_next_unit_was_doing() -> None:
    """Exact time per cause; the causes add up to the lead time."""
    j0, j1, j2 = order_delays(_orders_log(), JOBS, due_after=5, end=40)
    assert j0.causes == _causes(
        processing=14, setup=2, transport=2, machine=6, breakdown=1, off_shift=3, operator=2
    )
    assert j1.causes == _causes(
        processing=12, other=4, breakdown=7, off_shift=3, operator=2, machine=8
    )
    assert j2.causes == _causes(queued=20)
    for o in (j0, j1, j2):
        assert sum(o.causes.values()) == o.lead_time


def test_lead_time_lateness_and_top_cause() -> None:
    """Delivered: finish - due; open: window end - due; an arrival is due at release +
    due_after; the top cause is the largest wait."""
    j0, j1, j2 = order_delays(_orders_log(), JOBS, due_after=5, end=40)
    assert (j0.name, j0.lead_time, j0.lateness, j0.late, j0.top_cause) == (
        "J0", 30, -10, False, "machine"
    )  # fmt: skip
    assert (j1.lead_time, j1.lateness, j1.late, j1.top_cause) == (36, 6, True, "machine")
    assert j1.waiting == 24
    assert (j2.name, j2.product, j2.finish, j2.due, j2.lateness) == ("J2", "shaft", None, 25, 15)
    assert j2.top_cause == "queued"


def test_a_scrapped_lot_is_late_until_the_window_end() -> None:
    """A scrapped lot is never delivered: its lateness runs to the window end."""
    log = EventLog()
    log.record(0, "release", "", job=0, value=1, product="shaft")
    log.record(5, "finish", "", job=0, value=0, state="scrap", product="shaft")
    (lot,) = order_delays(log, (JobInfo("J0", "shaft", 1, 0, 3),), end=9)
    assert (lot.scrapped, lot.delivered, lot.lead_time, lot.lateness) == (True, False, 5, 6)
    assert lot.causes == _causes(other=5)


def test_order_figures_put_late_orders_first() -> None:
    """The table lists the late lots first; the bars show only the late ones."""
    orders = order_delays(_orders_log(), JOBS, due_after=5, end=40)
    table = orders_table(orders, time_unit="h")
    assert table is not None and list(table.data[0].cells.values[0]) == ["J2", "J1", "J0"]
    page = orders_table_html(orders, time_unit="h")
    assert page.index("J2") < page.index("J1") < page.index("J0")
    assert page.count('class="late"') == 2
    bars = order_delay_bars(orders, time_unit="h")
    assert bars is not None and set(bars.data[0].y) == {"J2", "J1"}


A = UnitInfo("A", "s1", "cnc", True, True, True, {"off": 0, "idle": 2, "setup": 4, "busy": 12})
B = UnitInfo("B", "s2", "manual", False, False, True, {"idle": 1, "busy": 5})


def _energy_log() -> EventLog:
    """A (hours): idle 0-1, busy 1-3 (shaft), blocked 3-4, busy 4-5 (gear), planned down
    5-6, idle 6-8. B: idle 0-2, setup 2-3, busy 3-4 (shaft), idle 4-8. At 3 and 4 the
    first record alone would make a transient 17 kW."""
    log = EventLog()
    r = log.record
    r(0, "state", "A", state="idle")
    r(0, "state", "B", state="idle")
    r(1, "state", "A", state="busy")
    r(1, "op_start", "A", job=0, operation=0, product="shaft")
    r(2, "state", "B", state="setup")
    r(3, "op_end", "A", job=0, operation=0, product="shaft")
    r(3, "state", "B", state="busy")
    r(3, "op_start", "B", job=0, operation=1, product="shaft")
    r(3, "state", "A", state="blocked")
    r(4, "state", "A", state="busy")
    r(4, "op_start", "A", job=1, operation=0, product="gear")
    r(4, "op_end", "B", job=0, operation=1, product="shaft")
    r(4, "state", "B", state="idle")
    r(5, "op_end", "A", job=1, operation=0, product="gear")
    r(5, "state", "A", state="planned_down")
    r(6, "state", "A", state="idle")
    r(8, "state", "B", state="idle")
    return log


def test_kwh_by_state_draws_idle_power_when_blocked_and_off_power_in_maintenance() -> None:
    """Time in each state x the power formulas.energy_kwh gives it."""
    kwh = kwh_by_state((A, B), _energy_log(), "h", 0, 8)
    assert {s: v for s, v in kwh["A"].items() if v} == {"idle": 6, "busy": 36, "blocked": 2}
    assert {s: v for s, v in kwh["B"].items() if v} == {"idle": 6, "busy": 5}
    assert kwh["A"]["planned_down"] == 0 and kwh["B"]["setup"] == 0


def test_energy_by_station_idle_share_and_product() -> None:
    """Totals, idle share and the busy kWh split by operation time per product."""
    e = energy_states((A, B), _energy_log(), "h", 0, 8)
    assert e.total == 55
    assert e.by_station["s1"]["busy"] == 36 and e.by_station["s2"]["idle"] == 6
    assert e.idle_share == pytest.approx(14 / 55)
    assert e.by_product == {"shaft": 24 + 5, "gear": 12}
    assert e.unattributed == 0


def test_load_profile_steps_and_peak() -> None:
    """Events at one instant act together: no transient peak; the first peak wins."""
    p = load_profile((A, B), _energy_log(), 0, 8)
    assert p.time == (0, 1, 2, 3, 4, 5, 6)
    assert p.kw == (3, 13, 12, 7, 13, 1, 3)
    assert (p.peak_kw, p.peak_time, p.end) == (13, 1, 8)


def test_load_profile_starts_in_the_state_at_the_window_start() -> None:
    """A window from 3.5 starts with the states then (A blocked, B busy: 7 kW)."""
    p = load_profile((A, B), _energy_log(), 3.5, 8)
    assert p.time[:2] == (3.5, 4) and p.kw[:2] == (7, 13)


def test_empty_log_has_no_energy() -> None:
    """Nothing drawn: idle share is undefined, not zero."""
    e = energy_states((B,), EventLog(), "h", 0, 0)
    assert e.total == 0 and math.isnan(e.idle_share)


@pytest.fixture(scope="module")
def twin_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_twin_run(tmp_path_factory.mktemp("twin"), "cnc_line_robot")


def test_report_of_a_twin_run_has_orders_and_energy(twin_run: Path) -> None:
    """A real run's report holds the new figures; energy by state adds up to the KPI."""
    run = read_run(twin_run)
    names = [f.name for f in run_figures(run)]
    for name in ("orders", "order_delays", "energy_states", "load_profile"):
        assert name in FIGURE_NAMES and name in names
    page = build_report(run)
    figures = json.loads(re.search(r"window.__twinReport = (\{.*?\});", page).group(1))["figures"]
    assert {"orders", "order_delays", "energy_states", "load_profile"} <= set(figures)
    assert "分状态能耗" in page and "订单延误" in page
    energy = run_energy(run)
    assert energy is not None
    assert energy.total == pytest.approx(run.summary["kpis"]["energy_kwh"])
