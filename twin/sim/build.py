"""From one scenario, the two views of the shop: the scheduler's problem and the SimPy shop.

- :func:`build_problem`: orders x routings -> jobs x operations x eligible station
  units (a :class:`scheduler.ProblemData`). Machines are the processing units (robots
  excluded) in station order, so machine index ``m`` is unit ``data.machine_names[m]``.
  Durations are ``quantity x cycle time`` rounded up to the integer base unit (at least
  1 unless 0), plus a load and an unload per fixture load (``loading.parts`` parts:
  the robot's ``load_time`` each way on robot-tended stations, else the operator's
  ``loading.load`` and ``loading.unload``) and the station's minor setup per lot
  (``setup.per_lot``); a
  3D-print operation is estimated as whole plates (build + cool-down per plate, and
  post-processing once). Setups by product family, transport times between stations,
  release (rounded up), due (rounded down) and weight (= order priority) come from the
  scenario. Each station's shift calendar (with its dated holidays and make-up days)
  becomes its units' unavailability windows, and each mode says how the twin's unit
  meets them (:mod:`scheduler.calendar`): manual work (``attendance: cycle``) pauses
  off shift and resumes (``RESUME``); a machine its operator or an attended robot
  loads runs fixture loads that begin on shift and run through (``LOADS``, when each
  load is a whole number of time units and there is no setup per lot, else
  ``RESUME``, at most one load later than the twin); a print build starts on shift
  and runs through (``RUN``); unattended and outsourced work, and machines an
  unattended robot loads, ignore the calendar (``FREE``); setups pause off shift.
  The plan is exact for a machine its own operator loads; with a robot the twin may
  wait for it (an unload waits for the shift), which the plan does not see.
- Operator pools are renewable resources of ``count x machines_per_operator`` places:
  an operation on a station the pool runs holds, for its whole span (the twin assigns
  an operator for the whole lot), all of one operator's places when the operator runs
  the whole cycle (``attendance: cycle``) and one place when the operator only sets up,
  loads and unloads (``load``); unattended and robot-tended stations hold none. A station several
  pools may run takes the first. The plan does not see which operator, so two
  half-used operators' places may add up to a whole one the twin cannot give.
- Robots are renewable resources too, one unit per robot: an operation on a station a
  robot tends holds it only for its first load and its last unload (a partial hold,
  see :class:`scheduler.ProblemData`), ``load_time`` each rounded up to whole time
  units, so that the plan does not start or finish two of its lots at once. The loads
  in between are not in the plan: held for each load, a robot would make the plan
  interleave two machines' loads rigidly (a lot's loads run back to back there), and
  two machines with different cycles could hardly run side by side. The twin shares
  the robot load by load, and the published plan takes its waits in.
- Windows cover ``cover`` time units from 0 (default: :func:`calendar_cover`). Dated
  maintenance windows are not in the plan yet.
- :func:`shop_info`: the scenario reduced to what the KPIs read.
- :func:`build_shop`: the SimPy units of :mod:`models`, their robots, transport fleet
  and buffers, each unit with its own random stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import simpy

from models import (
    Buffer,
    Calendar,
    DatedCalendar,
    Machine,
    PrintCell,
    Recorder,
    Robot,
    State,
    TransportFleet,
)
from models.distributions import Constant, Distribution
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.operators import Staff
from scheduler import ProblemData
from scheduler.calendar import FREE, LOADS, RESUME, RUN
from twin.scenario import Scenario, Station
from twin.shopinfo import JobInfo, OpInfo, ShopInfo, UnitInfo
from twin.sim.staffing import Handling, build_staff, handling_of, operator_names

__all__ = [
    "Shop",
    "build_problem",
    "build_shop",
    "calendar_cover",
    "calendar_kind",
    "ceil_time",
    "printer_estimate",
    "processing_units",
    "shop_info",
]


def ceil_time(value: float) -> int:
    """Round a duration up to the integer grid, at least 1 unless it is 0 (a float
    residue such as 12.000000000001 does not round up)."""
    if value <= 0:
        return 0
    return max(1, math.ceil(value - 1e-9 * max(1.0, value)))


def processing_units(scenario: Scenario) -> list[tuple[str, Station]]:
    """``(unit name, station)`` of every unit that processes parts (not robots), in
    station order: the scheduler's machines."""
    return [(u, s) for s in scenario.stations if s.kind != "robot" for u in s.unit_names]


def tending(scenario: Scenario) -> dict[str, Station]:
    """Station id -> the robot station that loads and unloads it."""
    return {t: s for s in scenario.stations if s.kind == "robot" for t in (s.tends or [])}


def handling(scenario: Scenario) -> dict[str, tuple[float, int]]:
    """Station id -> (handling time per fixture load: load + unload, parts per load)
    for every processing station (a print cell: no handling)."""
    robots = tending(scenario)
    out = {}
    for s in scenario.stations:
        if s.kind in ("robot", "printer3d", "outsourced"):
            continue
        robot = robots.get(s.id)
        per_load = 2.0 * (robot.load_time or 0.0) if robot is not None else s.loading.handling
        out[s.id] = (per_load, s.loading.parts)
    return out


def printer_estimate(station: Station, quantity: int) -> float:
    """What the scheduler assumes a print operation of ``quantity`` parts takes: full
    plates (and one partial), each built and cooled, then post-processing once."""
    assert station.build_time is not None
    cap = station.plate_capacity or 1
    plates, rest = divmod(quantity, cap)
    sizes = [cap] * plates + ([rest] if rest else [])
    build = sum(station.build_time.for_parts(n) for n in sizes)
    return build + len(sizes) * (station.cooldown or 0.0) + (station.post_process or 0.0)


def nominal_time(station: Station, quantity: int, cycle: float, handling: float = 0.0) -> float:
    """Nominal time of an operation on ``station`` before rounding: ``quantity x cycle``
    plus ``handling`` (the robot's load + unload), or the print estimate."""
    if station.kind == "printer3d" and station.build_time is not None:
        return printer_estimate(station, quantity)
    if station.kind == "outsourced":
        return cycle
    return quantity * cycle + handling


def calendar_kind(station: Station, robot: Station | None = None) -> int:
    """How the station's work meets its calendar, as a :mod:`scheduler.calendar` kind
    (``LOADS`` where a person or an attended robot starts each fixture load: the
    caller falls back to ``RESUME`` when the loads are not whole time units)."""
    if station.kind == "printer3d":
        return RUN
    if station.kind == "outsourced":
        return FREE
    if robot is not None:  # the robot loads: on its shifts unless it is unattended
        return FREE if robot.is_unattended or not robot.calendar else LOADS
    if station.needs == "setup":
        return FREE
    return RESUME if station.needs == "cycle" else LOADS


def calendar_cover(scenario: Scenario, problem: ProblemData) -> int:
    """How far the windows reach by default: the last release plus twice the work per
    machine stretched by the least staffed calendar, plus two periods (a plan that
    ends later is planned again with twice the cover: see :func:`twin.run.plan_scenario`)."""
    shares = []
    periods = [0.0]
    for name in {s.calendar for s in scenario.stations if s.calendar}:
        period, on = scenario.calendar_intervals(name)
        shares.append(sum(b - a for a, b in on) / period)
        periods.append(period)
    share = max(min(shares, default=1.0), 0.05)
    durations = problem.mode_duration[problem.op_mode_ptr[:-1]]
    work = float(durations.sum()) / max(1, problem.num_machines)
    t0 = float(problem.release.max()) if problem.num_jobs else 0.0
    return math.ceil(t0 + 2.0 * work / share + 2.0 * max(periods))


def _calendar_windows(
    scenario: Scenario, units: list[tuple[str, Station]], cover: int
) -> dict[str, list[int]]:
    """Off-shift windows ``[off, on)`` of every unit up to ``cover``, on the integer
    grid (off rounded down, on up: the plan never counts on a fraction of a shift)."""
    calendars = _calendars(scenario)
    per_station: dict[str, list[tuple[int, int]]] = {}
    ptr, starts, ends = [0], [], []
    for _, station in units:
        if station.id not in per_station:
            windows: list[tuple[int, int]] = []
            cal = calendars.get(station.calendar) if station.calendar else None
            if cal is not None and not cal.is_always:
                t = 0.0
                while t < cover:
                    off = cal.next_off(t)
                    if off >= cover or not math.isfinite(off):
                        break
                    on = cal.next_on(off)
                    a, b = math.floor(off + 1e-9), math.ceil(min(on, 2.0**52) - 1e-9)
                    if windows and a <= windows[-1][1]:
                        windows[-1] = (windows[-1][0], max(windows[-1][1], b))
                    elif b > a:
                        windows.append((a, b))
                    if not math.isfinite(on):
                        break
                    t = on
            per_station[station.id] = windows
        for a, b in per_station[station.id]:
            starts.append(a)
            ends.append(b)
        ptr.append(len(starts))
    return {"window_ptr": ptr, "window_start": starts, "window_end": ends}


def _robot_holds(scenario: Scenario, first: int) -> tuple[list[int], dict[str, tuple[int, int]]]:
    """(units per robot station, tended station id -> (its robot's resource index,
    load and unload time rounded up)); robot resources are numbered from ``first``."""
    capacity: list[int] = []
    holds: dict[str, tuple[int, int]] = {}
    for s in scenario.stations:
        if s.kind != "robot" or not s.tends or not s.unit_names:
            continue
        for station_id in s.tends:
            holds[station_id] = (first + len(capacity), ceil_time(s.load_time or 0.0))
        capacity.append(len(s.unit_names))
    return capacity, holds


def _pools(scenario: Scenario) -> tuple[list[int], dict[str, tuple[int, int]]]:
    """(places per pool, station id -> (pool index, places an operation holds)) for
    the stations an operator pool runs (see the module docstring)."""
    pools = [p for p in scenario.operators or [] if p.count > 0]
    capacity = [p.count * p.machines_per_operator for p in pools]
    holds: dict[str, tuple[int, int]] = {}
    robots = tending(scenario)  # a robot loads these: the operator only sets up
    for s in scenario.stations:
        if s.kind in ("robot", "printer3d", "outsourced") or s.needs == "setup" or s.id in robots:
            continue
        for r, pool in enumerate(pools):
            if pool.skills is None or s.id in pool.skills:
                holds[s.id] = (r, pool.machines_per_operator if s.needs == "cycle" else 1)
                break
    return capacity, holds


def build_problem(scenario: Scenario, cover: int | None = None) -> ProblemData:
    """The scheduler's view of the scenario's orders (see the module docstring)."""
    units = processing_units(scenario)
    index: dict[str, list[int]] = {}
    for m, (_, station) in enumerate(units):
        index.setdefault(station.id, []).append(m)
    families = sorted({p.family_name for p in scenario.products})
    fam_index = {f: i for i, f in enumerate(families)}
    # the CSR arrays of ProblemData straight away (as ProblemData.from_jobs builds them,
    # without a list per operation and a tuple per mode)
    job_op_ptr, op_mode_ptr = [0], [0]
    mode_machine: list[int] = []
    mode_duration: list[int] = []
    mode_calendar: list[int] = []
    mode_loads: list[int] = []
    robots = tending(scenario)
    kinds = {s.id: calendar_kind(s, robots.get(s.id)) for s in scenario.stations}
    capacity, holds = _pools(scenario)
    robot_capacity, robot_holds = _robot_holds(scenario, len(capacity))
    capacity += robot_capacity
    mode_resource: list[int] = []
    mode_demand: list[int] = []
    mode_head: list[int] = []  # a robot's load (and unload) per fixture load
    op_family: list[int] = []
    products = {p.id: (p, fam_index[p.family_name]) for p in scenario.products}
    # per operation, besides quantity x cycle: the handling of every fixture load and
    # the station's minor setup per lot
    handled = handling(scenario)
    # per station, looked up once per mode: (station, a print cell?, setup per lot,
    # handling per load, parts per load, its machine indices)
    where = {
        s.id: (
            s,
            s.kind == "printer3d" and s.build_time is not None,
            s.setup.per_lot if s.kind not in ("printer3d", "outsourced") else 0.0,
            *handled.get(s.id, (0.0, 1)),
            index.get(s.id, []),
        )
        for s in scenario.stations
    }
    for order in scenario.orders:
        product, family = products[order.product]
        quantity = order.quantity
        for step in product.routing:
            for station_id, cycle in step.stations.items():
                station, printer, extra, per_load, parts, machines = where[station_id]
                if printer:
                    d = ceil_time(nominal_time(station, quantity, cycle, extra))
                elif station.kind == "outsourced":  # a lead time per lot
                    d = ceil_time(cycle)
                else:  # nominal_time and ceil_time inlined: the per-operation hot path
                    value = quantity * cycle + extra
                    if per_load:
                        value += -(-quantity // parts) * per_load
                    if value <= 0:
                        d = 0
                    else:
                        d = math.ceil(value - 1e-9 * (value if value > 1.0 else 1.0))
                        if d < 1:
                            d = 1
                mode_machine += machines
                mode_duration += [d] * len(machines)
                kind, n_loads = kinds[station_id], 1
                if kind == LOADS:  # whole loads of whole time units, no setup per lot
                    n_loads = -(-quantity // parts)
                    exact = d > 0 and not extra and abs(value - d) <= 1e-9 * max(1.0, value)
                    if not (exact and d % n_loads == 0):
                        kind, n_loads = RESUME, 1
                mode_calendar += [kind] * len(machines)
                mode_loads += [n_loads] * len(machines)
                pool, places = holds.get(station_id, (-1, 0))
                head = 0
                robot = robot_holds.get(station_id)
                if robot is not None and robot[1] > 0 and d > 0 and not printer:
                    # the first load and the last unload (a lot of one time unit: whole)
                    pool, places, head = robot[0], 1, min(robot[1], d // 2)
                mode_resource += [pool] * len(machines)
                mode_demand += [places] * len(machines)
                mode_head += [head] * len(machines)
            op_mode_ptr.append(len(mode_machine))
            op_family.append(family)
        job_op_ptr.append(len(op_mode_ptr) - 1)
    optional: dict[str, object] = {
        "release": [math.ceil(o.release - 1e-9) for o in scenario.orders],
        "due": [-1 if o.due is None else math.floor(o.due + 1e-9) for o in scenario.orders],
        "weight": [o.priority for o in scenario.orders],
        "name": scenario.name,
        "job_names": tuple(o.id for o in scenario.orders),
        "machine_names": tuple(u for u, _ in units),
    }
    if any(s.setup.default > 0 or s.setup.families for _, s in units):
        setup = np.zeros((len(units), len(families), len(families)), np.int64)
        for m, (_, station) in enumerate(units):
            for a in families:
                for b in families:
                    setup[m, fam_index[a], fam_index[b]] = ceil_time(station.setup.time(a, b))
        optional["setup"] = setup
        optional["op_family"] = op_family
    if scenario.transport is not None:
        n = len(units)
        transport = np.zeros((n, n), np.int64)
        for i, (_, origin) in enumerate(units):
            for k, (_, dest) in enumerate(units):
                transport[i, k] = ceil_time(scenario.travel_time(origin.id, dest.id))
        if transport.any():
            optional["transport"] = transport
    if holds or robot_holds:
        optional["resource_capacity"] = capacity
        optional["mode_resource"] = mode_resource
        optional["mode_demand"] = mode_demand
        optional["mode_hold_head"] = mode_head
        optional["mode_hold_tail"] = mode_head
    problem = ProblemData(
        len(units),
        np.asarray(job_op_ptr, np.int64),
        np.asarray(op_mode_ptr, np.int64),
        np.asarray(mode_machine, np.int64),
        np.asarray(mode_duration, np.int64),
        **optional,  # type: ignore[arg-type]
    )
    if not any(s.calendar for _, s in units):
        return problem
    if cover is None:
        cover = calendar_cover(scenario, problem)
    windows = _calendar_windows(scenario, units, cover)
    if not windows["window_start"]:
        return problem
    return problem.replace(
        **windows,
        mode_calendar=np.asarray(mode_calendar, np.int64),
        mode_loads=np.asarray(mode_loads, np.int64),
    )


def shop_info(scenario: Scenario) -> ShopInfo:
    """The scenario reduced to what :func:`twin.kpi.compute_kpis` reads."""
    handled = handling(scenario)
    units = [
        UnitInfo(
            name=u,
            station=s.id,
            kind=s.kind,
            numerically_controlled=s.is_nc,
            networked=s.is_networked,
            key_process=s.is_key_process,
            power_kw=s.power_kw.model_dump(),
            build_time=None if s.build_time is None else s.build_time.linear(),
            handling=handled.get(s.id, (0.0, 1)),
        )
        for s in scenario.stations
        for u in s.unit_names
    ]
    units += [
        UnitInfo(
            name=name, station=pool.id, kind="operator", numerically_controlled=False,
            networked=False, key_process=False,
        )
        for pool in scenario.operators
        for name in operator_names(pool.id, pool.count)
    ]  # fmt: skip
    fleet = None if scenario.transport is None else scenario.transport.fleet
    if fleet is not None:  # vehicles are units too (named as TransportFleet names them)
        units += [
            UnitInfo(
                name=f"{fleet.id}.{i}", station=fleet.id, kind="agv",
                numerically_controlled=False, networked=fleet.networked, key_process=False,
                power_kw=fleet.power_kw.model_dump(),
            )
            for i in range(fleet.count)
        ]  # fmt: skip
    key_station = {s.id: s.is_key_process for s in scenario.stations}.__getitem__
    products = {
        p.id: tuple(
            [
                OpInfo(
                    step.key_process
                    if step.key_process is not None
                    else any(map(key_station, step.stations)),
                    dict(step.stations),
                )
                for step in p.routing
            ]
        )
        for p in scenario.products
    }
    jobs = tuple(JobInfo(o.id, o.product, o.quantity, o.release, o.due) for o in scenario.orders)
    coeff = scenario.energy.primary_energy_coefficient
    return ShopInfo(
        name=scenario.name,
        time_unit=scenario.time_unit,
        units=tuple(units),
        products=products,
        jobs=jobs,
        warmup=scenario.run.warmup,
        horizon=scenario.run.horizon,
        due_after=None if scenario.arrivals is None else scenario.arrivals.due_after,
        primary_energy_coefficient=None if coeff is None else coeff.kgce_per_kwh,
        kgce_per_kwh=scenario.energy.kgce_per_kwh,
        nc_rate_target=scenario.targets.nc_rate,
    )


# -- the SimPy shop ---------------------------------------------------------------------


@dataclass
class Shop:
    """The simulated shop of one run: units by name and how they are connected."""

    env: simpy.Environment
    machines: dict[str, Machine] = field(default_factory=dict)
    printers: dict[str, PrintCell] = field(default_factory=dict)
    robots: dict[str, Robot] = field(default_factory=dict)
    robot_of: dict[str, tuple[Robot, float]] = field(default_factory=dict)  # unit -> (robot, load)
    buffer_after: dict[str, Buffer | None] = field(default_factory=dict)  # station -> buffer
    fleet: TransportFleet | None = None
    unit_station: dict[str, str] = field(default_factory=dict)
    staff: Staff | None = None
    #: unit -> how a lot is processed on it, when not in one plain span (see :class:`Handling`)
    handling: dict[str, Handling] = field(default_factory=dict)


def _calendars(scenario: Scenario) -> dict[str, Calendar | DatedCalendar]:
    out = {}
    for name in scenario.calendars:
        period, on = scenario.calendar_intervals(name)
        overrides = scenario.calendar_overrides(name)
        weekly = Calendar(period, on)
        out[name] = DatedCalendar(weekly, overrides) if overrides else weekly
    return out


def _failure(station: Station, enabled: bool) -> tuple[Distribution, Distribution] | None:
    if not enabled or station.mtbf is None:
        return None
    mttr = Constant(0.0) if station.mttr is None else station.mttr.sampler()
    return station.mtbf.sampler(), mttr


def _plate_time(station: Station) -> Callable[[Sequence[str]], float]:
    spec = station.build_time
    assert spec is not None
    return lambda products: spec.for_parts(len(products))


def _setup_times(station: Station) -> Callable[[Hashable, Hashable], float] | None:
    spec = station.setup
    if spec.default <= 0 and not spec.families:
        return None
    return lambda a, b: spec.time(str(a), str(b))


def _crew(
    env: simpy.Environment, scenario: Scenario, calendars: dict[str, Calendar | DatedCalendar]
) -> MaintenanceCrew | None:
    spec = scenario.maintenance_crew
    if spec is None:
        return None
    cal = calendars[spec.calendar] if spec.calendar else None
    return MaintenanceCrew(env, spec.count, calendar=cal)


class _Upkeep(TypedDict, total=False):
    crew: MaintenanceCrew
    maintenance: PlannedMaintenance


def _upkeep(scenario: Scenario, station: Station, crew: MaintenanceCrew | None) -> _Upkeep:
    """The ``crew`` and ``maintenance`` keywords of the station's units: none when the
    scenario has neither (the units then behave exactly as without these features)."""
    upkeep: _Upkeep = {}
    if crew is not None:
        upkeep["crew"] = crew
    spec = station.maintenance
    if spec is not None:
        every = spec.every if spec.every is not None and spec.duration is not None else math.inf
        upkeep["maintenance"] = PlannedMaintenance(
            every=every,
            duration=spec.duration or 0.0,
            operating=spec.basis == "operating",
            windows=tuple(spec.window_times(scenario.start, scenario.time_unit)),
        )
    return upkeep


def build_shop(
    env: simpy.Environment,
    scenario: Scenario,
    recorder: Recorder,
    unit_seeds: Sequence[np.random.SeedSequence],
) -> Shop:
    """Make every unit of the scenario in ``env`` (one seed per unit, in
    :attr:`Scenario.units` order). Machines get no duration noise of their own: the
    executor draws it per operation (the routing step may override the cv)."""
    if len(unit_seeds) != len(scenario.units):
        raise ValueError(f"expected {len(scenario.units)} unit seeds, got {len(unit_seeds)}")
    shop = Shop(env, unit_station=scenario.unit_station)
    calendars = _calendars(scenario)
    breakdowns = scenario.run.breakdowns
    seeds = iter(unit_seeds)
    crew = _crew(env, scenario, calendars)
    for station in scenario.stations:
        cal = calendars[station.calendar] if station.calendar else None
        failure = _failure(station, breakdowns)
        wear = station.failure_basis == "operating"
        upkeep = _upkeep(scenario, station, crew)
        for name in station.unit_names:
            rng = np.random.default_rng(next(seeds))
            if station.kind == "robot":
                shop.robots[name] = Robot(
                    env, name, recorder, rng=rng, failure=failure, calendar=cal,
                    attended=not station.is_unattended, failures_count_operating_time=wear,
                    **upkeep,
                )  # fmt: skip
            elif station.kind == "printer3d" and station.build_time is not None:
                shop.printers[name] = PrintCell(
                    env, name, recorder, rng=rng,
                    plate_capacity=station.plate_capacity or 1,
                    max_wait=math.inf if station.max_wait is None else station.max_wait,
                    build_time=_plate_time(station),
                    cooldown=station.cooldown or 0.0,
                    post_process=station.post_process or 0.0,
                    # one post-processing place unless the file says more
                    post_capacity=station.post_process_capacity or 1,
                    failure=failure, calendar=cal, idle_state=State.NO_ORDER,
                    failures_count_operating_time=wear, **upkeep,
                )  # fmt: skip
            else:
                shop.machines[name] = Machine(
                    env, name, recorder, rng=rng, setup_times=_setup_times(station),
                    # the cycle pauses off shift only if an operator runs it all
                    failure=failure, calendar=cal, attended=station.needs == "cycle",
                    work_cv=0.0, idle_state=State.NO_ORDER, failures_count_operating_time=wear,
                    per_lot_setup=station.setup.per_lot, **upkeep,
                )  # fmt: skip
    for station in scenario.stations:
        if station.kind != "robot":
            continue
        robots = [shop.robots[n] for n in station.unit_names]
        for tended in station.tends or []:
            for i, unit in enumerate(scenario.station(tended).unit_names):
                shop.robot_of[unit] = (robots[i % len(robots)], station.load_time or 0.0)
    shop.staff = build_staff(env, scenario, recorder, calendars)
    shop.handling = handling_of(scenario, shop.machines, shop.robot_of, shop.staff)
    for spec in scenario.buffers:
        buffer = Buffer(env, spec.id, recorder, spec.capacity) if spec.capacity > 0 else None
        shop.buffer_after[spec.after] = buffer
    transport = scenario.transport
    if transport is not None and transport.fleet is not None:
        where = shop.unit_station

        def travel(a: Hashable, b: Hashable) -> float:
            return scenario.travel_time(where.get(str(a), str(a)), where.get(str(b), str(b)))

        fleet = transport.fleet
        shop.fleet = TransportFleet(
            env, fleet.id, recorder, vehicles=fleet.count, travel_time=travel, home=fleet.home,
            calendar=calendars[fleet.calendar] if fleet.calendar else None, park=fleet.park,
        )  # fmt: skip
    return shop
