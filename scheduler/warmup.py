"""Compile the search kernels once, before any timed solve.

numba compiles on first call (seconds for the tabu kernel) and then loads from its
``cache=True`` disk cache (a fraction of a second). Calling :func:`warmup` at
start-up, e.g. from the CLI before it takes the start time, keeps that cost out of
every time limit.
"""

from __future__ import annotations

import logging
import time

from scheduler.dispatch import dispatch_all
from scheduler.objective import Objective
from scheduler.problem import ProblemData
from scheduler.search.tabu import solve_tabu

__all__ = ["tiny_instance", "warmup"]

log = logging.getLogger(__name__)


def tiny_instance() -> ProblemData:
    """Three jobs on two machines with a due date: enough to reach every kernel."""
    return ProblemData.from_jobs(
        [[[(0, 3), (1, 2)], [(1, 4)]], [[(1, 2)], [(0, 3), (1, 1)]], [[(0, 2)]]],
        due=[4, -1, 3],
    )


def warmup() -> float:
    """Compile (or load from cache) the decoder, graph, tabu and dispatch kernels;
    return the seconds spent."""
    t0 = time.perf_counter()
    data = tiny_instance()
    dispatch_all(data)
    solve_tabu(data, time_limit=60.0, iterations=5, starts=2)
    solve_tabu(data, time_limit=60.0, iterations=5, starts=2, objective=Objective.TARDINESS)
    spent = time.perf_counter() - t0
    log.debug("kernels ready in %.2f s", spent)
    return spent
