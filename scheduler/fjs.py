"""FJSPLIB ``.fjs`` files and the project's JSON instance format.

``.fjs``: first line ``jobs machines [avg-machines-per-op]`` (the third number is
informative and often wrong, so it is ignored); then one line per job: the number of
operations, then per operation ``k`` followed by ``k`` pairs ``machine duration`` with
machines numbered from 1. The declared machine count is kept even when some machines
are never used (mk06, mk08, mk10).
"""

from __future__ import annotations

import json
from pathlib import Path

from scheduler.errors import InstanceFormatError, ProblemDataError
from scheduler.problem import ProblemData

__all__ = ["read_fjs", "read_instance", "read_json", "write_fjs", "write_json"]


def _ints(path: str, lineno: int, line: str) -> list[int]:
    try:
        return [int(tok) for tok in line.split()]
    except ValueError:
        bad = next(t for t in line.split() if not t.lstrip("-").isdigit())
        raise InstanceFormatError(path, lineno, f"expected integers, got {bad!r}") from None


def read_fjs(path: str | Path) -> ProblemData:
    """Read an FJSPLIB file; errors name the file and the line."""
    p = Path(path)
    name = str(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise InstanceFormatError(name, None, "no such file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(name, None, f"cannot read: {exc}") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise InstanceFormatError(name, None, "empty file")
    head_no, head = lines[0]
    # The third header number is informative (and sometimes a float): ignore it.
    header = _ints(name, head_no, " ".join(head.split()[:2]))
    if len(header) < 2:
        raise InstanceFormatError(name, head_no, "header needs 'jobs machines'")
    n_jobs, n_machines = header[0], header[1]
    if n_jobs < 1 or n_machines < 1:
        raise InstanceFormatError(name, head_no, f"need >= 1 job and machine, got {header[:2]}")
    if len(lines) - 1 < n_jobs:
        raise InstanceFormatError(
            name, None, f"header declares {n_jobs} jobs but {len(lines) - 1} job lines follow"
        )
    jobs = []
    for lineno, line in lines[1 : n_jobs + 1]:
        jobs.append(_parse_job(name, lineno, _ints(name, lineno, line), n_machines))
    for lineno, line in lines[n_jobs + 1 :]:
        raise InstanceFormatError(name, lineno, f"unexpected content after {n_jobs} jobs: {line!r}")
    try:
        return ProblemData.from_jobs(jobs, num_machines=n_machines, name=p.stem)
    except ProblemDataError as exc:
        raise InstanceFormatError(name, None, str(exc)) from None


def _parse_job(
    path: str, lineno: int, nums: list[int], n_machines: int
) -> list[list[tuple[int, int]]]:
    pos = 0

    def take(what: str) -> int:
        nonlocal pos
        if pos >= len(nums):
            raise InstanceFormatError(path, lineno, f"line ends early: expected {what}")
        pos += 1
        return nums[pos - 1]

    n_ops = take("the number of operations")
    if n_ops < 1:
        raise InstanceFormatError(path, lineno, f"a job needs >= 1 operation, got {n_ops}")
    ops = []
    for k in range(n_ops):
        n_alt = take(f"the machine count of operation {k + 1}")
        if n_alt < 1:
            raise InstanceFormatError(path, lineno, f"operation {k + 1} has {n_alt} machines")
        modes = []
        for _ in range(n_alt):
            mach = take(f"a machine of operation {k + 1}")
            dur = take(f"a duration of operation {k + 1}")
            if not 1 <= mach <= n_machines:
                raise InstanceFormatError(
                    path, lineno, f"operation {k + 1}: machine {mach} outside 1..{n_machines}"
                )
            if dur < 0:
                raise InstanceFormatError(
                    path, lineno, f"operation {k + 1}: negative duration {dur}"
                )
            modes.append((mach - 1, dur))
        ops.append(modes)
    if pos != len(nums):
        raise InstanceFormatError(
            path, lineno, f"{len(nums) - pos} extra numbers after the last operation"
        )
    return ops


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


def write_json(data: ProblemData, path: str | Path) -> None:
    Path(path).write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1))


def read_json(path: str | Path) -> ProblemData:
    name = str(path)
    try:
        payload = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InstanceFormatError(name, None, "no such file") from None
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(name, exc.lineno, f"invalid JSON: {exc.msg}") from None
    if not isinstance(payload, dict):
        raise InstanceFormatError(name, None, "expected a JSON object")
    if "problem" in payload and isinstance(payload["problem"], dict):
        payload = payload["problem"]
    try:
        return ProblemData.from_dict(payload)
    except (ProblemDataError, TypeError, ValueError) as exc:
        raise InstanceFormatError(name, None, str(exc)) from None


def read_instance(path: str | Path) -> ProblemData:
    """Read ``.fjs`` or ``.json`` by suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return read_json(path)
    if suffix in (".fjs", ".txt", ""):
        return read_fjs(path)
    raise InstanceFormatError(
        str(path), None, f"unknown instance format {suffix!r} (expected .fjs or .json)"
    )
