"""Quality at every operation: the parts it spoils, and what becomes of them.

After each operation the parts it spoiled are drawn part by part (binomial, from the
lot's own stream: common random numbers whatever the plan) at the step's scrap rate,
on the last step combined with the product's final inspection. Without ``rework`` on
the step they are all scrap and leave the lot. With it (:class:`Rework`),
``binomial(bad, share)`` of them are reworked at a unit of the rework station and
rejoin the lot good; the rest are scrap. The share is drawn only when there is a
choice (0 < share < 1), so a run without rework keeps its random streams.

Events: ``scrap`` for the parts taken out of the lot and ``rework`` (:data:`REWORK`)
for the parts sent to rework, both at the unit whose operation spoiled them (the
quality loss is charged where the defect arose; value = parts). The rework itself is
an ordinary operation of the rework unit: op_start/op_end with the lot's job and the
same operation index (the KPI scan tells it from the step's own operation by the
``rework`` event that comes first).

A rework station is used by no routing step (:mod:`twin.scenario.checks`), so no
plan or rule sends work to it: reworks queue on its units' resources alone, whoever
drives the other units. The scheduler does not know about rework.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import numpy as np
import simpy

from models import Machine
from models.distributions import Distribution, with_cv
from models.recorder import EventKind, Recorder
from twin.scenario import Product, Scenario
from twin.sim.build import Shop

__all__ = ["REWORK", "Lot", "Quality", "scrap_rate"]

#: Event kind: parts of (job, operation) found bad on the station and sent to rework;
#: value = parts (they stay in the lot). Not yet in :class:`EventKind`.
REWORK = EventKind.REWORK


class Lot(Protocol):
    """What inspection reads and changes of a lot (:class:`twin.sim.core.LotInShop`)."""

    index: int
    quantity: int
    product: Product

    @property
    def rng(self) -> np.random.Generator: ...


def scrap_rate(product: Product, k: int) -> float:
    """Per-part scrap of operation ``k``: the step's own, and on the last step the
    product's final-inspection rate too (independent causes)."""
    rate = product.routing[k].scrap_rate
    if k == len(product.routing) - 1:
        rate = 1.0 - (1.0 - rate) * (1.0 - product.scrap_rate)
    return rate


class Quality:
    """Inspection after every operation of a run, and its rework stations."""

    def __init__(
        self, env: simpy.Environment, record: Recorder, scenario: Scenario, shop: Shop
    ) -> None:
        self.env = env
        self.rec = record.record
        self.shop = shop
        self.variability = scenario.run.variability
        used = {
            step.rework.station
            for p in scenario.products
            for step in p.routing
            if step.rework is not None
        }
        #: True if some routing step has rework (a caller that cannot make the lot wait
        #: for it must not inspect such a step: see :meth:`ShopRun.inspect`)
        self.reworks = bool(used)
        benches = [s for s in scenario.stations if s.id in used]
        self.benches = {s.id: [shop.machines[u] for u in s.unit_names] for s in benches}
        self.cv = {s.id: s.cv for s in benches}
        self._noise: dict[float, Distribution] = {}

    def inspect(self, lot: Lot, k: int, unit: str) -> int:
        """Draw the parts operation ``k`` spoiled; take the scrap out of the lot now and
        return how many parts go to rework (they stay in the lot: see :meth:`rework`).
        A lot whose parts are all scrapped goes on empty (its later operations take no
        time) and finishes as scrapped."""
        rate = scrap_rate(lot.product, k)
        if rate <= 0 or lot.quantity == 0:
            return 0
        rng = lot.rng
        bad = int(rng.binomial(lot.quantity, rate))
        if not bad:
            return 0
        spec = lot.product.routing[k].rework
        redo = 0
        if spec is not None and spec.share > 0:
            redo = bad if spec.share >= 1 else int(rng.binomial(bad, spec.share))
        now, job, product = self.env.now, lot.index, lot.product.id
        if bad > redo:
            lot.quantity -= bad - redo
            self.rec(
                now, EventKind.SCRAP, unit, job=job, operation=k, value=bad - redo,
                product=product,
            )  # fmt: skip
        if redo:
            self.rec(now, REWORK, unit, job=job, operation=k, value=redo, product=product)
        return redo

    def rework(self, lot: Lot, k: int, parts: int) -> simpy.Process:
        """Rework ``parts`` of the lot (spoiled by its operation ``k``) at the step's
        rework station; the process ends when they are good again."""
        return self.env.process(self._rework(lot, k, parts))

    def _rework(self, lot: Lot, k: int, parts: int) -> Generator[simpy.Event, Any, None]:
        spec = lot.product.routing[k].rework
        assert spec is not None
        work = parts * spec.cycle
        cv = self.cv[spec.station]
        if self.variability and cv > 0 and work > 0:  # the rework station's own noise
            noise = self._noise.get(cv)
            if noise is None:
                noise = self._noise[cv] = with_cv(1.0, cv, "lognormal")
            work *= noise.sample(lot.rng)
        machine = self._bench(spec.station)
        product = lot.product.id
        with machine.resource.request() as req:
            yield req
            how = self.shop.handling.get(machine.name)
            if how is None:
                yield from machine.process(lot.index, k, work, None, product)
            else:  # as :meth:`ShopRun.on_machine` does
                yield from machine.process_loads(
                    lot.index, k, work, None, product, loads=how.loads(parts),
                    load=how.load, unload=how.unload, robot=how.robot, staff=how.staff,
                    station=how.station, needs=how.needs,
                )  # fmt: skip

    def _bench(self, station: str) -> Machine:
        """The unit of ``station`` with the fewest reworks on it or waiting (the first
        of equals)."""
        units = self.benches[station]
        if len(units) == 1:
            return units[0]
        return min(units, key=lambda m: len(m.resource.users) + len(m.resource.queue))
