"""Machine sequences of a schedule, and its left shift through the graph kernel.

:func:`scheduler.compact.left_shift` walks the operations in Python (about 25 us
each: 2.5 s at 100,000 operations, more than a 1 s limit). On the plain FJSP the
left-shifted starts are exactly the heads of the disjunctive graph
(:func:`scheduler.kernels.graph.heads_tails`), which numba computes in milliseconds;
:func:`left_shifted` takes that path whenever it gives the same schedule.
"""

from __future__ import annotations

import numpy as np

from scheduler.compact import left_shift
from scheduler.kernels.decode import KernelData
from scheduler.kernels.graph import heads_tails, positions
from scheduler.problem import IntArray, ProblemData
from scheduler.result import Schedule

__all__ = ["left_shifted", "sequences", "shift_seconds"]

# Seconds per operation of a left shift, rounded up (measured: 0.3 us with the kernel
# plus sorting, 25 us in Python).
KERNEL_SECONDS_PER_OP = 2e-6
PYTHON_SECONDS_PER_OP = 3e-5


def _kernel_applies(data: ProblemData) -> bool:
    return not (
        data.has_setups
        or data.has_transport
        or data.has_windows
        or data.has_resources
        or bool(np.any(data.fixed_start >= 0))
        or bool(np.any(data.mode_duration <= 0))
    )


def shift_seconds(data: ProblemData) -> float:
    """About how long :func:`left_shifted` takes on a schedule of ``data``: the time a
    search leaves before its limit to return a left-shifted schedule."""
    per_op = KERNEL_SECONDS_PER_OP if _kernel_applies(data) else PYTHON_SECONDS_PER_OP
    return per_op * data.num_ops


def sequences(kd: KernelData, schedule: Schedule) -> tuple[IntArray, IntArray]:
    """(seq, mlen): each machine's operations ordered by (start, end, index), as the
    checker reads them, in the CSR slots ``kd.mach_ptr``."""
    n = len(schedule)
    mach = np.asarray(schedule.machine, np.int64)
    order = np.lexsort((np.arange(n), schedule.end, schedule.start))
    order = order[np.argsort(mach[order], kind="stable")]  # by machine, order kept
    mlen = np.bincount(mach, minlength=len(kd.mach_ptr) - 1).astype(np.int64)
    first = np.concatenate(([0], np.cumsum(mlen)[:-1]))
    rank = np.arange(n) - np.repeat(first, mlen)  # index within its machine
    seq = np.zeros(int(kd.mach_ptr[-1]), np.int64)
    seq[kd.mach_ptr[mach[order]] + rank] = order
    return seq, mlen


def left_shifted(data: ProblemData, kd: KernelData, schedule: Schedule) -> Schedule:
    """``left_shift(data, schedule)``; on the plain FJSP with positive durations (no
    setups, transport, windows, fixed starts, nor the zero-length ordering rule) from
    the graph heads, in O(n) compiled code.

    Raises
    ------
    ValueError
        If the machine and job orders form a cycle.
    """
    n = data.num_ops
    plain = not (data.has_setups or data.has_transport or data.has_windows or data.has_resources)
    dur = np.asarray(schedule.end, np.int64) - np.asarray(schedule.start, np.int64)
    if len(schedule) != n or not plain or np.any(data.fixed_start >= 0) or np.any(dur <= 0):
        return left_shift(data, schedule)
    mach = np.ascontiguousarray(schedule.machine, dtype=np.int64)
    seq, mlen = sequences(kd, schedule)
    pos = np.zeros(n, np.int64)
    positions(seq, kd.mach_ptr, mlen, pos)
    r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(4))
    if heads_tails(kd.op_job, kd.release, dur, mach, seq, kd.mach_ptr, mlen, pos, r, q, order,
                   indeg) < 0:  # fmt: skip
        raise ValueError("machine and job orders form a cycle: the schedule is not feasible")
    return Schedule(mach, r, r + dur)
