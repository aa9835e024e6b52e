"""Report each improving CP-SAT solution to the caller's ``on_solution``."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from scheduler.solve import SolutionCallback

__all__ = ["ImprovementCallback"]


class ImprovementCallback(cp_model.CpSolverSolutionCallback):
    """Counts solutions and calls ``on_solution(objective, seconds since t0)`` when the
    objective improves (CP-SAT only reports improving solutions when minimising)."""

    def __init__(self, on_solution: SolutionCallback | None, t0: float) -> None:
        super().__init__()
        self._on_solution = on_solution
        self._t0 = t0
        self._best = float("inf")
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        value = float(self.objective_value)
        if value < self._best:
            self._best = value
            if self._on_solution is not None:
                self._on_solution(value, time.perf_counter() - self._t0)
