"""Online dispatch in the twin (see :mod:`twin.sim.execute`).

Rules ``spt lpt mwkr mor edd fifo random ect`` (the scheduler's names): whenever a
unit falls idle or a lot becomes ready, the rule picks among the (ready lot, idle
eligible unit) pairs; ties go to the faster unit, then the lower lot and unit index.
Arrivals (scenario ``arrivals``) only make sense here.

Each decision costs O(log n) in the n waiting lots. After every decision no waiting
lot has an idle eligible unit, so the pairs that an event makes available all involve
the lot that became ready (its eligible stations' idle units) or the unit that fell
idle (its station's waiting lots). Waiting lots sit in one heap per station keyed by
the rule (a rule's key does not change while a lot waits), and for ``ect``, whose key
depends on the unit's set-up family, one heap per station and product family. A lot
eligible at several stations sits in each heap; the copies left behind when it is
taken are skipped when they come to the top. ``random`` picks uniformly: among the free
units when a lot becomes ready, among the station's waiting lots (a list, sampled and
swap-removed) when a unit falls idle; the same law as the scan it replaced, which drew
a number per pair and decision, but other draws (tests/twin/test_dispatch_heaps.py).

A unit blocked by the lot it has just finished (the buffer after its station is full)
is not idle, but it may take that same lot for its next operation when the routing
returns to the station (re-entrant flow): the lot is handed off to the unit itself.
Without this, the lot waits for an idle unit of a station whose only unit waits for
the lot to leave: a deadlock (found by the property tests).

Each machine is driven by one process (:meth:`DispatchRun.drive`), not one process and
resource request per operation: when it frees it takes the next lot from its station's
heap itself, and while the machine is idle the driver is parked, woken by the same
urgent event that would start a new process (so events keep the order of a process per
busy period). A lot arriving from ``arrivals`` enters in the arrivals process itself.
Under two SimPy events per operation instead of five or six. Two things keep the runs
as they were: a driver about to start its next lot at the instant it started other
units' operations first gives way to those (a zero timeout), so shared operators and
robots are served in the old order; and a machine that nothing can stop stays BUSY
from one lot to the next instead of showing its rest state for zero time
(:meth:`Machine.process` with ``rest=False``, or :meth:`Machine.begin` and
:meth:`Machine.end`). KPIs are the same to the last bit on every bundled scenario; the
log loses the zero-time rests and orders some same-instant events differently
(tests/twin/test_dispatch_heaps.py).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right, insort
from typing import Any

import numpy as np
from simpy.events import Initialize, Process

from twin.sim.core import Gen, LotInShop, ShopRun

__all__ = ["RULES", "DispatchRun"]

RULES = ("spt", "lpt", "mwkr", "mor", "edd", "fifo", "random", "ect")


class DispatchRun(ShopRun):
    """A run dispatched online by a rule; a machine is driven by one process per busy
    period (:meth:`drive`), which takes the next lot when the machine frees."""

    exclusive = True

    def start_dispatch(self, rule: str) -> None:
        self.rule = rule
        self.idle = set(self.shop.machines)
        #: machine -> the lot it took back while blocked by it (re-entry), run next
        self.reclaimed: dict[str, LotInShop] = {}
        #: machine -> its driver (:meth:`drive`), once it has had a lot
        self._drivers: dict[str, Process] = {}
        #: machine -> the lot handed to its parked driver, which takes it when woken
        self._handed: dict[str, LotInShop] = {}
        self._spawned = -math.inf  # when the last driver or print process was started
        rank = self.unit_rank
        printers = self.shop.printers
        #: station -> its idle machines as (rank, unit), lowest rank first
        self.idle_at: dict[str, list[tuple[int, str]]] = {}
        #: station -> its print cell units, lowest rank first (always free: a print
        #: cell queues parts itself)
        self.printer_at: dict[str, list[str]] = {}
        for station, units in self.station_units.items():
            cells = [u for u in units if u in printers]
            if cells:
                self.printer_at[station] = sorted(cells, key=rank.__getitem__)
            self.idle_at[station] = sorted((rank[u], u) for u in units if u in self.shop.machines)
        #: station (ect: (station, family)) -> heap of (*key, lot index, stamp, lot)
        self.waiting: dict[Any, list[tuple[Any, ...]]] = {}
        self._stamp: dict[int, int] = {}  # lot index -> stamp of its current wait (-1: none)
        self._stamps = 0
        #: product -> per step, the least cycle if every station is per part, else None
        self._min_cycle = {
            p.id: [
                min(step.stations.values())
                if all(x in self.per_part for x in step.stations) else None
                for step in p.routing
            ]
            for p in self.scenario.products
        }  # fmt: skip
        for lot in self.lots:
            self.env.process(self.enter(lot))

    def enter(self, lot: LotInShop) -> Gen:
        if lot.release > self.env.now:
            yield self.env.timeout(lot.release - self.env.now)
        self.admit(lot)

    def admit(self, lot: LotInShop) -> None:
        """``lot`` is released now: record it and make it ready for its first step."""
        self.release(lot)
        if self.rule == "mwkr":  # the only rule that reads it
            lot.work_left = sum(self.min_nominal(lot, k) for k in range(len(lot.product.routing)))
        self.make_ready(lot)

    def min_nominal(self, lot: LotInShop, k: int) -> float:
        """The least nominal time of operation ``k`` over its stations (for mwkr)."""
        cycle = self._min_cycle[lot.product.id][k]
        if cycle is not None:  # quantity x the least cycle: the same float as the min
            return lot.quantity * cycle
        return min(self.nominal(lot, k, s) for s in lot.product.routing[k].stations)

    def op_done(self, lot: LotInShop) -> None:
        """Send the lot on to its next step (or finish it)."""
        if self.rule == "mwkr":
            lot.work_left -= self.min_nominal(lot, lot.step)
        if lot.step == len(lot.product.routing) - 1:
            self.finish(lot)
            return
        lot.step += 1
        lot.ready_at = self.env.now
        self.make_ready(lot)

    def key(self, lot: LotInShop, unit: str | None, d: float) -> tuple[float, ...]:
        """The rule's priority of ``lot`` on ``unit`` (``d``: its nominal time there);
        lower first. Only ``ect`` looks at the unit."""
        rule = self.rule
        if rule == "fifo":
            return (lot.ready_at, lot.release, d)
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
        if rule == "random":
            return (float(self.rule_rng.random()),)
        assert unit is not None
        return (self._setup(lot, unit) + d,)

    def _setup(self, lot: LotInShop, unit: str) -> float:
        """ect: the setup ``unit`` needs before ``lot`` (nominal)."""
        machine = self.shop.machines.get(unit)
        fam = self.family(lot, unit)
        if machine is None or fam is None or machine.family is None:
            return 0.0
        return self.stations[self.shop.unit_station[unit]].setup.time(str(machine.family), fam)

    # -- decisions ----------------------------------------------------------------------

    def make_ready(self, lot: LotInShop) -> None:
        """``lot`` waits for its next operation: take the best free eligible unit, or
        wait in the heaps of its eligible stations."""
        k = lot.step
        stations = lot.product.routing[k].stations
        rule = self.rule
        if len(stations) == 1 and lot.held is None and rule != "ect" and rule != "random":
            # the common case, as below: one station, not blocked, the unit plays no
            # part in the key; the lowest-ranked idle unit, else wait in one heap
            for station_id in stations:
                if station_id not in self.printer_at:
                    idle = self.idle_at[station_id]
                    if idle:
                        self._stamp[lot.index] = -1
                        self.assign(lot, idle[0][1])
                        return
                    if station_id in self.per_part:  # nominal() inlined: quantity x cycle
                        d = lot.quantity * stations[station_id]
                    else:
                        d = self.nominal(lot, k, station_id)
                    stamp = self._stamp[lot.index] = self._stamps
                    self._stamps += 1
                    heap = self.waiting.get(station_id)
                    if heap is None:
                        heap = self.waiting[station_id] = []
                    if rule == "fifo":  # key() inlined
                        entry: tuple[Any, ...] = (
                            lot.ready_at,
                            lot.release,
                            d,
                            d,
                            lot.index,
                            stamp,
                            lot,
                        )
                    else:
                        entry = (*self.key(lot, None, d), d, lot.index, stamp, lot)
                    heapq.heappush(heap, entry)
                    return
        rank = self.unit_rank
        best: tuple[Any, ...] | None = None
        best_unit = ""
        blocked = lot.location if lot.held is not None else None
        every_unit = rule == "ect" or rule == "random"  # the key depends on the unit (a draw)
        nominal = [(x, self.nominal(lot, k, x)) for x in stations]  # reused if it waits
        printer_at, idle_at = self.printer_at, self.idle_at
        for station_id, d in nominal:
            cells = printer_at.get(station_id)
            idle = idle_at[station_id]
            if not cells and not idle and blocked is None:
                continue  # the common case under load: nothing free here
            candidates: list[str] = []
            if cells:
                candidates += cells if every_unit else cells[:1]
            if idle:
                candidates += [u for _, u in idle] if every_unit else [idle[0][1]]
            if (
                blocked is not None
                and self.shop.unit_station.get(blocked) == station_id
                and self.blocked_on(lot, blocked)
            ):
                candidates.append(blocked)
            for unit in candidates:
                pair = (*self.key(lot, unit, d), d, lot.index, rank[unit])
                if best is None or pair < best:
                    best, best_unit = pair, unit
        if best is not None:
            self._stamp[lot.index] = -1
            self.assign(lot, best_unit)
            return
        stamp = self._stamp[lot.index] = self._stamps
        self._stamps += 1
        waiting = self.waiting
        for station_id, d in nominal:
            if rule == "ect":
                where: Any = (station_id, lot.product.family_name)
                entry = (d, lot.index, stamp, lot)
            elif rule == "random":  # a plain list, sampled uniformly
                pool = waiting.get(station_id)
                if pool is None:
                    pool = waiting[station_id] = []
                pool.append((lot.index, stamp, lot))
                continue
            else:
                where = station_id
                entry = (*self.key(lot, None, d), d, lot.index, stamp, lot)
            heap = waiting.get(where)
            if heap is None:
                heap = waiting[where] = []
            heapq.heappush(heap, entry)

    def next_lot(self, unit: str) -> LotInShop | None:
        """``unit`` fell idle: the best lot waiting for its station (taken), or None
        (the unit is now idle)."""
        station_id = self.shop.unit_station[unit]
        if self.rule == "ect":
            lot = self._best_ect(station_id, unit)
        elif self.rule == "random":
            lot = self._pick(self.waiting.get(station_id))
        else:
            lot = self._pop(self.waiting.get(station_id))
        if lot is None:
            self.idle.add(unit)
            insort(self.idle_at[station_id], (self.unit_rank[unit], unit))
            return None
        self._stamp[lot.index] = -1
        return lot

    def _valid(self, entry: tuple[Any, ...]) -> bool:
        return self._stamp.get(entry[-3], -1) == entry[-2]

    def _pop(self, heap: list[tuple[Any, ...]] | None) -> LotInShop | None:
        """The top lot still waiting (copies of lots taken elsewhere dropped)."""
        stamp = self._stamp
        while heap:
            entry = heapq.heappop(heap)
            if stamp.get(entry[-3], -1) == entry[-2]:  # _valid() inlined: once per operation
                lot: LotInShop = entry[-1]
                return lot
        return None

    def _pick(self, pool: list[tuple[Any, ...]] | None) -> LotInShop | None:
        """random: a lot drawn uniformly among those still waiting (rejection of the
        copies of lots taken elsewhere, which are dropped)."""
        rng = self.rule_rng
        while pool:
            i = int(rng.integers(len(pool)))
            entry = pool[i]
            pool[i] = pool[-1]
            pool.pop()
            if self._valid(entry):
                lot: LotInShop = entry[-1]
                return lot
        return None

    def _best_ect(self, station_id: str, unit: str) -> LotInShop | None:
        """ect: over the families waiting at the station, the least setup + nominal."""
        best: tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None = None
        for fam in self._families(station_id):
            heap = self.waiting.get((station_id, fam))
            while heap and not self._valid(heap[0]):
                heapq.heappop(heap)
            if not heap:
                continue
            d, index, _, lot = heap[0]
            pair = (self._setup(lot, unit) + d, d, index)
            if best is None or pair < best[0]:
                best = (pair, heap)
        if best is None:
            return None
        return self._pop(best[1])

    def _families(self, station_id: str) -> list[str]:
        cache: dict[str, list[str]] = self.__dict__.setdefault("_fams", {})
        fams = cache.get(station_id)
        if fams is None:
            fams = cache[station_id] = sorted(
                {p.family_name for p in self.scenario.products
                 if any(station_id in step.stations for step in p.routing)}
            )  # fmt: skip
        return fams

    def assign(self, lot: LotInShop, unit: str) -> None:
        """Start ``lot``'s next operation on ``unit``: an idle machine gets a driver,
        a machine blocked by this very lot takes it back (its driver runs it next), a
        print cell gets the lot's own process (it queues parts itself)."""
        if unit in self.idle:
            self.idle.discard(unit)
            idle = self.idle_at[self.shop.unit_station[unit]]
            idle.remove((self.unit_rank[unit], unit))
            driver = self._drivers.get(unit)
            if driver is None:
                self._drivers[unit] = self.env.process(self.drive(unit, lot))
            else:  # wake the parked driver with the event that starts a new process
                self._handed[unit] = lot  # (urgent, scheduled here: the same order)
                Initialize(self.env, driver)
            self._spawned = self.env.now
        elif unit in self.shop.machines:  # re-entry: blocked by ``lot``, which it takes
            self.take_off(lot)  # frees the driver, which runs ``lot`` next
            self.reclaimed[unit] = lot
        else:
            self.env.process(self.run_print(lot, unit))
            self._spawned = self.env.now

    def drive(self, unit: str, lot: LotInShop) -> Gen:
        """The driver of a machine: run ``lot``, then the lots the rule hands it
        whenever it frees, until none waits; then the machine is idle and the driver
        parks until :meth:`assign` hands it a lot and wakes it. One process per
        machine, not per operation or busy period (the two SimPy events of a process
        that starts and ends, saved), and no resource request: the driver is the
        machine's only user. It is woken by the same urgent event that starts a
        process, at the same point, so the order of events is that of a new process
        per busy period."""
        shop = self.shop
        machine = shop.machines[unit]
        env = self.env
        move, on_machine, next_lot = self.move, self.on_machine, self.next_lot
        reclaimed = self.reclaimed
        # without transport a lot that no full buffer holds is where it must be
        carried = shop.fleet is not None or self.scenario.transport is not None
        # one plain span per lot, no buffer after the station and no rework anywhere:
        # on_machine() inlined below (one generator less per operation), as in
        # PlanRun.drive; work() is nominal() here, and that is quantity x cycle where
        # the station is per part and nothing varies
        station = shop.unit_station[unit]
        plain = (
            unit not in shop.handling
            and station not in shop.buffer_after
            and not self.quality.reworks
        )
        exact = not self.variability and station in self.per_part
        setups = self.unit_setups[unit]
        started, work_of, op_done, process = self.started, self.work, self.op_done, machine.process
        inspect = self.quality.inspect if self.inspects else None
        handed = self._handed
        # a plain machine and no setups: the operation is begin(), its work, end()
        fast = machine.plain and not setups
        begin, end = machine.begin, machine.end
        timeout = env.timeout  # (a bound class: made anew on every attribute access)
        while True:
            if lot.held is not None or (carried and lot.location is not None):
                machine.rest()  # the machine waits for the lot at rest, not BUSY
                yield from move(lot, unit)
            # a plain machine stays BUSY into its next operation (no zero-time rest)
            if plain:  # lot.held is None: move() took it off its last unit
                k = lot.step
                started(lot, k)
                product = lot.product
                if exact:
                    work = lot.quantity * product.routing[k].stations[station]
                else:
                    work = work_of(lot, k, station)
                if fast:  # process() inlined: one generator less again
                    begin(lot.index, k, work, product.id)
                    if work > 0:
                        yield timeout(work)
                    end(lot.index, k, work, product.id)
                else:
                    family = product.family_name if setups else None
                    yield from process(lot.index, k, work, family, product.id, rest=False)
                if inspect is not None:
                    inspect(lot, k, unit)
                lot.location = unit
                op_done(lot)
            else:
                yield from on_machine(machine, lot, unit, False)
            nxt = reclaimed.pop(unit, None) if reclaimed else None
            if nxt is None:
                nxt = next_lot(unit)
                if nxt is None:
                    machine.rest()
                    yield env.event()  # parked while idle: assign() wakes it
                    nxt = handed.pop(unit)
                elif self._spawned == env.now:
                    # give way to the operations started at this instant (their
                    # processes begin first), as a process per operation did: who
                    # gets a shared operator or robot first, and which of two lots
                    # that tie is taken first, stay the same
                    yield env.timeout(0)
            lot = nxt

    def run_print(self, lot: LotInShop, unit: str) -> Gen:
        yield from self.move(lot, unit)
        yield from self.operate(lot, unit)

    def arrivals(self, horizon: float) -> Gen:
        spec = self.scenario.arrivals
        assert spec is not None
        inter = spec.interarrival.sampler()
        qty = spec.quantity.sampler()
        products = list(spec.probabilities)
        # rng.choice(n, p=probs) without its per-call set-up: the same cumulative
        # weights and one uniform draw, so the same products from the same stream
        cdf = np.array([spec.probabilities[p] for p in products]).cumsum()
        cdf = (cdf / cdf[-1]).tolist()
        rng = self.arrivals_rng
        env = self.env
        n = 0
        wait = env.timeout(inter.sample(rng))
        while True:
            yield wait
            now = env.now
            if now >= horizon:
                return
            n += 1
            product = products[bisect_right(cdf, rng.random())]
            q = max(1, round(qty.sample(rng)))
            due = None if spec.due_after is None else now + spec.due_after
            lot = self.new_lot(f"A-{n}", product, q, now, due)
            # The lot enters here, not in a process of its own (two SimPy events less
            # per lot): that process would have run right after this step (an urgent
            # event, the only one at this instant), so the next arrival is drawn and
            # scheduled first, as before, and nothing else happens in between.
            wait = env.timeout(inter.sample(rng))
            self.admit(lot)
