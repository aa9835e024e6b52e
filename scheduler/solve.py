"""`solve`: one entry point for every method; the methods live in their own modules."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from scheduler.objective import Objective
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule

__all__ = ["KERNEL_METHODS", "METHODS", "SolutionCallback", "interrupted", "solve"]


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


def interrupted(stop: threading.Event | None) -> bool:
    """Whether the caller asked the solve to stop (``stop`` given and set)."""
    return stop is not None and stop.is_set()


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
    stop: threading.Event | None = None,
    **options: Any,
) -> Result:
    """Solve ``data`` with ``method`` (``auto``, ``cpsat``, ``tabu`` or ``dispatch``).

    Parameters
    ----------
    time_limit
        Wall-clock budget in seconds for the whole solve (model building included),
        kept to within a small overhead at any size: a method that cannot even start
        searching in time returns its first feasible schedule as soon as it has one
        (a dispatch pass: about 1 s per 150,000 operations), or, ``cpsat`` only,
        refuses at once (see Raises). Not counted: importing the method's module on
        its first use in a process (OR-Tools: about 0.5 s) and compiling the numba
        kernels (:func:`scheduler.warmup.warmup`).
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
    stop
        Set it (from any thread, or from a signal handler) to end the solve early: every
        method then returns its best schedule so far within a fraction of a second,
        with ``result.stats["interrupted"] = True``. A dispatch rule's single pass is
        not cut (its first schedule is the answer); ``rule="best"`` stops between
        rules. CP-SAT never installs its own SIGINT handler (``catch_sigint_signal``
        is off), so a caller's handler, e.g. ``signal.signal(SIGINT, lambda *_:
        stop.set())``, stays in charge. Without one, Ctrl-C raises
        ``KeyboardInterrupt`` promptly, once the searches still running have stopped.
    options
        Method-specific options (e.g. ``rule="mwkr"`` for ``dispatch``).

    Raises
    ------
    scheduler.cpsat.InstanceTooLargeError
        ``cpsat`` only: the model could not even be built within ``time_limit`` (the
        message gives its size and the methods that can). ``auto`` never raises it:
        it skips CP-SAT instead.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if hint is not None and len(hint) != data.num_ops:
        raise ValueError(f"hint has {len(hint)} operations, the problem has {data.num_ops}")
    obj = Objective.parse(objective)
    solver = _resolve(method)
    # Every method watches an event; Ctrl-C without a handler sets it too (below).
    stop = stop if stop is not None else threading.Event()
    try:
        return solver(
            data,
            time_limit=float(time_limit),
            workers=workers or default_workers(),
            seed=int(seed),
            objective=obj,
            weights=tuple(weights),
            hint=hint,
            on_solution=on_solution,
            stop=stop,
            **options,
        )
    except KeyboardInterrupt:
        # Stop the threads still searching (numba kernels, CP-SAT) and let CP-SAT's
        # end: a process exiting while one is inside a solve aborts.
        stop.set()
        watcher = sys.modules.get("scheduler.cpsat.interrupt")
        if watcher is not None:
            watcher.wait_idle(5.0)
        raise
