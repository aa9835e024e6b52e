"""Upkeep: a unit's planned maintenance and the maintenance crew that repairs units.

- :class:`PlannedMaintenance` is what a :class:`~models.unit.Unit` is told to plan:
  preventive maintenance every so much calendar or operating time, and dated planned
  stops (windows). The unit does the rest (see its docstring): it shows PLANNED_DOWN
  throughout and records ``maintenance_start`` / ``maintenance_end``.
- :class:`MaintenanceCrew` is the people who repair and maintain: ``count`` members on
  one shift calendar, shared by every unit given the crew. A repair or a preventive
  maintenance takes one member (repairs first, then first come, first served) and its
  work pauses outside the crew's calendar. Without a crew, repairs start at once and
  run through the night, as if staff were unlimited.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar

__all__ = ["MaintenanceCrew", "PlannedMaintenance"]

#: Request priorities on the crew (lower first): a breakdown stops production now,
#: preventive maintenance can wait for the next free member.
REPAIR = 0
MAINTENANCE = 1


@dataclass(frozen=True)
class PlannedMaintenance:
    """A unit's planned maintenance, in simulation time.

    Parameters
    ----------
    every
        Interval of preventive maintenance (``inf``: none), counted from the end of the
        previous one (from time 0 for the first).
    duration
        Work of one preventive maintenance (``< every``).
    operating
        True: ``every`` counts operating (busy) time, as wear does; False: calendar time.
    windows
        Dated planned stops ``(start, end)``, sorted and disjoint, ``0 <= start < end``.
    """

    every: float = math.inf
    duration: float = 0.0
    operating: bool = False
    windows: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.every > 0:
            raise ValueError(f"maintenance interval must be positive, got {self.every}")
        if not (self.duration >= 0 and math.isfinite(self.duration)):
            raise ValueError(f"maintenance duration must be finite and >= 0, got {self.duration}")
        if math.isfinite(self.every) and not self.duration < self.every:
            raise ValueError(
                f"maintenance duration {self.duration} must be shorter than its interval "
                f"{self.every}"
            )
        last = 0.0
        for i, (start, end) in enumerate(self.windows):
            if not (last <= start < end):
                raise ValueError(
                    f"maintenance window {i} [{start}, {end}) must start at or after "
                    f"{last} (0, or the end of the previous window) and before its end"
                )
            last = end

    @property
    def has_interval(self) -> bool:
        """Whether there is preventive maintenance at an interval (not only windows)."""
        return math.isfinite(self.every) and self.duration > 0

    def stops(self) -> Calendar | None:
        """The windows as a one-off calendar that is off during them (None: no window)."""
        if not self.windows:
            return None
        return Calendar.from_off(math.inf, self.windows)


class MaintenanceCrew:
    """``count`` maintenance technicians on ``calendar``, shared by the units given it.

    Each repair or preventive maintenance holds one member for its work (time on the
    crew's calendar: the work pauses off shift). Members are granted to repairs before
    preventive maintenance, otherwise first come, first served. :attr:`busy_time` sums
    the member-time spent working, for the crew's utilisation.
    """

    def __init__(
        self,
        env: simpy.Environment,
        count: int = 1,
        *,
        calendar: Calendar | DatedCalendar | None = None,
        name: str = "crew",
    ) -> None:
        if not (isinstance(count, int | np.integer) and not isinstance(count, bool) and count >= 1):
            raise ValueError(f"{name}: count must be a positive integer, got {count!r}")
        self.env = env
        self.name = name
        self.count = int(count)
        self.calendar: Calendar | DatedCalendar = (
            calendar if calendar is not None else Calendar.always()
        )
        self.resource = simpy.PriorityResource(env, capacity=self.count)
        self.busy_time = 0.0
        self.jobs = 0

    def serve(self, work: float, priority: int = REPAIR) -> Generator[simpy.Event, Any, None]:
        """Wait for a member, then do ``work`` of on-shift time with them (no member
        for no work)."""
        if not work > 0:
            return
        with self.resource.request(priority=priority) as req:
            yield req
            self.jobs += 1
            yield from self._spend(work)
            self.busy_time += work

    def _spend(self, work: float) -> Generator[simpy.Event, Any, None]:
        env = self.env
        cal = self.calendar
        if cal.is_always:
            yield env.timeout(work)
            return
        left = work
        while left > 0:
            now = env.now
            if not cal.is_on(now):
                yield env.timeout(cal.next_on(now) - now)
                continue
            run = min(left, cal.next_off(now) - now)
            yield env.timeout(run)
            left -= run
            if left < 1e-9 * (1.0 + now):  # float residue of a split piece of work
                left = 0.0
