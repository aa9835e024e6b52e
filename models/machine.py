"""Machining units: a generic :class:`Machine` and its CNC and manual configurations.

The twin queues jobs on ``machine.resource`` (a ``simpy.Resource`` of capacity 1, or a
``simpy.PriorityResource`` with ``priority=True``) and, while holding it, runs
``yield from machine.process(job, op, work, family, product)`` (or
``env.process(...)``). The machine does the physics: a setup when the family changes,
the processing, breakdowns and shift pauses; the twin marks BLOCKED / STARVED with
:meth:`Unit.set_state` around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Hashable, Sequence
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Constant, Distribution, as_distribution, with_cv
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.operators import Operator, Staff
from models.recorder import EventKind, Recorder, State
from models.robot import Robot
from models.unit import Failure, Unit

__all__ = ["CNCMachine", "Machine", "ManualMachine", "SetupTimes"]

SetupTimes = (
    Callable[[Hashable, Hashable], float | Distribution]
    | Sequence[Sequence[float | Distribution]]
    | np.ndarray
)
"""``f(previous_family, family) -> time`` or a matrix ``[previous][family]`` (integer
families); entries may be numbers or distributions."""

_BUSY = State.BUSY
_SETUP = State.SETUP
_WAIT_OP = State.WAITING_OPERATOR
_STARVED = State.STARVED
_OP_START = EventKind.OP_START
_OP_END = EventKind.OP_END
_STATE = EventKind.STATE


def _setup_function(
    setup_times: SetupTimes | None, name: str
) -> Callable[[Hashable, Hashable], float | Distribution] | None:
    if setup_times is None or callable(setup_times):
        return setup_times
    rows = [[as_distribution(v, "setup time") for v in row] for row in setup_times]
    if any(len(row) != len(rows) for row in rows):
        raise ValueError(f"{name}: setup matrix must be square, got {len(rows)} rows")

    def lookup(prev: Hashable, fam: Hashable) -> Distribution:
        n = len(rows)
        if not (isinstance(prev, int | np.integer) and isinstance(fam, int | np.integer)) or not (
            0 <= prev < n and 0 <= fam < n
        ):
            raise ValueError(
                f"{name}: no setup time from family {prev!r} to {fam!r} (matrix is {n}x{n})"
            )
        return rows[int(prev)][int(fam)]

    return lookup


class Machine(Unit):
    """One machine: setups by family, processing, breakdowns, shift pauses.

    Parameters
    ----------
    env, name, recorder, rng, calendar, attended, failure, failures_count_operating_time
        As for :class:`Unit`.
    maintenance, crew
        As for :class:`Unit` (planned maintenance; the maintenance crew).
    setup_times
        Time before an operation of ``family`` after one of ``previous``:
        ``setup_times(previous, family)`` or ``setup_times[previous][family]``. A zero
        diagonal means setups happen only on a family change. None: no setups.
    initial_family
        The family the machine is set up for at the start; None (default) means the
        first operation needs no setup, as in the scheduler.
    work_cv, work_kind
        Variability the machine adds: the actual time is ``work`` times a draw of mean
        1 and this cv (see :func:`with_cv`). Default 0: exact times, stream untouched
        (the twin usually samples durations itself; ``TYPICAL_WORK_CV`` is a guide).
    priority
        Queue on a ``simpy.PriorityResource`` (``request(priority=...)``, lower
        first) instead of a FIFO ``simpy.Resource`` (faster for long queues).
    """

    TYPICAL_WORK_CV = 0.1
    _attendant: Operator | None = None  # the operator whose hands run this machine now

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        setup_times: SetupTimes | None = None,
        initial_family: Hashable | None = None,
        failure: Failure | None = None,
        calendar: Calendar | DatedCalendar | None = None,
        attended: bool = True,
        failures_count_operating_time: bool = True,
        work_cv: float = 0.0,
        work_kind: str = "lognormal",
        priority: bool = False,
        idle_state: State = State.IDLE,
        per_lot_setup: float = 0.0,
        maintenance: PlannedMaintenance | None = None,
        crew: MaintenanceCrew | None = None,
    ) -> None:
        super().__init__(
            env,
            name,
            recorder,
            rng=rng,
            calendar=calendar,
            attended=attended,
            failure=failure,
            failures_count_operating_time=failures_count_operating_time,
            idle_state=idle_state,
            maintenance=maintenance,
            crew=crew,
        )
        self.resource: simpy.Resource = (
            simpy.PriorityResource(env, capacity=1) if priority else simpy.Resource(env, capacity=1)
        )
        self.family = initial_family
        self._setup = _setup_function(setup_times, name)
        if not (per_lot_setup >= 0 and math.isfinite(per_lot_setup)):
            raise ValueError(f"{name}: per_lot_setup must be >= 0, got {per_lot_setup}")
        self.per_lot_setup = float(per_lot_setup)
        noise = with_cv(1.0, work_cv, work_kind)
        self._noise: Distribution | None = None if isinstance(noise, Constant) else noise
        # the hot path: nothing can pause or vary the work, one timeout per operation
        self._plain = (
            not self._stoppable
            and self._noise is None
            and (self.calendar.is_always or not attended)
        )

    def _enter(self, state: State) -> None:
        if state is not self._state:  # Unit._enter() inlined: once per operation or so
            self._state = state
            row = self._row
            if row is not None:
                row(self.env.now, _STATE, self.name, -1, -1, state, 0.0, "")
            if self._attendant is not None:  # the operator works while the machine does
                self._attendant.at_work(state is _BUSY or state is _SETUP)

    def setup_time(self, previous: Hashable | None, family: Hashable | None) -> float:
        """Draw the setup time from ``previous`` to ``family`` (0 if either is None)."""
        if self._setup is None or previous is None or family is None:
            return 0.0
        value = self._setup(previous, family)
        # a number first: isinstance() against the Distribution protocol is slow
        if not isinstance(value, float | int) and isinstance(value, Distribution):
            value = value.sample(self.rng)
        if value < 0:
            raise ValueError(f"{self.name}: negative setup time {value} ({previous}->{family})")
        return float(value)

    def process(
        self,
        job: int,
        operation: int,
        work: float,
        family: Hashable | None = None,
        product: str = "",
        *,
        rest: bool = True,
    ) -> Generator[simpy.Event, Any, float]:
        """Set up if needed, then process ``work`` time units; returns the actual work.

        Run it while holding :attr:`resource`. Records setup_start/setup_end (value =
        setup time, state = new family) and op_start/op_end (value = actual work), and
        the SETUP / BUSY / OFF / DOWN states on the way; ends at rest (IDLE, or OFF
        off shift). ``family=None`` keeps the current family (no setup). Work handed
        over off shift (or while down) waits: setups and attended processing are
        recorded as starting at the next shift; unattended processing starts at once.

        ``rest=False``, for a caller that may start the next operation at the same
        instant: a machine that nothing can pause or vary (no failures, maintenance,
        noise or shifts) stays in its job, BUSY, instead of showing its rest state for
        zero time; the caller then starts the next operation or calls :meth:`rest`.
        Any other machine rests as usual.
        """
        if not work >= 0:
            raise ValueError(
                f"{self.name}: negative work {work} (job {job}, operation {operation})"
            )
        env = self.env
        rec = self._rec
        self._in_job = True
        if self._stoppable:
            if self._mtbf is not None and not self._wears:
                self._worker = env.active_process
            if self._down:  # struck at rest by a calendar-time failure, or in planned
                yield from self._await_up()  # maintenance: start when it is up
        setup = self.per_lot_setup  # program change, first-article check: every lot
        if family is not None:
            if self._setup is not None:
                setup += self.setup_time(self.family, family)
            self.family = family
        if setup > 0:
            yield from self._do_setup(setup, job, operation, self.family, product)
        if self._noise is not None:
            work *= self._noise.sample(self.rng)
        if self.attended and not self._always_on and work > 0:
            yield from self._await_shift()
        if self._plain:  # the hot path: one timeout, no pause or failure possible
            self.begin(job, operation, work, product)
            if work > 0:
                yield env.timeout(work)
        else:
            if rec is not None:
                rec(
                    env.now, _OP_START, self.name, job=job, operation=operation, value=work,
                    product=product,
                )  # fmt: skip
            yield from self._work(work, _BUSY, True, self.attended)
        self.end(job, operation, work, product)
        if rest or not self._plain:
            self._end_job()
        return work

    @property
    def plain(self) -> bool:
        """Nothing can pause, stop or vary this machine's work (no failures,
        maintenance, noise or shifts) and no lot needs a program change: an operation
        without a setup is one span of exactly its work (:meth:`begin`, :meth:`end`)."""
        return self._plain and self.per_lot_setup == 0

    def begin(self, job: int, operation: int, work: float, product: str = "") -> None:
        """:meth:`process` without its generator, for a caller that waits out the work
        itself (one generator less per operation), on a :attr:`plain` machine and for
        an operation without a setup: records op_start and shows BUSY (if ``work`` >
        0); the caller then yields ``env.timeout(work)`` if ``work`` > 0 and calls
        :meth:`end`. The job stays open, as ``process(..., rest=False)`` leaves it:
        :meth:`rest` ends it."""
        if not work >= 0:
            raise ValueError(
                f"{self.name}: negative work {work} (job {job}, operation {operation})"
            )
        self._in_job = True
        row = self._row
        if row is not None:
            row(self.env.now, _OP_START, self.name, job, operation, "", work, product)
        if work > 0 and self._state is not _BUSY:
            self._enter(_BUSY)

    def end(self, job: int, operation: int, work: float, product: str = "") -> None:
        """The operation :meth:`begin` (or :meth:`process`) started has done its work:
        records op_end (value = the actual work)."""
        row = self._row
        if row is not None:
            row(self.env.now, _OP_END, self.name, job, operation, "", work, product)

    def rest(self) -> None:
        """End a job that :meth:`process` with ``rest=False`` left open: show the rest
        state now (nothing if the machine is already at rest)."""
        if self._in_job:
            self._end_job()

    def process_loads(
        self,
        job: int,
        operation: int,
        work: float,
        family: Hashable | None = None,
        product: str = "",
        *,
        loads: int = 1,
        load: float = 0.0,
        unload: float = 0.0,
        robot: Robot | None = None,
        staff: Staff | None = None,
        station: str = "",
        needs: str = "load",
    ) -> Generator[simpy.Event, Any, float]:
        """Process a lot as ``loads`` fixture loads, each loaded, machined (``work /
        loads``) and unloaded; returns the machine's busy time (handling included).

        Who loads: ``robot`` (its ``load`` time each way, the machine ``starved`` while
        it waits), else an operator of ``staff`` (``load`` / ``unload`` times, the
        machine ``waiting_operator`` while none is free or on shift), else the machine
        itself (the times are part of its cycle). ``needs``, for ``staff``: ``"cycle"``
        (a manual machine: one operator runs the whole lot), ``"load"`` (setup and each
        load and unload; the operator tends other machines in between) or ``"setup"``
        (unattended: only the setup). Without staff an attended machine starts a load
        only on shift (a load under way finishes: a CNC cycle runs through the break);
        the loads that fit before the shift end are run as one span.

        Records as :meth:`process` does: op_start when the first load begins, op_end
        after the last unload (value = the busy time).
        """
        if not (isinstance(loads, int | np.integer) and loads >= 1):
            raise ValueError(f"{self.name}: loads must be a positive integer, got {loads}")
        if not (work >= 0 and load >= 0 and unload >= 0):
            raise ValueError(f"{self.name}: negative time (job {job}, operation {operation})")
        env = self.env
        rec = self._rec
        self._in_job = True  # no _worker: a calendar-time failure while it waits (for an
        # operator, the robot) only marks it down; _work then waits for the repair
        if self._down:  # broken down or in planned maintenance: start when it is up
            yield from self._await_up()
        op: Operator | None = None
        whole = needs == "cycle"
        setup = self.per_lot_setup
        if family is not None:
            if self._setup is not None:
                setup += self.setup_time(self.family, family)
            self.family = family
        if staff is not None and (needs != "setup" or setup > 0):
            self._show(_WAIT_OP)
            op = yield from staff.assign(station, whole)
        hands = None
        try:
            if whole:
                assert op is not None
                hands = op.hands.request()
                yield hands
                yield from op.on_shift()
                self._waiting = None
                self._attendant = op  # the operator works while the machine does
            if setup > 0:
                if op is not None and not whole:
                    self._show(_WAIT_OP)
                    with op.hands.request() as req:
                        yield req
                        yield from op.on_shift()
                        self._waiting = None
                        self._attendant = op
                        yield from self._spend_setup(setup, job, operation, product)
                        self._attendant = None
                        op.at_work(False)
                else:
                    yield from self._spend_setup(setup, job, operation, product)
            if needs == "setup" and op is not None and staff is not None:
                staff.release(op, False)
                op = None
            if self._noise is not None:
                work *= self._noise.sample(self.rng)
            busy = yield from self._loads(
                job, operation, product, loads, work / loads, load, unload, robot, op, needs
            )
        finally:
            self._attendant = None
            self._waiting = None
            if op is not None and staff is not None:
                if hands is not None:
                    op.hands.release(hands)
                    op.at_work(False)
                staff.release(op, whole)
        if rec is not None:
            rec(
                env.now, _OP_END, self.name, job=job, operation=operation, value=busy,
                product=product,
            )  # fmt: skip
        self._end_job()
        return busy

    def _show(self, state: State) -> None:
        """Enter ``state`` unless down (the repair shows until the work resumes). A
        wait (for an operator, the robot) shows ``off`` outside the machine's shift,
        and :meth:`Unit._shifts` switches it at the shift boundaries."""
        waiting = state is _WAIT_OP or state is _STARVED
        self._waiting = state if waiting else None
        if self._down:
            return
        if waiting and not self._always_on and not self.calendar.is_on(self.env.now):
            state = State.OFF
        self._enter(state)

    def _spend(
        self, duration: float, state: State, wear: bool, pausable: bool
    ) -> Generator[simpy.Event, Any, None]:
        """:meth:`_work`, interruptible by a calendar-time failure while it runs."""
        if self._mtbf is not None and not self._wears:
            self._worker = self.env.active_process
        yield from self._work(duration, state, wear, pausable)
        self._worker = None

    def _spend_setup(
        self, setup: float, job: int, operation: int, product: str
    ) -> Generator[simpy.Event, Any, None]:
        if self._mtbf is not None and not self._wears:
            self._worker = self.env.active_process
        yield from self._do_setup(setup, job, operation, self.family, product)
        self._worker = None

    def _loads(
        self,
        job: int,
        operation: int,
        product: str,
        loads: int,
        per_load: float,
        load: float,
        unload: float,
        robot: Robot | None,
        op: Operator | None,
        needs: str,
    ) -> Generator[simpy.Event, Any, float]:
        """The load / machine / unload cycles of :meth:`process_loads`."""
        env = self.env
        rec = self._rec
        started = False

        def begin() -> None:  # a load begins: the machine is busy, the operation open
            nonlocal started
            self._show(_BUSY)
            if not started:
                started = True
                if rec is not None:
                    rec(
                        env.now, _OP_START, self.name, job=job, operation=operation,
                        value=per_load * loads, product=product,
                    )  # fmt: skip

        busy = 0.0
        if robot is None and (op is None or needs == "cycle"):
            # the machine's own span per load: handling is part of its cycle
            each = load + per_load + unload
            on_shift = needs != "setup"  # an attended machine starts loads on shift
            done = 0
            while done < loads:
                if on_shift and not self._always_on:
                    yield from self._await_shift()
                begin()
                n = loads - done
                if on_shift and not self.attended and not self._always_on:
                    # the loads that start before the shift ends, as one span
                    off = self.calendar.next_off(env.now)
                    if off < math.inf and each > 0:
                        n = min(n, max(1, math.ceil((off - env.now) / each - 1e-9)))
                yield from self._spend(n * each, _BUSY, True, self.attended)
                busy += n * each
                done += n
            return busy
        for _ in range(loads):
            if self._down:  # no load begins on a machine that is down or in maintenance
                yield from self._await_up()
            busy += yield from self._handle(load, "load", robot, op, begin, job, operation, product)
            begin()
            yield from self._spend(per_load, _BUSY, True, self.attended)
            busy += per_load
            busy += yield from self._handle(
                unload, "unload", robot, op, begin, job, operation, product
            )
        return busy

    def _handle(
        self,
        duration: float,
        what: str,
        robot: Robot | None,
        op: Operator | None,
        begin: Callable[[], None],
        job: int,
        operation: int,
        product: str,
    ) -> Generator[simpy.Event, Any, float]:
        """One load or unload by the robot or the operator (the machine busy meanwhile)."""
        if robot is not None:
            self._show(_STARVED)
            handle = robot.load if what == "load" else robot.unload
            spent: float = yield from handle(
                self.name, duration, job=job, operation=operation, product=product,
                on_start=begin,
            )  # fmt: skip
            return spent
        assert op is not None
        if duration <= 0 and what == "unload":  # takes no time: nobody waits for a shift
            return 0.0
        self._show(_WAIT_OP)
        with op.hands.request() as req:
            yield req
            yield from op.on_shift()
            begin()
            if duration > 0:
                op.at_work(True)
                yield self.env.timeout(duration)
                op.at_work(False)
        return duration

    def setup(
        self, family: Hashable, *, job: int = -1, operation: int = -1, product: str = ""
    ) -> Generator[simpy.Event, Any, float]:
        """Change over to ``family`` before the part arrives (an anticipatory setup, as
        the scheduler's plans allow); returns the setup time (0: nothing to do).

        Run it while holding :attr:`resource`; records and states as in
        :meth:`process`, and the next :meth:`process` of ``family`` needs no setup.
        """
        setup = self.setup_time(self.family, family)
        self.family = family
        if setup <= 0:
            return 0.0
        self._begin_job()
        if self._down:
            assert self._repaired is not None
            yield self._repaired
        yield from self._do_setup(setup, job, operation, family, product)
        self._end_job()
        return setup

    def _do_setup(
        self, setup: float, job: int, operation: int, family: Hashable, product: str
    ) -> Generator[simpy.Event, Any, None]:
        """A changeover to ``family``: needs a setter, so it pauses off shift."""
        rec = self._rec
        fam = "" if family is None else str(family)
        if not self._always_on:
            yield from self._await_shift()
        if rec is not None:
            rec(
                self.env.now,
                EventKind.SETUP_START,
                self.name,
                job=job,
                operation=operation,
                state=fam,
                value=setup,
                product=product,
            )
        yield from self._work(setup, _SETUP, False, True)
        if rec is not None:
            rec(
                self.env.now,
                EventKind.SETUP_END,
                self.name,
                job=job,
                operation=operation,
                state=fam,
                value=setup,
                product=product,
            )


class CNCMachine(Machine):
    """A CNC machine: runs unattended through breaks by default; low variability
    (``TYPICAL_WORK_CV``)."""

    TYPICAL_WORK_CV = 0.03

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        attended: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(env, name, recorder, rng=rng, attended=attended, **kwargs)


class ManualMachine(Machine):
    """A conventional, operator-run machine: stops at breaks and shift ends; varies more
    from part to part (``TYPICAL_WORK_CV``)."""

    TYPICAL_WORK_CV = 0.15

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        attended: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(env, name, recorder, rng=rng, attended=attended, **kwargs)
