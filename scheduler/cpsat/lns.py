"""Large neighbourhood search with CP-SAT sub-models.

Each iteration frees the operations of a few random jobs (all their modes, any
position) and keeps every other operation on its machine and in its machine order
(as precedences, not fixed times); a short CP-SAT solve of that small model, hinted
with the incumbent, can only return a schedule at least as good. Small, short
sub-solves beat one long solve on two cores (see /work/shared/notes/fjsp-search.md,
section 5); the neighbourhood grows when sub-solves finish and shrinks when not, and half the
time it includes a job on a machine that ends at the makespan.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from scheduler.compact import left_shift
from scheduler.cpsat.bounds import horizon_bound, makespan_lower_bound
from scheduler.cpsat.callback import ImprovementCallback, Reporter
from scheduler.cpsat.constraints import add_constraints
from scheduler.cpsat.hints import add_complete_hint
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.model import (
    BuildClock,
    BuildTimeout,
    Variables,
    build_variables,
    read_schedule,
)
from scheduler.cpsat.objective import objective_expr
from scheduler.exchange import Exchange
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Schedule
from scheduler.solve import interrupted

__all__ = ["improve"]

WINDOW_SHARE = 0.5


class _Incumbent:
    """The best schedule so far, shared by the LNS threads."""

    def __init__(self, schedule: Schedule, value: float) -> None:
        self.lock = threading.Lock()
        self.schedule, self.value = schedule, value
        self.iterations = self.improvements = self.adopted = 0

    def offer(self, schedule: Schedule, value: float) -> bool:
        """Keep ``schedule`` if it is at least as good (equal moves keep the search
        moving across plateaus); whether it is strictly better."""
        with self.lock:
            self.iterations += 1
            better = value < self.value
            if value <= self.value:
                self.improvements += int(better)
                self.schedule, self.value = schedule, value
            return better

    def adopt(self, exchange: Exchange) -> None:
        """Take the exchange's schedule when it is strictly better (another search's)."""
        with self.lock:
            found = exchange.better_than(self.value)
            if found is not None:
                self.schedule, self.value = found
                self.adopted += 1


def improve(
    inst: Instance,
    incumbent: Schedule,
    objective: Objective,
    weights: tuple[int, int],
    *,
    deadline: float,
    seeds: np.random.SeedSequence,
    make_solver: Callable[[int], cp_model.CpSolver],
    reporter: Reporter,
    threads: int = 1,
    sub_seconds: float = 0.5,
    exchange: Exchange | None = None,
    stop: threading.Event | None = None,
) -> tuple[Schedule, dict[str, int]]:
    """The best schedule found from ``incumbent`` before ``deadline`` (perf_counter).

    ``threads`` searches run at once, each with a one-worker CP-SAT (``solve``
    releases the GIL; building a sub-model is a few ms of Python). With an
    ``exchange`` (values of ``objective``), each iteration first adopts its schedule
    when it is better and posts every improvement to it. Each sub-model covers every
    operation (most of them fixed in place), so building one costs O(n) Python: a
    build still running at ``deadline``, or when ``stop`` is set, ends the search.
    """
    best = _Incumbent(incumbent, evaluate(inst.data, incumbent, objective, weights))
    if exchange is not None:
        exchange.post(best.schedule, best.value)
    args = (inst, best, objective, weights, deadline, make_solver, reporter, sub_seconds, exchange,
            stop)  # fmt: skip
    rngs = [np.random.default_rng(s) for s in seeds.spawn(threads)]
    if threads == 1:
        _search(*args, rngs[0])
    else:
        pool = [threading.Thread(target=_search, args=(*args, r)) for r in rngs]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    stats = {
        "lns_iterations": best.iterations,
        "lns_improvements": best.improvements,
        "lns_adopted": best.adopted,
    }
    return best.schedule, stats


def _search(
    inst: Instance,
    best: _Incumbent,
    objective: Objective,
    weights: tuple[int, int],
    deadline: float,
    make_solver: Callable[[int], cp_model.CpSolver],
    reporter: Reporter,
    sub_seconds: float,
    exchange: Exchange | None,
    stop: threading.Event | None,
    rng: np.random.Generator,
) -> None:
    """One LNS thread: free a few jobs, re-solve, offer the result; adapt the size."""
    data = inst.data
    size = min(3, data.num_jobs - 1)
    while size >= 1 and deadline - time.perf_counter() > 0.05 and not interrupted(stop):
        if exchange is not None:
            best.adopt(exchange)
        incumbent = best.schedule
        free = _neighbourhood(data, incumbent, size, rng)
        try:
            v = _sub_model(inst, incumbent, free, objective, weights, BuildClock(deadline, stop))
        except BuildTimeout:
            break
        solver = make_solver(int(rng.integers(0, 2**31 - 1)))
        solver.parameters.max_time_in_seconds = min(sub_seconds, deadline - time.perf_counter())
        # sub-solves end within sub_seconds: called directly (no watcher thread per
        # sub-solve), the stop event and signal handlers act between them
        code = solver.solve(v.model, ImprovementCallback(reporter))
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            candidate = left_shift(data, read_schedule(solver, v))
            value = evaluate(data, candidate, objective, weights)
            if best.offer(candidate, value) and exchange is not None:
                exchange.post(candidate, value)
        if code == cp_model.OPTIMAL:
            size = min(size + 1, data.num_jobs - 1)
        else:
            size = max(size - 1, 2 if data.num_jobs > 2 else 1)


def _sub_model(
    inst: Instance,
    incumbent: Schedule,
    free: np.ndarray,
    objective: Objective,
    weights: tuple[int, int],
    clock: BuildClock,
) -> Variables:
    """The model with only the ``free`` operations (a boolean mask) movable."""
    data = inst.data
    keep = {}
    for o in np.flatnonzero(~free).tolist():
        keep[o] = next(a for a in inst.modes[o] if inst.machine(a) == incumbent.machine[o])
    sub = inst.restricted(keep)
    makespan_only = objective in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC)
    horizon = incumbent.makespan if makespan_only else horizon_bound(sub)
    v = build_variables(
        sub, horizon, makespan_lower_bound(sub), tardiness=not makespan_only, clock=clock
    )
    add_constraints(v)
    for seq in incumbent.machine_sequences(data.num_machines):
        kept = [o for o in seq if not free[o]]
        for a, b in itertools.pairwise(kept):
            v.model.add(v.start[b] >= v.end[a])
    goal = Objective.MAKESPAN if objective is Objective.LEXICOGRAPHIC else objective
    v.model.minimize(objective_expr(v, goal, weights))
    add_complete_hint(v, incumbent)
    return v


def _neighbourhood(
    data: ProblemData, incumbent: Schedule, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Mask of the operations to free, ``size`` jobs' worth of them: either whole jobs
    (half the time one with an operation on a machine that finishes at the makespan,
    whose load has to change for the makespan to) or, with probability
    ``WINDOW_SHARE``, the operations with consecutive starts in a random time window."""
    n_free = size * data.num_ops // data.num_jobs
    if rng.random() < WINDOW_SHARE:
        order = np.argsort(incumbent.start, kind="stable")
        first = int(rng.integers(0, max(1, data.num_ops - n_free + 1)))
        free = np.zeros(data.num_ops, bool)
        free[order[first : first + n_free]] = True
        return free
    jobs = rng.permutation(data.num_jobs).tolist()
    if rng.random() < 0.5:
        late = np.flatnonzero(incumbent.end == incumbent.makespan)
        machines = np.unique(incumbent.machine[late])
        ops = np.flatnonzero(np.isin(incumbent.machine, machines))
        critical = int(data.op_job[rng.choice(ops)])
        jobs = [critical] + [j for j in jobs if j != critical]
    return np.isin(data.op_job, jobs[:size])
