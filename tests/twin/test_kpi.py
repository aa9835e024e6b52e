"""KPI formulas on tiny hand-written event logs: exact expected numbers."""

from __future__ import annotations

import math

import pytest

from twin.eventlog import EventLog
from twin.kpi import compute_kpis, nc_rates, state_times
from twin.shopinfo import KGCE_PER_KWH, JobInfo, OpInfo, ShopInfo, UnitInfo

LATHE = UnitInfo(
    "lathe", "lathe", "cnc", True, True, True,
    {"off": 0.0, "idle": 2.0, "setup": 3.0, "busy": 12.0, "down": 0.5},
)  # fmt: skip
MILL = UnitInfo("mill", "mill", "manual", False, False, True, {"idle": 1.0, "busy": 5.0})
ROBOT = UnitInfo("robot", "robot", "robot", True, True, False, {"idle": 0.2, "busy": 1.0})
SHAFT = (OpInfo(True, {"lathe": 2.0, "mill": 4.0}), OpInfo(False, {"mill": 1.0}))


def _shop(**changes: object) -> ShopInfo:
    base: dict[str, object] = {
        "name": "tiny",
        "time_unit": "min",
        "units": (LATHE, MILL, ROBOT),
        "products": {"shaft": SHAFT},
        "jobs": (JobInfo("J0", "shaft", 5, 0, 30), JobInfo("J1", "shaft", 2, 10, 25)),
    }
    base.update(changes)
    return ShopInfo(**base)  # type: ignore[arg-type]


def _log() -> EventLog:
    """Lathe: setup 0-5, J0/op0 5-15, idle, down 20-25, off 25-30. Mill: J1/op0 10-18,
    blocked 18-20, J0/op1 20-28, J1/op1 28-30. J0 finishes good at 28, J1 scrapped at 30."""
    log = EventLog()
    r = log.record
    for unit in ("lathe", "mill", "robot"):
        r(0, "state", unit, state="idle")
    r(0, "release", "", job=0, value=5, product="shaft")
    r(0, "state", "lathe", state="setup")
    r(5, "state", "lathe", state="busy")
    r(5, "op_start", "lathe", job=0, operation=0)
    r(10, "release", "", job=1, value=2, product="shaft")
    r(10, "state", "mill", state="busy")
    r(10, "op_start", "mill", job=1, operation=0)
    r(15, "op_end", "lathe", job=0, operation=0)
    r(15, "state", "lathe", state="idle")
    r(18, "op_end", "mill", job=1, operation=0)
    r(18, "state", "mill", state="blocked")
    r(20, "state", "lathe", state="down")
    r(20, "state", "mill", state="busy")
    r(20, "op_start", "mill", job=0, operation=1)
    r(25, "state", "lathe", state="off")
    r(28, "op_end", "mill", job=0, operation=1)
    r(28, "finish", "", job=0, value=5, product="shaft")
    r(28, "op_start", "mill", job=1, operation=1)
    r(30, "op_end", "mill", job=1, operation=1)
    r(30, "state", "mill", state="idle")
    r(30, "finish", "", job=1, value=0, state="scrap", product="shaft")
    return log


def test_state_times_integrate_each_state() -> None:
    """Each state's time is the sum of its intervals; the last one runs to the end."""
    t = state_times(_log(), ["lathe", "mill"], 0, 30)
    assert t["lathe"] == {
        "off": 5, "no_order": 0, "idle": 5, "setup": 5, "busy": 10, "blocked": 0, "starved": 0,
        "down": 5, "planned_down": 0, "waiting_operator": 0,
    }  # fmt: skip
    assert t["mill"]["busy"] == 18 and t["mill"]["blocked"] == 2 and t["mill"]["idle"] == 10


def test_oee_per_unit_follows_iso_22400() -> None:
    """A = busy / loading, P = nominal / busy; scrap reported only at the finish is
    charged to the last operation's unit."""
    k = compute_kpis(_shop(), _log())
    lathe = k.oee_by_unit["lathe"]
    assert lathe["availability"] == pytest.approx(10 / 25)
    assert lathe["performance"] == pytest.approx(1.0)
    assert lathe["quality"] == 1.0
    mill = k.oee_by_unit["mill"]
    assert mill["availability"] == pytest.approx(18 / 30)
    assert mill["performance"] == pytest.approx(15 / 18)
    # the mill processed 2 + 5 + 2 parts; J1's 2 bad parts, reported only at its finish,
    # are charged to the mill, where J1's last operation ran
    assert mill["quality"] == pytest.approx(7 / 9)
    assert mill["oee"] == pytest.approx(0.6 * 15 / 18 * 7 / 9)
    assert "robot" not in k.oee_by_unit


def test_shop_oee_is_time_weighted() -> None:
    """Shop A, P sum times over processing units; OEE = sum nominal / sum PBT x Q."""
    k = compute_kpis(_shop(), _log())
    assert k.availability == pytest.approx(28 / 55)
    assert k.performance == pytest.approx(25 / 28)
    assert k.quality == pytest.approx(5 / 7)
    assert k.oee == pytest.approx(25 / 55 * 5 / 7)
    assert k.oee_by_station["mill"] == pytest.approx(15 / 30 * 7 / 9)  # quality per unit


def test_flow_kpis() -> None:
    """Throughput, lead time, WIP, makespan, on-time rate and tardiness."""
    k = compute_kpis(_shop(), _log())
    assert k.throughput_per_hour == pytest.approx(10.0)
    assert k.throughput_lots_per_hour == pytest.approx(2.0)  # J1 was scrapped
    assert k.lead_time_mean == pytest.approx(24.0)
    assert k.lead_time_p95 == pytest.approx(27.6)
    assert k.wip_mean == pytest.approx(48 / 30)
    assert k.makespan == 30
    # J0 delivered on time; J1 scrapped, never delivered: late by window end - due
    assert k.on_time_rate == 0.5
    assert k.tardiness_total == 30 - 25
    assert (k.jobs_released, k.jobs_finished, k.jobs_scrapped, k.jobs_open) == (2, 1, 1, 0)
    assert k.jobs_overdue == 1
    assert (k.parts_good, k.parts_scrap) == (5, 2)
    assert k.utilisation == pytest.approx({"lathe": 10 / 30, "mill": 18 / 30, "robot": 0.0})


def test_energy_is_exact_for_constant_states() -> None:
    """kWh = sum time x power (blocked at idle power); kgce with the 当量值 0.1229."""
    k = compute_kpis(_shop(primary_energy_coefficient=0.3), _log())
    assert k.energy_kwh_by_station["lathe"] == pytest.approx(147.5 / 60)
    assert k.energy_kwh_by_station["mill"] == pytest.approx(102 / 60)
    assert k.energy_kwh_by_station["robot"] == pytest.approx(6 / 60)
    assert k.energy_kwh == pytest.approx(255.5 / 60)
    assert k.energy_kwh_per_part == pytest.approx(255.5 / 60 / 5)
    assert k.energy_kgce == pytest.approx(255.5 / 60 * KGCE_PER_KWH)
    assert k.primary_energy_kgce == pytest.approx(255.5 / 60 * 0.3)


def test_nc_rates_equipment_process_and_networked() -> None:
    """Equipment-based over key units, process-based over key op time, networked over all."""
    k = compute_kpis(_shop(), _log())
    assert k.nc_rate_equipment == 0.5
    assert k.nc_rate_process == pytest.approx(10 / 18)
    assert k.networked_rate == pytest.approx(2 / 3)
    assert not k.nc_rate_equipment_meets_threshold and k.nc_rate_threshold == 0.70


def test_nc_rates_on_a_hand_made_shop() -> None:
    """Seven NC out of ten key units is exactly at the 70 % threshold."""
    units = [UnitInfo(f"c{i}", "c", "cnc", True, True, True) for i in range(7)]
    units += [UnitInfo(f"m{i}", "m", "manual", False, i == 0, True) for i in range(3)]
    units += [UnitInfo("r", "r", "robot", True, True, False)]
    rates = nc_rates(units, 3.0, 4.0)
    assert rates == {"nc_rate_equipment": 0.7, "nc_rate_process": 0.75, "networked_rate": 9 / 11}


def test_warmup_is_excluded() -> None:
    """With warm-up 10 the window is [10, 30]: states are clipped, WIP averaged over 20."""
    k = compute_kpis(_shop(warmup=10), _log())
    assert k.state_time["lathe"]["busy"] == 5 and k.state_time["lathe"]["setup"] == 0
    assert k.wip_mean == pytest.approx(38 / 20)
    assert k.throughput_per_hour == pytest.approx(5 / (20 / 60))


def test_arrivals_are_read_from_release_events() -> None:
    """A lot unknown to the metadata takes product and quantity from its release event."""
    log = _log()
    log.record(31, "release", "", job=2, value=3, product="shaft")
    log.record(40, "finish", "", job=2, value=3, product="shaft")
    k = compute_kpis(_shop(due_after=5.0), log)
    assert (k.jobs_finished, k.jobs_scrapped) == (2, 1) and k.parts_good == 8
    assert k.tardiness_total == (40 - 25) + 4  # J1 scrapped: undelivered until the end


def test_undefined_ratios_become_null_in_json() -> None:
    """No finished lot: lead time is NaN in the dataclass and None in to_dict()."""
    log = EventLog()
    log.record(0, "state", "lathe", state="idle")
    log.record(10, "state", "lathe", state="idle")
    k = compute_kpis(_shop(jobs=()), log)
    assert math.isnan(k.lead_time_mean)
    d = k.to_dict()
    assert d["lead_time_mean"] is None and d["quality"] == 1.0 and d["energy_kwh"] > 0


def test_process_nc_rate_counts_reported_processing_time() -> None:
    """An op_end value (processing time) beats elapsed time: a pause does not count."""
    log = EventLog()
    log.record(0, "release", "", job=0, value=1, product="shaft")
    log.record(0, "op_start", "lathe", job=0, operation=0)
    log.record(2, "op_end", "lathe", job=0, operation=0, value=2.0)
    log.record(2, "op_start", "mill", job=0, operation=1)
    log.record(20, "op_end", "mill", job=0, operation=1, value=6.0)
    products = {"shaft": (OpInfo(True, {"lathe": 2.0}), OpInfo(True, {"mill": 6.0}))}
    k = compute_kpis(_shop(products=products, jobs=()), log)
    assert k.nc_rate_process == pytest.approx(2 / 8)


@pytest.mark.parametrize(
    ("warmup", "horizon"), [(0.0, None), (10.0, None), (7.0, 26.0), (0.0, 12.5)]
)
def test_kpi_state_times_match_state_times(warmup: float, horizon: float | None) -> None:
    """compute_kpis's one-pass state times equal state_times over the same window."""
    log = _log()
    log.record(27, "state", "ghost", state="busy")  # a unit unknown to the metadata
    k = compute_kpis(_shop(warmup=warmup, horizon=horizon), log)
    end = 30.0 if horizon is None else horizon
    assert k.state_time == state_times(log, ["lathe", "mill", "robot"], warmup, end)
    assert k.window_end == end


def test_window_ends_at_the_latest_event_of_an_unordered_log() -> None:
    """A log read from an MES need not be in time order: the window ends at its maximum."""
    log = _log()
    log.record(3, "state", "robot", state="busy")
    log.record(1, "state", "robot", state="idle")  # out of time order: the last row is at 1
    k = compute_kpis(_shop(), log)
    assert k.window_end == 30.0


def test_oee_is_on_loading_time_and_teep_shows_the_rest() -> None:
    """No-order time leaves loading time (TPM, VDMA 66412-1): availability is busy over
    calendar - off - no_order; TEEP = OEE x loading / calendar brings it back."""
    log = EventLog()
    r = log.record
    r(0, "state", "mill", state="no_order")
    r(0, "release", "", job=0, value=1, product="shaft")
    r(10, "state", "mill", state="setup")
    r(12, "state", "mill", state="busy")
    r(12, "op_start", "mill", job=0, operation=1)
    r(16, "op_end", "mill", job=0, operation=1)
    r(16, "state", "mill", state="starved")
    r(18, "state", "mill", state="off")
    r(20, "finish", "", job=0, value=1, product="shaft")
    shop = _shop(units=(MILL,), jobs=(JobInfo("J0", "shaft", 1, 0, None),))
    k = compute_kpis(shop, log)
    # calendar 20 = no_order 10 + setup 2 + busy 4 + starved 2 + off 2; loading 8
    assert k.state_time["mill"]["no_order"] == 10 and k.state_time["mill"]["starved"] == 2
    assert k.availability == pytest.approx(4 / 8)
    assert k.performance == pytest.approx(1 / 4)  # 1 part x 1 min nominal on the mill
    assert k.loading_ratio == pytest.approx(8 / 20)
    assert k.teep == pytest.approx(k.oee * 8 / 20)
    assert k.oee_by_unit["mill"]["availability"] == pytest.approx(4 / 8)


def test_open_lots_at_the_horizon_count_as_late() -> None:
    """A lot still open when the window ends past its due date is late by end - due;
    one not yet due is not counted either way."""
    log = _log()
    log.record(12, "release", "", job=2, value=1, product="shaft")
    log.record(12, "release", "", job=3, value=1, product="shaft")
    jobs = (*_shop().jobs, JobInfo("J2", "shaft", 1, 12, 20), JobInfo("J3", "shaft", 1, 12, 99))
    k = compute_kpis(_shop(jobs=jobs, horizon=30.0), log)
    assert (k.jobs_released, k.jobs_finished, k.jobs_scrapped, k.jobs_open) == (4, 1, 1, 2)
    assert k.jobs_overdue == 2  # J1 scrapped, J2 open past due; J3 not yet due
    assert k.on_time_rate == pytest.approx(1 / 3)
    assert k.tardiness_total == pytest.approx((30 - 25) + (30 - 20))


def test_the_nc_target_is_the_scenarios() -> None:
    k = compute_kpis(_shop(nc_rate_target=0.5), _log())
    assert k.nc_rate_threshold == 0.5
    assert k.nc_rate_equipment_meets_threshold == (k.nc_rate_equipment >= 0.5)


def test_achieved_mtbf_and_mttr_follow_iso_22400() -> None:
    """MTBF = operating time / (failures + 1), MTTR = down time / failures, for units
    that broke down in the window; the lathe of the base log breaks down once."""
    log = _log()
    log.record(20, "failure", "lathe", value=5)
    k = compute_kpis(_shop(), log)
    assert k.mtbf_by_unit == {"lathe": pytest.approx(10 / 2)}
    assert k.mttr_by_unit == {"lathe": pytest.approx(5 / 1)}


def test_a_print_cell_is_measured_per_build() -> None:
    """Two lots share one plate: nominal = the build model (base + per part x parts),
    key-process hours = the build's duration once, not once per part."""
    printer = UnitInfo("slm", "slm", "printer3d", True, True, True, build_time=(60.0, 30.0))
    shop = _shop(
        units=(printer,),
        products={"bracket": (OpInfo(True, {"slm": 25.0}),)},
        jobs=(JobInfo("A", "bracket", 2, 0, None), JobInfo("B", "bracket", 2, 0, None)),
    )
    log = EventLog()
    r = log.record
    r(0, "release", "", job=0, value=2, product="bracket")
    r(0, "release", "", job=1, value=2, product="bracket")
    r(0, "state", "slm", state="busy")
    r(0, "build_start", "slm", value=4)
    for j in (0, 0, 1, 1):
        r(0, "op_start", "slm", job=j, operation=0, value=180, product="bracket")
    r(180, "build_end", "slm", value=4)
    r(180, "state", "slm", state="no_order")
    for j in (0, 0, 1, 1):
        r(200, "op_end", "slm", job=j, operation=0, product="bracket")
    r(200, "finish", "", job=0, value=2, product="bracket")
    r(200, "finish", "", job=1, value=2, product="bracket")
    k = compute_kpis(shop, log)
    assert k.oee_by_unit["slm"]["performance"] == pytest.approx((60 + 30 * 4) / 180)
    assert k.nc_rate_process == 1.0
    assert k.availability == pytest.approx(1.0)  # busy 180 of loading 180 (no order after)
