"""Material handling in a cell: the :class:`Robot` that loads and unloads machines.

It queues callers itself (it requests its own resource inside the generator), so the
twin just runs ``yield from robot.load("M1", 0.5, job=j)``. Handling is recorded as
``transport_start`` / ``transport_end`` with station = robot, value = the duration and
state = what was done (``"load M1"``). The :class:`TransportFleet` of vehicles lives in
:mod:`models.transport`; it is re-exported here for older imports.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Distribution, as_distribution
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.recorder import EventKind, Recorder, State
from models.transport import TransportFleet, TravelTime
from models.unit import Failure, Unit

__all__ = ["Robot", "TransportFleet", "TravelTime"]


class Robot(Unit):
    """A handling robot shared by a group of machines (a cell).

    It runs through breaks unless ``attended=True``; failures follow :class:`Unit`
    (by default the MTBF counts handling time). Requests are served first come, first
    served, or by ``priority`` (lower first). ``maintenance`` and ``crew`` as for
    :class:`Unit`.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        failure: Failure | None = None,
        calendar: Calendar | DatedCalendar | None = None,
        attended: bool = False,
        failures_count_operating_time: bool = True,
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
            maintenance=maintenance,
            crew=crew,
        )
        self.resource = simpy.PriorityResource(env, capacity=1)

    def load(
        self,
        unit_name: str,
        duration: float | Distribution,
        *,
        job: int = -1,
        operation: int = -1,
        product: str = "",
        priority: int = 0,
        on_start: Callable[[], None] | None = None,
    ) -> Generator[simpy.Event, Any, float]:
        """Load a part into ``unit_name``; returns the handling time spent.
        ``on_start()`` is called when the robot begins (after any wait)."""
        return self._handle(
            f"load {unit_name}", duration, job, operation, product, priority, on_start
        )

    def unload(
        self,
        unit_name: str,
        duration: float | Distribution,
        *,
        job: int = -1,
        operation: int = -1,
        product: str = "",
        priority: int = 0,
        on_start: Callable[[], None] | None = None,
    ) -> Generator[simpy.Event, Any, float]:
        """Take a part out of ``unit_name``; returns the handling time spent.
        ``on_start()`` is called when the robot begins (after any wait)."""
        return self._handle(
            f"unload {unit_name}", duration, job, operation, product, priority, on_start
        )

    def _handle(
        self,
        what: str,
        duration: float | Distribution,
        job: int,
        operation: int,
        product: str,
        priority: int,
        on_start: Callable[[], None] | None = None,
    ) -> Generator[simpy.Event, Any, float]:
        if type(duration) is float and duration >= 0:  # the common case, once per part
            d = duration
        else:
            d = as_distribution(duration, f"{self.name} handling time").sample(self.rng)
        env = self.env
        rec = self._rec
        with self.resource.request(priority=priority) as req:
            yield req
            self._begin_job()
            if self._down:
                assert self._repaired is not None
                yield self._repaired
            if self.attended and not self._always_on:
                yield from self._await_shift()
            if on_start is not None:
                on_start()
            if rec is not None:
                rec(
                    env.now,
                    EventKind.TRANSPORT_START,
                    self.name,
                    job=job,
                    operation=operation,
                    state=what,
                    value=d,
                    product=product,
                )
            yield from self._work(d, State.BUSY, True, self.attended)
            if rec is not None:
                rec(
                    env.now,
                    EventKind.TRANSPORT_END,
                    self.name,
                    job=job,
                    operation=operation,
                    state=what,
                    value=d,
                    product=product,
                )
            self._end_job()
        return d
