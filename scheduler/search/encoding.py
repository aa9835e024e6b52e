"""The OS + MS encoding and the initial solutions of the searches.

OS is a job-repetition sequence (job ids; the k-th occurrence of a job is its k-th
operation), MS one absolute mode index per operation. Initial MS vectors follow
Zhang, Gao & Shi (2011): global selection (machine loads kept across jobs taken in a
random order), local selection (loads reset per job) and random selection; operations
fixed to a machine always keep that machine's mode.
"""

from __future__ import annotations

import numpy as np

from scheduler.kernels.decode import KernelData, decode
from scheduler.problem import IntArray, ProblemData
from scheduler.result import Schedule

__all__ = [
    "Decoded",
    "decode_schedule",
    "encode_schedule",
    "initial_ms",
    "random_os",
    "shortest_ms",
]


def _allowed(data: ProblemData, o: int) -> range:
    """Mode indices operation ``o`` may use (one, when it is fixed to a machine)."""
    lo, hi = int(data.op_mode_ptr[o]), int(data.op_mode_ptr[o + 1])
    fm = int(data.fixed_machine[o])
    if fm >= 0:
        hit = lo + int(np.flatnonzero(data.mode_machine[lo:hi] == fm)[0])
        return range(hit, hit + 1)
    return range(lo, hi)


def initial_ms(data: ProblemData, rng: np.random.Generator, kind: str = "global") -> IntArray:
    """An MS vector by ``global``, ``local`` or ``random`` selection.

    Plain Python lists, not numpy calls per operation: those cost about 20 us each
    (4 s for 20 starts at 10,000 operations). Ties draw ``rng.integers(len(ties))``;
    a single best mode draws nothing (``integers(1)`` leaves the generator as it is).
    """
    if kind not in ("global", "local", "random"):
        raise ValueError(f"unknown machine selection {kind!r} (global, local or random)")
    ms = [0] * data.num_ops
    load = [0] * data.num_machines
    job_ptr = data.job_op_ptr.tolist()
    lo_of, hi_of = _allowed_bounds(data)
    machine = data.mode_machine.tolist()
    duration = data.mode_duration.tolist()
    for j in rng.permutation(data.num_jobs).tolist():
        if kind == "local":
            load = [0] * data.num_machines
        for o in range(job_ptr[j], job_ptr[j + 1]):
            lo, hi = lo_of[o], hi_of[o]
            if kind == "random":
                ms[o] = lo + int(rng.integers(hi - lo))
                continue
            best = [lo]
            low = load[machine[lo]] + duration[lo]
            for a in range(lo + 1, hi):
                cost = load[machine[a]] + duration[a]
                if cost < low:
                    best, low = [a], cost
                elif cost == low:
                    best.append(a)
            pick = best[0] if len(best) == 1 else best[int(rng.integers(len(best)))]
            ms[o] = pick
            load[machine[pick]] += duration[pick]
    return np.array(ms, np.int64)


def _allowed_bounds(data: ProblemData) -> tuple[list[int], list[int]]:
    """``_allowed`` of every operation as two lists (first mode, end)."""
    lo = data.op_mode_ptr[:-1].tolist()
    hi = data.op_mode_ptr[1:].tolist()
    for o in np.flatnonzero(data.fixed_machine >= 0).tolist():
        modes = _allowed(data, o)
        lo[o], hi[o] = modes.start, modes.stop
    return lo, hi


def shortest_ms(data: ProblemData) -> IntArray:
    """The shortest-duration mode of every operation (the lowest index on ties)."""
    ms = np.empty(data.num_ops, np.int64)
    for o in range(data.num_ops):
        modes = _allowed(data, o)
        ms[o] = modes.start + int(np.argmin(data.mode_duration[modes.start : modes.stop]))
    return ms


def random_os(data: ProblemData, rng: np.random.Generator) -> IntArray:
    """A uniformly shuffled job-repetition sequence."""
    genes = np.repeat(np.arange(data.num_jobs, dtype=np.int64), np.diff(data.job_op_ptr))
    return rng.permutation(genes)


def encode_schedule(data: ProblemData, schedule: Schedule) -> tuple[IntArray, IntArray]:
    """(OS, MS) that decode back to ``schedule`` or better: OS orders operations by start
    (ties by end, then index), MS picks the mode on each operation's machine."""
    order = np.lexsort((np.arange(data.num_ops), schedule.end, schedule.start))
    os_seq = np.ascontiguousarray(data.op_job[order], dtype=np.int64)
    # The first mode of each operation on its scheduled machine, vectorised.
    hits = np.flatnonzero(data.mode_machine == np.asarray(schedule.machine)[data.mode_op])
    ops, first = np.unique(data.mode_op[hits], return_index=True)
    if len(ops) != data.num_ops:
        o = int(np.flatnonzero(~np.isin(np.arange(data.num_ops), ops))[0])
        raise ValueError(f"operation {o}: machine {schedule.machine[o]} is not eligible")
    ms = np.ascontiguousarray(hits[first], dtype=np.int64)
    return os_seq, ms


class Decoded:
    """Reusable decoding buffers for one problem (no allocation per decode)."""

    def __init__(self, data: ProblemData, kd: KernelData) -> None:
        n, m = data.num_ops, data.num_machines
        self.kd = kd
        self.start = np.zeros(n, np.int64)
        self.end = np.zeros(n, np.int64)
        self.mach = np.zeros(n, np.int64)
        self.seq = np.zeros(int(kd.mach_ptr[-1]), np.int64)
        self.mlen = np.zeros(m, np.int64)
        self.work = np.zeros(n + data.num_jobs + m, np.int64)

    def run(self, os_seq: IntArray, ms: IntArray, active: bool = True) -> int:
        """Decode into the buffers; the makespan, or -1 when a fixed start is missed."""
        return int(
            decode(
                self.kd,
                os_seq,
                ms,
                active,
                self.start,
                self.end,
                self.mach,
                self.seq,
                self.mlen,
                self.work,
            )
        )

    def schedule(self) -> Schedule:
        return Schedule(self.mach.copy(), self.start.copy(), self.end.copy())


def decode_schedule(
    data: ProblemData, kd: KernelData, os_seq: IntArray, ms: IntArray, active: bool = True
) -> Schedule | None:
    """Decode once into a fresh :class:`Schedule` (``None`` when a fixed start is missed)."""
    buf = Decoded(data, kd)
    return None if buf.run(os_seq, ms, active) < 0 else buf.schedule()
