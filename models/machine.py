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
from models.recorder import EventKind, Recorder, State
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
_OP_START = EventKind.OP_START
_OP_END = EventKind.OP_END


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
            self._mtbf is None and self._noise is None and (self.calendar.is_always or not attended)
        )

    def setup_time(self, previous: Hashable | None, family: Hashable | None) -> float:
        """Draw the setup time from ``previous`` to ``family`` (0 if either is None)."""
        if self._setup is None or previous is None or family is None:
            return 0.0
        value = self._setup(previous, family)
        if isinstance(value, Distribution):
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
    ) -> Generator[simpy.Event, Any, float]:
        """Set up if needed, then process ``work`` time units; returns the actual work.

        Run it while holding :attr:`resource`. Records setup_start/setup_end (value =
        setup time, state = new family) and op_start/op_end (value = actual work), and
        the SETUP / BUSY / OFF / DOWN states on the way; ends at rest (IDLE, or OFF
        off shift). ``family=None`` keeps the current family (no setup). Work handed
        over off shift (or while down) waits: setups and attended processing are
        recorded as starting at the next shift; unattended processing starts at once.
        """
        if not work >= 0:
            raise ValueError(
                f"{self.name}: negative work {work} (job {job}, operation {operation})"
            )
        env = self.env
        rec = self._rec
        self._in_job = True
        if self._mtbf is not None:
            if not self._wears:
                self._worker = env.active_process
            if self._down:  # struck at rest by a calendar-time failure: start after repair
                assert self._repaired is not None
                yield self._repaired
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
        if rec is not None:
            rec(
                env.now,
                _OP_START,
                self.name,
                job=job,
                operation=operation,
                value=work,
                product=product,
            )
        if self._plain:  # the hot path: one timeout, no pause or failure possible
            if work > 0:
                if self._state is not _BUSY:
                    self._enter(_BUSY)
                yield env.timeout(work)
        else:
            yield from self._work(work, _BUSY, True, self.attended)
        if rec is not None:
            rec(
                env.now,
                _OP_END,
                self.name,
                job=job,
                operation=operation,
                value=work,
                product=product,
            )
        self._end_job()
        return work

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
