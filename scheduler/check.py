"""The independent feasibility checker: the reference for what a valid schedule is.

It shares no code with any solver (it imports only the data model), so a solver bug
cannot hide behind a shared helper. It never raises on a bad schedule: it returns
every :class:`Violation` it finds, each naming the operations and the values.

Rules (``Violation.rule``):

- ``length``: machine/start/end arrays do not have one entry per operation (nothing
  else is checked then).
- ``negative_start``: an operation starts before time 0.
- ``ineligible``: an operation runs on a machine it has no mode for.
- ``duration``: ``end - start`` differs from the duration on the chosen machine
  (for a ``RESUME`` mode, see ``calendar``).
- ``calendar``: a positive-length ``RESUME``, ``RUN`` or ``LOADS`` mode
  (``mode_calendar`` 1, 2 or 4) starts inside an unavailability window; a ``RESUME``
  mode's time outside windows in ``[start, end)`` differs from its duration, or it
  ends inside a window (it would have ended as the window opened); a ``LOADS`` mode
  does not end when its equal loads, each started outside windows (waiting for a
  window's end when the previous one ends inside it) and run through, are done.
- ``overlap``: on one machine, ordered by (start, end, index), each operation must
  start at or after the previous one's end plus the setup between their families
  (a setup pauses inside windows: it counts only time outside them); it must also
  not start before the end of any earlier operation. A zero-length operation
  occupies its instant: it may not start strictly inside another one.
- ``precedence``: an operation starts before its job predecessor ends.
- ``transport``: it starts before the predecessor's end plus
  ``transport[m_prev, m_next]`` (checked only when the precedence itself holds).
- ``release``: the first operation of a job starts before the job's release.
- ``unavailability``: a ``BLOCK`` operation (``mode_calendar`` 0, the default)
  overlaps an unavailability window (a zero-length operation of any kind but
  ``FREE``: when strictly inside it).
- ``fixed``: a fixed machine or fixed start was not respected.
- ``resource``: at some instant the operations holding a renewable resource need more
  units than its capacity. An operation holds its units over its span, or with a
  partial hold (``mode_hold_head``/``mode_hold_tail``) over the first ``head`` and the
  last ``tail`` units of its span only.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from scheduler.problem import IntArray, ProblemData
from scheduler.result import Schedule

__all__ = ["RULES", "Violation", "check", "is_feasible"]

RULES = (
    "length",
    "negative_start",
    "ineligible",
    "duration",
    "calendar",
    "overlap",
    "precedence",
    "transport",
    "release",
    "unavailability",
    "fixed",
    "resource",
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which operations (global indices), and why."""

    rule: str
    operations: tuple[int, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def is_feasible(data: ProblemData, schedule: Schedule) -> bool:
    """True when :func:`check` finds no violation."""
    return not check(data, schedule)


def check(data: ProblemData, schedule: Schedule) -> list[Violation]:
    """Every violation of ``schedule`` against ``data`` (empty list = feasible)."""
    n = data.num_ops
    sizes = {k: len(getattr(schedule, k)) for k in ("machine", "start", "end")}
    wrong = {k: v for k, v in sizes.items() if v != n}
    if wrong:
        what = ", ".join(f"{k} has {v}" for k, v in wrong.items())
        return [Violation("length", (), f"expected {n} operations: {what}")]
    mach = np.asarray(schedule.machine, np.int64)
    start = np.asarray(schedule.start, np.int64)
    end = np.asarray(schedule.end, np.int64)
    out: list[Violation] = []
    for o in np.flatnonzero(start < 0).tolist():
        out.append(Violation("negative_start", (o,), f"operation {o} starts at {start[o]} < 0"))
    modes = _modes_of(data, mach)
    duration, kind, eligible = _durations(data, modes)
    for o in np.flatnonzero(~eligible).tolist():
        allowed = data.mode_machine[data.op_mode_ptr[o] : data.op_mode_ptr[o + 1]].tolist()
        out.append(
            Violation(
                "ineligible", (o,), f"operation {o} on machine {mach[o]} (eligible: {allowed})"
            )
        )
    stretched = (
        eligible & ((kind == 1) | (kind == 4)) & (duration > 0)
        if data.has_windows
        else eligible & False
    )
    for o in np.flatnonzero(eligible & ~stretched & (end - start != duration)).tolist():
        out.append(
            Violation(
                "duration",
                (o,),
                f"operation {o} on machine {mach[o]}: end - start = {end[o]} - {start[o]} "
                f"= {end[o] - start[o]}, expected {duration[o]}",
            )
        )
    out += _calendar_violations(data, mach, start, end, duration, kind, modes)
    out += _machine_violations(data, mach, start, end)
    out += _job_violations(data, mach, start, end)
    out += _window_violations(data, mach, start, end, duration, kind)
    out += _fixed_violations(data, mach, start)
    out += _resource_violations(data, start, end, modes)
    return out


def _resource_violations(
    data: ProblemData, start: np.ndarray, end: np.ndarray, modes: np.ndarray
) -> list[Violation]:
    """A sweep over the start and end instants of each resource's holders."""
    out: list[Violation] = []
    if not data.has_resources:
        return out
    res = _arr(data.mode_resource)
    dem = _arr(data.mode_demand)
    cap = _arr(data.resource_capacity)
    for r in range(len(cap)):
        events: list[tuple[int, int, int]] = []  # (time, +/- units, op): ends sort first
        for o in np.flatnonzero(modes >= 0).tolist():
            i = modes[o]
            if res[i] == r and dem[i] > 0 and end[o] > start[o]:
                for a, b in _held(data, int(i), int(start[o]), int(end[o])):
                    events += [(a, int(dem[i]), o), (b, -int(dem[i]), o)]
        events.sort(key=lambda x: (x[0], x[1]))
        held, holders = 0, set()
        for t, units, o in events:
            held += units
            if units > 0:
                holders.add(o)
                if held > cap[r]:
                    out.append(
                        Violation(
                            "resource",
                            tuple(sorted(holders)),
                            f"resource {r}: {held} units held at {t}, capacity {cap[r]}",
                        )
                    )
                    break
            else:
                holders.discard(o)
    return out


def _held(data: ProblemData, i: int, s: int, e: int) -> list[tuple[int, int]]:
    """Where mode ``i`` placed at ``[s, e)`` holds its resource (see the rules above)."""
    head, tail = int(_arr(data.mode_hold_head)[i]), int(_arr(data.mode_hold_tail)[i])
    if head <= 0 and tail <= 0:
        return [(s, e)]
    return [(a, b) for a, b in ((s, s + head), (e - tail, e)) if b > a]


def _durations(data: ProblemData, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duration and calendar kind of each operation in its chosen mode (-1 and 0 where
    the machine is not eligible), and whether it is eligible."""
    eligible = modes >= 0
    chosen = np.where(eligible, modes, 0)
    duration = np.where(eligible, data.mode_duration[chosen], -1)
    kind = np.where(eligible, _arr(data.mode_calendar)[chosen], 0)
    return duration, kind, eligible


def _modes_of(data: ProblemData, mach: np.ndarray) -> np.ndarray:
    """The mode index of each operation on its machine (-1 if ineligible: machines are
    unique within an operation's modes)."""
    match = data.mode_machine == mach[data.mode_op]
    modes = np.full(data.num_ops, -1, np.int64)
    modes[data.mode_op[match]] = np.flatnonzero(match)
    return modes


def _after_loads(data: ProblemData, m: int, s: int, p: int, loads: int) -> int:
    """End of ``loads`` equal loads from ``s``, one at a time: a load that would begin
    inside a window begins at its end."""
    t, each = s, p // loads
    windows = data.windows(m)
    i = 0
    for _ in range(loads):
        while i < len(windows) and windows[i][1] <= t:
            i += 1
        if i < len(windows) and windows[i][0] <= t:
            t = windows[i][1]
        t += each
    return t


def _meeting(data: ProblemData, m: int, a: int, b: int) -> list[tuple[int, int]]:
    """Machine ``m``'s windows that end after ``a`` and start at or before ``b``."""
    windows = data.windows(m)
    first = bisect.bisect_right([hi for _, hi in windows], a)
    out = []
    for lo, hi in windows[first:]:
        if lo > b:
            break
        out.append((lo, hi))
    return out


def _off_time(data: ProblemData, m: int, a: int, b: int) -> int:
    """Time of ``[a, b)`` inside machine ``m``'s windows (each window measured apart)."""
    return sum(max(0, min(b, hi) - max(a, lo)) for lo, hi in _meeting(data, m, a, b))


def _calendar_violations(
    data: ProblemData,
    mach: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    duration: np.ndarray,
    kind: np.ndarray,
    modes: np.ndarray,
) -> list[Violation]:
    out: list[Violation] = []
    if not data.has_windows:
        return out
    staged = (kind == 1) | (kind == 2) | (kind == 4)
    for o in np.flatnonzero((modes >= 0) & staged & (duration > 0)).tolist():
        m, s, e = int(mach[o]), int(start[o]), int(end[o])
        for lo, hi in _meeting(data, m, min(s, e) - 1, max(s, e)):
            if lo <= s < hi:
                out.append(
                    Violation(
                        "calendar",
                        (o,),
                        f"operation {o} on machine {m} starts "
                        f"at {s}, inside the unavailability window [{lo}, {hi})",
                    )
                )
            if kind[o] == 1 and lo < e <= hi:
                out.append(
                    Violation(
                        "calendar",
                        (o,),
                        f"operation {o} on machine {m} ends at "
                        f"{e}, inside the unavailability window [{lo}, {hi})",
                    )
                )
        if kind[o] == 4:
            expected = _after_loads(data, m, s, int(duration[o]), int(data.mode_loads[modes[o]]))
            if e != expected:
                out.append(
                    Violation(
                        "calendar",
                        (o,),
                        f"operation {o} on machine {m}: its "
                        f"{data.mode_loads[modes[o]]} loads from {s} end at "
                        f"{expected}, not {e}",
                    )
                )
        if kind[o] == 1:
            work = e - s - _off_time(data, m, s, e)
            if work != duration[o]:
                out.append(
                    Violation(
                        "calendar",
                        (o,),
                        f"operation {o} on machine {m}: "
                        f"[{s}, {e}) holds {work} outside windows, expected "
                        f"{duration[o]}",
                    )
                )
    return out


def _machine_violations(
    data: ProblemData, mach: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list[Violation]:
    out: list[Violation] = []
    order = np.lexsort((np.arange(data.num_ops), end, start, mach)).tolist()
    fam = _arr(data.op_family)
    prev = -1  # previous operation on the same machine
    latest = -1  # earlier operation on the same machine with the latest end
    for o in order:
        m = int(mach[o])
        if prev < 0 or mach[prev] != m:
            prev, latest = o, o
            continue
        setup = _setup(data, m, int(fam[prev]), int(fam[o]))
        paused = 0
        if setup > 0 and data.has_windows and start[o] >= end[prev]:
            paused = _off_time(data, m, int(end[prev]), int(start[o]))
        if start[o] < end[prev] + setup + paused:
            out.append(
                Violation(
                    "overlap",
                    (prev, o),
                    f"machine {m}: operation {o} starts at {start[o]} before operation {prev} "
                    f"ends at {end[prev]} + setup {setup}"
                    + (f" + {paused} inside windows" if paused else ""),
                )
            )
        elif start[o] < end[latest] and latest != prev:
            out.append(
                Violation(
                    "overlap",
                    (latest, o),
                    f"machine {m}: operation {o} starts at {start[o]} inside operation {latest} "
                    f"[{start[latest]}, {end[latest]})",
                )
            )
        if end[o] > end[latest]:
            latest = o
        prev = o
    return out


def _arr(value: IntArray | None) -> IntArray:
    """ProblemData fills every optional array in ``__post_init__``; this narrows the type."""
    if value is None:
        raise TypeError("ProblemData field was not normalised")
    return value


def _setup(data: ProblemData, machine: int, a: int, b: int) -> int:
    setup = _arr(data.setup)
    if not data.has_setups or not 0 <= machine < setup.shape[0]:
        return 0
    return int(setup[machine, a, b])


def _job_violations(
    data: ProblemData, mach: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list[Violation]:
    out: list[Violation] = []
    m = data.num_machines
    release, transport = _arr(data.release), _arr(data.transport)
    for j in range(data.num_jobs):
        lo, hi = int(data.job_op_ptr[j]), int(data.job_op_ptr[j + 1])
        if start[lo] < release[j]:
            out.append(
                Violation(
                    "release",
                    (lo,),
                    f"job {j}: first operation {lo} starts at {start[lo]} before release "
                    f"{release[j]}",
                )
            )
        for o in range(lo + 1, hi):
            p = o - 1
            if start[o] < end[p]:
                out.append(
                    Violation(
                        "precedence",
                        (p, o),
                        f"job {j}: operation {o} starts at {start[o]} before its predecessor "
                        f"{p} ends at {end[p]}",
                    )
                )
                continue
            valid = 0 <= mach[p] < m and 0 <= mach[o] < m
            lag = int(transport[mach[p], mach[o]]) if data.has_transport and valid else 0
            if start[o] < end[p] + lag:
                out.append(
                    Violation(
                        "transport",
                        (p, o),
                        f"job {j}: operation {o} on machine {mach[o]} starts at {start[o]}, "
                        f"before {end[p]} (end of {p} on machine {mach[p]}) + transport {lag}",
                    )
                )
    return out


def _window_violations(
    data: ProblemData,
    mach: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    duration: np.ndarray,
    kind: np.ndarray,
) -> list[Violation]:
    out: list[Violation] = []
    if not data.has_windows:
        return out
    for o in range(data.num_ops):
        m = int(mach[o])
        if not 0 <= m < data.num_machines or kind[o] == 3 or (kind[o] != 0 and duration[o] > 0):
            continue
        for a, b in _meeting(data, m, int(min(start[o], end[o])) - 1, int(max(start[o], end[o]))):
            # positive length: [s, e) meets [a, b); zero length: a < s < b.
            hit = (start[o] < b and a < end[o]) if end[o] > start[o] else (a < start[o] < b)
            if hit:
                out.append(
                    Violation(
                        "unavailability",
                        (o,),
                        f"operation {o} [{start[o]}, {end[o]}) on machine {m} overlaps the "
                        f"unavailability window [{a}, {b})",
                    )
                )
    return out


def _fixed_violations(data: ProblemData, mach: np.ndarray, start: np.ndarray) -> list[Violation]:
    out: list[Violation] = []
    fm, fs = _arr(data.fixed_machine), _arr(data.fixed_start)
    for o in np.flatnonzero((fm >= 0) & (mach != fm)).tolist():
        out.append(
            Violation("fixed", (o,), f"operation {o} is fixed to machine {fm[o]}, got {mach[o]}")
        )
    for o in np.flatnonzero((fs >= 0) & (start != fs)).tolist():
        out.append(
            Violation("fixed", (o,), f"operation {o} is fixed to start {fs[o]}, got {start[o]}")
        )
    return out
