"""`solve_tabu`: the tabu-search method (Python driver around the numba kernels).

For the plain FJSP (release dates allowed) with a makespan objective the search runs
on the disjunctive graph (:mod:`scheduler.kernels.tabu`). With setups, transport,
unavailability windows, fixed starts or a tardiness objective, graph estimates are
not exact, so a decoder-based late-acceptance search runs instead
(:func:`scheduler.kernels.decode.decode_search`): slower, but every schedule it
returns is decoded, hence feasible.

Reproducibility: the kernels run in chunks of iterations and the clock is read
between chunks (chunks adapt to last about ``CHUNK_SECONDS``, or are fixed by the
``chunk`` option). Chunking does not change the search, so one worker with a given
seed and ``iterations`` budget gives one result; a wall-clock limit stops at a chunk
boundary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from scheduler.compact import left_shift
from scheduler.dispatch import lower_bound
from scheduler.kernels.decode import KernelData, decode_search, kernel_data
from scheduler.kernels.graph import heads_tails, positions
from scheduler.kernels.rng import make_state
from scheduler.kernels.tabu import (
    S_BEST,
    S_ITER,
    S_KICKS,
    S_LAST,
    STATE_SIZE,
    WORK_PER_OP,
    tabu_run,
)
from scheduler.objective import Objective, evaluate
from scheduler.problem import IntArray, ProblemData
from scheduler.result import Result, Schedule, Status
from scheduler.search.encoding import Decoded, encode_schedule, initial_ms, random_os

__all__ = [
    "GraphSearch",
    "Incumbent",
    "best_start",
    "decoder_search",
    "graph_search_applies",
    "run_searches",
    "solve_tabu",
    "starting_solutions",
    "worker_options",
]

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.05


class Pacer:
    """Iterations per kernel call: fixed by the ``chunk`` option, else adapted so a
    call lasts about ``CHUNK_SECONDS`` and never runs far past the deadline."""

    def __init__(self, options: dict[str, Any], deadline: float, first: int) -> None:
        self.fixed = options.get("chunk")
        self.budget = options.get("iterations")
        self.deadline = deadline
        self.size = int(self.fixed) if self.fixed is not None else first
        self.rate = 0.0  # iterations per second, measured

    def next(self, done: int) -> int:
        """The next chunk (<= 0: stop) given ``done`` iterations so far."""
        left = time.perf_counter()
        if left >= self.deadline:
            return 0
        step = self.size
        if self.fixed is None and self.rate > 0:
            step = int(self.rate * min(CHUNK_SECONDS, self.deadline - left)) + 1
        if self.budget is not None:
            step = min(step, int(self.budget) - done)
        return step

    def record(self, iterations: int, seconds: float) -> None:
        if seconds > 0 and iterations > 0:
            now = iterations / seconds
            self.rate = now if self.rate == 0 else 0.5 * (self.rate + now)


OBJ_CODE = {Objective.MAKESPAN: 0, Objective.TARDINESS: 1, Objective.WEIGHTED: 2}


def graph_search_applies(data: ProblemData, objective: Objective) -> bool:
    """True when the graph tabu search is exact for ``data``: makespan objective, no
    setups, transport, windows or fixed starts."""
    return (
        objective in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC)
        and not (data.has_setups or data.has_transport or data.has_windows)
        and not bool(np.any(data.fixed_start >= 0))
    )


def default_tenure(data: ProblemData, worker: int = 0) -> int:
    """Tabu tenure base L of one search thread (the kernel draws each tenure in
    [L, 1.4 L]): 5 + n / (10 m), so short and growing slowly with operations per
    machine; odd threads use L + 2 so two threads explore differently. Measured with
    10 s tabu runs on mk07, mk10 and rdata la21-37 (seeds 0-2): L = 6-8 reached 139 on
    mk07, 196-198 on mk10 and 802 on la24, where the former 10 + n / m (25-30) stalled
    at 140, 198-200 and 809."""
    return 5 + data.num_ops // (10 * data.num_machines) + 2 * (worker % 2)


def worker_options(data: ProblemData, options: dict[str, Any], worker: int) -> dict[str, Any]:
    """Options of one search thread: its tenure (:func:`default_tenure`) unless the
    ``tenure`` option fixes one for all."""
    if "tenure" in options:
        return options
    return {**options, "tenure": default_tenure(data, worker)}


def _mode_range(data: ProblemData) -> tuple[IntArray, IntArray]:
    """Allowed mode interval per operation (a single mode when fixed to a machine)."""
    lo = data.op_mode_ptr[:-1].copy()
    hi = data.op_mode_ptr[1:].copy()
    for o in np.flatnonzero(data.fixed_machine >= 0).tolist():
        hit = int(lo[o]) + int(
            np.flatnonzero(data.mode_machine[lo[o] : hi[o]] == data.fixed_machine[o])[0]
        )
        lo[o], hi[o] = hit, hit + 1
    return lo, hi


def starting_solutions(
    data: ProblemData,
    kd: KernelData,
    rng: np.random.Generator,
    count: int,
    seeds: list[Schedule] | None = None,
) -> list[tuple[IntArray, IntArray]]:
    """(OS, MS) pairs: the encoded ``seeds`` first, then ``count`` random ones with
    global/local/random machine selection mixed 60/30/10."""
    out = [encode_schedule(data, s) for s in seeds or []]
    kinds = ("global",) * 6 + ("local",) * 3 + ("random",)
    for i in range(count):
        out.append((random_os(data, rng), initial_ms(data, rng, kinds[i % len(kinds)])))
    return out


class GraphSearch:
    """One tabu-search thread: its solution arrays, tabu table and RNG."""

    def __init__(
        self,
        data: ProblemData,
        kd: KernelData,
        ms: IntArray,
        seq: IntArray,
        mlen: IntArray,
        seed: int | np.random.SeedSequence,
        options: dict[str, Any],
    ) -> None:
        n = data.num_ops
        self.data, self.kd = data, kd
        self.mode_lo, self.mode_hi = _mode_range(data)
        self.mode = ms.copy()
        self.mach = kd.mode_machine[ms].copy()
        self.p = kd.mode_duration[ms].copy()
        self.seq = seq.copy()
        self.mlen = mlen.copy()
        self.pos = np.zeros(n, np.int64)
        positions(self.seq, kd.mach_ptr, self.mlen, self.pos)
        self.best_mode = self.mode.copy()
        self.best_seq = self.seq.copy()
        self.best_mlen = self.mlen.copy()
        self.work = np.zeros(WORK_PER_OP * n + 4, np.int64)
        size = 1 << max(12, int(np.ceil(np.log2(64 * n + 1))))
        self.tkey = np.full(size, -1, np.int64)
        self.texp = np.zeros(size, np.int64)
        tenure = int(options.get("tenure", default_tenure(data)))
        self.params = np.array(
            [
                max(1, tenure),
                int(options.get("stall", max(400, 4 * n))),
                int(options.get("kick", 2)),
                int(options.get("span", 20)),
                int(options.get("topk", 1)),
            ],
            np.int64,
        )
        self.state = np.zeros(STATE_SIZE, np.int64)
        self.state[S_BEST] = -1
        self.rng = make_state(seed)

    @classmethod
    def from_schedule(
        cls,
        data: ProblemData,
        kd: KernelData,
        schedule: Schedule,
        seed: int | np.random.SeedSequence,
        options: dict[str, Any],
    ) -> GraphSearch:
        """Start from a feasible schedule: its machines, and its machine orders by
        (start, end, index) as the checker reads them."""
        return cls(data, kd, *_graph_of(data, kd, schedule), seed, options)

    def adopt(self, schedule: Schedule) -> None:
        """Continue from ``schedule`` (another search's better one), which becomes the
        best; the tabu table and the iteration count are kept."""
        ms, seq, mlen = _graph_of(self.data, self.kd, schedule)
        self.mode[:] = ms
        self.mach[:] = self.kd.mode_machine[ms]
        self.p[:] = self.kd.mode_duration[ms]
        self.seq[:] = seq
        self.mlen[:] = mlen
        positions(self.seq, self.kd.mach_ptr, self.mlen, self.pos)
        self.best_mode[:] = self.mode
        self.best_seq[:] = self.seq
        self.best_mlen[:] = self.mlen
        self.state[S_BEST] = int(self.best_schedule().makespan)
        self.state[S_LAST] = self.state[S_ITER]

    def run(self, iters: int, target: int) -> int:
        """Run up to ``iters`` iterations; the best makespan so far."""
        return int(
            tabu_run(
                self.kd.op_job, self.kd.release, self.mode_lo, self.mode_hi,
                self.kd.mode_machine, self.kd.mode_duration, self.kd.mach_ptr, self.mode,
                self.mach, self.p, self.seq, self.mlen, self.pos, self.best_mode,
                self.best_seq, self.best_mlen, self.work, self.tkey, self.texp, self.params,
                self.state, self.rng, iters, target,
            )
        )  # fmt: skip

    @property
    def best(self) -> int:
        return int(self.state[S_BEST])

    @property
    def iterations(self) -> int:
        return int(self.state[S_ITER])

    def best_schedule(self) -> Schedule:
        """The best solution as a semi-active schedule (starts = graph heads)."""
        kd, n = self.kd, self.data.num_ops
        mach = kd.mode_machine[self.best_mode]
        p = kd.mode_duration[self.best_mode]
        pos = np.zeros(n, np.int64)
        positions(self.best_seq, kd.mach_ptr, self.best_mlen, pos)
        r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(4))
        heads_tails(
            kd.op_job, kd.release, p, mach, self.best_seq, kd.mach_ptr, self.best_mlen, pos,
            r, q, order, indeg,
        )  # fmt: skip
        return Schedule(mach, r, r + p)


def _graph_of(
    data: ProblemData, kd: KernelData, schedule: Schedule
) -> tuple[IntArray, IntArray, IntArray]:
    """(modes, machine sequences, sequence lengths) of a feasible schedule, machine
    orders by (start, end, index) as the checker reads them."""
    _, ms = encode_schedule(data, schedule)
    seq = np.zeros(int(kd.mach_ptr[-1]), np.int64)
    mlen = np.zeros(data.num_machines, np.int64)
    order = np.lexsort((np.arange(data.num_ops), schedule.end, schedule.start))
    for o in order.tolist():
        k = int(schedule.machine[o])
        seq[kd.mach_ptr[k] + mlen[k]] = o
        mlen[k] += 1
    return ms, seq, mlen


def best_start(
    data: ProblemData, kd: KernelData, starts: list[tuple[IntArray, IntArray]]
) -> tuple[Decoded, IntArray, IntArray, int]:
    """Decode every start (active); keep the best (buffers, OS, MS, makespan)."""
    best: tuple[Decoded, IntArray, IntArray, int] | None = None
    buf = Decoded(data, kd)
    for os_seq, ms in starts:
        value = buf.run(os_seq, ms, True)
        if value >= 0 and (best is None or value < best[3]):
            best = (buf, os_seq, ms, value)
            buf = Decoded(data, kd)
    if best is None:
        raise ValueError("no starting solution decodes (fixed starts cannot be met)")
    return best


def run_searches(
    searches: list[GraphSearch],
    deadline: float,
    options: dict[str, Any],
    target: int,
    notify: Callable[[float], None],
) -> None:
    """Run each search in its own thread (nogil kernels) until ``deadline``, the
    ``iterations`` option (per search, counted from its start) or ``target``."""
    first = max(10, 100_000 // max(1, searches[0].data.num_ops))

    def work(s: GraphSearch) -> None:
        pace = Pacer(options, deadline, first)
        while (step := pace.next(s.iterations)) > 0:
            t = time.perf_counter()
            value = s.run(step, target)
            pace.record(step, time.perf_counter() - t)
            notify(float(value))
            if value <= target:
                break

    if len(searches) == 1:
        work(searches[0])
    else:
        with ThreadPoolExecutor(len(searches)) as pool:
            list(pool.map(work, searches))


class Incumbent:
    """The best objective value seen by all threads; reports improvements."""

    def __init__(self, t0: float, on_solution: Callable[[float, float], None] | None) -> None:
        self.t0 = t0
        self.on_solution = on_solution
        self.value = float("inf")
        self.lock = threading.Lock()

    def __call__(self, value: float) -> None:
        with self.lock:
            if value < self.value:
                self.value = value
                if self.on_solution is not None:
                    self.on_solution(value, time.perf_counter() - self.t0)


def solve_tabu(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    objective: Objective = Objective.MAKESPAN,
    weights: tuple[int, int] = (1, 1),
    hint: Schedule | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    **options: Any,
) -> Result:
    """Tabu search from the best of a few decoded starts (and ``hint``).

    Options: ``iterations`` (per worker; reproducible budget), ``chunk`` (iterations
    per kernel call), ``tenure``, ``stall``, ``kick``, ``span`` (graph search),
    ``starts`` (random starting solutions, default 20).
    """
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    deadline = t0 + time_limit
    kd = kernel_data(data)
    rng = np.random.default_rng(seed)
    seeds = np.random.SeedSequence(seed).spawn(max(1, workers))
    candidates = starting_solutions(
        data, kd, rng, int(options.get("starts", 20)), [hint] if hint is not None else None
    )
    lb = lower_bound(data, objective, weights)
    build = time.perf_counter() - t0
    if graph_search_applies(data, objective):
        buf, _, ms, first = best_start(data, kd, candidates)
        incumbent = Incumbent(t0, on_solution)
        incumbent(float(first))
        searches = [
            GraphSearch(data, kd, ms, buf.seq, buf.mlen, sd, worker_options(data, options, i))
            for i, sd in enumerate(seeds)
        ]
        run_searches(searches, deadline, options, int(np.ceil(lb)), incumbent)
        winner = min(searches, key=lambda s: s.best)
        schedule = winner.best_schedule()
        stats = {
            "iterations": sum(s.iterations for s in searches),
            "kicks": sum(int(s.state[S_KICKS]) for s in searches),
            "search": "graph",
        }
    else:
        schedule, stats = decoder_search(
            data, kd, candidates, seeds, objective, weights, deadline, options,
            Incumbent(t0, on_solution),
        )  # fmt: skip
    schedule = left_shift(data, schedule)
    value = evaluate(data, schedule, objective, weights)
    status = Status.OPTIMAL if value <= lb else Status.FEASIBLE
    return Result(
        status=status,
        method="tabu",
        objective=value,
        lower_bound=float(lb),
        build_seconds=build,
        solve_seconds=time.perf_counter() - t0 - build,
        schedule=schedule,
        objective_name=objective.value,
        stats=stats,
    )


def decoder_search(
    data: ProblemData,
    kd: KernelData,
    candidates: list[tuple[IntArray, IntArray]],
    seeds: list[np.random.SeedSequence],
    objective: Objective,
    weights: tuple[int, int],
    deadline: float,
    options: dict[str, Any],
    notify: Callable[[float], None],
) -> tuple[Schedule, dict[str, Any]]:
    """Late-acceptance search on (OS, MS) evaluated by full decoding, one thread per
    seed; the best decoded schedule and statistics."""
    code = OBJ_CODE.get(objective, 0)
    first = max(5, 20_000 // max(1, data.num_ops))
    mode_lo, mode_hi = _mode_range(data)
    buf = Decoded(data, kd)
    scored = []
    for os_seq, ms in candidates:
        if buf.run(os_seq, ms, True) >= 0:
            scored.append((evaluate(data, buf.schedule(), objective, weights), os_seq, ms))
    if not scored:
        raise ValueError("no starting solution decodes (fixed starts cannot be met)")
    scored.sort(key=lambda t: t[0])
    notify(float(scored[0][0]))

    def work(seed: np.random.SeedSequence) -> tuple[float, IntArray, IntArray, int]:
        _, os_seq, ms = scored[0]
        cur_os, cur_ms = os_seq.copy(), ms.copy()
        best_os, best_ms = os_seq.copy(), ms.copy()
        history = np.full(int(options.get("history", 50)), -1, np.int64)
        state = np.zeros(4, np.int64)
        state[1] = -1
        rng = make_state(seed)
        dec = Decoded(data, kd)
        pace = Pacer(options, deadline, first)
        while (step := pace.next(int(state[0]))) > 0:
            t = time.perf_counter()
            value = decode_search(
                kd, data.due, data.weight, code, weights[0], weights[1], mode_lo, mode_hi,
                cur_os, cur_ms, best_os, best_ms, history, state, rng, step, dec.start,
                dec.end, dec.mach, dec.seq, dec.mlen, dec.work,
            )  # fmt: skip
            pace.record(step, time.perf_counter() - t)
            notify(float(value))
        return float(state[1]), best_os, best_ms, int(state[0])

    if len(seeds) == 1:
        runs = [work(seeds[0])]
    else:
        with ThreadPoolExecutor(len(seeds)) as pool:
            runs = list(pool.map(work, seeds))
    _, best_os, best_ms, _ = min(runs, key=lambda t: t[0])
    buf.run(best_os, best_ms, True)
    return buf.schedule(), {"iterations": sum(r[3] for r in runs), "search": "decoder"}
