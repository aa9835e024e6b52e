"""FJSPLIB ``.fjs`` files, and :func:`read_instance` for both instance formats.

``.fjs``: first line ``jobs machines [avg-machines-per-op]`` (the third number is
informative and often wrong, so it is only checked to be a number); then one line per
job: the number of operations, then per operation ``k`` followed by ``k`` pairs
``machine duration`` with machines numbered from 1. The declared machine count is kept
even when some machines are never used (mk06, mk08, mk10). Files come from outside,
so reading is strict and bounded (:mod:`scheduler.limits`): a bad file fails with a
message naming the line, never with a traceback, an overflow or a hang.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from scheduler.errors import InstanceFormatError, ProblemDataError
from scheduler.fjs_json import read_json, write_json
from scheduler.limits import (
    MAX_BYTES,
    MAX_DURATION,
    MAX_MACHINES,
    MAX_MODES,
    MAX_OPERATIONS,
    read_text_capped,
    show_int,
)
from scheduler.problem import ProblemData

__all__ = ["read_fjs", "read_instance", "read_json", "write_fjs", "write_json"]

_INT = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?")


def _ints(path: str, lineno: int, tokens: list[str]) -> list[int]:
    """Integers ``-?[0-9]+`` only: ``int()`` alone would also take ``+5``, ``1_0`` and
    non-ASCII digits, and fails past 4,300 digits with a ValueError of its own."""
    line = " ".join(tokens)
    if line.isascii() and "+" not in line and "_" not in line:
        try:  # the fast path: on ASCII without + and _, int() takes exactly -?[0-9]+
            return [int(t) for t in tokens]
        except ValueError:
            pass
    for t in tokens:
        if not _INT.fullmatch(t):
            shown = repr(t) if len(t) <= 24 else repr(t[:20]) + f"... ({len(t)} characters)"
            raise InstanceFormatError(path, lineno, f"expected integers, got {shown}")
    huge = max(tokens, key=len)
    raise InstanceFormatError(path, lineno, f"number {show_int(huge)} is out of range")


def _at_most(path: str, lineno: int, what: str, value: int, bound: int) -> None:
    if value > bound:
        shown = show_int(str(value))
        raise InstanceFormatError(path, lineno, f"{what} {shown} exceeds the bound {bound}")


def read_fjs(path: str | Path, *, max_bytes: int = MAX_BYTES) -> ProblemData:
    """Read an FJSPLIB file of at most ``max_bytes`` bytes; errors name the file and
    the line, and what was expected there."""
    p = Path(path)
    name = str(path)
    text = read_text_capped(path, max_bytes)
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise InstanceFormatError(name, None, "empty file")
    head_no, head = lines[0]
    tokens = head.split()
    if len(tokens) < 2:
        raise InstanceFormatError(name, head_no, "header needs 'jobs machines'")
    # The third header number is informative (and sometimes a float): checked, not used.
    if len(tokens) > 3 or (len(tokens) == 3 and not _NUMBER.fullmatch(tokens[2])):
        raise InstanceFormatError(
            name, head_no, f"header: expected 'jobs machines [average]', got {head.strip()!r}"
        )
    header = _ints(name, head_no, tokens[:2])
    n_jobs, n_machines = header
    if n_jobs < 1 or n_machines < 1:
        raise InstanceFormatError(name, head_no, f"need >= 1 job and machine, got {header}")
    _at_most(name, head_no, "job count", n_jobs, MAX_OPERATIONS)
    _at_most(name, head_no, "machine count", n_machines, MAX_MACHINES)
    if len(lines) - 1 < n_jobs:
        raise InstanceFormatError(
            name, None, f"header declares {n_jobs} jobs but {len(lines) - 1} job lines follow"
        )
    # CSR arrays straight away, as ProblemData.from_jobs would build them, without a
    # tuple per alternative: a file at the size cap holds millions of them.
    job_op_ptr, op_mode_ptr = [0], [0]
    machines: list[int] = []
    durations: list[int] = []
    csr = (op_mode_ptr, machines, durations)
    for lineno, line in lines[1 : n_jobs + 1]:
        _parse_job(name, lineno, _ints(name, lineno, line.split()), n_machines, csr)
        job_op_ptr.append(len(op_mode_ptr) - 1)
        _at_most(name, lineno, "operations up to this job:", job_op_ptr[-1], MAX_OPERATIONS)
        _at_most(name, lineno, "alternatives up to this job:", len(machines), MAX_MODES)
    for lineno, line in lines[n_jobs + 1 :]:
        raise InstanceFormatError(name, lineno, f"unexpected content after {n_jobs} jobs: {line!r}")
    try:
        return ProblemData(
            n_machines,
            np.asarray(job_op_ptr, np.int64),
            np.asarray(op_mode_ptr, np.int64),
            np.asarray(machines, np.int64) - 1,
            np.asarray(durations, np.int64),
            name=p.stem,
        )
    except ProblemDataError as exc:
        raise InstanceFormatError(name, None, str(exc)) from None


def _parse_job(
    path: str,
    lineno: int,
    nums: list[int],
    n_machines: int,
    csr: tuple[list[int], list[int], list[int]],
) -> None:
    """Append one job line's operations to ``csr`` (op_mode_ptr, machines, durations).

    Each operation is checked as a whole (extremes of its slices); only a failing one is
    walked number by number, so the first error in reading order is the one reported.
    """
    op_mode_ptr, machines, durations = csr
    if not nums:
        raise InstanceFormatError(
            path, lineno, "line ends early: expected the number of operations"
        )
    n_ops = nums[0]
    if n_ops < 1:
        raise InstanceFormatError(path, lineno, f"a job needs >= 1 operation, got {n_ops}")
    pos = 1
    for k in range(n_ops):
        if pos >= len(nums):
            raise InstanceFormatError(
                path, lineno, f"line ends early: expected the machine count of operation {k + 1}"
            )
        n_alt = nums[pos]
        if n_alt < 1:
            raise InstanceFormatError(
                path, lineno, f"operation {k + 1} has {n_alt} machines, expected >= 1"
            )
        if n_alt > n_machines:  # a machine may appear once per operation
            raise InstanceFormatError(
                path,
                lineno,
                f"operation {k + 1} has {n_alt} machines, expected at most {n_machines} "
                "(each machine once)",
            )
        pairs = nums[pos + 1 : pos + 1 + 2 * n_alt]
        mach, dur = pairs[0::2], pairs[1::2]
        if not (
            len(pairs) == 2 * n_alt
            and min(mach) >= 1
            and max(mach) <= n_machines
            and min(dur) >= 0
            and max(dur) <= MAX_DURATION
            and len(set(mach)) == n_alt
        ):
            _explain(path, lineno, k, pairs, n_alt, n_machines)
        machines.extend(mach)  # 1-based here, shifted once at the end
        durations.extend(dur)
        op_mode_ptr.append(len(machines))
        pos += 1 + 2 * n_alt
    if pos != len(nums):
        raise InstanceFormatError(
            path, lineno, f"{len(nums) - pos} extra numbers after the last operation"
        )


def _explain(path: str, lineno: int, k: int, pairs: list[int], n_alt: int, n_machines: int) -> None:
    """Raise for the first bad number, in reading order, of operation ``k``."""
    seen: set[int] = set()
    for i in range(n_alt):
        if 2 * i >= len(pairs):
            what = f"a machine of operation {k + 1}"
        elif 2 * i + 1 >= len(pairs):
            what = f"a duration of operation {k + 1}"
        else:
            what = ""
        if what:
            raise InstanceFormatError(path, lineno, f"line ends early: expected {what}")
        mach, dur = pairs[2 * i], pairs[2 * i + 1]
        if not 1 <= mach <= n_machines:
            raise InstanceFormatError(
                path, lineno, f"operation {k + 1}: machine {mach} outside 1..{n_machines}"
            )
        if mach in seen:
            raise InstanceFormatError(
                path, lineno, f"operation {k + 1}: machine {mach} listed twice"
            )
        if dur < 0:
            raise InstanceFormatError(path, lineno, f"operation {k + 1}: negative duration {dur}")
        _at_most(path, lineno, f"operation {k + 1}: duration", dur, MAX_DURATION)
        seen.add(mach)
    raise AssertionError("unreachable: the operation passed every check")  # pragma: no cover


def write_fjs(data: ProblemData, path: str | Path) -> None:
    """Write the FJSPLIB view of ``data`` (routing and durations only)."""
    lines = [f"{data.num_jobs} {data.num_machines} {data.flexibility:g}"]
    for j in range(data.num_jobs):
        parts = [str(data.job_op_ptr[j + 1] - data.job_op_ptr[j])]
        for o in range(data.job_op_ptr[j], data.job_op_ptr[j + 1]):
            modes = data.modes(int(o))
            parts.append(str(len(modes)))
            parts.extend(f"{m + 1} {d}" for m, d in modes)
        lines.append(" ".join(parts))
    Path(path).write_text("\n".join(lines) + "\n")


def read_instance(path: str | Path, *, max_bytes: int = MAX_BYTES) -> ProblemData:
    """Read ``.fjs`` or ``.json`` by suffix, files of at most ``max_bytes`` bytes."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return read_json(path, max_bytes=max_bytes)
    if suffix in (".fjs", ".txt", ""):
        return read_fjs(path, max_bytes=max_bytes)
    raise InstanceFormatError(
        str(path), None, f"unknown instance format {suffix!r} (expected .fjs or .json)"
    )
