"""Run the orders of a scenario through the SimPy shop: following a plan, or online
dispatching with a rule.

**Following a plan** (a :class:`scheduler.Schedule` over :func:`twin.build.build_problem`
of the same scenario): each machine works through its planned sequence. As soon as it
has finished one operation it sets up for the next (setup needs no part, as in the
scheduler), then waits for the lot; a lot moves to the unit of its next operation as
soon as an operation ends. So an operation starts when its unit has finished its
previous planned operation (+ setup) and the lot's previous operation is done (+
transport): with no randomness, no breakdowns and no shifts the twin reproduces a
left-shifted plan exactly. A print cell takes the lots as they come (it batches).

**Online dispatch** (rules ``spt lpt mwkr mor edd fifo random ect``, the scheduler's
names): whenever a unit falls idle or a lot becomes ready, the rule picks among the
(ready lot, idle eligible unit) pairs; ties go to the faster unit, then the lower lot
and unit index. Arrivals (scenario ``arrivals``) only make sense here.

Around every operation: a robot loads and unloads tended units, the transport fleet
(or a plain travel delay) moves the lot between stations, and a finite buffer after a
station keeps the finished lot until the next unit can take it; while the buffer is
full the station is BLOCKED (capacity 0: blocked until the lot is taken). A unit that
picks a lot still blocked on its upstream unit takes it straight off that unit (the
lot never enters the buffer): it never waits for buffer room, which only the lots
already in the buffer could make, so units waiting on each other cannot deadlock.

Randomness: one stream per unit (failures, setups), one per lot (duration noise and
scrap: common random numbers whatever the plan), one for arrivals and one for the
``random`` rule, all spawned from one :class:`numpy.random.SeedSequence`. Durations on
a unit are ``quantity x cycle time x noise`` with noise of mean 1 and the operation's
cv (none when the cv is 0 or ``run.variability`` is off).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import simpy
from simpy.resources.base import Put

from models import Machine, State
from models.distributions import Distribution, with_cv
from models.recorder import EventKind, Recorder
from scheduler import ProblemData, Schedule
from twin.build import Shop, build_shop, nominal_time
from twin.durations import UNIT_SECONDS
from twin.errors import TwinError
from twin.kpi import JobInfo
from twin.scenario import Product, Scenario

__all__ = ["RULES", "Execution", "execute"]

log = logging.getLogger(__name__)

RULES = ("spt", "lpt", "mwkr", "mor", "edd", "fifo", "random", "ect")
_Gen = Generator[simpy.Event, Any, Any]


@dataclass(eq=False)
class _Lot:
    index: int
    id: str
    product: Product
    quantity: int
    release: float
    due: float | None
    seed: tuple[Any, tuple[int, ...]]  # (entropy, spawn key) of the lot's own stream
    step: int = 0  # next operation
    location: str | None = None  # unit of the last operation
    ready_at: float = 0.0
    held: simpy.Event | None = None  # holds the finished lot's unit until the lot leaves it
    put: Put | None = None  # the lot's pending or done put into ``buffer``
    buffer: Any = None
    work_left: float = 0.0  # for mwkr
    _rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:  # made on first use: runs without noise or scrap never pay
            entropy, key = self.seed
            self._rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))
        return self._rng

    @property
    def info(self) -> JobInfo:
        return JobInfo(self.id, self.product.id, self.quantity, self.release, self.due)


@dataclass
class Execution:
    """What :func:`execute` returns: the lots (orders and arrivals) and the end time.
    The events went to the recorder."""

    lots: list[JobInfo]
    end: float
    finished: int
    unfinished: int = 0
    rule: str | None = None
    warnings: list[str] = field(default_factory=list)


class _Executor:
    def __init__(
        self,
        scenario: Scenario,
        problem: ProblemData,
        recorder: Recorder,
        seed: np.random.SeedSequence,
    ) -> None:
        self.scenario = scenario
        self.problem = problem
        self.rec = recorder.record
        self.env = simpy.Environment()
        units_seed, self.jobs_seed, arrivals_seed, rule_seed = seed.spawn(4)
        self.arrivals_rng = np.random.default_rng(arrivals_seed)
        self.rule_rng = np.random.default_rng(rule_seed)
        self.shop: Shop = build_shop(
            self.env, scenario, recorder, units_seed.spawn(len(scenario.units))
        )
        self.station_units = {s.id: s.unit_names for s in scenario.stations}
        self.unit_rank = {u: i for i, u in enumerate(scenario.units)}
        self.lots: list[_Lot] = []
        self.finished = 0
        self.all_done = self.env.event()
        self.expected: int | None = None
        self._noise: dict[tuple[str, float], Distribution] = {}
        self._nominal: dict[tuple[str, int], float] = {}
        self.stations = {s.id: s for s in scenario.stations}
        self.products = {p.id: p for p in scenario.products}
        self.variability = scenario.run.variability
        self.exclusive = False
        self.unit_setups = {
            u: s.setup.default > 0 or bool(s.setup.families)
            for s in scenario.stations
            for u in s.unit_names
        }
        self._travels: dict[tuple[str, str], bool] = {}

    # -- lots -----------------------------------------------------------------------

    def new_lot(self, order_id: str, product_id: str, qty: int, release: float, due: Any) -> _Lot:
        j = len(self.lots)
        key = self.jobs_seed
        seed = (key.entropy, (*key.spawn_key, j))
        lot = _Lot(j, order_id, self.products[product_id], qty, release, due, seed)
        self.lots.append(lot)
        return lot

    def nominal(self, lot: _Lot, step: int, station_id: str) -> float:
        """Nominal time without the robot's handling (simulated separately)."""
        station = self.stations[station_id]
        cycle = lot.product.routing[step].stations[station_id]
        if station.kind != "printer3d":
            return lot.quantity * cycle
        key = (station_id, lot.quantity)
        value = self._nominal.get(key)
        if value is None:
            value = self._nominal[key] = nominal_time(station, lot.quantity, cycle)
        return value

    def work(self, lot: _Lot, step: int, station_id: str) -> float:
        """Actual processing time: nominal x noise drawn from the lot's stream (the
        step's cv overrides the station's; see :meth:`Scenario.operation_variability`)."""
        nominal = self.nominal(lot, step, station_id)
        if not self.variability:
            return nominal
        spec = lot.product.routing[step]
        cv = spec.cv if spec.cv is not None else self.stations[station_id].cv
        dist = spec.dist or "lognormal"
        if cv == 0 or dist == "constant":
            return nominal
        noise = self._noise.get((dist, cv))
        if noise is None:
            noise = self._noise[(dist, cv)] = with_cv(1.0, cv, dist)
        return nominal * noise.sample(lot.rng)

    def release(self, lot: _Lot) -> None:
        self.rec(
            self.env.now, EventKind.RELEASE, "", job=lot.index, value=lot.quantity,
            product=lot.product.id,
        )  # fmt: skip
        lot.ready_at = self.env.now

    def finish(self, lot: _Lot) -> None:
        rate = lot.product.scrap_rate
        scrap = rate > 0 and lot.rng.random() < rate
        self.rec(
            self.env.now, EventKind.FINISH, lot.location or "", job=lot.index,
            value=0.0 if scrap else lot.quantity, state="scrap" if scrap else "",
            product=lot.product.id,
        )  # fmt: skip
        self.finished += 1
        expected = self.expected
        if expected is not None and self.finished >= expected and not self.all_done.triggered:
            self.all_done.succeed()

    # -- one operation --------------------------------------------------------------

    def family(self, lot: _Lot, unit: str) -> str | None:
        return lot.product.family_name if self.unit_setups[unit] else None

    def move(self, lot: _Lot, unit: str) -> _Gen:
        """Pick the lot up where it waits and carry it to ``unit``."""
        if lot.held is not None:
            put = lot.put
            if put is not None and put.triggered:
                yield put  # the lot is in the buffer
                yield lot.buffer.get()
            else:
                if put is not None:  # still blocked on its unit by the full buffer:
                    put.cancel()  # take it straight off the unit (it never enters)
                if not lot.held.triggered:
                    lot.held.succeed()  # hand-off: free the blocked unit
            lot.held, lot.put, lot.buffer = None, None, None
        origin = lot.location
        if origin is None:
            return
        stations = self.shop.unit_station
        if stations[origin] == stations[unit]:
            return
        fleet = self.shop.fleet
        if fleet is not None:
            yield from fleet.move(
                origin, unit, lot.index, operation=lot.step, product=lot.product.id
            )
        else:
            t = self.scenario.travel_time(stations[origin], stations[unit])
            if t > 0:
                yield self.env.timeout(t)

    def operate(self, lot: _Lot, unit: str) -> _Gen:
        """Process the lot's current operation on ``unit``, tell the plan (or the
        dispatcher) that the lot may leave, then hand it off."""
        printer = self.shop.printers.get(unit)
        if printer is not None:
            k, product = lot.step, lot.product.id
            parts = [printer.submit(lot.index, k, product) for _ in range(lot.quantity)]
            yield self.env.all_of(parts)
            lot.location = unit
            self.op_done(lot)
            return
        machine = self.shop.machines[unit]
        if self.exclusive:  # following a plan: the unit's driver is its only user
            yield from self.on_machine(machine, lot, unit)
            return
        with machine.resource.request() as req:
            yield req
            yield from self.on_machine(machine, lot, unit)

    def on_machine(self, machine: Machine, lot: _Lot, unit: str) -> _Gen:
        """Load, process, unload, then hold the lot (BLOCKED) until the buffer takes it."""
        k = lot.step
        station = self.shop.unit_station[unit]
        product = lot.product.id
        robot = self.shop.robot_of.get(unit)
        if robot is not None:
            yield from robot[0].load(unit, robot[1], job=lot.index, operation=k, product=product)
        work = self.work(lot, k, station)
        yield from machine.process(lot.index, k, work, self.family(lot, unit), product)
        if robot is not None:
            yield from robot[0].unload(unit, robot[1], job=lot.index, operation=k, product=product)
        lot.location = unit
        last = k == len(lot.product.routing) - 1
        if not last and station in self.shop.buffer_after:
            buffer = self.shop.buffer_after[station]
            if buffer is None:
                lot.held, lot.put, lot.buffer = self.env.event(), None, None
            else:
                lot.put, lot.buffer = cast(Put, buffer.put(lot.index)), buffer
                lot.held = lot.put if lot.put.triggered else self._leaves_unit(lot.put)
        held = lot.held
        self.op_done(lot)
        if held is not None and not held.triggered:
            machine.set_state(State.BLOCKED)
            yield held
            machine.set_state(State.IDLE)

    def _leaves_unit(self, put: Put) -> simpy.Event:
        """The event that frees a unit blocked by a full buffer: the lot enters the
        buffer (``put`` succeeds) or the next unit takes it straight off the unit
        (:meth:`move` cancels ``put``). Never waiting on ``put`` itself is what keeps a
        unit chosen for a blocked lot from waiting on a buffer that only it can drain."""
        held = self.env.event()

        def entered(_: simpy.Event) -> None:
            if not held.triggered:
                held.succeed()

        put.callbacks.append(entered)
        return held

    def op_done(self, lot: _Lot) -> None:
        if self.exclusive:
            self.advance(lot)
        else:
            self.dispatch_next(lot)

    def presetup(self, machine: Machine, lot: _Lot, k: int, family: str) -> _Gen:
        """Set the machine up for the next planned operation before its lot arrives
        (only the unit's driver uses it while following a plan: no resource request)."""
        yield from machine.setup(family, job=lot.index, operation=k, product=lot.product.id)

    # -- following a plan -----------------------------------------------------------

    def follow(self, plan: Schedule) -> None:
        """Start one driver process per machine; lots advance by callbacks (no process
        per lot unless it must travel or wait in a buffer: the replay's hot path)."""
        data = self.problem
        n = data.num_ops
        event = self.env.event
        self.exclusive = True
        self.arrived = [event() for _ in range(n)]
        # a unit announces it is ready for an op only to lots waiting in a buffer
        self.unit_ready = [event() for _ in range(n)] if self.shop.buffer_after else []
        self.first_op = data.job_op_ptr.tolist()
        ptr = data.job_op_ptr
        self.op_loc = list(
            zip(data.op_job.tolist(), (np.arange(n) - ptr[data.op_job]).tolist(), strict=True)
        )
        names = data.machine_names
        self.plan_unit = [names[m] for m in plan.machine.tolist()]
        for m, seq in enumerate(plan.machine_sequences(data.num_machines)):
            if names[m] in self.shop.machines:
                self.env.process(self.drive(names[m], seq))
            elif self.unit_ready:
                for o in seq:
                    self.unit_ready[o].succeed()
        for lot in self.lots:
            if lot.release > 0:
                wake = self.env.timeout(lot.release)
                wake.callbacks.append(lambda _, lot=lot: self.start_lot(lot))  # type: ignore[misc]
            else:
                self.start_lot(lot)

    def drive(self, unit: str, seq: list[int]) -> _Gen:
        machine = self.shop.machines[unit]
        ready = self.unit_ready
        for o in seq:
            j, k = self.op_loc[o]
            lot = self.lots[j]
            fam = self.family(lot, unit)
            if fam is not None and machine.family is not None and fam != machine.family:
                yield from self.presetup(machine, lot, k, fam)
            if ready:
                ready[o].succeed()
            yield self.arrived[o]
            yield from self.on_machine(machine, lot, unit)

    def start_lot(self, lot: _Lot) -> None:
        self.release(lot)
        self.hand_over(lot, 0)

    def advance(self, lot: _Lot) -> None:
        """Plan mode: the lot's operation is done; send it on (or finish it)."""
        if lot.step == len(lot.product.routing) - 1:
            self.finish(lot)
        else:
            self.hand_over(lot, lot.step + 1)

    def hand_over(self, lot: _Lot, k: int) -> None:
        o = self.first_op[lot.index] + k
        unit = self.plan_unit[o]
        lot.step = k
        if lot.held is None and unit in self.shop.machines and not self.travels(lot, unit):
            self.arrived[o].succeed()
        else:
            self.env.process(self.transfer(lot, o, unit))

    def travels(self, lot: _Lot, unit: str) -> bool:
        origin = lot.location
        if origin is None:
            return False
        key = (origin, unit)
        moves = self._travels.get(key)
        if moves is None:
            a, b = self.shop.unit_station[origin], self.shop.unit_station[unit]
            moves = a != b and (self.shop.fleet is not None or self.scenario.travel_time(a, b) > 0)
            self._travels[key] = moves
        return moves

    def transfer(self, lot: _Lot, o: int, unit: str) -> _Gen:
        if lot.held is not None:
            yield self.unit_ready[o]
        yield from self.move(lot, unit)
        if unit in self.shop.printers:
            yield from self.operate(lot, unit)
        else:
            self.arrived[o].succeed()

    # -- online dispatch ------------------------------------------------------------

    def start_dispatch(self, rule: str) -> None:
        self.rule = rule
        self.ready: list[_Lot] = []
        self.idle = set(self.shop.machines)
        for lot in self.lots:
            self.env.process(self.enter(lot))

    def enter(self, lot: _Lot) -> _Gen:
        if lot.release > self.env.now:
            yield self.env.timeout(lot.release - self.env.now)
        self.release(lot)
        lot.work_left = sum(self.min_nominal(lot, k) for k in range(len(lot.product.routing)))
        self.ready.append(lot)
        self.dispatch()

    def min_nominal(self, lot: _Lot, k: int) -> float:
        return min(self.nominal(lot, k, s) for s in lot.product.routing[k].stations)

    def dispatch_next(self, lot: _Lot) -> None:
        lot.work_left -= self.min_nominal(lot, lot.step)
        if lot.step == len(lot.product.routing) - 1:
            self.finish(lot)
            return
        lot.step += 1
        lot.ready_at = self.env.now
        self.ready.append(lot)
        self.dispatch()

    def key(self, lot: _Lot, unit: str, d: float) -> tuple[float, ...]:
        rule = self.rule
        if rule == "spt":
            return (d,)
        if rule == "lpt":
            return (-d,)
        if rule == "mwkr":
            return (-lot.work_left, d)
        if rule == "mor":
            return (-(len(lot.product.routing) - lot.step), d)
        if rule == "edd":
            return (math.inf if lot.due is None else lot.due, d)
        if rule == "fifo":
            return (lot.ready_at, lot.release, d)
        if rule == "random":
            return (float(self.rule_rng.random()),)
        machine = self.shop.machines.get(unit)  # ect: setup + processing (nominal)
        setup = 0.0
        fam = self.family(lot, unit)
        if machine is not None and fam is not None and machine.family is not None:
            spec = self.stations[self.shop.unit_station[unit]].setup
            setup = spec.time(str(machine.family), fam)
        return (setup + d,)

    def dispatch(self) -> None:
        while self.ready:
            best: tuple[tuple[float, ...], _Lot, str] | None = None
            for lot in self.ready:
                step = lot.product.routing[lot.step]
                for station_id in step.stations:
                    d = self.nominal(lot, lot.step, station_id)
                    for unit in self.station_units[station_id]:
                        if unit not in self.idle and unit not in self.shop.printers:
                            continue
                        k = (*self.key(lot, unit, d), d, lot.index, self.unit_rank[unit])
                        if best is None or k < best[0]:
                            best = (k, lot, unit)
            if best is None:
                return
            _, lot, unit = best
            self.ready.remove(lot)
            self.idle.discard(unit)
            self.env.process(self.run_op(lot, unit))

    def run_op(self, lot: _Lot, unit: str) -> _Gen:
        yield from self.move(lot, unit)
        yield from self.operate(lot, unit)
        if unit in self.shop.machines:
            self.idle.add(unit)
            self.dispatch()

    def arrivals(self, horizon: float) -> _Gen:
        spec = self.scenario.arrivals
        assert spec is not None
        inter = spec.interarrival.sampler()
        qty = spec.quantity.sampler()
        products = list(spec.probabilities)
        probs = np.array([spec.probabilities[p] for p in products])
        rng = self.arrivals_rng
        n = 0
        while True:
            yield self.env.timeout(inter.sample(rng))
            if self.env.now >= horizon:
                return
            n += 1
            product = products[int(rng.choice(len(products), p=probs))]
            q = max(1, round(qty.sample(rng)))
            now = self.env.now
            due = None if spec.due_after is None else now + spec.due_after
            lot = self.new_lot(f"A-{n}", product, q, now, due)
            self.env.process(self.enter(lot))


def _check_plan(problem: ProblemData, plan: Schedule) -> None:
    """A plan must give every operation one of its eligible machines (the order on each
    machine is the plan's business: ``scheduler.check`` verifies the rest)."""
    if len(plan) != problem.num_ops:
        raise TwinError(
            f"plan has {len(plan)} operations, the scenario's problem has {problem.num_ops}"
        )
    ptr, modes, chosen = problem.op_mode_ptr.tolist(), problem.mode_machine.tolist(), plan.machine
    for o, m in enumerate(chosen.tolist()):
        eligible = modes[ptr[o] : ptr[o + 1]]
        if m not in eligible:
            j, k = problem.locate(o)
            names = problem.machine_names
            raise TwinError(
                f"plan: operation {o} (job {problem.job_names[j]}, operation {k}) is on "
                f"machine {m} ({names[m] if 0 <= m < len(names) else '?'}), not eligible "
                f"(eligible: {', '.join(names[e] for e in eligible)})"
            )


def _ticks(env: simpy.Environment, horizon: float, report: Callable[[float], None]) -> _Gen:
    step = horizon / 50
    while True:
        yield env.timeout(step)
        report(min(1.0, env.now / horizon))


def execute(
    scenario: Scenario,
    problem: ProblemData,
    recorder: Recorder,
    *,
    seed: np.random.SeedSequence,
    plan: Schedule | None = None,
    rule: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Execution:
    """Simulate the scenario's orders (and arrivals) following ``plan`` or, without
    one, dispatching online with ``rule``; events go to ``recorder``.
    ``on_progress(fraction)`` is called every 2 % of a run with a horizon (for a
    progress bar; the library never draws one).

    The run lasts ``run.horizon`` if set, else until every lot is finished (capped at
    the last release plus ten times the total work plus four weeks, in case full buffers
    lock the shop: the lots still open are then reported as unfinished).
    """
    if (plan is None) == (rule is None):
        raise TwinError("execute: give exactly one of plan and rule")
    if rule is not None and rule not in RULES:
        raise TwinError(f"unknown dispatch rule {rule!r} (expected one of {', '.join(RULES)})")
    if plan is not None:
        _check_plan(problem, plan)
    ex = _Executor(scenario, problem, recorder, seed)
    for o in scenario.orders:
        ex.new_lot(o.id, o.product, o.quantity, o.release, o.due)
    horizon = scenario.run.horizon
    warnings: list[str] = []
    if plan is not None:
        ex.follow(plan)
    else:
        assert rule is not None
        ex.start_dispatch(rule)
        if scenario.arrivals is not None and horizon is not None:
            ex.env.process(ex.arrivals(horizon))
    if horizon is not None:
        if on_progress is not None and horizon > 0:
            ex.env.process(_ticks(ex.env, horizon, on_progress))
        ex.env.run(until=horizon)
        end = float(horizon)
        if on_progress is not None:
            on_progress(1.0)
    else:
        ex.expected = len(ex.lots)
        if ex.expected == 0:
            ex.all_done.succeed()
        weeks = 4 * 7 * 86400 / UNIT_SECONDS[scenario.time_unit]
        last = max((o.release for o in scenario.orders), default=0.0)
        cap = last + 10 * float(problem.mode_duration.sum()) + weeks
        ex.env.run(until=ex.env.any_of([ex.all_done, ex.env.timeout(cap)]))
        end = float(ex.env.now)
        if not ex.all_done.triggered:
            msg = f"run stopped at t={end:g} with {len(ex.lots) - ex.finished} lots unfinished"
            log.warning(msg)
            warnings.append(msg)
    return Execution(
        lots=[lot.info for lot in ex.lots],
        end=end,
        finished=ex.finished,
        unfinished=len(ex.lots) - ex.finished,
        rule=rule,
        warnings=warnings,
    )
