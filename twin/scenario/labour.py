"""Scenario sections about people: operator pools, and how a station is attended.

An operator pool is ``count`` people on one shift calendar who may run the stations
listed in ``skills``. What a station needs them for is its ``attendance``:

- ``cycle``: an operator runs the whole cycle (a conventional machine): the default of
  manual and generic stations;
- ``load``: an operator sets the machine up and loads and unloads every fixture load;
  between loads the machine runs on its own and the operator tends up to
  ``machines_per_operator`` machines: the default of CNC machines;
- with ``unattended: true`` (lights-out, robot-tended, bar-fed: an explicit choice,
  never a default of CNC machines) only setups need an operator.

Without an ``operators`` section nobody is modelled: attended machines then start a
load only on their own shift and pause a manual cycle at its end.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from twin.scenario.blocks import Id, StrictModel, UnitCount
from twin.scenario.durations import Duration

__all__ = ["Loading", "OperatorPool"]


class OperatorPool(StrictModel):
    """``count`` operators (units ``{id}.1`` .. ``{id}.{count}`` in the event log)."""

    id: Id
    count: UnitCount = 1
    #: Their shift calendar (a name under ``calendars``); none: always at work.
    calendar: str | None = None
    #: Stations they may run; none: every station that needs an operator.
    skills: list[str] | None = None
    #: Machines one operator tends at once (multi-machine tending of CNC machines).
    machines_per_operator: Annotated[int, Field(strict=True, ge=1, le=50)] = 1


class Loading(StrictModel):
    """How parts go in and out of a machine: ``parts`` per fixture load, and the
    operator's time to ``load`` and ``unload`` each (a robot-tended station uses the
    robot's ``load_time`` each way instead). The scheduler plans an operation as
    ``quantity x cycle + loads x (load + unload)``."""

    parts: Annotated[int, Field(strict=True, ge=1, le=10_000)] = 1
    load: Duration = 0.0
    unload: Duration = 0.0

    @property
    def handling(self) -> float:
        """Handler time per load (load + unload)."""
        return self.load + self.unload
