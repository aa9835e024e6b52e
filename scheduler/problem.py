"""`ProblemData`: an immutable flexible job-shop instance on flat numpy arrays.

Operations are numbered 0..n_ops-1 in job order; the operations of job ``j`` are
``job_op_ptr[j]:job_op_ptr[j+1]`` and the alternatives (modes) of operation ``o`` are
``op_mode_ptr[o]:op_mode_ptr[o+1]``, each a (``mode_machine``, ``mode_duration``) pair.
This CSR layout is what the numba kernels and CP-SAT both read directly.

Semantics of the optional parts (the checker in :mod:`scheduler.check` is the
reference):

- ``release[j]``: the first operation of job ``j`` starts no earlier.
- ``due[j]``: due date (``-1`` = none); tardiness is ``max(0, C_j - due[j])`` times
  ``weight[j]`` (integer weights, so CP-SAT can optimise them exactly).
- ``setup[m, a, b]``: gap needed on machine ``m`` between an operation of family ``a``
  and the next one of family ``b``. No setup precedes the first operation.
- unavailability windows ``[window_start, window_end)`` per machine (CSR over
  ``window_ptr``): off-shift time, breaks, planned stops. How an operation meets them
  is its mode's ``mode_calendar`` (see :mod:`scheduler.calendar`): ``BLOCK`` (the
  default) must not overlap one; ``RESUME`` (attended work) starts outside them and
  pauses inside them, so its elapsed span depends on where it starts; ``RUN``
  (started by an operator, then unattended) starts outside them and runs through;
  ``FREE`` ignores them; ``LOADS`` runs as ``mode_loads`` equal fixture loads, each
  started outside them and run through (a CNC machine whose operator loads it).
  Setups pause inside windows (a setter does not work off shift): the next operation
  starts once ``setup`` units of time outside windows have passed since the previous
  one ended.
- ``transport[m1, m2]``: minimum lag between the end of an operation on ``m1`` and the
  start of the same job's next operation on ``m2``.
- ``fixed_machine[o]`` / ``fixed_start[o]`` (``-1`` = free): pin an operation, e.g. one
  already running when rescheduling.
- renewable resources (operator pools, a robot tending several machines):
  ``resource_capacity[r]`` units, and each mode may hold ``mode_demand[i]`` units of
  resource ``mode_resource[i]`` (``-1`` = none) over its whole span ``[start, end)``:
  at no time may the operations holding a resource need more than its capacity.
- partial holds (a robot that loads a machine and unloads it, while the machine
  runs on its own): when ``mode_hold_head[i]`` or ``mode_hold_tail[i]`` is positive,
  the mode holds its units only over the first ``head`` and the last ``tail`` time
  units of its span, ``[start, start + head)`` and ``[end - tail, end)``, not over all
  of it. ``head + tail`` may not exceed the duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scheduler.errors import ProblemDataError

__all__ = ["IntArray", "ProblemData"]

IntArray = NDArray[np.int64]


def _frozen(values: ArrayLike, ndim: int = 1) -> IntArray:
    """Contiguous, read-only int64: every array of the data has the same numba type, so
    each kernel compiles once whichever arrays were given."""
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.int64))
    if arr.ndim != ndim and arr.size == 0:
        arr = arr.reshape((0,) * ndim)
    arr.setflags(write=False)
    return arr


_NO_SETUP = _frozen(np.zeros((0, 0, 0), dtype=np.int64), 3)
_NO_TRANSPORT = _frozen(np.zeros((0, 0), dtype=np.int64), 2)


@dataclass(frozen=True, eq=False)
class ProblemData:
    """A validated, read-only FJSP instance. Build it with :class:`scheduler.Model`,
    :func:`scheduler.read_fjs` or directly from arrays; time is integer."""

    num_machines: int
    job_op_ptr: IntArray
    op_mode_ptr: IntArray
    mode_machine: IntArray
    mode_duration: IntArray
    release: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    due: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    weight: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    op_family: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    setup: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    window_ptr: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    window_start: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    window_end: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    transport: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    fixed_machine: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    fixed_start: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_calendar: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_loads: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    resource_capacity: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_resource: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_demand: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_hold_head: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    mode_hold_tail: IntArray = None  # type: ignore[assignment]  # None = default, filled in
    name: str = ""
    job_names: tuple[str, ...] = field(default=())
    machine_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "num_machines", int(self.num_machines))
        for key in ("job_op_ptr", "op_mode_ptr", "mode_machine", "mode_duration"):
            put(self, key, _frozen(getattr(self, key)))
        if self.num_machines < 1:
            raise ProblemDataError(f"num_machines must be >= 1, got {self.num_machines}")
        n_jobs = len(self.job_op_ptr) - 1
        n_ops = len(self.op_mode_ptr) - 1
        m = self.num_machines

        def vec(key: str, default: int, length: int) -> None:
            value = getattr(self, key)
            arr = np.full(length, default, np.int64) if value is None else value
            arr = _frozen(arr)
            if arr.shape != (length,):
                raise ProblemDataError(f"{key}: expected {length} values, got {arr.shape[0]}")
            put(self, key, arr)

        vec("release", 0, n_jobs)
        vec("due", -1, n_jobs)
        vec("weight", 1, n_jobs)
        vec("op_family", 0, n_ops)
        vec("fixed_machine", -1, n_ops)
        vec("fixed_start", -1, n_ops)
        vec("mode_calendar", 0, len(self.mode_machine))
        vec("mode_loads", 1, len(self.mode_machine))
        vec("mode_resource", -1, len(self.mode_machine))
        vec("mode_demand", 0, len(self.mode_machine))
        vec("mode_hold_head", 0, len(self.mode_machine))
        vec("mode_hold_tail", 0, len(self.mode_machine))
        put(
            self,
            "resource_capacity",
            _frozen([] if self.resource_capacity is None else self.resource_capacity),
        )
        put(self, "setup", _NO_SETUP if self.setup is None else _frozen(self.setup, 3))
        put(
            self,
            "transport",
            _NO_TRANSPORT if self.transport is None else _frozen(self.transport, 2),
        )
        self._normalise_windows(m)
        if not self.job_names:
            put(self, "job_names", tuple(f"J{j}" for j in range(n_jobs)))
        if not self.machine_names:
            put(self, "machine_names", tuple(f"M{k}" for k in range(m)))
        put(self, "job_names", tuple(str(s) for s in self.job_names))
        put(self, "machine_names", tuple(str(s) for s in self.machine_names))
        self._validate()

    # -- construction helpers -------------------------------------------------------

    @classmethod
    def from_jobs(
        cls,
        jobs: Sequence[Sequence[Sequence[tuple[int, int]]]],
        num_machines: int | None = None,
        **optional: Any,
    ) -> ProblemData:
        """Build from ``jobs[j][k] = [(machine, duration), ...]`` (0-based machines)."""
        job_op_ptr, op_mode_ptr, machines, durations = [0], [0], [], []
        for job in jobs:
            for op in job:
                for mach, dur in op:
                    machines.append(mach)
                    durations.append(dur)
                op_mode_ptr.append(len(machines))
            job_op_ptr.append(len(op_mode_ptr) - 1)
        if num_machines is None:
            num_machines = max(machines, default=-1) + 1
        return cls(
            num_machines,
            np.asarray(job_op_ptr, np.int64),
            np.asarray(op_mode_ptr, np.int64),
            np.asarray(machines, np.int64),
            np.asarray(durations, np.int64),
            **optional,
        )

    def replace(self, **changes: Any) -> ProblemData:
        """A copy with some fields replaced (validated again)."""
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update(changes)
        return ProblemData(**fields)

    def _normalise_windows(self, m: int) -> None:
        """Accept windows as CSR arrays; sort each machine's windows and merge overlaps."""
        put = object.__setattr__
        if self.window_ptr is None:
            if self.window_start is not None or self.window_end is not None:
                raise ProblemDataError("window_start/window_end given without window_ptr")
            put(self, "window_ptr", _frozen(np.zeros(m + 1, np.int64)))
            put(self, "window_start", _frozen([]))
            put(self, "window_end", _frozen([]))
            return
        if self.window_start is None or self.window_end is None:
            raise ProblemDataError("window_ptr given without window_start and window_end")
        ptr = np.asarray(self.window_ptr, np.int64)
        starts = np.asarray(self.window_start, np.int64)
        ends = np.asarray(self.window_end, np.int64)
        if ptr.shape != (m + 1,) or ptr[0] != 0 or np.any(np.diff(ptr) < 0):
            raise ProblemDataError(f"window_ptr must be {m + 1} non-decreasing values from 0")
        if starts.shape != ends.shape or len(starts) != ptr[-1]:
            raise ProblemDataError("window_start/window_end must have window_ptr[-1] values")
        new_ptr: list[int] = [0]
        new_s: list[int] = []
        new_e: list[int] = []
        for k in range(m):
            spans = sorted(zip(starts[ptr[k] : ptr[k + 1]], ends[ptr[k] : ptr[k + 1]], strict=True))
            for s, e in spans:
                if s < 0 or e <= s:
                    raise ProblemDataError(
                        f"machine {k}: unavailability window [{s}, {e}) must have 0 <= start < end"
                    )
                if len(new_s) > new_ptr[-1] and s <= new_e[-1]:
                    new_e[-1] = max(new_e[-1], int(e))
                else:
                    new_s.append(int(s))
                    new_e.append(int(e))
            new_ptr.append(len(new_s))
        put(self, "window_ptr", _frozen(new_ptr))
        put(self, "window_start", _frozen(new_s))
        put(self, "window_end", _frozen(new_e))

    def _validate(self) -> None:
        jp, op, mm, md = self.job_op_ptr, self.op_mode_ptr, self.mode_machine, self.mode_duration
        m = self.num_machines
        if len(jp) < 1 or jp[0] != 0 or jp[-1] != len(op) - 1:
            raise ProblemDataError("job_op_ptr must start at 0 and end at the number of operations")
        if len(op) < 1 or op[0] != 0 or op[-1] != len(mm) or len(md) != len(mm):
            raise ProblemDataError("op_mode_ptr must start at 0 and end at the number of modes")
        for empty in np.flatnonzero(np.diff(jp) <= 0):
            raise ProblemDataError(f"job {empty} ({self.job_names[empty]!r}) has no operation")
        for bad in np.flatnonzero(np.diff(op) <= 0):
            job, k = self.locate(int(bad))
            raise ProblemDataError(f"operation {bad} (job {job}, operation {k}) has no alternative")
        for i in np.flatnonzero((mm < 0) | (mm >= m)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: unknown machine {mm[i]} (machines are 0..{m - 1})"
            )
        for i in np.flatnonzero(md < 0):
            raise ProblemDataError(f"operation {self.mode_op[i]}: negative duration {md[i]}")
        keys = np.sort(
            self.mode_op * m + mm
        )  # one vectorised pass: validation is on the twin's hot path
        for dup in keys[1:][np.diff(keys) == 0]:
            raise ProblemDataError(
                f"operation {dup // m}: machine {dup % m} listed twice in its alternatives"
            )
        for i in np.flatnonzero((self.mode_calendar < 0) | (self.mode_calendar > 4)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: mode_calendar {self.mode_calendar[i]} "
                "(0 block, 1 resume, 2 run, 3 free, 4 loads)"
            )
        for i in np.flatnonzero(self.mode_loads < 1):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: mode_loads {self.mode_loads[i]} < 1"
            )
        loads = self.mode_calendar == 4
        for i in np.flatnonzero(loads & (self.mode_duration % self.mode_loads != 0)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: duration {md[i]} is not a whole number of "
                f"its {self.mode_loads[i]} equal loads"
            )
        self._check_resources()
        self._check_jobs()
        self._check_setup_transport()
        self._check_fixed()

    def _check_resources(self) -> None:
        cap, res, dem = self.resource_capacity, self.mode_resource, self.mode_demand
        for r in np.flatnonzero(cap < 1):
            raise ProblemDataError(f"resource {r}: capacity {cap[r]} (must be >= 1)")
        for i in np.flatnonzero((res < -1) | (res >= len(cap))):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: resource {res[i]} (resources are 0..{len(cap) - 1})"
            )
        for i in np.flatnonzero(dem < 0):
            raise ProblemDataError(f"operation {self.mode_op[i]}: negative demand {dem[i]}")
        held = res >= 0
        for i in np.flatnonzero(held & (dem > cap[np.where(held, res, 0)] if len(cap) else held)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: demand {dem[i]} exceeds the capacity "
                f"{cap[res[i]] if len(cap) else 0} of resource {res[i]}"
            )
        head, tail = self.mode_hold_head, self.mode_hold_tail
        for i in np.flatnonzero((head < 0) | (tail < 0)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: negative hold (head {head[i]}, tail {tail[i]})"
            )
        for i in np.flatnonzero(((head > 0) | (tail > 0)) & (head + tail > self.mode_duration)):
            raise ProblemDataError(
                f"operation {self.mode_op[i]}: hold head {head[i]} + tail {tail[i]} is "
                f"longer than its duration {self.mode_duration[i]}"
            )

    def _check_jobs(self) -> None:
        for name in ("release", "weight"):
            arr = getattr(self, name)
            for j in np.flatnonzero(arr < 0):
                raise ProblemDataError(f"job {j}: negative {name} {arr[j]}")
        for j in np.flatnonzero(self.due < -1):
            raise ProblemDataError(f"job {j}: due date {self.due[j]} (use -1 for none)")
        for label, names, n in (
            ("job_names", self.job_names, self.num_jobs),
            ("machine_names", self.machine_names, self.num_machines),
        ):
            if len(names) != n:
                raise ProblemDataError(f"{label}: expected {n} names, got {len(names)}")

    def _check_setup_transport(self) -> None:
        m = self.num_machines
        if self.has_setups:
            s = self.setup
            if s.shape[0] != m or s.shape[1] != s.shape[2]:
                raise ProblemDataError(f"setup must have shape ({m}, F, F), got {s.shape}")
            if np.any(s < 0):
                raise ProblemDataError(f"negative setup time at {np.argwhere(s < 0)[0].tolist()}")
            bad = np.flatnonzero((self.op_family < 0) | (self.op_family >= s.shape[1]))
            for o in bad:
                raise ProblemDataError(
                    f"operation {o}: family {self.op_family[o]} outside 0..{s.shape[1] - 1}"
                )
        elif np.any(self.op_family < 0):
            raise ProblemDataError("op_family must be >= 0")
        if self.has_transport:
            if self.transport.shape != (m, m):
                raise ProblemDataError(f"transport must be {m}x{m}, got {self.transport.shape}")
            if np.any(self.transport < 0):
                bad = np.argwhere(self.transport < 0)[0].tolist()
                raise ProblemDataError(f"negative transport time at {bad}")

    def _check_fixed(self) -> None:
        for o in np.flatnonzero(self.fixed_machine >= 0):
            machines = self.mode_machine[self.op_mode_ptr[o] : self.op_mode_ptr[o + 1]]
            if self.fixed_machine[o] not in machines:
                raise ProblemDataError(
                    f"operation {o}: fixed machine {self.fixed_machine[o]} is not eligible "
                    f"(eligible: {machines.tolist()})"
                )
        for o in np.flatnonzero(self.fixed_start < -1):
            raise ProblemDataError(f"operation {o}: fixed start {self.fixed_start[o]} (-1 = free)")
        for o in np.flatnonzero(self.fixed_start >= 0):
            j = self.op_job[o]
            if self.fixed_start[o] < self.release[j]:
                raise ProblemDataError(
                    f"operation {o}: fixed start {self.fixed_start[o]} is before the release "
                    f"{self.release[j]} of job {j}"
                )

    # -- sizes and derived arrays -------------------------------------------------------

    @property
    def num_jobs(self) -> int:
        return len(self.job_op_ptr) - 1

    @property
    def num_ops(self) -> int:
        return len(self.op_mode_ptr) - 1

    @property
    def num_modes(self) -> int:
        return len(self.mode_machine)

    @property
    def num_families(self) -> int:
        return int(self.setup.shape[1]) if self.has_setups else 1

    @property
    def has_setups(self) -> bool:
        return self.setup.size > 0

    @property
    def has_transport(self) -> bool:
        return self.transport.size > 0

    @property
    def has_windows(self) -> bool:
        return len(self.window_start) > 0

    @property
    def has_resources(self) -> bool:
        """Some mode holds units of a renewable resource."""
        return bool(np.any((self.mode_resource >= 0) & (self.mode_demand > 0)))

    @property
    def has_partial_holds(self) -> bool:
        """Some mode holds its resource over only part of its span."""
        held = (self.mode_resource >= 0) & (self.mode_demand > 0)
        return bool(np.any(held & ((self.mode_hold_head > 0) | (self.mode_hold_tail > 0))))

    @property
    def has_calendar_modes(self) -> bool:
        """Some mode meets the windows other than by not overlapping them."""
        return self.has_windows and bool(np.any(self.mode_calendar != 0))

    @property
    def has_due_dates(self) -> bool:
        return bool(np.any(self.due >= 0))

    @cached_property
    def op_job(self) -> IntArray:
        """Job of each operation."""
        return _frozen(np.repeat(np.arange(self.num_jobs), np.diff(self.job_op_ptr)))

    @cached_property
    def mode_op(self) -> IntArray:
        """Operation of each mode."""
        return _frozen(np.repeat(np.arange(self.num_ops), np.diff(self.op_mode_ptr)))

    @cached_property
    def flexibility(self) -> float:
        """Mean number of eligible machines per operation."""
        return self.num_modes / self.num_ops

    def locate(self, op: int) -> tuple[int, int]:
        """(job, position within the job) of a global operation index."""
        j = int(np.searchsorted(self.job_op_ptr, op, side="right") - 1)
        return j, op - int(self.job_op_ptr[j])

    def modes(self, op: int) -> list[tuple[int, int]]:
        """``[(machine, duration), ...]`` of one operation."""
        lo, hi = self.op_mode_ptr[op], self.op_mode_ptr[op + 1]
        return list(
            zip(self.mode_machine[lo:hi].tolist(), self.mode_duration[lo:hi].tolist(), strict=True)
        )

    def windows(self, machine: int) -> list[tuple[int, int]]:
        """Unavailability windows ``[(start, end), ...]`` of one machine, sorted."""
        lo, hi = self.window_ptr[machine], self.window_ptr[machine + 1]
        return list(
            zip(self.window_start[lo:hi].tolist(), self.window_end[lo:hi].tolist(), strict=True)
        )

    def __repr__(self) -> str:
        return (
            f"ProblemData(name={self.name!r}, jobs={self.num_jobs}, machines={self.num_machines}, "
            f"operations={self.num_ops}, modes={self.num_modes})"
        )

    # -- JSON ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``ProblemData.from_dict`` inverts it exactly."""
        out: dict[str, Any] = {"format": "shopfloor-twin/fjsp", "version": 1}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            out[key] = value.tolist() if isinstance(value, np.ndarray) else value
        out["job_names"] = list(self.job_names)
        out["machine_names"] = list(self.machine_names)
        return out

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ProblemData:
        known = set(cls.__dataclass_fields__)
        unknown = set(payload) - known - {"format", "version"}
        if unknown:
            raise ProblemDataError(f"unknown field(s) {sorted(unknown)}")
        missing = {"num_machines", "job_op_ptr", "op_mode_ptr", "mode_machine", "mode_duration"}
        missing -= set(payload)
        if missing:
            raise ProblemDataError(f"missing field(s) {sorted(missing)}")
        kwargs = {k: v for k, v in payload.items() if k in known}
        for key in ("job_names", "machine_names"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        if kwargs.get("setup") is not None and len(kwargs["setup"]) == 0:
            kwargs["setup"] = None
        if kwargs.get("transport") is not None and len(kwargs["transport"]) == 0:
            kwargs["transport"] = None
        return cls(**kwargs)
