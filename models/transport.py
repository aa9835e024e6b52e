"""Transport: a :class:`TransportFleet` of vehicles (AGVs, forklifts, carts).

The twin runs ``yield from fleet.move("M1", "M2", job=j)``: the move waits for a
vehicle, which fetches the lot at the origin and carries it to the destination. Each
vehicle is a unit ``"{fleet}.{i}"`` of the shop like any other: it records its states
(BUSY on every leg, loaded or empty; IDLE at rest; OFF at rest off shift), so it draws
power and counts in 设备联网率. Every leg is recorded as ``transport_start`` /
``transport_end`` with station = vehicle, value = the travel time and state = the leg
(``"M1->M2"`` loaded, ``"empty ->M1"`` empty).

- *Positions.* With a ``home``, vehicles start there and their positions are tracked:
  a vehicle first travels empty from where it is to the pickup, and a request takes the
  idle vehicle nearest to the pickup (shortest expected empty travel; ties: lowest
  index). Without a home, positions are not modelled and vehicles are taken in the
  order they came free.
- *Requests* are served first come, first served.
- *Calendar.* A vehicle starts a move (its empty leg included) only on shift; a move
  under way finishes. A request made off shift waits for the next shift.
- *Parking.* ``park="stay"``: a vehicle waits where it dropped its last lot.
  ``park="home"``: after a delivery, if no request is waiting, it travels empty back
  home (BUSY), even past the end of the shift (it puts itself away); a request made on
  the way is served once it is home (it has no position between two places).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Hashable
from typing import Any, Literal

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Distribution
from models.recorder import EventKind, Recorder, State
from models.unit import Unit

__all__ = ["TransportFleet", "TravelTime"]

TravelTime = Callable[[Hashable, Hashable], float | Distribution]
_INF = math.inf


class _Vehicle(Unit):
    """One vehicle: BUSY on its legs, at rest IDLE (OFF off shift). It does not fail."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        rng: np.random.Generator,
        calendar: Calendar | DatedCalendar,
    ) -> None:
        super().__init__(env, name, recorder, rng=rng, calendar=calendar, attended=True)

    def reserve(self) -> None:
        """Taken for a move: shift boundaries no longer change what it shows."""
        self._begin_job()

    def drive(self) -> None:
        self._enter(State.BUSY)

    def rest(self) -> None:
        """Back at rest: IDLE, or OFF off shift."""
        self._end_job()


class TransportFleet:
    """``vehicles`` identical vehicles moving jobs between locations (see the module
    docstring for how they are chosen, follow a calendar and park).

    Parameters
    ----------
    env, name, recorder
        As for every unit.
    vehicles
        How many vehicles (>= 1).
    travel_time
        ``travel_time(origin, dest)``: a number or a :class:`Distribution` (then
        ``rng`` is required; the nearest vehicle is chosen by the mean).
    home
        Where vehicles start. If given, vehicle positions are tracked, a vehicle first
        travels empty to the origin and the nearest idle vehicle is taken; None:
        positions are not modelled.
    rng
        Stream for random travel times.
    calendar
        When vehicles may start a move; default always.
    park
        ``"stay"`` (wait where the last lot was dropped) or ``"home"`` (return home
        when no request waits; needs ``home``).
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
        calendar: Calendar | DatedCalendar | None = None,
        park: Literal["stay", "home"] = "stay",
    ) -> None:
        if not (isinstance(vehicles, int | np.integer) and vehicles >= 1):
            raise ValueError(f"fleet {name}: vehicles must be a positive integer, got {vehicles}")
        if not callable(travel_time):
            raise TypeError(f"fleet {name}: travel_time must be callable(origin, dest)")
        if park not in ("stay", "home"):
            raise ValueError(f"fleet {name}: park must be 'stay' or 'home', got {park!r}")
        if park == "home" and home is None:
            raise ValueError(f"fleet {name}: park='home' needs a home")
        n = int(vehicles)
        self.env = env
        self.name = name
        self.rng = rng
        self.travel_time = travel_time
        self.home = home
        self.park = park
        self.calendar: Calendar | DatedCalendar = (
            calendar if calendar is not None else Calendar.always()
        )
        self._always_on = self.calendar.is_always
        self.vehicle_names = [f"{name}.{i}" for i in range(n)]
        self.position: list[Hashable | None] = [home] * n
        self._free = list(range(n))  # vehicles at rest, in the order they came free
        self._waiting: deque[tuple[simpy.Event, Hashable]] = deque()  # requests, FCFS
        self._rec = recorder.record if recorder is not None else None
        if not self._always_on:
            # made before the vehicles: at a shift start it hands out the vehicles first,
            # so a vehicle taken at once goes OFF -> BUSY without an instant of IDLE
            env.process(self._shift_starts())
        unit_rng = rng if rng is not None else np.random.default_rng(0)  # never drawn
        self._vehicles = [
            _Vehicle(env, v, recorder, unit_rng, self.calendar) for v in self.vehicle_names
        ]

    def _travel(self, origin: Hashable, dest: Hashable) -> float:
        t = self.travel_time(origin, dest)
        # a number first: isinstance() against the Distribution protocol is slow
        if not isinstance(t, float | int) and isinstance(t, Distribution):
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

        Returns the loaded travel time.
        """
        v = yield self._request(origin)
        vehicle = self._vehicles[v]
        vname = self.vehicle_names[v]
        vehicle.drive()
        here = self.position[v]
        if here is not None and here != origin:
            empty = self._travel(here, origin)
            yield from self._leg(vname, f"empty ->{origin}", empty, -1, -1, "")
        t = self._travel(origin, dest)
        yield from self._leg(vname, f"{origin}->{dest}", t, job, operation, product)
        if here is not None:
            self.position[v] = dest
        if self.park == "home" and dest != self.home and not self._waiting:
            self.env.process(self._go_home(v))  # the lot is delivered: its job goes on
            return t
        vehicle.rest()
        yield self._release(v)
        return t

    def _go_home(self, v: int) -> Generator[simpy.Event, Any, None]:
        """Vehicle ``v`` drives back empty (BUSY) from where it is to its home."""
        home = self.home
        back = self._travel(self.position[v], home)
        yield from self._leg(self.vehicle_names[v], f"empty ->{home}", back, -1, -1, "")
        self.position[v] = home
        self._vehicles[v].rest()
        yield self._release(v)

    # -- handing out vehicles ---------------------------------------------------------

    def _request(self, origin: Hashable) -> simpy.Event:
        """An event that succeeds with the index of the vehicle taken for ``origin``."""
        event = self.env.event()
        self._waiting.append((event, origin))
        self._dispatch()
        return event

    def _release(self, v: int) -> simpy.Event:
        """Put vehicle ``v`` back among the free ones. As with a ``simpy.Store`` put,
        waiting requests are served when the returned event is processed, so a fleet
        without calendar or home replays the former Store-based fleet event for event."""
        self._free.append(v)
        done = self.env.event()
        done.callbacks.append(self._dispatch)
        return done.succeed()

    def _dispatch(self, _: simpy.Event | None = None) -> None:
        """Serve waiting requests in order, each with the vehicle it should take."""
        if not (self._waiting and self._free):
            return
        if not (self._always_on or self.calendar.is_on(self.env.now)):
            return  # off shift: the shift start dispatches
        tracked = self.home is not None
        while self._waiting and self._free:
            event, origin = self._waiting.popleft()
            v = self._nearest(origin) if tracked else self._free[0]
            self._free.remove(v)
            self._vehicles[v].reserve()
            event.succeed(v)

    def _nearest(self, origin: Hashable) -> int:
        """The free vehicle with the shortest expected empty travel to ``origin``
        (ties: the lowest index). Takes no random draw."""
        free = self._free
        if len(free) == 1:
            return free[0]
        return min(free, key=lambda v: (self._distance(self.position[v], origin), v))

    def _distance(self, here: Hashable | None, origin: Hashable) -> float:
        if here is None or here == origin:
            return 0.0
        t = self.travel_time(here, origin)
        return t.mean if isinstance(t, Distribution) else float(t)

    def _shift_starts(self) -> Generator[simpy.Event, Any, None]:
        """Hand out vehicles to requests that waited for the shift."""
        env = self.env
        cal = self.calendar
        while True:
            on = cal.next_on(env.now)
            if on == _INF:
                return
            if on > env.now:
                yield env.timeout(on - env.now)
            self._dispatch()
            off = cal.next_off(env.now)
            if off == _INF:
                return
            yield env.timeout(off - env.now)

    # -- recording --------------------------------------------------------------------

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
