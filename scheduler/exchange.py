"""`Exchange`: the best schedule shared by searches that cooperate in one solve.

The portfolio runs CP-SAT's large neighbourhood search and a tabu thread at the same
time. Alone, each gets stuck in its own way: LNS keeps re-solving the same few jobs
around one schedule, tabu search cycles in one basin. Each posts its improvements
here and adopts the other's when they are better, so LNS repairs what tabu cannot
move and tabu intensifies around what LNS found (measured in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import threading

from scheduler.result import Schedule

__all__ = ["Exchange"]


class Exchange:
    """Thread-safe best (schedule, value), value being the minimised objective."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._schedule: Schedule | None = None
        self._value = float("inf")
        self.posts = 0  # improvements posted, for statistics

    @property
    def value(self) -> float:
        return self._value

    def post(self, schedule: Schedule, value: float) -> bool:
        """Keep ``schedule`` if it is strictly better; whether it was."""
        with self._lock:
            if value < self._value:
                self._schedule, self._value = schedule, float(value)
                self.posts += 1
                return True
            return False

    def better_than(self, value: float) -> tuple[Schedule, float] | None:
        """The shared best if it beats ``value``, else ``None``."""
        with self._lock:
            if self._schedule is not None and self._value < value:
                return self._schedule, self._value
            return None
