"""Random FJSP instances in the style of Brandimarte (1993), for tests, benchmarks and
scale experiments.

Each job gets a uniform number of operations; each operation a uniform number of
eligible machines, chosen as a random subset; each (operation, machine) pair a uniform
integer duration. Optionally, release dates are uniform, and due dates are the release
plus ``due_factor`` times the job's mean total work (the sum over its operations of
the mean duration of their alternatives), as in the tardiness literature. With a
``shift`` calendar every machine works ``on`` units and is off ``off`` units, over and
over (each machine's cycle starts at a random phase), and every alternative meets the
off time as ``calendar`` says (:mod:`scheduler.calendar`; ``mixed`` draws a kind per
machine).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scheduler.calendar import KINDS
from scheduler.problem import ProblemData

__all__ = ["CALENDARS", "generate"]

#: ``calendar`` values: one kind for every mode, or a kind drawn per machine.
CALENDARS = (*(k for k in KINDS if k != "loads"), "mixed")

Range = int | tuple[int, int]


def _range(name: str, value: Range, minimum: int) -> tuple[int, int]:
    """``value`` as an inclusive ``(lo, hi)`` with ``minimum <= lo <= hi``."""
    if isinstance(value, (int, np.integer)):
        lo = hi = int(value)
    else:
        try:
            lo, hi = (int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be an integer or a (lo, hi) pair, got {value!r}"
            ) from None
    if lo < minimum:
        raise ValueError(f"{name}: lower end must be >= {minimum}, got {lo}")
    if hi < lo:
        raise ValueError(f"{name}: empty range ({lo}, {hi}), need lo <= hi")
    return lo, hi


def generate(
    jobs: int,
    machines: int,
    ops_per_job: Range = (5, 10),
    flexibility: Range = (1, 3),
    durations: Range = (1, 99),
    seed: int | np.random.SeedSequence = 0,
    release: Range | None = None,
    due_factor: float | None = None,
    weights: Range | None = None,
    name: str = "",
    shift: tuple[int, int] | None = None,
    calendar: str = "resume",
) -> ProblemData:
    """A random instance; the same arguments and seed give the same instance.

    Parameters
    ----------
    jobs, machines
        Sizes (>= 1 each).
    ops_per_job
        Operations per job: a number or an inclusive ``(lo, hi)`` range (lo >= 1).
    flexibility
        Eligible machines per operation, a number or ``(lo, hi)`` with
        ``1 <= lo <= hi <= machines``.
    durations
        Inclusive range of the integer durations (lo >= 0).
    seed
        Seeds every random choice (an int or a ``SeedSequence``).
    release
        Release dates: ``hi`` for uniform on ``0..hi``, or ``(lo, hi)``; ``None`` = 0.
    due_factor
        Due date = release + ``due_factor`` x the job's mean total work (> 0);
        ``None`` = no due dates.
    weights
        Tardiness weights: a number or ``(lo, hi)`` (lo >= 1); ``None`` = 1.
    shift
        ``(on, off)``: each machine works ``on`` and rests ``off`` time units, in turn
        (both >= 1); windows reach past any left-shifted schedule. ``None`` = always on.
    calendar
        How operations meet the off time: ``block``, ``resume``, ``run``, ``free`` or
        ``mixed`` (a kind drawn per machine among the four).
    """
    for label, value in (("jobs", jobs), ("machines", machines)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be an integer >= 1, got {value!r}")
    n_ops = _range("ops_per_job", ops_per_job, 1)
    flex = _range("flexibility", flexibility, 1)
    if flex[1] > machines:
        raise ValueError(
            f"flexibility: at most {machines} machines per operation, got up to {flex[1]}"
        )
    dur = _range("durations", durations, 0)
    rel = (
        None
        if release is None
        else _range("release", (0, release) if isinstance(release, int) else release, 0)
    )
    if due_factor is not None and not due_factor > 0:
        raise ValueError(f"due_factor must be > 0, got {due_factor!r}")
    wts = None if weights is None else _range("weights", weights, 1)
    if shift is not None:
        on, off = int(shift[0]), int(shift[1])
        if on < 1 or off < 1:
            raise ValueError(f"shift: on and off must be >= 1, got {shift!r}")
        if calendar == "block" and on < dur[1]:
            raise ValueError(
                f"shift: a {on}-unit shift cannot hold a {dur[1]}-unit operation that may not pause"
            )
    if calendar not in CALENDARS:
        raise ValueError(f"calendar: expected one of {', '.join(CALENDARS)}, got {calendar!r}")

    rng = np.random.default_rng(seed)
    ops = rng.integers(n_ops[0], n_ops[1], size=jobs, endpoint=True)
    total = int(ops.sum())
    k = rng.integers(flex[0], flex[1], size=total, endpoint=True)
    # A random subset of k machines per operation: the first k of a random permutation.
    perm = np.argsort(rng.random((total, machines)), axis=1)[:, : flex[1]]
    keep = np.arange(flex[1]) < k[:, None]
    chosen = np.where(keep, np.sort(np.where(keep, perm, machines), axis=1), machines)
    mode_machine = chosen[chosen < machines]
    mode_duration = rng.integers(dur[0], dur[1], size=len(mode_machine), endpoint=True)
    op_mode_ptr = np.concatenate(([0], np.cumsum(k)))
    job_op_ptr = np.concatenate(([0], np.cumsum(ops)))

    optional: dict[str, Any] = {}
    release_dates = np.zeros(jobs, np.int64)
    if rel is not None:
        release_dates = rng.integers(rel[0], rel[1], size=jobs, endpoint=True)
        optional["release"] = release_dates
    if due_factor is not None:
        mean_dur = np.add.reduceat(mode_duration, op_mode_ptr[:-1]) / k
        work = np.add.reduceat(mean_dur, job_op_ptr[:-1])
        optional["due"] = release_dates + np.ceil(due_factor * work).astype(np.int64)
    if wts is not None:
        optional["weight"] = rng.integers(wts[0], wts[1], size=jobs, endpoint=True)
    if shift is not None:
        longest = int(np.maximum.reduceat(mode_duration, op_mode_ptr[:-1]).sum())
        optional.update(
            _shifts(
                rng, machines, shift, calendar, mode_machine, mode_duration, release_dates, longest
            )
        )
    label = name or f"gen_{jobs}x{machines}_s{seed if isinstance(seed, int) else 'seq'}"
    return ProblemData(
        machines, job_op_ptr, op_mode_ptr, mode_machine, mode_duration, name=label, **optional
    )


def _shifts(
    rng: np.random.Generator,
    machines: int,
    shift: tuple[int, int],
    calendar: str,
    mode_machine: np.ndarray,
    mode_duration: np.ndarray,
    release: np.ndarray,
    work: int,
) -> dict[str, Any]:
    """Off windows of every machine up to a bound no left-shifted schedule passes (the
    last release plus all the work stretched by the calendar, plus a cycle), and the
    calendar kind of every mode."""
    on, off = shift
    period = on + off
    reach = int(release.max(initial=0)) + -(-work * period // on) + 2 * period
    ptr, starts, ends = [0], [], []
    for _ in range(machines):
        t = int(rng.integers(0, period))  # the first off window begins here
        while t < reach:
            starts.append(t)
            ends.append(t + off)
            t += period
        ptr.append(len(starts))
    if calendar == "mixed":
        per_machine = rng.choice([KINDS[k] for k in CALENDARS if k != "mixed"], size=machines)
        kinds = per_machine[mode_machine]
    else:
        kinds = np.full(len(mode_machine), KINDS[calendar], np.int64)
    # an operation that may not pause must fit in a shift: pause it if it cannot
    kinds = np.where((kinds == KINDS["block"]) & (mode_duration > on), KINDS["resume"], kinds)
    return {"window_ptr": ptr, "window_start": starts, "window_end": ends, "mode_calendar": kinds}
