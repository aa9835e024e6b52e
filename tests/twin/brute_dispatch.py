"""The reference for :class:`twin.sim.dispatch.DispatchRun`: the brute-force dispatcher
it replaced (a scan of every ready lot and free unit per decision), and
:class:`PerOperationDispatchRun`, the heap dispatcher with one process and resource
request per operation (as the brute-force one). Event logs of those two must be
byte-identical for every rule but ``random``; :class:`DispatchRun`, which drives each
machine with one process per busy period, orders some same-instant events differently
(tests/twin/test_dispatch_heaps.py).
"""

from __future__ import annotations

import math

import numpy as np

from twin.sim.core import Gen, LotInShop, ShopRun
from twin.sim.dispatch import DispatchRun

__all__ = ["BruteForceDispatchRun", "PerOperationDispatchRun"]


class BruteForceDispatchRun(ShopRun):
    """The dispatcher before the heaps: every decision scans every (ready lot, free
    unit) pair of the shop. O(n) per decision, obviously right."""

    def op_done(self, lot: LotInShop) -> None:
        self.dispatch_next(lot)

    def start_dispatch(self, rule: str) -> None:
        self.rule = rule
        self.ready: list[LotInShop] = []
        self.idle = set(self.shop.machines)
        self.claim: dict[str, object] = {}  # unit -> token of the run_op that owns it
        for lot in self.lots:
            self.env.process(self.enter(lot))

    def enter(self, lot: LotInShop) -> Gen:
        if lot.release > self.env.now:
            yield self.env.timeout(lot.release - self.env.now)
        self.release(lot)
        lot.work_left = sum(self.min_nominal(lot, k) for k in range(len(lot.product.routing)))
        self.ready.append(lot)
        self.dispatch()

    def min_nominal(self, lot: LotInShop, k: int) -> float:
        return min(self.nominal(lot, k, s) for s in lot.product.routing[k].stations)

    def dispatch_next(self, lot: LotInShop) -> None:
        lot.work_left -= self.min_nominal(lot, lot.step)
        if lot.step == len(lot.product.routing) - 1:
            self.finish(lot)
            return
        lot.step += 1
        lot.ready_at = self.env.now
        self.ready.append(lot)
        self.dispatch()

    def key(self, lot: LotInShop, unit: str, d: float) -> tuple[float, ...]:
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
            best: tuple[tuple[float, ...], LotInShop, str] | None = None
            for lot in self.ready:
                step = lot.product.routing[lot.step]
                for station_id in step.stations:
                    d = self.nominal(lot, lot.step, station_id)
                    for unit in self.station_units[station_id]:
                        if (
                            unit not in self.idle
                            and unit not in self.shop.printers
                            and not self.blocked_on(lot, unit)
                        ):
                            continue
                        k = (*self.key(lot, unit, d), d, lot.index, self.unit_rank[unit])
                        if best is None or k < best[0]:
                            best = (k, lot, unit)
            if best is None:
                return
            _, lot, unit = best
            self.ready.remove(lot)
            self.idle.discard(unit)
            token = self.claim[unit] = object()
            self.env.process(self.run_op(lot, unit, token))

    def run_op(self, lot: LotInShop, unit: str, token: object) -> Gen:
        yield from self.move(lot, unit)
        yield from self.operate(lot, unit)
        # A blocked unit that took its own lot back is already claimed again.
        if unit in self.shop.machines and self.claim.get(unit) is token:
            del self.claim[unit]
            self.idle.add(unit)
            self.dispatch()

    def arrivals(self, horizon: float) -> Gen:
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


class PerOperationDispatchRun(DispatchRun):
    """The heap dispatcher with the unit mechanics it had before the per-unit drivers:
    one SimPy process and one resource request per operation. Its decisions are the
    drivers' (the same heaps); only the order of same-instant events may differ."""

    exclusive = False

    def start_dispatch(self, rule: str) -> None:
        self.claim: dict[str, object] = {}  # unit -> token of the run_op that owns it
        super().start_dispatch(rule)

    def assign(self, lot: LotInShop, unit: str) -> None:
        if unit in self.idle:
            self.idle.discard(unit)
            idle = self.idle_at[self.shop.unit_station[unit]]
            idle.remove((self.unit_rank[unit], unit))
        token = self.claim[unit] = object()
        self.env.process(self.run_op(lot, unit, token))

    def run_op(self, lot: LotInShop, unit: str, token: object) -> Gen:
        yield from self.move(lot, unit)
        yield from self.operate(lot, unit)
        # A blocked unit that took its own lot back is already claimed again.
        if unit in self.shop.machines and self.claim.get(unit) is token:
            del self.claim[unit]
            nxt = self.next_lot(unit)
            if nxt is not None:
                self.assign(nxt, unit)
