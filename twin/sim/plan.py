"""Following a plan in the twin (see :mod:`twin.sim.execute`).

Each machine works through its planned sequence (a :class:`scheduler.Schedule` over
:func:`twin.sim.build.build_problem` of the same scenario). As soon as it has finished one
operation it sets up for the next (setup needs no part, as in the scheduler), then
waits for the lot; a lot moves to the unit of its next operation as soon as an
operation ends. So an operation starts when its unit has finished its previous planned
operation (+ setup) and the lot's previous operation is done (+ transport): with no
randomness, no breakdowns and no shifts the twin reproduces a left-shifted plan
exactly. A print cell takes the lots as they come (it batches).

The solver does not model finite buffers, so a plan can ask for the impossible: a
lot that blocks its unit (the buffer after the station is full) and whose next
operation is planned on that same unit (a routing that returns to the station) is
handed off to the unit itself, and that operation moves up to be the unit's next
(the operations planned in between wait); otherwise the unit would wait for the lot
to leave and the lot for the unit. Other plans that lock the shop behind full buffers
are reported as unfinished lots (see :func:`twin.sim.execute.execute`).

:class:`AdaptivePlanRun` follows a plan the same way and can take a new one mid-run
(:meth:`AdaptivePlanRun.adopt`), for closed-loop rescheduling.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import simpy

from models import Machine, State
from scheduler import ProblemData, Schedule
from twin.errors import TwinError
from twin.sim.core import Gen, LotInShop, ShopRun

__all__ = ["AdaptivePlanRun", "PlanRun", "check_plan"]


class PlanRun(ShopRun):
    """A run whose units follow a plan (each unit's driver is its only user)."""

    exclusive = True

    def presetup(self, machine: Machine, lot: LotInShop, k: int, family: str) -> Gen:
        """Set the machine up for the next planned operation before its lot arrives
        (only the unit's driver uses it: no resource request)."""
        yield from machine.setup(family, job=lot.index, operation=k, product=lot.product.id)

    def follow(self, plan: Schedule) -> None:
        """Start one driver process per machine; lots advance by callbacks (no process
        per lot unless it must travel or wait in a buffer: the replay's hot path)."""
        data = self.problem
        n = data.num_ops
        event = self.env.event
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
        self.plan_start = plan.start.tolist()
        self.queue: dict[str, list[int]] = {}  # each unit's planned ops, in order
        self.done_on: dict[str, int] = {}  # how many of them it has started
        for m, seq in enumerate(plan.machine_sequences(data.num_machines)):
            self.queue[names[m]], self.done_on[names[m]] = list(seq), 0
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

    def drive(self, unit: str, seq: list[int]) -> Gen:
        machine = self.shop.machines[unit]
        ready = self.unit_ready
        queue = self.queue[unit]  # seq, possibly reordered by :meth:`hand_over`
        done_on, op_loc, lots, arrived = self.done_on, self.op_loc, self.lots, self.arrived
        setups = self.unit_setups[unit]  # family() inlined: the replay's hot path
        on_machine = self.on_machine
        station = self.shop.unit_station[unit]
        # one plain span per lot and no buffer after it: on_machine() inlined below (one
        # generator less per operation)
        handled = unit in self.shop.handling
        plain = not handled and station not in self.shop.buffer_after and not self.quality.reworks
        # a setup that needs an operator waits for the lot (it is done with one, inside
        # process_loads), no anticipatory setup
        staffed = handled and self.shop.handling[unit].staff is not None
        # nominal() inlined too when it is quantity x cycle (no noise, no print estimate)
        exact = not self.variability and self.stations[station].kind not in (
            "printer3d", "outsourced",
        )  # fmt: skip
        finish, hand_over = self.finish, self.hand_over
        # A unit an operator pool staffs asks for its operator no earlier than the plan
        # starts the operation (less its changeover, done with the operator): operators
        # are granted first come, first served, so a unit that asked early would take
        # the operator the plan gave to another unit's earlier operation.
        gate = staffed and self.problem.has_resources
        m_index = self.problem.machine_names.index(unit)
        for i in range(len(seq)):
            o = queue[i]
            done_on[unit] = i + 1
            j, k = op_loc[o]
            lot = lots[j]
            if gate:
                wait = self.gate_wait(m_index, queue, i)
                if wait > 0:
                    yield self.env.timeout(wait)
            if setups and not staffed:
                fam = lot.product.family_name
                if machine.family is not None and fam != machine.family:
                    yield from self.presetup(machine, lot, k, fam)
            if ready:
                ready[o].succeed()
            yield arrived[o]
            if not plain:
                yield from on_machine(machine, lot, unit)
                continue
            k = lot.step
            self.started(lot, k)
            product = lot.product
            if exact:
                work = lot.quantity * product.routing[k].stations[station]
            else:
                work = self.work(lot, k, station)
            family = product.family_name if setups else None
            yield from machine.process(lot.index, k, work, family, product.id)
            if self.inspects:
                self.inspect(lot, k, unit)
            lot.location = unit
            held = lot.held
            if k == len(product.routing) - 1:  # op_done() (advance()) inlined
                finish(lot)
            else:
                hand_over(lot, k + 1)
            if held is not None and not held.triggered:
                machine.set_state(State.BLOCKED)
                yield held
                machine.set_state(machine.idle_state)

    def gate_wait(self, m: int, queue: list[int], i: int) -> float:
        """How long the unit (machine index ``m``) waits before asking for its operator
        for ``queue[i]``: until the planned start less the changeover from the
        operation before it, done with the operator (<= 0: ask now)."""
        data, o = self.problem, queue[i]
        changeover = 0
        if i > 0 and data.has_setups:
            prev = queue[i - 1]
            changeover = int(data.setup[m, data.op_family[prev], data.op_family[o]])
        return float(self.plan_start[o] - changeover - self.env.now)

    def demand_keys(self, lot: LotInShop, k: int) -> Iterable[str]:
        """A planned operation is work for its planned unit only."""
        return (self.plan_unit[self.first_op[lot.index] + k],)

    def start_lot(self, lot: LotInShop) -> None:
        self.release(lot)
        self.hand_over(lot, 0)

    def advance(self, lot: LotInShop) -> None:
        """Plan mode: the lot's operation is done; send it on (or finish it)."""
        if lot.step == len(lot.product.routing) - 1:
            self.finish(lot)
        else:
            self.hand_over(lot, lot.step + 1)

    op_done = advance

    def hand_over(self, lot: LotInShop, k: int) -> None:
        o = self.first_op[lot.index] + k
        unit = self.plan_unit[o]
        lot.step = k
        held = lot.held
        if held is not None and lot.location == unit and not held.triggered:
            # blocked_on(lot, unit): the same unit again, the lot stays where it is
            queue, i = self.queue[unit], self.done_on[unit]
            queue.insert(i, queue.pop(queue.index(o, i)))
            self.take_off(lot)
        if lot.held is None and unit in self.shop.machines:
            origin = lot.location  # travels() inlined for known moves
            moves = False if origin is None else self._travels.get((origin, unit))
            if moves is None:
                moves = self.travels(lot, unit)
            if not moves:
                self._arrive(o, unit)
                return
        self.env.process(self.transfer(lot, o, unit))

    def _arrive(self, o: int, unit: str) -> None:
        """The lot of operation ``o`` is at ``unit``, ready for it."""
        self.arrived[o].succeed()

    def travels(self, lot: LotInShop, unit: str) -> bool:
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

    def transfer(self, lot: LotInShop, o: int, unit: str) -> Gen:
        if lot.held is not None:
            yield self.unit_ready[o]
        yield from self.move(lot, unit)
        if unit in self.shop.printers:
            yield from self.operate(lot, unit)
        else:
            self._arrive(o, unit)


def check_plan(problem: ProblemData, plan: Schedule) -> None:
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


class AdaptivePlanRun(PlanRun):
    """A :class:`PlanRun` that can take a new plan mid-run (:meth:`adopt`): closed-loop
    rescheduling (:mod:`twin.live.loop`).

    Until the first :meth:`adopt` it does exactly what :class:`PlanRun` does (the same
    events in the same order: a test holds it to that). Each unit's driver re-reads its
    queue before every operation and waits for its lot (or its planned start) in a way
    :meth:`adopt` can interrupt. An operation is *committed* once its unit's driver has
    its lot and begins it (setup, operator, processing): a new plan moves only
    operations not committed; a committed one stays where the shop has it (reported by
    :meth:`adopt`, as the twin knows it as started only from its ``op_start``).
    """

    def follow(self, plan: Schedule) -> None:
        n = self.problem.num_ops
        self.arrived_at: list[str | None] = [None] * n  # where the lot waits for op o
        self.committed_on: list[str | None] = [None] * n
        self.op_started = [False] * n
        self.lot_released = [False] * len(self.lots)
        self.procs: dict[str, Any] = {}
        self.waiting: dict[str, bool] = {}
        self.adoptions = 0
        super().follow(plan)

    # -- the lot side ---------------------------------------------------------------

    def started(self, lot: LotInShop, k: int) -> None:
        self.op_started[self.first_op[lot.index] + k] = True
        super().started(lot, k)

    def start_lot(self, lot: LotInShop) -> None:
        self.lot_released[lot.index] = True
        super().start_lot(lot)

    def _arrive(self, o: int, unit: str) -> None:
        self.arrived_at[o] = unit
        self.arrived[o].succeed()

    def transfer(self, lot: LotInShop, o: int, unit: str) -> Gen:
        """:meth:`PlanRun.transfer`; a lot whose operation a new plan moved while it
        travelled goes on from where it arrived to its new unit."""
        if lot.held is not None:
            yield self.unit_ready[o]
            unit = self.plan_unit[o]
        yield from self.move(lot, unit)
        while self.plan_unit[o] != unit and unit not in self.shop.printers:
            lot.location, unit = unit, self.plan_unit[o]
            yield from self.move(lot, unit)
        if unit in self.shop.printers:
            yield from self.operate(lot, unit)
        else:
            self._arrive(o, unit)

    # -- the unit side --------------------------------------------------------------

    def drive(self, unit: str, seq: list[int]) -> Gen:
        env = self.env
        self.procs[unit] = env.active_process
        self.waiting[unit] = False
        machine = self.shop.machines[unit]
        ready = self.unit_ready
        op_loc, lots, arrived = self.op_loc, self.lots, self.arrived
        setups = self.unit_setups[unit]
        handled = unit in self.shop.handling
        staffed = handled and self.shop.handling[unit].staff is not None
        gate = staffed and self.problem.has_resources
        m_index = self.problem.machine_names.index(unit)
        while True:
            queue, i = self.queue[unit], self.done_on[unit]
            if i >= len(queue):  # nothing (yet): a new plan may give it work
                self.waiting[unit] = True
                with contextlib.suppress(simpy.Interrupt):
                    yield env.event()
                self.waiting[unit] = False
                continue
            o = queue[i]
            j, k = op_loc[o]
            lot = lots[j]
            if gate:
                wait = self.gate_wait(m_index, queue, i)
                if wait > 0:
                    self.waiting[unit] = True
                    try:
                        yield env.timeout(wait)
                    except simpy.Interrupt:
                        self.waiting[unit] = False
                        continue
                    self.waiting[unit] = False
            if setups and not staffed:
                fam = lot.product.family_name
                if machine.family is not None and fam != machine.family:
                    yield from self.presetup(machine, lot, k, fam)
                    queue = self.queue[unit]
                    if self.done_on[unit] != i or i >= len(queue) or queue[i] != o:
                        continue  # a new plan came during the setup
            if ready and not ready[o].triggered:
                ready[o].succeed()
            self.waiting[unit] = True
            try:
                yield arrived[o]
            except simpy.Interrupt:
                self.waiting[unit] = False
                continue
            self.waiting[unit] = False
            self.done_on[unit] = i + 1
            self.committed_on[o] = unit
            yield from self.on_machine(machine, lot, unit)

    # -- a new plan -------------------------------------------------------------------

    def adopt(self, units: Sequence[str], starts: Sequence[float]) -> list[int]:
        """Follow a new plan from now on: ``units[o]`` and ``starts[o]`` for every
        operation (the scenario problem's order). Committed operations stay where they
        are; every unit's remaining queue becomes the new plan's operations on it in
        planned order; lots waiting at a unit that no longer runs their operation move
        on; drivers waiting on a changed head are woken. Returns the operations the
        plan moved that the shop had already committed (kept where they are)."""
        n = self.problem.num_ops
        if len(units) != n or len(starts) != n:
            raise TwinError(f"adopt: a plan of {n} operations expected, got {len(units)}")
        self.adoptions += 1
        pinned = [o for o in range(n) if self.committed_on[o] not in (None, units[o])]
        heads = {u: self._head(u) for u in self.queue}
        lots, op_loc = self.lots, self.op_loc
        moved_lots: list[int] = []
        for o in range(n):
            if self.committed_on[o] is not None:
                continue
            new, old = units[o], self.plan_unit[o]
            self.plan_start[o] = int(starts[o])
            if new == old:
                continue
            j, k = op_loc[o]
            lot = lots[j]
            pending = self.lot_released[j] and not self.op_started[o]
            if pending:
                self._demand(lot, range(k, k + 1), -1)
            self.plan_unit[o] = new
            if pending:
                self._demand(lot, range(k, k + 1), +1)
            if self.arrived[o].triggered:  # the lot waits at the old unit: send it on
                moved_lots.append(o)
        by_unit: dict[str, list[tuple[float, int]]] = {u: [] for u in self.queue}
        for o in range(n):
            if self.committed_on[o] is None and self.plan_unit[o] in by_unit:
                by_unit[self.plan_unit[o]].append((self.plan_start[o], o))
        for unit, queue in self.queue.items():
            done = self.done_on[unit]
            queue[done:] = [o for _, o in sorted(by_unit[unit])]
        for o in moved_lots:
            j, k = op_loc[o]
            lot, origin = lots[j], self.arrived_at[o]
            self.arrived[o] = self.env.event()
            self.arrived_at[o] = None
            if self.unit_ready and self.unit_ready[o].triggered:
                self.unit_ready[o] = self.env.event()
            lot.location = origin
            self.env.process(self.transfer(lot, o, self.plan_unit[o]))
        for unit, proc in self.procs.items():
            if self.waiting.get(unit) and self._head(unit) != heads[unit] and proc.is_alive:
                self.waiting[unit] = False
                proc.interrupt("replanned")
        return pinned

    def _head(self, unit: str) -> tuple[int, float] | None:
        queue, i = self.queue[unit], self.done_on[unit]
        return (queue[i], self.plan_start[queue[i]]) if i < len(queue) else None
