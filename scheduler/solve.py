"""`solve`: one entry point for every method; the methods live in their own modules."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from scheduler.objective import Objective
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule

__all__ = ["KERNEL_METHODS", "METHODS", "SolutionCallback", "solve"]


SolutionCallback = Callable[[float, float], None]
"""Called on every improving solution: (objective value, seconds since the start)."""


# method -> "module:function"; imported lazily so a CLI run that only needs CP-SAT
# never pays numba's start-up, and vice versa.
METHODS: dict[str, str] = {
    "cpsat": "scheduler.cpsat:solve_cpsat",
    "tabu": "scheduler.search.tabu:solve_tabu",
    "dispatch": "scheduler.dispatch:solve_dispatch",
    "auto": "scheduler.portfolio:solve_auto",
}


#: Methods whose solvers run numba kernels: callers with a clock (the CLI, the twin)
#: call :func:`scheduler.warmup.warmup` first so compilation stays out of time limits.
KERNEL_METHODS = ("auto", "tabu", "dispatch")


def _resolve(method: str) -> Callable[..., Result]:
    try:
        target = METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown method {method!r} (expected one of {', '.join(METHODS)})"
        ) from None
    module, func = target.split(":")
    solver: Callable[..., Result] = getattr(importlib.import_module(module), func)
    return solver


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def solve(
    data: ProblemData,
    method: str = "auto",
    *,
    time_limit: float = 10.0,
    workers: int | None = None,
    seed: int = 0,
    objective: str | Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
    hint: Schedule | None = None,
    on_solution: SolutionCallback | None = None,
    **options: Any,
) -> Result:
    """Solve ``data`` with ``method`` (``auto``, ``cpsat``, ``tabu`` or ``dispatch``).

    Parameters
    ----------
    time_limit
        Wall-clock budget in seconds for the whole solve (model building included).
    workers
        Cores to use; defaults to all of them.
    seed
        Seeds every random choice; with one worker a seed gives one result.
    objective
        ``makespan``, ``tardiness`` (total weighted), ``weighted`` (``weights[0] * Cmax
        + weights[1] * TWT``) or ``lexicographic`` (makespan, then tardiness).
    hint
        A schedule to start from (made complete before CP-SAT sees it).
    on_solution
        Called with (objective, elapsed seconds) on each improving solution.
    options
        Method-specific options (e.g. ``rule="mwkr"`` for ``dispatch``).
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if hint is not None and len(hint) != data.num_ops:
        raise ValueError(f"hint has {len(hint)} operations, the problem has {data.num_ops}")
    obj = Objective.parse(objective)
    return _resolve(method)(
        data,
        time_limit=float(time_limit),
        workers=workers or default_workers(),
        seed=int(seed),
        objective=obj,
        weights=tuple(weights),
        hint=hint,
        on_solution=on_solution,
        **options,
    )
