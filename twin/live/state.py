"""The facts of the live shop: what MES events said happened, as plain mutable records.

:class:`Facts` holds orders, operations that started, machines and operators, and
:meth:`Facts.apply` changes them for one event at its model time. Every check comes
before the first change, so an event that raises :class:`IngestError` leaves the
facts as they were. The facts know nothing of the plan (see :mod:`twin.live.twin`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from twin.errors import TwinError
from twin.live import events as ev
from twin.live.clock import Clock
from twin.scenario import Scenario
from twin.sim.build import processing_units
from twin.sim.staffing import operator_names

__all__ = ["Catalog", "Facts", "IngestError", "MachineFacts", "OpFacts", "OrderFacts"]

#: Default repair estimate (hours) for a station without ``mttr``.
DEFAULT_REPAIR_HOURS = 1.0


class IngestError(TwinError):
    """An MES event the twin cannot apply; ``code`` says why in one word
    (``invalid``, ``unknown_order``, ``unknown_operation``, ``unknown_machine``,
    ``unknown_operator``, ``unknown_product``, ``too_old``, ``conflict``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Catalog:
    """What the scenario says exists: units, their stations, routings, operators."""

    unit_station: dict[str, str]
    printers: frozenset[str]
    routings: dict[str, tuple[tuple[str, frozenset[str]], ...]]  # product -> (name, stations)
    repair: dict[str, float]  # unit -> expected repair time (model units)
    operators: dict[str, str]  # operator name -> pool
    rush_priority: int = 10  # priority of a rush order
    #: operator pools in the problem's resource order: (pool id, places per operator)
    pools: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, clock: Clock, rush_priority: int = 10) -> Catalog:
        units = processing_units(scenario)
        default = DEFAULT_REPAIR_HOURS * 3600 / clock.seconds
        return cls(
            unit_station={u: s.id for u, s in units},
            printers=frozenset(u for u, s in units if s.kind == "printer3d"),
            routings={
                p.id: tuple(
                    (st.name or f"op{k + 1}", frozenset(st.stations))
                    for k, st in enumerate(p.routing)
                )
                for p in scenario.products
            },
            repair={u: s.mttr.sampler().mean if s.mttr is not None else default for u, s in units},
            operators={n: p.id for p in scenario.operators for n in operator_names(p.id, p.count)},
            rush_priority=rush_priority,
            pools=tuple(
                (p.id, getattr(p, "machines_per_operator", 1))
                for p in scenario.operators
                if p.count > 0
            ),
        )


@dataclass
class OrderFacts:
    id: str
    product: str
    quantity: int  # parts in the lot now (scrap takes them out)
    release: float
    due: float | None
    priority: int
    steps: int
    status: str = "open"  # open | cancelled | done
    new: bool = False  # released by the MES, not in the scenario
    released_at: float | None = None
    completed_at: float | None = None


@dataclass
class OpFacts:
    machine: str
    start: float
    end: float | None = None  # None while running
    good: int = 0
    scrap: int = 0
    paused: float = 0.0  # repair time spent while it ran (finished repairs)

    @property
    def running(self) -> bool:
        return self.end is None


@dataclass
class MachineFacts:
    station: str
    state: str = "idle"  # idle | busy | setup | down
    since: float = 0.0
    running: list[tuple[str, int]] = field(default_factory=list)
    down_since: float | None = None
    expected_up: float | None = None
    family: str | None = None
    last: tuple[str, int] | None = None  # the operation it started last
    good: int = 0
    scrap: int = 0
    time_in: dict[str, float] = field(default_factory=dict)  # state -> time spent (closed)

    def enter(self, state: str, t: float) -> None:
        if state != self.state:
            self.time_in[self.state] = self.time_in.get(self.state, 0.0) + max(0.0, t - self.since)
            self.state, self.since = state, t


@dataclass
class Facts:
    """Orders, started operations, machines and operators of the live shop."""

    catalog: Catalog
    orders: dict[str, OrderFacts]
    ops: dict[tuple[str, int], OpFacts] = field(default_factory=dict)
    machines: dict[str, MachineFacts] = field(default_factory=dict)
    absent: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    #: bumped whenever what the planner reads of an order changes (a new problem)
    orders_version: int = 0

    @classmethod
    def initial(cls, scenario: Scenario, catalog: Catalog) -> Facts:
        orders = {
            o.id: OrderFacts(
                o.id,
                o.product,
                o.quantity,
                o.release,
                o.due,
                o.priority,
                len(catalog.routings[o.product]),
            )
            for o in scenario.orders
        }
        machines = {u: MachineFacts(s) for u, s in catalog.unit_station.items()}
        return cls(catalog, orders, machines=machines)

    # -- lookups that name the culprit ---------------------------------------------------

    def order(self, order_id: str, *, open_only: bool = True) -> OrderFacts:
        order = self.orders.get(order_id)
        if order is None:
            raise IngestError("unknown_order", f"unknown order {order_id!r}")
        if open_only and order.status != "open":
            raise IngestError("conflict", f"order {order_id!r} is {order.status}")
        return order

    def step(self, order: OrderFacts, step: int | str) -> int:
        routing = self.catalog.routings[order.product]
        if isinstance(step, str):
            names = [name for name, _ in routing]
            if step not in names:
                raise IngestError(
                    "unknown_operation",
                    f"order {order.id!r} ({order.product}) has no step {step!r} "
                    f"(steps: {', '.join(names)})",
                )
            return names.index(step)
        if not 0 <= step < len(routing):
            raise IngestError(
                "unknown_operation",
                f"order {order.id!r} ({order.product}) has no step {step} "
                f"(steps 0..{len(routing) - 1})",
            )
        return step

    def machine(self, name: str) -> MachineFacts:
        machine = self.machines.get(name)
        if machine is None:
            raise IngestError("unknown_machine", f"unknown machine {name!r}")
        return machine

    # -- applying one event ----------------------------------------------------------------

    def apply(self, event: Any, t: float, clock: Clock) -> list[tuple[str, dict[str, Any]]]:
        """Apply ``event`` at model time ``t``; returns what changed as ``(kind, data)``
        notices (``machine_state``, ``order_done``, ``operation``) for subscribers.

        Raises
        ------
        IngestError
            Before changing anything, when the event does not fit the facts.
        """
        handler = getattr(self, f"_on_{event.type}")
        out: list[tuple[str, dict[str, Any]]] = handler(event, t, clock)
        return out

    def _on_order_released(self, e: ev.OrderReleased, t: float, clock: Clock) -> list[Any]:
        due = None if e.due is None else clock.to_model(e.due)
        order = self.orders.get(e.order)
        if order is None:
            if e.product is None or e.quantity is None:
                raise IngestError(
                    "unknown_order",
                    f"unknown order {e.order!r}: a new order needs 'product' and 'quantity'",
                )
            if e.product not in self.catalog.routings:
                raise IngestError(
                    "unknown_product", f"order {e.order!r}: unknown product {e.product!r}"
                )
            steps = len(self.catalog.routings[e.product])
            self.orders[e.order] = OrderFacts(
                e.order,
                e.product,
                e.quantity,
                t,
                due,
                1 if e.priority is None else e.priority,
                steps,
                new=True,
                released_at=t,
            )
        else:
            if order.status != "open":
                raise IngestError("conflict", f"order {e.order!r} is {order.status}")
            if (e.order, 0) in self.ops:
                raise IngestError("conflict", f"order {e.order!r} has already started")
            if e.product is not None and e.product != order.product:
                raise IngestError(
                    "conflict", f"order {e.order!r} is for {order.product}, not {e.product}"
                )
            order.release, order.released_at = t, t
            if e.quantity is not None:
                order.quantity = e.quantity
            if due is not None:
                order.due = due
            if e.priority is not None:
                order.priority = e.priority
        self.orders_version += 1
        return [("order", {"order": e.order, "status": "released"})]

    def _on_order_cancelled(self, e: ev.OrderCancelled, t: float, clock: Clock) -> list[Any]:
        order = self.order(e.order)
        order.status = "cancelled"
        order.completed_at = t
        self.orders_version += 1
        return [("order", {"order": e.order, "status": "cancelled"})]

    def _on_order_changed(self, e: ev.OrderChanged, t: float, clock: Clock) -> list[Any]:
        order = self.order(e.order)
        if e.due is None and e.quantity is None and e.priority is None and not e.rush:
            raise IngestError("invalid", f"order_changed {e.id!r} changes nothing")
        if e.due is not None:
            order.due = clock.to_model(e.due)
        if e.quantity is not None:
            order.quantity = e.quantity
        if e.priority is not None:
            order.priority = e.priority
        if e.rush:
            order.priority = max(order.priority, self.catalog.rush_priority)
        self.orders_version += 1
        return [("order", {"order": e.order, "status": "changed", "rush": e.rush})]

    def _check_start(self, order: OrderFacts, k: int, unit: str, t: float) -> MachineFacts:
        machine = self.machine(unit)
        name, stations = self.catalog.routings[order.product][k]
        if machine.station not in stations:
            raise IngestError(
                "conflict",
                f"machine {unit!r} ({machine.station}) cannot run step {k} ({name}) of order "
                f"{order.id!r} (stations: {', '.join(sorted(stations))})",
            )
        if (order.id, k) in self.ops:
            raise IngestError("conflict", f"step {k} of order {order.id!r} has already started")
        if k > 0:
            before = self.ops.get((order.id, k - 1))
            if before is None or before.end is None or before.end > t:
                raise IngestError(
                    "conflict",
                    f"step {k} of order {order.id!r} cannot start before step {k - 1} has finished",
                )
        if machine.state == "down":
            raise IngestError("conflict", f"machine {unit!r} is down (since t={machine.since:g})")
        if machine.running and unit not in self.catalog.printers:
            other = machine.running[0]
            raise IngestError(
                "conflict", f"machine {unit!r} is busy with step {other[1]} of order {other[0]!r}"
            )
        return machine

    def _start(self, order: OrderFacts, k: int, machine: MachineFacts, unit: str, t: float) -> Any:
        self.ops[(order.id, k)] = OpFacts(unit, t)
        machine.running.append((order.id, k))
        machine.last = (order.id, k)
        machine.enter("busy", t)
        return ("machine_state", {"machine": unit, "state": "busy", "order": order.id, "step": k})

    def _on_operation_started(self, e: ev.OperationStarted, t: float, clock: Clock) -> list[Any]:
        order = self.order(e.order)
        k = self.step(order, e.step)
        machine = self._check_start(order, k, e.machine, t)
        return [self._start(order, k, machine, e.machine, t)]

    def _on_operation_finished(self, e: ev.OperationFinished, t: float, clock: Clock) -> list[Any]:
        order = self.order(e.order)
        k = self.step(order, e.step)
        op = self.ops.get((e.order, k))
        out: list[Any] = []
        if op is None:
            if e.start is None or e.machine is None:
                raise IngestError(
                    "conflict",
                    f"step {k} of order {e.order!r} has not started (give 'start' "
                    "and 'machine' to report a whole operation)",
                )
            start = clock.to_model(e.start)
            if start > t:
                raise IngestError("invalid", f"operation_finished {e.id!r}: start after end")
            machine = self._check_start(order, k, e.machine, start)
            if machine.since > start and machine.state != "idle":
                raise IngestError(
                    "conflict", f"machine {e.machine!r} changed state after the reported start"
                )
        elif op.end is not None:
            raise IngestError("conflict", f"step {k} of order {e.order!r} has already finished")
        elif e.machine is not None and e.machine != op.machine:
            raise IngestError(
                "conflict",
                f"step {k} of order {e.order!r} runs on {op.machine!r}, not {e.machine!r}",
            )
        elif t < op.start:
            raise IngestError(
                "conflict", f"step {k} of order {e.order!r} started later (t={op.start:g})"
            )
        if op is None:
            assert e.machine is not None and e.start is not None
            out.append(self._start(order, k, machine, e.machine, clock.to_model(e.start)))
            op = self.ops[(e.order, k)]
        good = max(0, order.quantity - e.scrap) if e.good is None else e.good
        op.end, op.good, op.scrap = t, good, e.scrap
        machine = self.machines[op.machine]
        machine.running.remove((e.order, k))
        machine.good += good
        machine.scrap += e.scrap
        if not machine.running and machine.state == "busy":
            machine.enter("idle", t)
        out.append(("machine_state", {"machine": op.machine, "state": machine.state}))
        if good != order.quantity:
            order.quantity = good
            self.orders_version += 1
        if k == order.steps - 1 or good == 0:
            order.status, order.completed_at = "done", t
            self.orders_version += 1
            out.append(("order_done", {"order": order.id, "good": good, "time": t}))
        return out

    def _on_machine_down(self, e: ev.MachineDown, t: float, clock: Clock) -> list[Any]:
        machine = self.machine(e.machine)
        up = clock.to_model(e.expected_up) if e.expected_up is not None else None
        if up is not None and up < t:
            raise IngestError("invalid", f"machine_down {e.id!r}: expected_up before the event")
        if machine.state != "down":
            machine.down_since = t
            machine.enter("down", t)
        machine.expected_up = up if up is not None else t + self.catalog.repair[e.machine]
        return [
            (
                "machine_state",
                {"machine": e.machine, "state": "down", "expected_up": machine.expected_up},
            )
        ]

    def _on_machine_up(self, e: ev.MachineUp, t: float, clock: Clock) -> list[Any]:
        machine = self.machine(e.machine)
        if machine.state != "down" or machine.down_since is None:
            raise IngestError("conflict", f"machine {e.machine!r} is not down")
        for key in machine.running:
            self.ops[key].paused += t - machine.down_since
        machine.down_since = machine.expected_up = None
        machine.enter("busy" if machine.running else "idle", t)
        return [("machine_state", {"machine": e.machine, "state": machine.state})]

    def _on_machine_setup(self, e: ev.MachineSetup, t: float, clock: Clock) -> list[Any]:
        machine = self.machine(e.machine)
        if machine.state == "down":
            raise IngestError("conflict", f"machine {e.machine!r} is down")
        if machine.running:
            raise IngestError("conflict", f"machine {e.machine!r} is running an operation")
        machine.family = e.family
        machine.enter("setup", t)
        return [("machine_state", {"machine": e.machine, "state": "setup"})]

    def _on_operator_absent(self, e: ev.OperatorAbsent, t: float, clock: Clock) -> list[Any]:
        if e.operator not in self.catalog.operators:
            raise IngestError("unknown_operator", f"unknown operator {e.operator!r}")
        until = None if e.until is None else clock.to_model(e.until)
        self.absent[e.operator] = (t, until)
        return [("operator", {"operator": e.operator, "present": False})]

    def _on_operator_back(self, e: ev.OperatorBack, t: float, clock: Clock) -> list[Any]:
        if e.operator not in self.catalog.operators:
            raise IngestError("unknown_operator", f"unknown operator {e.operator!r}")
        if e.operator not in self.absent:
            raise IngestError("conflict", f"operator {e.operator!r} is not absent")
        del self.absent[e.operator]
        return [("operator", {"operator": e.operator, "present": True})]

    # -- derived -----------------------------------------------------------------------

    def expected_extra(self, key: tuple[str, int], now: float) -> float:
        """Repair time an operation running now loses: its finished repairs plus the
        expected rest of a repair under way on its machine."""
        op = self.ops[key]
        machine = self.machines[op.machine]
        extra = op.paused
        if machine.state == "down" and machine.down_since is not None:
            up = machine.expected_up if machine.expected_up is not None else now
            extra += max(up, now) - machine.down_since
        return extra if math.isfinite(extra) else 0.0
