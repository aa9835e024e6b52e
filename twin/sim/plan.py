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
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from models import Machine, State
from scheduler import ProblemData, Schedule
from twin.errors import TwinError
from twin.sim.core import Gen, LotInShop, ShopRun

__all__ = ["PlanRun", "check_plan"]


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
        data = self.problem
        m_index = data.machine_names.index(unit)
        for i in range(len(seq)):
            o = queue[i]
            done_on[unit] = i + 1
            j, k = op_loc[o]
            lot = lots[j]
            if gate:
                changeover = 0
                if i > 0 and data.has_setups:
                    prev = queue[i - 1]
                    changeover = int(data.setup[m_index, data.op_family[prev], data.op_family[o]])
                wait = self.plan_start[o] - changeover - self.env.now
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
                self.arrived[o].succeed()
                return
        self.env.process(self.transfer(lot, o, unit))

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
            self.arrived[o].succeed()


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
