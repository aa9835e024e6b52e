"""`Schedule` (what runs where and when) and `Result` (what a solver reports)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scheduler.problem import IntArray, ProblemData

__all__ = ["Result", "Schedule", "Status"]


def _frozen(values: Any) -> IntArray:
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.int64))
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Schedule:
    """Machine, start and end per operation (global operation order of the data)."""

    machine: IntArray
    start: IntArray
    end: IntArray

    def __post_init__(self) -> None:
        for key in ("machine", "start", "end"):
            object.__setattr__(self, key, _frozen(getattr(self, key)))
        if not (self.machine.shape == self.start.shape == self.end.shape):
            raise ValueError(
                f"machine, start and end must have the same length, got "
                f"{len(self.machine)}, {len(self.start)}, {len(self.end)}"
            )

    @classmethod
    def from_starts(cls, data: ProblemData, machine: Any, start: Any) -> Schedule:
        """Derive ends from the durations of the chosen machines."""
        machine = np.asarray(machine, np.int64)
        start = np.asarray(start, np.int64)
        end = start + duration_on(data, machine)
        return cls(machine, start, end)

    def __len__(self) -> int:
        return len(self.machine)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, k), getattr(other, k)) for k in ("machine", "start", "end")
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def makespan(self) -> int:
        return int(self.end.max()) if len(self.end) else 0

    def job_completion(self, data: ProblemData) -> IntArray:
        """Completion time of each job (end of its last operation)."""
        return _frozen(self.end[data.job_op_ptr[1:] - 1])

    def tardiness(self, data: ProblemData) -> IntArray:
        """Unweighted tardiness per job (0 for jobs without a due date)."""
        late = self.job_completion(data) - data.due
        return _frozen(np.where(data.due >= 0, np.maximum(late, 0), 0))

    def total_weighted_tardiness(self, data: ProblemData) -> int:
        return int((self.tardiness(data) * data.weight).sum())

    def max_tardiness(self, data: ProblemData) -> int:
        t = self.tardiness(data)
        return int(t.max()) if len(t) else 0

    def machine_sequences(self, num_machines: int) -> list[list[int]]:
        """Operations on each machine, ordered by (start, end, index)."""
        order = np.lexsort((np.arange(len(self)), self.end, self.start))
        seqs: list[list[int]] = [[] for _ in range(num_machines)]
        for o in order.tolist():
            seqs[int(self.machine[o])].append(o)
        return seqs

    def to_rows(self, data: ProblemData) -> list[dict[str, int]]:
        """One dict per operation: job, operation (within the job), machine, start, end."""
        rows = []
        for o in range(len(self)):
            j, k = data.locate(o)
            rows.append(
                {
                    "job": j,
                    "operation": k,
                    "machine": int(self.machine[o]),
                    "start": int(self.start[o]),
                    "end": int(self.end[o]),
                }
            )
        return rows

    def to_dict(self) -> dict[str, list[int]]:
        return {k: getattr(self, k).tolist() for k in ("machine", "start", "end")}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Schedule:
        return cls(payload["machine"], payload["start"], payload["end"])


def duration_on(data: ProblemData, machine: IntArray) -> IntArray:
    """Duration of every operation on the given machine (-1 where not eligible)."""
    out = np.full(data.num_ops, -1, np.int64)
    for o in range(data.num_ops):
        lo, hi = data.op_mode_ptr[o], data.op_mode_ptr[o + 1]
        hit = np.flatnonzero(data.mode_machine[lo:hi] == machine[o])
        if len(hit):
            out[o] = data.mode_duration[lo + hit[0]]
    return out


class Status(enum.StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Result:
    """What every solver returns; never ``None``.

    ``schedule`` is ``None`` only when no feasible schedule was found (status
    infeasible or unknown); ``message`` then says why.
    """

    status: Status
    method: str
    objective: float | None
    lower_bound: float | None
    build_seconds: float
    solve_seconds: float
    schedule: Schedule | None = None
    objective_name: str = "makespan"
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.schedule is not None

    @property
    def makespan(self) -> int | None:
        return None if self.schedule is None else self.schedule.makespan

    @property
    def runtime(self) -> float:
        return self.build_seconds + self.solve_seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "method": self.method,
            "objective_name": self.objective_name,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "makespan": self.makespan,
            "build_seconds": self.build_seconds,
            "solve_seconds": self.solve_seconds,
            "message": self.message,
            "stats": self.stats,
            "schedule": None if self.schedule is None else self.schedule.to_dict(),
        }
