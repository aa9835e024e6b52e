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
    """An MS vector by ``global``, ``local`` or ``random`` selection."""
    if kind not in ("global", "local", "random"):
        raise ValueError(f"unknown machine selection {kind!r} (global, local or random)")
    ms = np.empty(data.num_ops, np.int64)
    load = np.zeros(data.num_machines, np.int64)
    for j in rng.permutation(data.num_jobs).tolist():
        if kind == "local":
            load[:] = 0
        for o in range(int(data.job_op_ptr[j]), int(data.job_op_ptr[j + 1])):
            modes = _allowed(data, o)
            if kind == "random":
                ms[o] = modes[int(rng.integers(len(modes)))]
                continue
            cost = load[data.mode_machine[modes.start : modes.stop]]
            cost = cost + data.mode_duration[modes.start : modes.stop]
            best = np.flatnonzero(cost == cost.min())
            pick = modes.start + int(best[int(rng.integers(len(best)))])
            ms[o] = pick
            load[data.mode_machine[pick]] += data.mode_duration[pick]
    return ms


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
    ms = np.empty(data.num_ops, np.int64)
    for o in range(data.num_ops):
        lo, hi = int(data.op_mode_ptr[o]), int(data.op_mode_ptr[o + 1])
        hit = np.flatnonzero(data.mode_machine[lo:hi] == schedule.machine[o])
        if len(hit) == 0:
            raise ValueError(f"operation {o}: machine {schedule.machine[o]} is not eligible")
        ms[o] = lo + int(hit[0])
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
