"""Operators: people who set up, load and run machines, in pools with skills and shifts.

An :class:`Operator` is a :class:`Unit` (a person's states are the log's ``busy`` /
``idle`` / ``off``, so labour hours and utilisation come from the same state times as
the machines'); a :class:`Staff` holds every pool and hands operators to machines.

How a machine gets an operator, in two steps:

- **assign** (:meth:`Staff.assign`): for the whole lot, the machine is put in the care
  of one operator whose pool may run its station. Each operator tends at most
  ``machines_per_operator`` machines at once (multi-machine tending of CNC machines);
  a machine whose whole cycle needs the operator (a manual machine) takes all of an
  operator's places. Assignments are granted first come, first served; among the
  operators with room the least loaded one is chosen (ties: pool order, then index).
- **hands** (:meth:`Operator.hands`): each task (a setup, a load, an unload, or a
  manual cycle) holds the assigned operator's hands; between tasks the operator tends
  the other machines in their care.

An operator works only on their pool's calendar: a task starts on shift (a load or
unload under way finishes; a setup or a manual cycle pauses at the shift end with the
machine, which should share the operators' shift calendar).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.recorder import Recorder, State
from models.unit import Unit

__all__ = ["Operator", "Pool", "Staff"]

_BUSY = State.BUSY


class Operator(Unit):
    """One person of a pool: state ``busy`` while working (a task, or a manual cycle
    the machine is running), ``idle`` on shift otherwise, ``off`` off shift."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        pool: str,
        capacity: int,
        calendar: Calendar | DatedCalendar | None = None,
    ) -> None:
        # a person has no breakdowns and draws nothing at random: a fixed dummy stream
        super().__init__(
            env, name, recorder, rng=np.random.default_rng(0), calendar=calendar, attended=True
        )
        self.pool = pool
        self.capacity = capacity  # machines this operator may tend at once
        self.tending = 0  # places taken by machines assigned now
        self.hands = simpy.Resource(env, capacity=1)

    def at_work(self, working: bool) -> None:
        """Show busy while a machine in this operator's hands is working, else at rest."""
        if working:
            self._in_job = True
            self._enter(_BUSY)
        else:
            self._end_job()

    def on_shift(self) -> Generator[simpy.Event, Any, None]:
        """Wait (the operator shows ``off``) until the operator's shift is on."""
        if not self._always_on:
            yield from self._await_shift()


@dataclass(frozen=True)
class Pool:
    """One pool of the :class:`Staff`: its operators and the stations it may run
    (``None``: every attended station)."""

    id: str
    operators: Sequence[Operator]
    skills: frozenset[str] | None


class Staff:
    """Every operator pool of the shop; assigns an operator to a machine for a lot."""

    def __init__(self, env: simpy.Environment, pools: Iterable[Pool]) -> None:
        self.env = env
        self.pools = tuple(pools)
        self._waiting: list[tuple[str, bool, simpy.Event]] = []

    def can_run(self, station: str) -> bool:
        """True if some pool may run ``station``."""
        return any(p.skills is None or station in p.skills for p in self.pools)

    def _candidate(self, station: str, whole: bool) -> Operator | None:
        best: Operator | None = None
        for pool in self.pools:
            if pool.skills is not None and station not in pool.skills:
                continue
            for op in pool.operators:
                room = op.tending == 0 if whole else op.tending < op.capacity
                if room and (best is None or op.tending < best.tending):
                    best = op
        return best

    def assign(self, station: str, whole: bool) -> Generator[simpy.Event, Any, Operator]:
        """An operator for one lot on a unit of ``station``; ``whole``: the operator's
        whole attention (a manual cycle). Waits, first come first served, while no
        operator that may run the station has room. Give it back with :meth:`release`.

        A newcomer takes free room at once: after every release no waiting machine fits
        the room left, so it overtakes nobody who could have used it."""
        op = self._candidate(station, whole)
        if op is not None:
            op.tending += op.capacity if whole else 1
            return op
        granted = self.env.event()
        self._waiting.append((station, whole, granted))
        found: Operator = yield granted
        return found

    def release(self, op: Operator, whole: bool) -> None:
        """Give back the places an :meth:`assign` took; grant waiting machines in order."""
        op.tending -= op.capacity if whole else 1
        waiting = self._waiting
        i = 0
        while i < len(waiting):
            station, w, granted = waiting[i]
            found = self._candidate(station, w)
            if found is None:
                i += 1
                continue
            found.tending += found.capacity if w else 1
            del waiting[i]
            granted.succeed(found)
