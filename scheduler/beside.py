"""CP-SAT with a tabu-search thread beside it, the two trading their best schedules.

CP-SAT's LNS solves one-worker sub-models, so on two cores one core is free while it
runs. The portfolio fills that core with a tabu search (numba kernels without the GIL)
in slices of ``SLICE_SECONDS``. After each slice the search trades with CP-SAT's LNS
through an :class:`~scheduler.exchange.Exchange`, and, with :class:`Restarts`, starts
afresh once it has not improved the best for a while.

Why restarts: on job-shop-like instances the search reaches its basin's floor within
about a second and then cycles there (Barnes seti5xx: 1204 in one seed, 1197 in
another, never leaving either). Independent restarts turn the remaining time into
several draws of that floor. Measured in benchmarks/RESULTS.md (B4).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import numpy as np

from scheduler.cpsat import solve_cpsat
from scheduler.cpsat.solver import FIRST_MIN_SECONDS, FIRST_SHARE, LNS_SHARE
from scheduler.exchange import Exchange
from scheduler.kernels.decode import KernelData
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule
from scheduler.search.tabu import (
    GraphSearch,
    Incumbent,
    best_start,
    run_searches,
    starting_solutions,
)

__all__ = ["Restarts", "cpsat_beside", "trade"]

SLICE_SECONDS = 0.25  # how often the search trades and checks whether CP-SAT ended
RESTART_STARTS = 5  # random starts decoded per restart; the search starts from the best


@dataclasses.dataclass
class Restarts:
    """Fresh searches for the thread beside CP-SAT once the best it has found (or
    adopted) is ``after`` seconds old. Each restart draws its own child of ``seed``,
    so a run's restarts follow from the solve's seed."""

    data: ProblemData
    kd: KernelData
    seed: np.random.SeedSequence
    options: dict[str, Any]
    after: float
    count: int = 0

    def fresh(self) -> GraphSearch:
        """A search from the best of ``RESTART_STARTS`` random decoded starts."""
        start_seed, run_seed = self.seed.spawn(2)
        rng = np.random.default_rng(start_seed)
        starts = starting_solutions(self.data, self.kd, rng, RESTART_STARTS)
        buf, _, ms, _ = best_start(self.data, self.kd, starts)
        self.count += 1
        return GraphSearch(self.data, self.kd, ms, buf.seq, buf.mlen, run_seed, self.options)


def cpsat_beside(
    data: ProblemData,
    cp_args: dict[str, Any],
    search: GraphSearch,
    options: dict[str, Any],
    target: int,
    incumbent: Incumbent,
    stats: dict[str, Any],
    restarts: Restarts | None = None,
) -> tuple[Result, Schedule | None]:
    """CP-SAT (``solve_cpsat(data, **cp_args)``) in a thread, ``search`` beside it
    until CP-SAT returns; CP-SAT's result and the best schedule of the search side
    (over all restarts; ``None`` if it never ran).

    Unless the ``exchange`` option is False, after each slice the search posts its
    best, or adopts CP-SAT's LNS schedule when that beats everything the search side
    found (the LNS adopts the posted one before each sub-solve).

    With ``yield_to_cpsat`` (default) the search pauses while CP-SAT's full solves use
    every worker and runs only during its one-worker LNS (phase lengths as in
    :mod:`scheduler.cpsat.solver`); ``beside=False`` leaves CP-SAT alone.
    """
    box: dict[str, Any] = {}
    together = options.get("beside", True)  # otherwise nobody trades with CP-SAT
    exchange = Exchange() if together and options.get("exchange", True) else None
    if exchange is not None:
        cp_args = {**cp_args, "exchange": exchange}

    def run() -> None:
        try:
            box["res"] = solve_cpsat(data, **cp_args)
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc

    thread = threading.Thread(target=run, name="auto-cpsat", daemon=True)
    start = time.perf_counter()
    total = float(cp_args["time_limit"])
    lo, hi = start, start + total
    if options.get("yield_to_cpsat", True):
        lo = start + max(FIRST_SHARE * total, min(FIRST_MIN_SECONDS, 0.3 * total))
        hi = lo + LNS_SHARE * total
    if not together:
        lo = hi = start + total
    thread.start()
    thread.join(max(0.0, lo - time.perf_counter()))
    side: Schedule | None = None  # the best schedule of the search side, over restarts
    side_value = float("inf")
    if search.best >= 0:  # a search that ran before (phased mode)
        side, side_value = search.best_schedule(), float(search.best)
    since = time.perf_counter()  # when the side last improved
    while thread.is_alive() and (search.best < 0 or search.best > target):
        now = time.perf_counter()
        if now >= hi:
            break
        run_searches([search], min(hi, now + SLICE_SECONDS), options, target, incumbent)
        now = time.perf_counter()
        if exchange is not None:
            trade(search, exchange, stats, side_value)
        if 0 <= search.best < side_value:  # found, or adopted from CP-SAT's LNS
            side, side_value, since = search.best_schedule(), float(search.best), now
        elif restarts is not None and now - since > restarts.after and hi - now > restarts.after:
            search = restarts.fresh()
            stats["tabu_restarts"] = restarts.count
            since = now
    thread.join()
    if "exc" in box:
        raise box["exc"]
    return box["res"], side


def trade(
    search: GraphSearch,
    exchange: Exchange,
    stats: dict[str, Any],
    floor: float = float("inf"),
) -> bool:
    """Post the search's best to ``exchange``, or continue from the exchange's when it
    beats both the search's best and ``floor`` (the best of earlier restarts); whether
    the search adopted it."""
    if search.best < 0:
        return False
    shared = exchange.better_than(min(float(search.best), floor))
    if shared is not None:
        search.adopt(shared[0])
        stats["tabu_adopted"] = stats.get("tabu_adopted", 0) + 1
        return True
    if exchange.post(search.best_schedule(), search.best):
        stats["tabu_posted"] = stats.get("tabu_posted", 0) + 1
    return False
