"""Scenario sections for upkeep: a station's planned maintenance and the maintenance crew.

A station's ``maintenance`` plans preventive maintenance at an interval and/or dated
planned stops; the top-level ``maintenance_crew`` (optional) is who repairs and
maintains. The semantics are the equipment model's (:mod:`models.unit`,
:mod:`models.maintenance`): a unit shows ``planned_down`` throughout planned
maintenance (outside loading time in the KPIs).

- interval maintenance (``every`` + ``duration``) falls due ``every`` after the end of
  the previous one, in calendar time or, on the ``operating`` basis, busy time. It is
  done when the unit is next at rest: it never cuts an operation, and an operation
  handed over while it is due or under way waits for it. With a crew it waits for a
  free member (repairs go first) and its work pauses off the crew's shift.
- dated ``windows`` are fixed stops (no crew member is drawn: their staff is planned
  with them): no work starts inside one, and work under way pauses at its start and
  resumes after, unattended work included. They need the scenario's ``start``.
- with a ``maintenance_crew`` every repair needs one of its members: the unit stays
  ``down`` while it waits for one (part of the time to repair, as ISO 22400-2 counts
  MTTR) and the repair pauses outside the crew's calendar. Without one, repairs start
  at once and run day and night.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from twin.scenario.blocks import StrictModel, UnitCount
from twin.scenario.bounds import MAX_DURATION_SECONDS
from twin.scenario.durations import UNIT_SECONDS, Duration, field_error

__all__ = ["CrewSpec", "MaintenanceSpec", "Window"]


class Window(StrictModel):
    """A dated planned stop, ``{from: 2026-03-02T08:00, to: 2026-03-02T12:00}``
    (wall-clock times of the shop, like the scenario's ``start``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: datetime = Field(alias="from")
    last: datetime = Field(alias="to")

    @property
    def wall_clock(self) -> tuple[datetime, datetime]:
        """``(from, to)`` as wall-clock times (a time zone, if given, is dropped, as
        for the calendars)."""
        return _naive(self.first), _naive(self.last)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        first, last = self.wall_clock
        if not first < last:
            raise field_error("window", f"expected from < to, got {self.first} .. {self.last}")
        if (last - first).total_seconds() > MAX_DURATION_SECONDS:
            raise field_error("window", f"a window of at most 10 years, got {last - first}")
        return self


class MaintenanceSpec(StrictModel):
    """Planned maintenance of each unit of a station (see the module docstring)::

    maintenance:
      every: 160h          # preventive maintenance interval
      duration: 4h
      basis: calendar      # or operating (busy time since the last one)
      windows:
        - {from: 2026-03-02T08:00, to: 2026-03-02T12:00}
    """

    every: Annotated[Duration, Field(gt=0)] | None = None
    duration: Annotated[Duration, Field(gt=0)] | None = None
    basis: Literal["calendar", "operating"] = "calendar"
    windows: list[Window] = Field(default_factory=list)

    def window_times(self, start: datetime | None, time_unit: str) -> list[tuple[float, float]]:
        """The windows in model time (0 = ``start``), in time order; the part of a
        window before ``start`` is left out. Empty without ``start`` (validation makes
        sure windows come with one)."""
        if start is None:
            return []
        origin = _naive(start)
        per_second = 1.0 / UNIT_SECONDS[time_unit]
        out = []
        for first, last in sorted(w.wall_clock for w in self.windows):
            a = (first - origin).total_seconds() * per_second
            b = (last - origin).total_seconds() * per_second
            if b > 0:
                out.append((max(a, 0.0), b))
        return out


class CrewSpec(StrictModel):
    """The maintenance crew, ``{count: 2, calendar: day_shift}``: ``count`` members who
    repair (and maintain) every unit, working on ``calendar`` (default: always)."""

    count: UnitCount = 1
    calendar: str | None = None


def _naive(t: datetime) -> datetime:
    return t.replace(tzinfo=None)
