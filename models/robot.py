"""Material handling: a cell :class:`Robot` and a :class:`TransportFleet` of vehicles.

Both queue callers themselves (they request their own resources inside the generator),
so the twin just runs ``yield from robot.load("M1", 0.5, job=j)`` or
``yield from fleet.move("M1", "M2", job=j)``. Handling and travel are recorded as
``transport_start`` / ``transport_end`` with station = robot or vehicle, value = the
duration and state = what was done (``"load M1"``, ``"M1->M2"``, ``"empty ->M1"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Hashable
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Distribution, as_distribution
from models.recorder import EventKind, Recorder, State
from models.unit import Failure, Unit

__all__ = ["Robot", "TransportFleet", "TravelTime"]

TravelTime = Callable[[Hashable, Hashable], float | Distribution]


class Robot(Unit):
    """A handling robot shared by a group of machines (a cell).

    It runs through breaks unless ``attended=True``; failures follow :class:`Unit`
    (by default the MTBF counts handling time). Requests are served first come, first
    served, or by ``priority`` (lower first).
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
    ) -> Generator[simpy.Event, Any, float]:
        """Load a part into ``unit_name``; returns the handling time spent."""
        return self._handle(f"load {unit_name}", duration, job, operation, product, priority)

    def unload(
        self,
        unit_name: str,
        duration: float | Distribution,
        *,
        job: int = -1,
        operation: int = -1,
        product: str = "",
        priority: int = 0,
    ) -> Generator[simpy.Event, Any, float]:
        """Take a part out of ``unit_name``; returns the handling time spent."""
        return self._handle(f"unload {unit_name}", duration, job, operation, product, priority)

    def _handle(
        self,
        what: str,
        duration: float | Distribution,
        job: int,
        operation: int,
        product: str,
        priority: int,
    ) -> Generator[simpy.Event, Any, float]:
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


class TransportFleet:
    """``vehicles`` identical vehicles (AGVs, forklifts, carts) moving jobs between
    locations; each vehicle is a unit ``"{name}.{i}"`` with IDLE/BUSY states.

    Parameters
    ----------
    env, name, recorder
        As for every unit.
    vehicles
        How many vehicles (>= 1).
    travel_time
        ``travel_time(origin, dest)``: a number or a :class:`Distribution` (then
        ``rng`` is required).
    home
        Where vehicles start. If given, vehicle positions are tracked and a vehicle
        first travels empty to the origin; None: positions are not modelled.
    rng
        Stream for random travel times.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        vehicles: int,
        travel_time: TravelTime,
        home: Hashable | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if not (isinstance(vehicles, int | np.integer) and vehicles >= 1):
            raise ValueError(f"fleet {name}: vehicles must be a positive integer, got {vehicles}")
        if not callable(travel_time):
            raise TypeError(f"fleet {name}: travel_time must be callable(origin, dest)")
        self.env = env
        self.name = name
        self.rng = rng
        self.travel_time = travel_time
        self.vehicle_names = [f"{name}.{i}" for i in range(int(vehicles))]
        self.position: list[Hashable | None] = [home] * int(vehicles)
        self._idle = simpy.Store(env, capacity=int(vehicles))
        self._idle.items.extend(range(int(vehicles)))
        self._rec = recorder.record if recorder is not None else None
        if self._rec is not None:
            for v in self.vehicle_names:
                self._rec(env.now, EventKind.STATE, v, state=State.IDLE)

    def _travel(self, origin: Hashable, dest: Hashable) -> float:
        t = self.travel_time(origin, dest)
        if isinstance(t, Distribution):
            if self.rng is None:
                raise ValueError(f"fleet {self.name}: random travel times need an rng")
            t = t.sample(self.rng)
        if not (t >= 0 and math.isfinite(t)):
            raise ValueError(f"fleet {self.name}: travel time {origin!r}->{dest!r} is {t}")
        return float(t)

    def move(
        self,
        origin: Hashable,
        dest: Hashable,
        job: int = -1,
        *,
        operation: int = -1,
        product: str = "",
    ) -> Generator[simpy.Event, Any, float]:
        """Wait for a vehicle, fetch the job at ``origin``, carry it to ``dest``.

        Returns the loaded travel time. Vehicles are taken first come, first served.
        """
        env = self.env
        rec = self._rec
        v = yield self._idle.get()
        vname = self.vehicle_names[v]
        if rec is not None:
            rec(env.now, EventKind.STATE, vname, state=State.BUSY)
        here = self.position[v]
        if here is not None and here != origin:
            empty = self._travel(here, origin)
            yield from self._leg(vname, f"empty ->{origin}", empty, -1, -1, "")
        t = self._travel(origin, dest)
        yield from self._leg(vname, f"{origin}->{dest}", t, job, operation, product)
        if here is not None:
            self.position[v] = dest
        if rec is not None:
            rec(env.now, EventKind.STATE, vname, state=State.IDLE)
        yield self._idle.put(v)
        return t

    def _leg(
        self, vname: str, what: str, t: float, job: int, operation: int, product: str
    ) -> Generator[simpy.Event, Any, None]:
        rec = self._rec
        if rec is not None:
            rec(
                self.env.now,
                EventKind.TRANSPORT_START,
                vname,
                job=job,
                operation=operation,
                state=what,
                value=t,
                product=product,
            )
        yield self.env.timeout(t)
        if rec is not None:
            rec(
                self.env.now,
                EventKind.TRANSPORT_END,
                vname,
                job=job,
                operation=operation,
                state=what,
                value=t,
                product=product,
            )
