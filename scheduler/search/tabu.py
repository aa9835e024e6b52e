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
boundary, and so does the ``stop`` option (a :class:`threading.Event`).

Large instances: the random starts are drawn and decoded only while the first
``START_SHARE`` of the time limit lasts (at least one); above ``DISPATCH_START_OPS``
operations the graph search starts from the default dispatch rule instead; and the
search leaves the time of the final left shift (:func:`~scheduler.search.shift.
shift_seconds`) before the limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from scheduler.dispatch import DEFAULT_RULE, dispatch, lower_bound
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
from scheduler.search.shift import left_shifted, sequences, shift_seconds

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
# Share of the time limit for drawing and decoding starting solutions (at least one is
# always made): 20 starts take milliseconds on benchmark instances, seconds at 10**5
# operations.
START_SHARE = 0.1
# Above this many operations the graph search starts from the default dispatch rule:
# decoding a random start costs O(n**2 / machines) with gap insertion (1 s at 100,000
# operations on 10 machines), a dispatch pass O(n log n), and its makespan is shorter
# than what 1 s of search makes of the best random start from 8,000 operations on
# (measured, 10 machines: 32,120 against 35,227 at 8,100; 15,961 against 15,282 at
# 4,072). The benchmark instances (at most 400 operations) keep their random starts.
DISPATCH_START_OPS = 5_000


class Pacer:
    """Iterations per kernel call: fixed by the ``chunk`` option, else adapted so a
    call lasts about ``CHUNK_SECONDS`` and never runs far past the deadline."""

    def __init__(
        self, options: dict[str, Any], deadline: float, first: int, guess: float = 0.0
    ) -> None:
        self.fixed = options.get("chunk")
        self.budget = options.get("iterations")
        self.stop: threading.Event | None = options.get("stop")
        self.deadline = deadline
        self.size = int(self.fixed) if self.fixed is not None else first
        self.rate = 0.0  # iterations per second, measured
        self.guess = guess  # seconds per iteration until one is measured

    def next(self, done: int) -> int:
        """The next chunk (<= 0: stop) given ``done`` iterations so far; never one whose
        first iteration is expected to end past the deadline."""
        left = time.perf_counter()
        if left >= self.deadline or (self.stop is not None and self.stop.is_set()):
            return 0
        one = 1.0 / self.rate if self.rate > 0 else self.guess
        if self.fixed is None and left + one > self.deadline:
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


def iteration_seconds(data: ProblemData) -> float:
    """A guess of one search iteration's cost before any is measured, on the safe side:
    a graph-search iteration or a decode takes about n**2 / machines nanoseconds alone
    (10 machines: 8 ms at 10,000 operations, 0.8 s at 100,000, 5 s at 255,000), up
    to three times that with two searches sharing the memory bus of a busy machine."""
    return 3e-9 * data.num_ops**2 / max(1, data.num_machines)


OBJ_CODE = {Objective.MAKESPAN: 0, Objective.TARDINESS: 1, Objective.WEIGHTED: 2}


def graph_search_applies(data: ProblemData, objective: Objective) -> bool:
    """True when the graph tabu search is exact for ``data``: makespan objective, no
    setups, transport, windows, resources or fixed starts."""
    return (
        objective in (Objective.MAKESPAN, Objective.LEXICOGRAPHIC)
        and not (data.has_setups or data.has_transport or data.has_windows)
        and not data.has_resources
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
    until: float = float("inf"),
) -> list[tuple[IntArray, IntArray]]:
    """(OS, MS) pairs: the encoded ``seeds`` first, then ``count`` random ones with
    global/local/random machine selection mixed 60/30/10; no more random ones once
    ``until`` (perf_counter) has passed and there is at least one pair."""
    out = [encode_schedule(data, s) for s in seeds or []]
    kinds = ("global",) * 6 + ("local",) * 3 + ("random",)
    for i in range(count):
        if out and time.perf_counter() > until:
            break
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
        # tabu table: 64 slots per operation up to 2**20 (16 MB); the table is lossy
        # (bounded probing), and only a few hundred attributes are tabu at a time
        size = 1 << min(20, max(12, int(np.ceil(np.log2(64 * n + 1)))))
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
    seq, mlen = sequences(kd, schedule)
    return ms, seq, mlen


def best_start(
    data: ProblemData,
    kd: KernelData,
    starts: list[tuple[IntArray, IntArray]],
    until: float = float("inf"),
) -> tuple[Decoded, IntArray, IntArray, int]:
    """Decode every start (active), or those decoded before ``until`` once one
    decodes; keep the best (buffers, OS, MS, makespan)."""
    best: tuple[Decoded, IntArray, IntArray, int] | None = None
    buf = Decoded(data, kd)
    for os_seq, ms in starts:
        if best is not None and time.perf_counter() > until:
            break
        value = buf.run(os_seq, ms, True)
        if value >= 0 and (best is None or value < best[3]):
            best = (buf, os_seq, ms, value)
            buf = Decoded(data, kd)
    if best is None:
        raise ValueError("no starting solution decodes (fixed starts cannot be met)")
    return best


def _dispatch_start(data: ProblemData, kd: KernelData, hint: Schedule | None) -> Schedule:
    """The default dispatch rule's schedule, or the caller's hint (left-shifted) when
    that one is shorter and its orders are acyclic."""
    start = dispatch(data, DEFAULT_RULE)
    if hint is not None:
        try:
            shifted = left_shifted(data, kd, hint)
        except ValueError:
            log.warning("hint has cyclic machine orders; ignored")
        else:
            if shifted.makespan < start.makespan:
                start = shifted
    return start


def run_searches(
    searches: list[GraphSearch],
    deadline: float,
    options: dict[str, Any],
    target: int,
    notify: Callable[[float], None],
) -> None:
    """Run each search in its own thread (nogil kernels) until ``deadline``, the
    ``iterations`` option (per search, counted from its start) or ``target``."""
    n = searches[0].data.num_ops
    # an iteration costs O(n) and more: one at a time at first on large instances
    first = max(10, 100_000 // max(1, n)) if n <= 10_000 else max(1, 100_000 // n)

    guess = iteration_seconds(searches[0].data)

    def work(s: GraphSearch) -> None:
        pace = Pacer(options, deadline, first, guess)
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
        _in_threads(work, searches, options)


def _in_threads(work: Callable[[Any], Any], items: list[Any], options: dict[str, Any]) -> list[Any]:
    """``work`` on every item, one thread each. On ``KeyboardInterrupt`` (only the main
    thread receives it) the ``stop`` option is set first, so the threads end at their
    next chunk instead of at the deadline before the interrupt can propagate."""
    with ThreadPoolExecutor(len(items)) as pool:
        try:
            return list(pool.map(work, items))
        except KeyboardInterrupt:
            stop = options.get("stop")
            if stop is not None:
                stop.set()
            raise


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
    stop: threading.Event | None = None,
    **options: Any,
) -> Result:
    """Tabu search from the best of a few decoded starts (and ``hint``).

    Options: ``iterations`` (per worker; reproducible budget), ``chunk`` (iterations
    per kernel call), ``tenure``, ``stall``, ``kick``, ``span`` (graph search),
    ``starts`` (random starting solutions, default 20). When ``stop`` is set the
    search ends at its next chunk and returns its best schedule.
    """
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    deadline = t0 + time_limit - shift_seconds(data)
    options = {**options, "stop": stop}
    kd = kernel_data(data)
    rng = np.random.default_rng(seed)
    seeds = np.random.SeedSequence(seed).spawn(max(1, workers))
    starts_until = t0 + START_SHARE * time_limit
    graph = graph_search_applies(data, objective)
    dispatch_start = graph and data.num_ops > DISPATCH_START_OPS
    candidates = []
    if not dispatch_start:
        candidates = starting_solutions(
            data, kd, rng, int(options.get("starts", 20)), [hint] if hint is not None else None,
            starts_until,
        )  # fmt: skip
    lb = lower_bound(data, objective, weights)
    build = time.perf_counter() - t0
    if graph:
        incumbent = Incumbent(t0, on_solution)
        if dispatch_start:
            start = _dispatch_start(data, kd, hint)
            incumbent(float(start.makespan))
            searches = [
                GraphSearch.from_schedule(data, kd, start, sd, worker_options(data, options, i))
                for i, sd in enumerate(seeds)
            ]
        else:
            buf, _, ms, first = best_start(data, kd, candidates, starts_until)
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
            Incumbent(t0, on_solution), starts_until,
        )  # fmt: skip
    stats["interrupted"] = stop is not None and stop.is_set()
    schedule = left_shifted(data, kd, schedule)
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
    starts_until: float = float("inf"),
) -> tuple[Schedule, dict[str, Any]]:
    """Late-acceptance search on (OS, MS) evaluated by full decoding, one thread per
    seed; the best decoded schedule and statistics. Candidates are decoded until
    ``starts_until`` once one of them decodes."""
    code = OBJ_CODE.get(objective, 0)
    # one decode costs O(n) to O(n**2 / machines): small first chunks on large instances
    first = max(5, 20_000 // max(1, data.num_ops)) if data.num_ops <= 4000 else 1
    mode_lo, mode_hi = _mode_range(data)
    buf = Decoded(data, kd)
    scored: list[tuple[float, IntArray, IntArray]] = []
    for os_seq, ms in candidates:
        if scored and time.perf_counter() > starts_until:
            break
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
        pace = Pacer(options, deadline, first, iteration_seconds(data))
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

    runs = [work(seeds[0])] if len(seeds) == 1 else _in_threads(work, seeds, options)
    _, best_os, best_ms, _ = min(runs, key=lambda t: t[0])
    buf.run(best_os, best_ms, True)
    return buf.schedule(), {"iterations": sum(r[3] for r in runs), "search": "decoder"}
