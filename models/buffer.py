"""A finite (or infinite) buffer between stations, recording its level.

``yield buffer.put(item)`` waits while the buffer is full (the caller marks its station
BLOCKED meanwhile); ``item = yield buffer.get()`` waits while it is empty (STARVED).
Each completed put or get records ``buffer`` with value = the level, so the
time-weighted WIP of the buffer follows from the log (the last record at any instant
is the level from then on).
"""

from __future__ import annotations

import math
from typing import Any

import simpy

from models.recorder import EventKind, Recorder

__all__ = ["Buffer"]


class Buffer:
    """FIFO buffer of ``capacity`` items (``math.inf`` for unbounded).

    Parameters
    ----------
    env
        The simulation environment.
    name
        Buffer id, the ``station`` column of its records.
    recorder
        Receives ``buffer`` records; None records nothing.
    capacity
        Positive whole number of places, or ``math.inf``.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        capacity: float = math.inf,
    ) -> None:
        if not (capacity == math.inf or (capacity >= 1 and float(capacity).is_integer())):
            raise ValueError(
                f"buffer {name}: capacity must be a positive integer or inf, got {capacity}"
            )
        self.env = env
        self.name = name
        self.capacity = capacity
        self._store = simpy.Store(env, capacity=capacity)
        self._rec = recorder.record if recorder is not None else None
        if self._rec is not None:
            self._rec(env.now, EventKind.BUFFER, name, value=0.0)

    @property
    def level(self) -> int:
        """Items in the buffer now."""
        return len(self._store.items)

    @property
    def items(self) -> list[Any]:
        """The items, oldest first (read-only view by convention)."""
        return self._store.items

    @property
    def is_full(self) -> bool:
        return len(self._store.items) >= self.capacity

    def put(self, item: Any) -> simpy.Event:
        """An event that succeeds once ``item`` is in the buffer."""
        event = self._store.put(item)
        if self._rec is not None:
            event.callbacks.append(self._changed)
        return event

    def get(self) -> simpy.Event:
        """An event whose value is the oldest item, once there is one."""
        event = self._store.get()
        if self._rec is not None:
            event.callbacks.append(self._changed)
        return event

    def _changed(self, event: simpy.Event) -> None:
        assert self._rec is not None
        self._rec(self.env.now, EventKind.BUFFER, self.name, value=float(len(self._store.items)))
