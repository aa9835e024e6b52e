"""What happens around every operation of a twin run, whoever chose it (a plan or a
dispatch rule): the lots, their durations, moving a lot, loading and processing it on a
unit, and holding it there while the buffer after the station is full.

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

import gc
import threading
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import simpy
from simpy.resources.base import Put

from models import Machine, State, Unit
from models.distributions import Distribution, with_cv
from models.recorder import EventKind, Recorder
from scheduler import ProblemData
from twin.errors import TwinError
from twin.scenario import Product, Scenario
from twin.shopinfo import JobInfo
from twin.sim.build import Shop, build_shop, nominal_time
from twin.sim.quality import Quality, scrap_rate

__all__ = ["Gen", "LotInShop", "ShopRun", "fewer_collections"]

Gen = Generator[simpy.Event, Any, Any]

#: the collector's thresholds during a run (see :func:`fewer_collections`)
RUN_GC_THRESHOLD = (30_000, 50, 1000)
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the cyclic garbage collector's thresholds raised to
    :data:`RUN_GC_THRESHOLD`, then restore them. A run allocates millions of objects
    that live to its end (lots, log rows, SimPy events): with the default thresholds
    (700, 10, 10) the collector keeps re-scanning them, 5-20 % of a large run. The
    collector still runs (the cycles SimPy leaves behind are freed), only less often.
    Nested and concurrent runs (threads) share one scope: the first to enter saves
    the thresholds, the last to leave restores them."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*RUN_GC_THRESHOLD)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)


@dataclass(eq=False)
class LotInShop:
    """One order (or arrival) moving through its routing."""

    index: int
    id: str
    product: Product
    quantity: int  # good parts still in the lot (scrap takes them out)
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
    ordered: int = -1  # parts released (set from quantity)
    _rng: np.random.Generator | None = None

    def __post_init__(self) -> None:
        self.ordered = self.quantity

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:  # made on first use: runs without noise or scrap never pay
            entropy, key = self.seed
            self._rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))
        return self._rng

    @property
    def info(self) -> JobInfo:
        return JobInfo(self.id, self.product.id, self.ordered, self.release, self.due)


class ShopRun(ABC):
    """The shop and the lots of one run, and what happens around every operation;
    :class:`twin.sim.plan.PlanRun` and :class:`twin.sim.dispatch.DispatchRun`
    decide which unit takes which lot next (:meth:`op_done`)."""

    exclusive = False  # True: each unit has one driver (a plan, a busy period), no request

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
        self.lots: list[LotInShop] = []
        self.finished = 0
        self.all_done = self.env.event()
        self.expected: int | None = None
        self._noise: dict[tuple[str, float], Distribution] = {}
        self._nominal: dict[tuple[str, int], float] = {}
        self.stations = {s.id: s for s in scenario.stations}
        #: stations whose nominal time is quantity x cycle (not a print cell or an
        #: outsourced step)
        self.per_part = {
            s.id for s in scenario.stations if s.kind not in ("printer3d", "outsourced")
        }
        self.products = {p.id: p for p in scenario.products}
        self.variability = scenario.run.variability
        self.unit_setups = {
            u: s.setup.default > 0 or bool(s.setup.families)
            for s in scenario.stations
            for u in s.unit_names
        }
        self._travels: dict[tuple[str, str], bool] = {}
        self.inspects = any(
            self.scrap_rate(p, k) > 0 for p in scenario.products for k in range(len(p.routing))
        )
        self.quality = Quality(self.env, recorder, scenario, self.shop)
        # Why an idle unit is idle: ``pending[key]`` counts the operations of released
        # lots not yet started that the units of ``key`` could do; > 0 shows STARVED,
        # 0 shows NO_ORDER (see :meth:`demand_keys`).
        self.pending: dict[str, int] = {}
        self.key_units: dict[str, list[Unit]] = {}
        self._own_keys = type(self).demand_keys is ShopRun.demand_keys

    # -- why units are idle ---------------------------------------------------------

    def demand_keys(self, lot: LotInShop, k: int) -> Iterable[str]:
        """Whose work operation ``k`` of ``lot`` is: the stations it may run on (each
        unit of them could take it). A plan narrows this to its planned unit."""
        return lot.product.routing[k].stations.keys()  # no copy: read once per call

    def units_of(self, key: str) -> list[Unit]:
        units = self.key_units.get(key)
        if units is None:
            shop = self.shop
            names = self.station_units.get(key, [key])
            units = [shop.machines.get(n) or shop.printers[n] for n in names
                     if n in shop.machines or n in shop.printers]  # fmt: skip
            self.key_units[key] = units
        return units

    def _demand(self, lot: LotInShop, steps: range, change: int) -> None:
        pending = self.pending
        routing, own = lot.product.routing, self._own_keys
        for k in steps:
            # demand_keys() inlined where it is not overridden (the dispatcher)
            for key in routing[k].stations if own else self.demand_keys(lot, k):
                before = pending.get(key, 0)
                after = pending[key] = before + change
                if (before > 0) != (after > 0):
                    state = State.STARVED if after > 0 else State.NO_ORDER
                    for unit in self.units_of(key):
                        unit.set_idle_state(state)

    def started(self, lot: LotInShop, k: int) -> None:
        """Operation ``k`` of ``lot`` has reached its unit: no longer open work
        (:meth:`_demand` for one step, inlined: once per operation)."""
        pending = self.pending
        # demand_keys() inlined where it is not overridden (the dispatcher)
        keys = lot.product.routing[k].stations if self._own_keys else self.demand_keys(lot, k)
        for key in keys:
            after = pending[key] = pending.get(key, 0) - 1
            if after == 0:  # was 1: the units of ``key`` have nothing open any more
                for unit in self.units_of(key):
                    unit.set_idle_state(State.NO_ORDER)

    # -- lots -----------------------------------------------------------------------

    def new_lot(
        self, order_id: str, product_id: str, qty: int, release: float, due: Any
    ) -> LotInShop:
        j = len(self.lots)
        key = self.jobs_seed
        seed = (key.entropy, (*key.spawn_key, j))
        lot = LotInShop(j, order_id, self.products[product_id], qty, release, due, seed)
        self.lots.append(lot)
        return lot

    def nominal(self, lot: LotInShop, step: int, station_id: str) -> float:
        """Nominal time without the robot's handling (simulated separately)."""
        cycle = lot.product.routing[step].stations[station_id]
        if station_id in self.per_part:  # the common case: quantity x cycle
            return lot.quantity * cycle
        station = self.stations[station_id]
        if station.kind == "outsourced":  # the lead time of the whole lot
            return cycle
        if station.kind != "printer3d":
            return lot.quantity * cycle
        key = (station_id, lot.quantity)
        value = self._nominal.get(key)
        if value is None:
            value = self._nominal[key] = nominal_time(station, lot.quantity, cycle)
        return value

    def work(self, lot: LotInShop, step: int, station_id: str) -> float:
        """Actual processing time: nominal x noise drawn from the lot's stream (the
        step's cv overrides the station's; see :meth:`Scenario.operation_variability`)."""
        nominal = self.nominal(lot, step, station_id)
        if not self.variability:
            return nominal
        spec = lot.product.routing[step]
        cv = spec.cv if spec.cv is not None else self.stations[station_id].cv
        dist = spec.dist or "lognormal"
        if dist == "exponential":
            cv = 1.0
        if cv == 0 or dist == "constant":
            return nominal
        noise = self._noise.get((dist, cv))
        if noise is None:
            noise = self._noise[(dist, cv)] = with_cv(1.0, cv, dist)
        return nominal * noise.sample(lot.rng)

    def release(self, lot: LotInShop) -> None:
        self.rec(
            self.env.now, EventKind.RELEASE, "", job=lot.index, value=lot.quantity,
            product=lot.product.id,
        )  # fmt: skip
        lot.ready_at = self.env.now
        self._demand(lot, range(lot.step, len(lot.product.routing)), +1)

    def scrap_rate(self, product: Product, k: int) -> float:
        """Per-part scrap of operation ``k`` (see :func:`twin.sim.quality.scrap_rate`)."""
        return scrap_rate(product, k)

    def inspect(self, lot: LotInShop, k: int, unit: str) -> None:
        """Scrap what operation ``k`` spoiled (see :meth:`Quality.inspect`), for a
        caller that sends the lot on at once: a step with rework must go through
        :meth:`on_machine` or :meth:`operate`, which make the lot wait for it."""
        if lot.product.routing[k].rework is not None:
            raise TwinError(
                f"internal: operation {k} of lot {lot.id} has rework, which this path "
                "cannot wait for (use on_machine)"
            )
        self.quality.inspect(lot, k, unit)

    def finish(self, lot: LotInShop) -> None:
        self.rec(
            self.env.now, EventKind.FINISH, lot.location or "", job=lot.index,
            value=lot.quantity, state="" if lot.quantity else "scrap", product=lot.product.id,
        )  # fmt: skip
        self.finished += 1
        expected = self.expected
        if expected is not None and self.finished >= expected and not self.all_done.triggered:
            self.all_done.succeed()

    # -- one operation --------------------------------------------------------------

    def family(self, lot: LotInShop, unit: str) -> str | None:
        return lot.product.family_name if self.unit_setups[unit] else None

    def blocked_on(self, lot: LotInShop, unit: str) -> bool:
        """True if ``lot`` is done on ``unit`` and still blocks it (the buffer after the
        station is full): only a hand-off (:meth:`take_off`) frees the unit."""
        return lot.location == unit and lot.held is not None and not lot.held.triggered

    def take_off(self, lot: LotInShop) -> None:
        """Take a lot still blocked on its unit straight off it (it never enters the
        buffer) and free the unit."""
        assert lot.held is not None
        if lot.put is not None:
            lot.put.cancel()
        if not lot.held.triggered:
            lot.held.succeed()
        lot.held, lot.put, lot.buffer = None, None, None

    def move(self, lot: LotInShop, unit: str) -> Gen:
        """Pick the lot up where it waits and carry it to ``unit``."""
        if lot.held is not None:
            put = lot.put
            if put is not None and put.triggered:
                yield put  # the lot is in the buffer
                yield lot.buffer.get()
                lot.held, lot.put, lot.buffer = None, None, None
            else:  # still blocked on its unit by the full buffer
                self.take_off(lot)
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

    def operate(self, lot: LotInShop, unit: str) -> Gen:
        """Process the lot's current operation on ``unit``, tell the plan (or the
        dispatcher) that the lot may leave, then hand it off."""
        printer = self.shop.printers.get(unit)
        if printer is not None:
            k, product = lot.step, lot.product.id
            self.started(lot, k)
            parts = [printer.submit(lot.index, k, product) for _ in range(lot.quantity)]
            yield self.env.all_of(parts)
            reworked = self.quality.inspect(lot, k, unit)
            if reworked:  # the print cell is not held: the lot simply waits
                yield self.quality.rework(lot, k, reworked)
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

    def on_machine(self, machine: Machine, lot: LotInShop, unit: str, rest: bool = True) -> Gen:
        """Process the lot (fixture load by fixture load where someone loads it: see
        :meth:`Machine.process_loads`), then hold it (BLOCKED) until the buffer takes it.
        ``rest=False``: a driver that may start the unit's next operation at once keeps
        a plain machine BUSY (see :meth:`Machine.process`); it calls ``machine.rest()``
        when the unit falls idle."""
        k = lot.step
        self.started(lot, k)
        shop = self.shop
        station = shop.unit_station[unit]
        product = lot.product
        # work(), nominal() and family() inlined for the common case (no noise, quantity
        # x cycle, no setups)
        if self.variability:
            work = self.work(lot, k, station)
        elif station in self.per_part:
            work = lot.quantity * product.routing[k].stations[station]
        else:
            work = self.nominal(lot, k, station)
        family = product.family_name if self.unit_setups[unit] else None
        how = shop.handling.get(unit)
        if how is None:  # one plain span
            yield from machine.process(lot.index, k, work, family, product.id, rest=rest)
        else:  # fixture loads by a robot, an operator or the machine; operators
            yield from machine.process_loads(
                lot.index, k, work, family, product.id, loads=how.loads(lot.quantity),
                load=how.load, unload=how.unload, robot=how.robot, staff=how.staff,
                station=how.station, needs=how.needs,
            )  # fmt: skip
        reworked = self.quality.inspect(lot, k, unit) if self.inspects else 0
        lot.location = unit
        buffer_after = shop.buffer_after
        if buffer_after and station in buffer_after and k != len(product.routing) - 1:
            buffer = buffer_after[station]
            if buffer is None:
                lot.held, lot.put, lot.buffer = self.env.event(), None, None
            else:
                lot.put, lot.buffer = cast(Put, buffer.put(lot.index)), buffer
                lot.held = lot.put if lot.put.triggered else self._leaves_unit(lot.put)
        held = lot.held
        if reworked:
            # The unit has unloaded the lot and is free (or blocked only by a full
            # buffer), but the lot moves on only with its reworked parts: op_done()
            # (which lets the plan or the dispatcher send it on) waits for the rework,
            # a process of its own, instead of this one, which keeps the unit.
            self.quality.rework(lot, k, reworked).callbacks.append(lambda _: self.op_done(lot))
        else:
            self.op_done(lot)
        if held is not None and not held.triggered:
            machine.rest()
            machine.set_state(State.BLOCKED)
            yield held
            machine.set_state(machine.idle_state)

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

    @abstractmethod
    def op_done(self, lot: LotInShop) -> None:
        """The lot's current operation is done (it may still be held on its unit)."""
