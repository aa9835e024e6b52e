"""KPIs of a run: pure functions of (shop metadata, event log).

The shop metadata (:class:`ShopInfo`) is what a scenario says about units, products
and orders, reduced to plain values so KPIs can be recomputed from a saved event log
(or one reported by a real MES) without simulating again. Every formula is in the
docstring of the function that computes it; :func:`compute_kpis` assembles them.

Observation window: ``[warmup, end]`` where ``end`` is the run horizon if the scenario
sets one, otherwise the time of the last event. Time-based KPIs (state times, OEE,
energy, WIP, throughput) are integrals over the window; job-based KPIs (lead time,
tardiness, on-time rate, quality) count the lots whose ``finish`` event falls in it.
Times are in the scenario's base unit (``ShopInfo.time_unit``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twin.eventlog import EventLog
from twin.kpi.adherence import adherence_kpis
from twin.kpi.labour import labour_kpis
from twin.kpi.scan import LotRecord, UnitTally, scan_log
from twin.shopinfo import (
    HOURS_PER_UNIT,
    NC_RATE_TARGET,
    NOT_LOADED,
    STATES,
    PlanInfo,
    ShopInfo,
    UnitInfo,
)

__all__ = [
    "NC_RATE_THRESHOLD",
    "KPIs",
    "compute_kpis",
    "energy_kwh",
    "nc_rates",
    "oee",
    "state_times",
]

#: Performance above this is flagged: 5 % faster than nominal is more than cycle-time
#: noise of mean 1 gives over a run of a few dozen operations, so the nominal time
#: (the scenario's, or an MES's) is likely wrong. Not capped: the value is reported.
PERFORMANCE_FLAG = 1.05
#: The default 数控化率 target (a scenario may set its own: ``targets.nc_rate``).
NC_RATE_THRESHOLD = NC_RATE_TARGET


@dataclass
class KPIs:
    """KPIs of one run; :meth:`to_dict` is the ``kpis`` object of ``summary.json``."""

    time_unit: str
    window_start: float
    window_end: float
    throughput_per_hour: float  # good parts per hour
    throughput_lots_per_hour: float
    lead_time_mean: float
    lead_time_p95: float
    wip_mean: float
    makespan: float
    on_time_rate: float
    tardiness_total: float
    oee: float
    availability: float
    performance: float
    quality: float
    rework_ratio: float
    first_pass_yield: float
    loading_ratio: float
    teep: float
    performance_above_one: list[str]
    mtbf_by_unit: dict[str, float]
    mttr_by_unit: dict[str, float]
    utilisation: dict[str, float]
    oee_by_unit: dict[str, dict[str, float]]
    oee_by_station: dict[str, float]
    state_time: dict[str, dict[str, float]]
    nc_rate_equipment: float
    nc_rate_process: float
    networked_rate: float
    nc_rate_threshold: float
    nc_rate_equipment_meets_threshold: bool
    nc_rate_process_meets_threshold: bool
    energy_kwh: float
    energy_kwh_per_part: float
    energy_kgce: float
    energy_kwh_by_station: dict[str, float]
    primary_energy_kgce: float | None
    jobs_released: int
    jobs_finished: int
    jobs_scrapped: int
    jobs_open: int
    jobs_overdue: int
    parts_good: int
    parts_scrap: int
    plan_adherence: float
    start_delay_mean: float
    start_delay_p95: float
    lots_late_against_plan: int
    labour_hours: float
    labour_hours_worked: float
    labour_hours_per_good_part: float
    worked_hours_per_good_part: float
    operator_utilisation: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN (undefined, e.g. no finished lot) becomes ``None``."""
        return _json_ready(asdict(self))


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


# -- state timelines ------------------------------------------------------------------


def state_times(
    log: EventLog, units: Sequence[str], start: float, end: float
) -> dict[str, dict[str, float]]:
    """Time each unit spent in each state within ``[start, end]``.

    A unit is in the state of its latest ``state`` event (ties: the later record
    wins); before its first event it is ``idle``. Each state interval is clipped to
    the window.
    """
    out = {u: dict.fromkeys(STATES, 0.0) for u in units}
    current = {u: ("idle", 0.0) for u in units}
    for t, kind, station, _j, _o, state, _v, _p in log.rows():
        if kind != "state" or station not in out:
            continue
        old, since = current[station]
        _add(out[station], old, since, t, start, end)
        current[station] = (state, t)
    for u, (state, since) in current.items():
        _add(out[u], state, since, end, start, end)
    return out


def _add(acc: dict[str, float], state: str, t0: float, t1: float, lo: float, hi: float) -> None:
    span = min(t1, hi) - max(t0, lo)
    if span > 0:
        acc[state] = acc.get(state, 0.0) + span


# -- OEE --------------------------------------------------------------------------------


def oee(
    times: Mapping[str, float], nominal: float, good: float, produced: float
) -> dict[str, float]:
    """OEE of one unit (or an aggregate) on loading time; docs/KPIS.md has the sources.

    - loading time (负荷时间; VDMA 66412-1 Planbelegungszeit; ISO 22400-2 PBT, planned
      busy time) = calendar time - ``off`` (outside the shift calendar) - ``no_order``
      (nothing released the unit could work on) - ``planned_down``;
    - availability = operating time / loading time; operating time is ISO 22400-2's
      APT, the state ``busy``: setup, breakdowns (``down``), ``starved``, ``blocked``
      and waiting are losses inside loading time;
    - performance (ISO 22400-2 effectiveness) = nominal time of what was produced /
      operating time; nominal = quantity x the station's cycle time, no noise (a print
      cell: its build model). Above 1 means the nominal time is wrong: reported, not
      capped;
    - quality (ISO quality ratio) = good / produced parts (1 when nothing was made);
    - OEE = availability x performance x quality;
    - loading ratio = loading time / calendar time, TEEP = OEE x loading ratio: the
      share of all calendar time that made good parts at nominal speed, so that time
      with no orders is visible without being called lost availability.
    """
    calendar = sum(times.values())
    loading = calendar - sum(times.get(s, 0.0) for s in NOT_LOADED)
    busy = times.get("busy", 0.0)
    a = _ratio(busy, loading)
    p = _ratio(nominal, busy)
    q = _ratio(good, produced) if produced > 0 else 1.0
    loading_ratio = _ratio(loading, calendar)
    return {
        "availability": a,
        "performance": p,
        "quality": q,
        "oee": a * p * q,
        "loading_time": loading,
        "loading_ratio": loading_ratio,
        "teep": a * p * q * loading_ratio,
    }


# -- 数控化率 and 设备联网率 ------------------------------------------------------------


def nc_rates(
    units: Sequence[UnitInfo], key_hours_nc: float, key_hours_all: float
) -> dict[str, float]:
    """数控化率 two ways, and 设备联网率.

    - ``nc_rate_equipment`` (equipment-based 数控化率): numerically controlled
      key-process units / all key-process units.
    - ``nc_rate_process`` (process-based 数控化率): key-process operation hours done on
      NC units / all key-process operation hours, measured from the event log (the
      processing time an ``op_end`` reports, else ``op_end - op_start``, so shift pauses
      and repairs do not count).
    - ``networked_rate`` (设备联网率): networked units / all units (robots included).

    Compared with :data:`NC_RATE_THRESHOLD` (70 %: MIIT 2013-2018 action plan target for
    key industries; GB/T 37393-2019 asks >= 70 % digitised equipment).
    """
    key = [u for u in units if u.key_process]
    return {
        "nc_rate_equipment": _ratio(sum(u.numerically_controlled for u in key), len(key)),
        "nc_rate_process": _ratio(key_hours_nc, key_hours_all),
        "networked_rate": _ratio(sum(u.networked for u in units), len(units)),
    }


# -- energy ---------------------------------------------------------------------------


_POWER_STATE = {
    "blocked": "idle", "starved": "idle", "no_order": "idle", "waiting_operator": "idle",
    "planned_down": "off",
}  # fmt: skip


def energy_kwh(unit: UnitInfo, times: Mapping[str, float], hours_per_unit: float) -> float:
    """kWh of one unit: sum over states of time x ``power_kw[state]``.

    Blocked, starved, no-order and waiting-for-operator time draw idle power, planned
    downtime draws ``off`` power (the unit is switched off for maintenance); a state
    missing from ``power_kw`` draws 0.
    """
    kw = unit.power_kw
    total = 0.0
    for state, t in times.items():
        key = _POWER_STATE.get(state, state)
        total += t * float(kw.get(key, 0.0))
    return total * hours_per_unit


def compute_kpis(shop: ShopInfo, log: EventLog, plan: PlanInfo | None = None) -> KPIs:
    """All KPIs of one run (see the module docstring for the window; docs/KPIS.md for
    every formula and its source).

    - OEE on loading time (see :func:`oee`) per unit; per station and for the shop it
      is time-weighted over the processing units (robots excluded): availability = sum
      busy / sum loading time, performance = sum nominal / sum busy, quality = good /
      produced parts; OEE = A x P x Q. TEEP = OEE x loading ratio. A unit's quality is
      charged where the defect arose: the parts its operations spoiled (``scrap``
      events) over the parts they processed.
    - Rework (ISO 22400-2), over the lots finished in the window: rework ratio = parts
      sent to rework (``rework`` events) / produced parts; first pass yield = parts
      good first time / produced (= inspected) parts, i.e. produced minus scrapped
      minus reworked (a part found bad twice counts twice: the log does not tell parts
      apart; at least 0). Shop ``quality`` counts reworked parts good, a unit's does
      not.
      ``performance_above_one`` names the units faster than :data:`PERFORMANCE_FLAG`
      (their nominal times are likely too long).
    - Throughput = good parts (``throughput_per_hour``) and lots
      (``throughput_lots_per_hour``) delivered in the window, per hour.
    - Lead time = finish - release per lot finished in the window (mean, 95th
      percentile); WIP = time-average number of released, unfinished lots; makespan =
      the last finish.
    - Delivery, counting what was NOT delivered: a lot is delivered when it finishes
      good; a scrapped lot is never delivered. On-time rate = lots delivered by their
      due date / lots with a due date that were delivered in the window or fell due in
      it undelivered (open or scrapped); tardiness = sum of (delivery - due) over late
      deliveries plus (window end - due) over the overdue undelivered lots.
    - Lot counts up to the window end: released = finished + scrapped + open, always;
      ``jobs_overdue`` = open or scrapped lots past their due date.
    - Utilisation = busy time / window length (calendar time: off-shift counts).
    - Achieved reliability per unit that broke down in the window (ISO 22400-2): MTBF =
      operating (busy) time / (failures + 1), MTTR = down time / failures.
    - 数控化率 and 设备联网率: see :func:`nc_rates` (equipment only, operators are
      not); the target is the scenario's.
    - Labour (operators' hours, per good part, utilisation): see :func:`labour_kpis`.
    - Schedule adherence against ``plan`` (NaN without one): see :func:`adherence_kpis`.
    - Energy (see :func:`energy_kwh`): kWh over the window (warm-up excluded), per
      good part, and in kgce with the scenario's 当量值 (default :data:`KGCE_PER_KWH`);
      ``primary_energy_kgce`` uses the scenario's dated 等价值 coefficient and is
      reported separately, never added to ``energy_kgce``.
    """
    t0 = float(shop.warmup)
    horizon = None if shop.horizon is None else float(shop.horizon)
    scan = scan_log(shop, log, horizon)
    # read after the scan: the log is normalised by then
    t1 = horizon if horizon is not None else max(log.end(), t0)
    window = t1 - t0
    hpu = HOURS_PER_UNIT[shop.time_unit]
    names = [u.name for u in shop.units]
    times, lots, per_unit = scan.times, scan.lots, scan.per_unit
    for name, (state, since) in scan.open.items():
        _add(times[name], state, since, t1, t0, t1)

    done = [lot for lot in lots.values() if t0 <= lot.finish <= t1]
    good = sum(lot.good for lot in done)
    produced = sum(lot.quantity for lot in done)
    lead = np.array([lot.finish - lot.release for lot in done], dtype=np.float64)
    wip = sum(max(0.0, min(lot.finish, t1) - max(lot.release, t0)) for lot in lots.values())
    finishes = [lot.finish for lot in lots.values() if math.isfinite(lot.finish)]
    delivery = _delivery(lots.values(), t0, t1)

    by_unit: dict[str, dict[str, float]] = {}
    by_station: dict[str, list[float]] = {}
    for u in shop.units:
        if not u.processing:
            continue
        done_here = per_unit.get(u.name, _NOTHING)
        nominal, made, spoiled = done_here.nominal, done_here.made, done_here.spoiled
        unit_oee = oee(times[u.name], nominal, made - spoiled, made)
        by_unit[u.name] = {k: unit_oee[k] for k in _UNIT_OEE}
        acc = by_station.setdefault(u.station, [0.0, 0.0, 0.0, 0.0])
        acc[0] += nominal
        acc[1] += unit_oee["loading_time"]
        acc[2] += made - spoiled
        acc[3] += made
    quality = _ratio(good, produced) if produced > 0 else 1.0
    reworked = sum(lot.reworked for lot in done)
    rework_ratio = _ratio(reworked, produced) if produced > 0 else 0.0
    first_pass_yield = _ratio(max(0.0, good - reworked), produced) if produced > 0 else 1.0
    proc = [u.name for u in shop.units if u.processing]
    shop_times = {s: sum(times[n].get(s, 0.0) for n in proc) for s in STATES}
    shop_nominal = sum(per_unit.get(n, _NOTHING).nominal for n in proc)
    shop_oee = oee(shop_times, shop_nominal, good, produced)
    fast = sorted(n for n, v in by_unit.items() if v["performance"] > PERFORMANCE_FLAG)

    nc_units = {u.name for u in shop.units if u.numerically_controlled}
    key_all = sum(v.key_hours for v in per_unit.values())
    key_nc = sum(v.key_hours for n, v in per_unit.items() if n in nc_units)
    rates = nc_rates([u for u in shop.units if u.equipment], key_nc, key_all)
    target = shop.nc_rate_target

    energy = {u.name: energy_kwh(u, times[u.name], hpu) for u in shop.units}
    by_station_kwh: dict[str, float] = {}
    for u in shop.units:
        by_station_kwh[u.station] = by_station_kwh.get(u.station, 0.0) + energy[u.name]
    kwh = sum(energy.values())
    coeff = shop.primary_energy_coefficient
    adherence = adherence_kpis(plan, log.rows())
    return KPIs(
        time_unit=shop.time_unit,
        window_start=t0,
        window_end=t1,
        throughput_per_hour=_ratio(good, window * hpu),
        throughput_lots_per_hour=_ratio(delivery["delivered"], window * hpu),
        lead_time_mean=float(lead.mean()) if len(lead) else math.nan,
        lead_time_p95=float(np.percentile(lead, 95)) if len(lead) else math.nan,
        wip_mean=_ratio(wip, window),
        makespan=max(finishes) if finishes else math.nan,
        on_time_rate=_ratio(delivery["on_time"], delivery["dated"]),
        tardiness_total=delivery["tardiness"],
        oee=shop_oee["oee"],
        availability=shop_oee["availability"],
        performance=shop_oee["performance"],
        quality=quality,
        rework_ratio=rework_ratio,
        first_pass_yield=first_pass_yield,
        loading_ratio=shop_oee["loading_ratio"],
        teep=shop_oee["teep"],
        performance_above_one=fast,
        mtbf_by_unit={n: times[n]["busy"] / (fe + 1) for n, fe in scan.failures.items()},
        mttr_by_unit={n: times[n]["down"] / fe for n, fe in scan.failures.items()},
        utilisation={n: _ratio(times[n]["busy"], window) for n in names},
        oee_by_unit=by_unit,
        oee_by_station={
            s: _ratio(v[0], v[1]) * (_ratio(v[2], v[3]) if v[3] > 0 else 1.0)
            for s, v in by_station.items()
        },
        state_time=times,
        nc_rate_equipment=rates["nc_rate_equipment"],
        nc_rate_process=rates["nc_rate_process"],
        networked_rate=rates["networked_rate"],
        nc_rate_threshold=target,
        nc_rate_equipment_meets_threshold=rates["nc_rate_equipment"] >= target,
        nc_rate_process_meets_threshold=rates["nc_rate_process"] >= target,
        energy_kwh=kwh,
        energy_kwh_per_part=_ratio(kwh, good),
        energy_kgce=kwh * shop.kgce_per_kwh,
        energy_kwh_by_station=by_station_kwh,
        primary_energy_kgce=None if coeff is None else kwh * coeff,
        jobs_released=len(lots),
        jobs_finished=int(delivery["finished"]),
        jobs_scrapped=int(delivery["scrapped"]),
        jobs_open=int(delivery["open"]),
        jobs_overdue=int(delivery["overdue"]),
        parts_good=int(good),
        parts_scrap=int(produced - good),
        plan_adherence=adherence["plan_adherence"],
        start_delay_mean=adherence["start_delay_mean"],
        start_delay_p95=adherence["start_delay_p95"],
        lots_late_against_plan=int(adherence["lots_late_against_plan"]),
        **labour_kpis(shop.units, times, good, hpu),
    )


_UNIT_OEE = ("availability", "performance", "quality", "oee")  # summary's oee_by_unit
_NOTHING = UnitTally()  # a unit with no operation in the window (never written)


def _delivery(lots: Iterable[LotRecord], t0: float, t1: float) -> dict[str, float]:
    """Delivery counts of :func:`compute_kpis`: lots up to ``t1`` (finished good,
    scrapped, open) and the on-time basis of the window ``[t0, t1]``."""
    out = dict.fromkeys(
        ("finished", "scrapped", "open", "overdue", "delivered", "dated", "on_time", "tardiness"),
        0.0,
    )
    for lot in lots:
        ended = lot.finish <= t1
        scrapped = ended and lot.scrapped
        delivered = ended and not lot.scrapped
        out["finished"] += delivered
        out["scrapped"] += scrapped
        out["open"] += not ended
        if delivered and lot.finish >= t0:
            out["delivered"] += 1
        if lot.due is None:
            continue
        if delivered and lot.finish >= t0:
            out["dated"] += 1
            late = lot.finish - lot.due
            if late <= 0:
                out["on_time"] += 1
            else:
                out["tardiness"] += late
        elif not delivered and t0 <= lot.due <= t1:  # fell due in the window, undelivered
            out["dated"] += 1
            out["overdue"] += 1
            out["tardiness"] += t1 - lot.due
        elif not delivered and lot.due < t0:
            out["overdue"] += 1
    return out
