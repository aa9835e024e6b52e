"""Report each improving CP-SAT solution to the caller's ``on_solution``.

Several solves may run at once (LNS threads), so the best value and the count live
in one thread-safe :class:`Reporter`; each solve gets its own callback object.
"""

from __future__ import annotations

import threading
import time

from ortools.sat.python import cp_model

from scheduler.solve import SolutionCallback

__all__ = ["ImprovementCallback", "Reporter"]


class Reporter:
    """Calls ``on_solution(objective, seconds since t0)`` when the objective improves."""

    def __init__(self, on_solution: SolutionCallback | None, t0: float) -> None:
        self._on_solution = on_solution
        self._t0 = t0
        self._lock = threading.Lock()
        self.best = float("inf")
        self.solutions = 0

    def offer(self, value: float) -> None:
        with self._lock:
            self.solutions += 1
            if value >= self.best:
                return
            self.best = value
            if self._on_solution is not None:
                self._on_solution(value, time.perf_counter() - self._t0)


class ImprovementCallback(cp_model.CpSolverSolutionCallback):
    """Forwards every solution's objective to a :class:`Reporter`."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__()
        self.reporter = reporter

    def on_solution_callback(self) -> None:
        self.reporter.offer(float(self.objective_value))
