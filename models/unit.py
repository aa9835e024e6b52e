"""What every piece of equipment shares: a state machine, a calendar, breakdowns.

A :class:`Unit` is composed into machines, robots and print cells (it *has* SimPy
events and processes, it is not one). It records each state change once, as
``record(time, "state", name, state=...)``, and provides :meth:`Unit._work`, the one
loop that spends work time while honouring shifts and failures:

- *Calendar.* While off shift a unit at rest is in state OFF. Work flagged pausable
  (attended processing, every setup) stops at the end of a shift (state OFF) and
  resumes at the next start; other work runs through.
- *Failures,* given as ``(mtbf, mttr)``. By default the time between failures counts
  operating (BUSY) time only; the failure falls inside the work loop, no process or
  interrupt needed, which keeps the hot path to one timeout per operation. With
  ``failures_count_operating_time=False`` it counts calendar time: a breakdown
  process strikes whenever due, even at rest, and interrupts the working process
  with :meth:`simpy.Process.interrupt`. Either way the unit is DOWN for the repair
  time and the interrupted work resumes with what remained. A failure due exactly
  as an operation ends strikes when the next one begins.
- *Maintenance crew* (``crew``, a :class:`~models.maintenance.MaintenanceCrew`):
  without one a repair takes its time at once, day and night. With one, the repair
  waits for a free member and its work pauses outside the crew's calendar; the unit
  is DOWN all along (the wait is part of the time to repair, as ISO 22400-2's MTTR
  counts it).
- *Planned maintenance* (``maintenance``, a
  :class:`~models.maintenance.PlannedMaintenance`); the unit shows PLANNED_DOWN
  throughout and records ``maintenance_start`` (value = the planned duration, state
  ``interval`` or ``window``) and ``maintenance_end``.

  - Interval maintenance falls due ``every`` calendar time, or operating time on the
    operating basis, after the end of the previous one. It is done when the unit is
    next at rest: it never cuts an operation, and work handed over meanwhile waits for
    it. With a crew it waits for a member (repairs go first; PLANNED_DOWN meanwhile)
    and pauses off the crew's shift.
  - Dated windows are fixed planned stops (staffed when they are planned: no crew
    member is drawn). No work starts inside one, and work under way pauses at its
    start and resumes at its end, setups and unattended work alike, as attended work
    pauses off shift. A window that opens during a repair or an interval maintenance
    begins when that ends.
  - A calendar-time failure falling due in planned maintenance strikes as it ends.

A unit with a shift calendar or calendar-time failures keeps a process alive for
ever, as in SimPy's machine-shop example: run such a shop with ``env.run(until=...)``
(a time, or an event such as "all jobs done"), not a bare ``env.run()``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Distribution, as_distribution
from models.maintenance import MAINTENANCE, REPAIR, MaintenanceCrew, PlannedMaintenance
from models.recorder import EventKind, Recorder, State, row_writer

__all__ = ["Failure", "Unit"]

Failure = tuple[float | Distribution, float | Distribution]
"""``(time between failures, time to repair)``; numbers mean constant times."""

_BREAKDOWN = object()  # the interrupt cause of a calendar-time failure
_INF = math.inf
_STATE = EventKind.STATE
_OFF = State.OFF
_IDLE = State.IDLE


_IDLE_STATES = (State.IDLE, State.STARVED, State.NO_ORDER)


def _idle_state(name: str, state: State) -> State:
    state = State(state)
    if state not in _IDLE_STATES:
        raise ValueError(f"{name}: an idle state is idle, starved or no_order, got {state}")
    return state


class Unit:
    """State, calendar and breakdown behaviour of one piece of equipment.

    Parameters
    ----------
    env
        The simulation environment.
    name
        Unit id, the ``station`` column of every record.
    recorder
        Receives every record; ``None`` records nothing (bare-physics benchmarks).
    rng
        This unit's own random stream (failures, setups, variability).
    calendar
        When the unit is staffed; default :meth:`Calendar.always`.
    attended
        True: processing needs an operator and pauses while off shift. False: it runs
        through breaks and nights (setups always pause: they need a setter).
    failure
        ``(mtbf, mttr)`` or None for a unit that never fails.
    failures_count_operating_time
        True (default): the time between failures counts BUSY time only.
    idle_state
        What the unit shows at rest: IDLE, STARVED or NO_ORDER (see
        :meth:`set_idle_state`).
    maintenance
        Planned maintenance (interval and dated windows), or None.
    crew
        The maintenance crew that repairs (and maintains) this unit; None: repairs
        need nobody and start at once.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        calendar: Calendar | DatedCalendar | None = None,
        attended: bool = True,
        failure: Failure | None = None,
        failures_count_operating_time: bool = True,
        idle_state: State = State.IDLE,
        maintenance: PlannedMaintenance | None = None,
        crew: MaintenanceCrew | None = None,
    ) -> None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{name}: rng must be a numpy Generator, got {type(rng).__name__}")
        if maintenance is not None and not isinstance(maintenance, PlannedMaintenance):
            raise TypeError(
                f"{name}: maintenance must be a PlannedMaintenance, got {maintenance!r}"
            )
        if crew is not None and not isinstance(crew, MaintenanceCrew):
            raise TypeError(f"{name}: crew must be a MaintenanceCrew, got {crew!r}")
        self.env = env
        self.name = name
        self.rng = rng
        self.calendar: Calendar | DatedCalendar = (
            calendar if calendar is not None else Calendar.always()
        )
        self._always_on = self.calendar.is_always
        self.attended = attended
        self._rec = recorder.record if recorder is not None else None
        #: the same, every column positional (the hot paths: see row_writer)
        self._row = row_writer(recorder) if recorder is not None else None
        self._state: State | None = None
        self._idle = _idle_state(name, idle_state)  # at rest and not blocked
        self._rest = self._idle  # what the unit shows when not working (twin's choice)
        self._in_job = False
        self._waiting: State | None = None  # in a job, waiting in this state (see _shifts)
        self._down = False
        self._repaired: simpy.Event | None = None
        self._worker: simpy.Process | None = None
        self._mtbf: Distribution | None = None
        self._mttr: Distribution | None = None
        self._wears = False  # failure clock on operating time, handled inline
        self._ttf = _INF  # operating time left until the next failure
        if failure is not None:
            if len(failure) != 2:
                raise ValueError(f"{name}: failure must be (mtbf, mttr), got {failure!r}")
            self._mtbf = as_distribution(failure[0], "mtbf")
            self._mttr = as_distribution(failure[1], "mttr")
            if self._mtbf.mean <= 0:
                raise ValueError(f"{name}: mtbf must be positive, got mean {self._mtbf.mean}")
            if failures_count_operating_time:
                self._wears = True
                self._ttf = self._mtbf.sample(rng)
            else:
                env.process(self._breakdowns())
        self._crew = crew
        self._planned = False  # the unit is down for planned maintenance (not a failure)
        self._failing: simpy.Event | None = None  # a failure due in planned maintenance
        self._stops: Calendar | None = None  # dated windows, as a calendar off during them
        self._pm: PlannedMaintenance | None = None  # interval maintenance
        self._pm_wear = False  # its interval counts operating time
        self._pm_due = False  # due: begins when the unit is next at rest
        self._pm_left = _INF  # calendar or busy time until it falls due
        self._pm_go: simpy.Event | None = None  # succeeds when the due maintenance begins
        if maintenance is not None:
            self._stops = maintenance.stops()
            if self._stops is not None:
                env.process(self._planned_stops(maintenance.windows))
            if maintenance.has_interval:
                self._pm = maintenance
                self._pm_wear = maintenance.operating
                self._pm_left = maintenance.every
                self._pm_go = env.event()
                env.process(self._interval_maintenance(maintenance))
        # anything can stop the unit (a failure, planned maintenance): no fast path
        self._stoppable = self._mtbf is not None or maintenance is not None
        self._enter(self._rest_state())
        if not self.calendar.is_always:
            env.process(self._shifts())

    # -- state ------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The current state (the last one recorded)."""
        assert self._state is not None
        return self._state

    @property
    def is_down(self) -> bool:
        """Broken down or in planned maintenance (:attr:`state` says which)."""
        return self._down

    @property
    def idle_state(self) -> State:
        """What the unit shows at rest when it is not blocked."""
        return self._idle

    def set_idle_state(self, state: State) -> None:
        """Why the unit is idle, kept current by its owner: IDLE (unknown), STARVED or
        NO_ORDER. Shown at once if the unit rests and is not blocked; otherwise from
        the end of its current job (or block)."""
        state = _idle_state(self.name, state)
        old, self._idle = self._idle, state
        if self._rest is old and state is not old:
            self.set_state(state)

    def set_state(self, state: State) -> None:
        """Set the state shown at rest (an idle state, or BLOCKED), for the twin.

        It shows at once unless the unit is working or down (then it shows when the
        unit comes back to rest); off shift the unit shows OFF and returns to ``state``
        when the shift starts.
        """
        state = State(state)
        if state in (State.BUSY, State.SETUP, State.DOWN, State.OFF):
            raise ValueError(f"{self.name}: set_state takes a rest state, got {state}")
        self._rest = state
        if not self._in_job and not self._down:
            self._enter(self._rest_state())

    def _rest_state(self) -> State:
        if self._always_on or self.calendar.is_on(self.env.now):
            return self._rest
        return _OFF

    def _enter(self, state: State) -> None:
        if state is not self._state:
            self._state = state
            row = self._row
            if row is not None:
                row(self.env.now, _STATE, self.name, -1, -1, state, 0.0, "")

    def _begin_job(self) -> None:
        self._in_job = True
        if self._mtbf is not None and not self._wears:
            self._worker = self.env.active_process

    def _end_job(self) -> None:
        """Back to rest after a job: the idle state (OFF off shift) unless still down,
        or the maintenance that fell due during the job."""
        self._in_job = False
        self._worker = None
        self._rest = self._idle
        if not self._down:
            if self._pm_due:  # maintenance fell due during the job: now at rest
                self._begin_maintenance()
                return
            state = self._idle if self._always_on else self._rest_state()
            if state is not self._state:
                self._enter(state)

    # -- work -------------------------------------------------------------------------

    def _work(
        self, duration: float, state: State, wear: bool, pausable: bool
    ) -> Generator[simpy.Event, Any, None]:
        """Spend ``duration`` of work in ``state``; pause while off (if ``pausable``)
        and while down. ``wear``: this work advances the operating-time failure clock."""
        env = self.env
        cal = self.calendar
        check_cal = pausable and not cal.is_always
        stops = self._stops  # dated planned stops pause all work
        pm_wear = wear and self._pm_wear
        wear = wear and self._wears
        remaining = duration
        while remaining > 0:
            if self._down:
                yield from self._await_up()
                continue
            now = env.now
            if stops is not None and not stops.is_on(now):
                try:  # the window's own process shows PLANNED_DOWN
                    yield env.timeout(stops.next_on(now) - now)
                except simpy.Interrupt as irq:
                    if irq.cause is not _BREAKDOWN:
                        raise
                continue
            if check_cal and not cal.is_on(now):
                self._enter(_OFF)
                wake = cal.next_on(now)
                if stops is not None:  # a planned stop begins first: wait it out instead
                    wake = min(wake, stops.next_off(now))
                try:
                    yield env.timeout(wake - now)
                except simpy.Interrupt as irq:
                    if irq.cause is not _BREAKDOWN:
                        raise
                continue
            self._enter(state)
            run = remaining
            if check_cal:
                run = min(run, cal.next_off(now) - now)
            if stops is not None:
                run = min(run, stops.next_off(now) - now)
            fails = wear and self._ttf < run
            if fails:
                run = self._ttf
            try:
                if run > 0:
                    yield env.timeout(run)
            except simpy.Interrupt as irq:
                if irq.cause is not _BREAKDOWN:
                    raise
                run = env.now - now
                fails = False
            remaining -= run
            if remaining < 1e-9 * (1.0 + now):  # float residue of an interrupted segment
                remaining = 0.0
            if wear:
                self._ttf -= run
            if pm_wear:
                self._pm_left -= run
                if self._pm_left <= 1e-9 * (1.0 + now):  # due: done at the next rest
                    self._pm_due = True
            if fails:
                yield from self._fail_and_repair()

    def _await_shift(self) -> Generator[simpy.Event, Any, None]:
        """Wait (state OFF) until the calendar is on and the unit is up, so that work
        handed over off shift is recorded as starting when it really starts."""
        env = self.env
        cal = self.calendar
        stops = self._stops
        while True:
            if self._down:
                yield from self._await_up()
            now = env.now
            if stops is not None and not stops.is_on(now):
                wake = stops.next_on(now)  # in a planned stop (its process shows it)
            elif cal.is_on(now):
                return
            else:
                self._enter(_OFF)
                wake = cal.next_on(now)
                if stops is not None:  # a planned stop begins first: wait it out instead
                    wake = min(wake, stops.next_off(now))
            try:
                yield env.timeout(wake - now)
            except simpy.Interrupt as irq:
                if irq.cause is not _BREAKDOWN:
                    raise

    def _await_up(self) -> Generator[simpy.Event, Any, None]:
        """Wait until the unit is up: repaired, and out of planned maintenance."""
        while self._down:
            assert self._repaired is not None
            try:
                yield self._repaired
            except simpy.Interrupt as irq:  # struck again as it came up
                if irq.cause is not _BREAKDOWN:
                    raise

    def _fail_and_repair(self) -> Generator[simpy.Event, Any, None]:
        """An operating-time failure, inside the work loop."""
        assert self._mtbf is not None and self._mttr is not None
        ttr = self._mttr.sample(self.rng)
        self._go_down(ttr)
        yield from self._repair(ttr)
        self._come_up()
        self._ttf = self._mtbf.sample(self.rng)

    def _repair(self, work: float, priority: int = REPAIR) -> Generator[simpy.Event, Any, None]:
        """``work`` of repair (or maintenance): at once without a crew, else by a
        crew member on the crew's shift."""
        if self._crew is None:
            yield self.env.timeout(work)
        else:
            yield from self._crew.serve(work, priority)

    def _go_down(self, ttr: float) -> None:
        if not self._down:  # (else it was in planned maintenance: still the same stop)
            self._down = True
            self._repaired = self.env.event()
        if self._rec is not None:
            self._rec(self.env.now, EventKind.FAILURE, self.name, value=ttr)
        self._enter(State.DOWN)

    def _come_up(self) -> None:
        if self._rec is not None:
            self._rec(self.env.now, EventKind.REPAIR, self.name)
        self._back_up()

    def _back_up(self) -> None:
        """The unit is up again: the processes waiting resume; at rest it shows its
        rest state, or begins the maintenance that fell due meanwhile."""
        self._down = False
        assert self._repaired is not None
        self._repaired.succeed()
        if not self._in_job:  # a working process sets its own state when it resumes
            if self._pm_due:
                self._begin_maintenance()
            else:
                self._enter(self._rest_state())
        elif self._waiting is not None:  # in a job, waiting (for an operator, a robot)
            on = self._always_on or self.calendar.is_on(self.env.now)
            self._enter(self._waiting if on else _OFF)

    def _breakdowns(self) -> Generator[simpy.Event, Any, None]:
        """Calendar-time failures: strike when due, at rest or at work (in planned
        maintenance: as it ends)."""
        assert self._mtbf is not None and self._mttr is not None
        env = self.env
        while True:
            yield env.timeout(self._mtbf.sample(self.rng))
            if self._planned:  # no work is under way: nothing to interrupt
                self._failing = env.event()
                yield self._failing
                ttr = self._mttr.sample(self.rng)
                self._go_down(ttr)
            else:
                ttr = self._mttr.sample(self.rng)
                self._go_down(ttr)
                worker = self._worker
                if self._in_job and worker is not None and worker.is_alive:
                    worker.interrupt(_BREAKDOWN)
            yield from self._repair(ttr)
            self._come_up()

    # -- planned maintenance -------------------------------------------------------------

    def _stop_planned(self, duration: float, what: str) -> None:
        """Planned maintenance begins (the unit is up): PLANNED_DOWN until it ends."""
        self._down = True
        self._planned = True
        self._repaired = self.env.event()
        if self._rec is not None:
            rec = self._rec
            rec(self.env.now, EventKind.MAINTENANCE_START, self.name, state=what, value=duration)
        self._enter(State.PLANNED_DOWN)

    def _end_planned(self, what: str) -> None:
        """Planned maintenance ends: up again, unless a failure fell due meanwhile."""
        self._planned = False
        if self._rec is not None:
            self._rec(self.env.now, EventKind.MAINTENANCE_END, self.name, state=what)
        failing = self._failing
        if failing is not None:  # it strikes now; the unit stays down for the repair
            self._failing = None
            failing.succeed()
        else:
            self._back_up()

    def _begin_maintenance(self) -> None:
        """The due interval maintenance begins (the unit is up and at rest)."""
        assert self._pm is not None and self._pm_go is not None
        self._pm_due = False
        self._stop_planned(self._pm.duration, "interval")
        self._pm_go.succeed()

    def _interval_maintenance(self, pm: PlannedMaintenance) -> Generator[simpy.Event, Any, None]:
        """Preventive maintenance every ``pm.every``: on the calendar basis this process
        keeps the time; on the operating basis :meth:`_work` counts busy time down."""
        env = self.env
        while True:
            if not pm.operating:
                yield env.timeout(self._pm_left)
                self._pm_due = True
                if not self._in_job and not self._down:
                    self._begin_maintenance()
            assert self._pm_go is not None
            yield self._pm_go  # it began (at the next rest)
            yield from self._repair(pm.duration, MAINTENANCE)
            self._pm_left = pm.every
            self._pm_go = env.event()
            self._end_planned("interval")

    def _planned_stops(
        self, windows: tuple[tuple[float, float], ...]
    ) -> Generator[simpy.Event, Any, None]:
        """Dated windows: PLANNED_DOWN from each start (or the end of a repair or
        maintenance under way then) to its end; :meth:`_work` pauses inside them."""
        env = self.env
        for start, end in windows:
            if start > env.now:
                yield env.timeout(start - env.now)
            while self._down:
                assert self._repaired is not None
                yield self._repaired
            if env.now >= end:
                continue
            self._stop_planned(end - env.now, "window")
            yield env.timeout(end - env.now)
            self._end_planned("window")

    def _shifts(self) -> Generator[simpy.Event, Any, None]:
        """Show OFF at rest while off shift, and the rest state again on shift."""
        env = self.env
        cal = self.calendar
        while True:
            off = cal.next_off(env.now)
            if off == _INF:
                return
            if off > env.now:
                yield env.timeout(off - env.now)
            waiting = self._waiting  # in a job but waiting (for an operator, a robot)
            if (not self._in_job or waiting is not None) and not self._down:
                self._enter(_OFF)
            on = cal.next_on(env.now)
            if on == _INF:
                return
            yield env.timeout(on - env.now)
            if self._down:
                continue
            if not self._in_job:
                self._enter(self._rest)
            elif self._waiting is not None:
                self._enter(self._waiting)
