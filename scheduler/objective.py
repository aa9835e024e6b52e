"""Objectives a solver can minimise, and their evaluation on a schedule."""

from __future__ import annotations

import enum

from scheduler.problem import ProblemData
from scheduler.result import Schedule

__all__ = ["Objective", "evaluate"]


class Objective(enum.StrEnum):
    """``makespan``; ``tardiness`` (total weighted tardiness); ``weighted``
    (``makespan_weight * Cmax + tardiness_weight * TWT``); ``lexicographic``
    (minimal makespan first, then minimal total weighted tardiness at that makespan)."""

    MAKESPAN = "makespan"
    TARDINESS = "tardiness"
    WEIGHTED = "weighted"
    LEXICOGRAPHIC = "lexicographic"

    @classmethod
    def parse(cls, value: str | Objective) -> Objective:
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(o.value for o in cls)
            raise ValueError(f"unknown objective {value!r} (expected one of {names})") from None


def evaluate(
    data: ProblemData,
    schedule: Schedule,
    objective: str | Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
) -> float:
    """Value of ``objective`` for ``schedule``; lexicographic reports the makespan."""
    obj = Objective.parse(objective)
    if obj in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC):
        return float(schedule.makespan)
    twt = schedule.total_weighted_tardiness(data)
    if obj is Objective.TARDINESS:
        return float(twt)
    return float(weights[0] * schedule.makespan + weights[1] * twt)
