"""Objective expressions on the model variables."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat.model import Variables
from scheduler.objective import Objective

__all__ = ["objective_expr", "weighted_tardiness"]


def weighted_tardiness(v: Variables) -> cp_model.LinearExpr:
    """Total weighted tardiness (0 when no job has both a due date and a weight)."""
    jobs = list(v.tardiness)
    return cp_model.LinearExpr.weighted_sum(
        [v.tardiness[j] for j in jobs], [int(v.inst.weight[j]) for j in jobs]
    )


def objective_expr(
    v: Variables, objective: Objective, weights: tuple[int, int]
) -> cp_model.LinearExpr:
    """What to minimise; lexicographic starts with the makespan."""
    if objective in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC):
        return v.makespan
    if objective is Objective.TARDINESS:
        return weighted_tardiness(v)
    return int(weights[0]) * v.makespan + int(weights[1]) * weighted_tardiness(v)
