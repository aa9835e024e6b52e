"""`solve_auto`: dispatch rules -> tabu search -> CP-SAT with a complete hint -> tabu polish.

One time budget, shared in phases (fractions of ``time_limit``):

1. starts (instant): every dispatch rule, the caller's hint and a few decoded
   global/local-selection solutions; the best is the incumbent.
2. tabu (70 % of the budget on the plain FJSP, a quarter otherwise): one search
   thread per worker (numba kernels without the GIL), with different tenures.
3. CP-SAT (a fifth, 60 % when the graph search does not apply): hinted with
   the incumbent completely, so it starts from it, improves it by its own LNS and
   proves a lower bound. Its LNS uses one worker: with two or more, the first tabu
   thread keeps searching beside it meanwhile (``phased_beside``), and the two trade
   their best schedules through an :class:`~scheduler.exchange.Exchange`.
4. polish (the rest): tabu continues, restarted from CP-SAT's schedule if that one is
   better.

On job-shop-like instances (:func:`job_shop_like`) with two or more workers, phases
2 and 3 run at once instead: CP-SAT (its full solves and LNS, as strong as ``cpsat``
alone, from its own greedy start) for 95 % of the budget, one tabu thread beside it
(paused during CP-SAT's all-worker full solves, trading best schedules with CP-SAT's
LNS, and restarted from fresh random starts when its best grows old: see
:mod:`scheduler.beside`), then the polish from the better of the two. With one worker
they run in turn with CP-SAT's share at 65 %.

Each phase stops early when the incumbent meets the best lower bound. The result is
left-shifted, and its lower bound is the best of the trivial bounds and CP-SAT's.

Scale: the cheap starts get ``START_SHARE`` of the budget (at least one dispatch
rule), CP-SAT is skipped when its model cannot be built within its phase (see
:func:`scheduler.cpsat.size.plan`; ``stats["cpsat_skipped"]`` says why), and the
search leaves time for the final left shift. Setting ``stop`` ends every phase at
once and returns the best schedule so far.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from scheduler.beside import Restarts, cpsat_beside
from scheduler.cpsat import solve_cpsat
from scheduler.cpsat.size import InstanceTooLargeError, plan
from scheduler.dispatch import dispatch_all, lower_bound
from scheduler.kernels.decode import kernel_data
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule, Status
from scheduler.search.encoding import Decoded, encode_schedule
from scheduler.search.shift import left_shifted, shift_seconds
from scheduler.search.tabu import (
    GraphSearch,
    Incumbent,
    decoder_search,
    graph_search_applies,
    run_searches,
    starting_solutions,
    worker_options,
)
from scheduler.solve import interrupted

__all__ = ["solve_auto"]

log = logging.getLogger(__name__)

# (tabu, cpsat) shares of the budget; the polish gets the rest
SHARES_GRAPH = (0.7, 0.2)
SHARES_DECODER = (0.25, 0.6)
# Job-shop-like instances (few machines per operation, not many more jobs than
# machines: Hurink rdata la36-40, Barnes) are where CP-SAT's propagation and its own
# LNS beat the graph search; there CP-SAT runs for almost the whole budget, with a
# tabu thread beside it (nogil), when there are at least two workers.
JOB_SHOP_FLEX = 2.2  # mean eligible machines per operation, at most
JOB_SHOP_RATIO = 1.4  # jobs per machine, at most
SHARES_CONCURRENT = (0.0, 0.95)
SHARES_JOB_SHOP = (0.25, 0.65)  # one worker: phases in turn, CP-SAT the larger one
PHASED_BESIDE = True  # phase 3 on two or more workers: a tabu thread beside CP-SAT's LNS
# above this many operations CP-SAT rarely even finds a first solution within a
# phase (measured: none in 30 s at 10,000 operations), so the graph search keeps it all
CPSAT_MAX_OPS = 3000
# concurrent mode: the tabu thread beside CP-SAT starts afresh when the best it found
# is this share of the budget old (measured: 1.0-1.5 s at 10 s, see beside.py)
RESTART_SHARE = 0.12
# the cheap starts stop once this share of the budget is spent (milliseconds on the
# benchmarks; at 150,000 operations one dispatch rule takes about a second)
START_SHARE = 0.1


def job_shop_like(data: ProblemData) -> bool:
    """Low flexibility and no more than ``JOB_SHOP_RATIO`` jobs per machine."""
    flex = int(data.op_mode_ptr[-1]) / max(1, data.num_ops)
    return flex <= JOB_SHOP_FLEX and data.num_jobs <= JOB_SHOP_RATIO * data.num_machines


def _starts(
    data: ProblemData, objective: Objective, weights: tuple[int, int], seed: int,
    hint: Schedule | None, until: float = float("inf"),
) -> list[tuple[float, str, Schedule]]:  # fmt: skip
    """(value, origin, schedule) of every cheap start, best first; no new kind of start
    begins after ``until`` (perf_counter) once there is one."""
    out: list[tuple[float, str, Schedule]] = []
    try:
        rules = dispatch_all(data, seed, until)
    except ValueError as exc:  # conflicting pins: the decoder starts may still work
        log.warning("dispatch rules failed: %s", exc)
        rules = []
    for rule, schedule in rules:
        out.append((evaluate(data, schedule, objective, weights), rule, schedule))
    kd = kernel_data(data)
    if hint is not None:
        try:
            shifted = left_shifted(data, kd, hint)
            out.append((evaluate(data, shifted, objective, weights), "hint", shifted))
        except ValueError:
            log.warning("hint has cyclic machine orders; ignored")
    rng = np.random.default_rng(seed)
    count = max(2, min(20, 20_000 // max(1, data.num_ops)))
    buf = Decoded(data, kd)
    if out and time.perf_counter() > until:
        count = 0
    for os_seq, ms in starting_solutions(data, kd, rng, count, until=until):
        if out and time.perf_counter() > until:
            break
        if buf.run(os_seq, ms, True) >= 0:
            schedule = buf.schedule()
            out.append((evaluate(data, schedule, objective, weights), "decoded", schedule))
    out.sort(key=lambda t: t[0])
    return out


def solve_auto(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    objective: Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
    hint: Schedule | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> Result:
    """The default method: see the module docstring for the phases.

    Options: ``cpsat_params`` (raw CP-SAT parameters for phase 3), ``shares``
    ((tabu, cpsat) fractions of the budget), ``cpsat_max_ops`` (larger plain FJSP
    instances skip CP-SAT, default 3000), ``adaptive`` (False: job-shop-like
    instances get the default phases too), ``yield_to_cpsat``, ``beside`` and
    ``exchange`` (see :func:`scheduler.beside.cpsat_beside`), ``restart_after``
    (seconds; see :class:`scheduler.beside.Restarts`), and the tabu options of
    :func:`scheduler.search.tabu.solve_tabu`.
    """
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    deadline = t0 + time_limit - shift_seconds(data)  # then: the final left shift
    options = {**options, "stop": stop}  # read by every search's pacer
    incumbent = Incumbent(t0, on_solution)
    starts = _starts(data, objective, weights, seed, hint, t0 + START_SHARE * time_limit)
    if not starts:  # nothing cheap is feasible: let CP-SAT search (or prove infeasibility)
        res = solve_cpsat(
            data, time_limit=max(0.01, deadline - time.perf_counter()), workers=workers,
            seed=seed, objective=objective, weights=weights, on_solution=on_solution,
            stop=stop,
        )  # fmt: skip
        return dataclasses.replace(res, method="auto")
    best_value, origin, best = starts[0]
    incumbent(best_value)
    bound = float(lower_bound(data, objective, weights))
    lexicographic = objective is Objective.LEXICOGRAPHIC

    def done() -> bool:
        """The incumbent is provably optimal (never for lexicographic: tardiness too), or
        the caller asked to stop."""
        return (not lexicographic and best_value <= bound) or interrupted(stop)

    build = time.perf_counter() - t0
    stats: dict[str, Any] = {"start": origin, "start_value": best_value}
    graph = graph_search_applies(data, objective)
    jobshop = graph and job_shop_like(data) and bool(options.pop("adaptive", True))
    concurrent = jobshop and workers >= 2
    default_shares = SHARES_DECODER
    if graph:
        default_shares = SHARES_GRAPH
        if jobshop:
            default_shares = SHARES_CONCURRENT if concurrent else SHARES_JOB_SHOP
    tabu_share, cp_share = options.pop("shares", default_shares)
    if graph and data.num_ops > int(options.pop("cpsat_max_ops", CPSAT_MAX_OPS)):
        tabu_share, cp_share, concurrent = 1.0, 0.0, False
    stats["mode"] = "concurrent" if concurrent else "phased"
    concurrent_own_start = bool(options.pop("cpsat_own_start", True))
    phased_beside = bool(options.pop("phased_beside", PHASED_BESIDE)) and workers >= 2
    cpsat_params = options.pop("cpsat_params", None)
    restart_after = float(options.pop("restart_after", RESTART_SHARE * time_limit))
    kd = kernel_data(data)
    seeds = np.random.SeedSequence(seed).spawn(max(1, workers))
    target = int(np.ceil(bound))

    def tabu_until(when: float, start: Schedule, searches: list[GraphSearch] | None) -> tuple:
        """Run the local search from ``start`` (or resume ``searches``) until ``when``."""
        if graph:
            if searches is None:
                searches = [
                    GraphSearch.from_schedule(data, kd, start, s, worker_options(data, options, i))
                    for i, s in enumerate(seeds)
                ]
            run_searches(searches, when, options, target, incumbent)
            top = min(searches, key=lambda s: s.best)
            return top.best_schedule(), searches
        schedule, _ = decoder_search(
            data, kd, [encode_schedule(data, start)], seeds, objective, weights, when,
            options, incumbent,
        )  # fmt: skip
        return schedule, None

    def consider(schedule: Schedule, label: str) -> None:
        nonlocal best, best_value
        value = evaluate(data, schedule, objective, weights)
        if value < best_value:
            best, best_value = schedule, value
            stats["improved_by"] = label

    searches = None
    if not done() and not concurrent:
        found, searches = tabu_until(min(deadline, t0 + tabu_share * time_limit), best, None)
        consider(found, "tabu")
    stats["after_tabu"] = best_value
    cp_budget = min(cp_share * time_limit, deadline - time.perf_counter() - 0.05)
    setups = None
    if not done() and cp_budget > 0.2:
        try:
            setups = plan(data, cp_budget)
        except InstanceTooLargeError as exc:
            stats["cpsat_skipped"] = str(exc)
            log.info("auto: %s", exc)
    if not done() and cp_budget > 0.2 and setups is not None:
        cp_args: dict[str, Any] = dict(
            time_limit=cp_budget, workers=workers, seed=seed, objective=objective,
            weights=weights, hint=best, on_solution=lambda v, _e: incumbent(v),
            params=cpsat_params, stop=stop, setups=setups,
        )  # fmt: skip
        if concurrent:
            # CP-SAT from its own greedy start, as `cpsat` alone (a tighter horizon and
            # a different region than the tabu thread's start)
            cp_args["hint"] = None if concurrent_own_start else best
            # the one thread beside CP-SAT takes the longer tenure of a pair: with the
            # shortest (6) it stalled at 1220 on Barnes seti5xx in 2 of 3 seeds, with
            # 8-12 it reached 1197-1204 (10 s)
            side_options = worker_options(data, options, 1)
            beside = GraphSearch.from_schedule(data, kd, best, seeds[0], side_options)
            restarts = Restarts(data, kd, seeds[0].spawn(1)[0], side_options, restart_after)
            res, found = cpsat_beside(
                data, cp_args, beside, options, target, incumbent, stats, restarts
            )
            if found is not None:
                consider(found, "tabu")
                stats["after_tabu"] = float(found.makespan)
        elif searches is not None and phased_beside:
            # CP-SAT's LNS uses one worker: the first tabu thread continues beside it
            res, _ = cpsat_beside(data, cp_args, searches[0], options, target, incumbent, stats)
            consider(min(searches, key=lambda x: x.best).best_schedule(), "tabu")
        else:
            res = solve_cpsat(data, **cp_args)
        stats["cpsat_status"] = res.status.value
        if res.lower_bound is not None:
            bound = max(bound, float(res.lower_bound))
        if res.schedule is not None:
            before = best_value
            consider(res.schedule, "cpsat")
            if best_value < before:
                searches = None  # restart the polish from CP-SAT's schedule
    stats["after_cpsat"] = best_value
    if not done() and deadline - time.perf_counter() > 0.05:
        found, searches = tabu_until(deadline, best, searches)
        consider(found, "polish")
    stats["interrupted"] = interrupted(stop)
    schedule = left_shifted(data, kd, best)
    value = evaluate(data, schedule, objective, weights)
    status = Status.OPTIMAL if value <= bound and not lexicographic else Status.FEASIBLE
    return Result(
        status=status,
        method="auto",
        objective=value,
        lower_bound=bound,
        build_seconds=build,
        solve_seconds=time.perf_counter() - t0 - build,
        schedule=schedule,
        objective_name=objective.value,
        stats=stats,
    )
