"""`Model`: a builder for people. Add machines and jobs by name, get handles back,
and call :meth:`Model.data` for the validated :class:`ProblemData`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scheduler.errors import ProblemDataError
from scheduler.problem import ProblemData

__all__ = ["Job", "Machine", "Model", "Operation"]


@dataclass(frozen=True)
class Machine:
    index: int
    name: str


@dataclass
class Operation:
    job: Job
    index: int  # position within the job
    modes: list[tuple[Machine, int]] = field(default_factory=list)
    family: int = 0
    fixed_machine: Machine | None = None
    fixed_start: int | None = None

    def add_mode(self, machine: Machine, duration: int) -> Operation:
        self.modes.append((machine, int(duration)))
        return self


@dataclass(eq=False)
class Job:
    index: int
    name: str
    release: int = 0
    due: int | None = None
    weight: int = 1
    operations: list[Operation] = field(default_factory=list)

    def add_operation(
        self,
        modes: dict[Machine, int] | list[tuple[Machine, int]] | None = None,
        family: int = 0,
    ) -> Operation:
        """Append the next operation; ``modes`` maps eligible machines to durations."""
        op = Operation(self, len(self.operations), family=family)
        items = modes.items() if isinstance(modes, dict) else (modes or [])
        for machine, duration in items:
            op.add_mode(machine, duration)
        self.operations.append(op)
        return op


class Model:
    """Incremental construction of a :class:`ProblemData` with named objects."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.machines: list[Machine] = []
        self.jobs: list[Job] = []
        self._windows: list[tuple[Machine, int, int]] = []
        self._setup: dict[tuple[Machine, int, int], int] = {}
        self._transport: dict[tuple[Machine, Machine], int] = {}

    def add_machine(self, name: str | None = None) -> Machine:
        name = name or f"M{len(self.machines)}"
        if any(m.name == name for m in self.machines):
            raise ProblemDataError(f"machine name {name!r} used twice")
        machine = Machine(len(self.machines), name)
        self.machines.append(machine)
        return machine

    def add_job(
        self, name: str | None = None, release: int = 0, due: int | None = None, weight: int = 1
    ) -> Job:
        job = Job(len(self.jobs), name or f"J{len(self.jobs)}", release, due, weight)
        self.jobs.append(job)
        return job

    def add_unavailability(self, machine: Machine, start: int, end: int) -> None:
        self._windows.append((machine, int(start), int(end)))

    def set_setup(self, machine: Machine, from_family: int, to_family: int, time: int) -> None:
        self._setup[(machine, from_family, to_family)] = int(time)

    def set_transport(self, origin: Machine, destination: Machine, time: int) -> None:
        self._transport[(origin, destination)] = int(time)

    def fix(self, op: Operation, machine: Machine | None = None, start: int | None = None) -> None:
        """Pin an operation to a machine and/or a start time (rescheduling)."""
        op.fixed_machine = machine
        op.fixed_start = start

    def data(self) -> ProblemData:
        m = len(self.machines)
        ops = [op for job in self.jobs for op in job.operations]
        jobs = [
            [[(mach.index, dur) for mach, dur in op.modes] for op in job.operations]
            for job in self.jobs
        ]
        optional: dict[str, object] = {
            "release": [j.release for j in self.jobs],
            "due": [-1 if j.due is None else j.due for j in self.jobs],
            "weight": [j.weight for j in self.jobs],
            "op_family": [op.family for op in ops],
            "fixed_machine": [
                -1 if op.fixed_machine is None else op.fixed_machine.index for op in ops
            ],
            "fixed_start": [-1 if op.fixed_start is None else op.fixed_start for op in ops],
            "name": self.name,
            "job_names": tuple(j.name for j in self.jobs),
            "machine_names": tuple(mc.name for mc in self.machines),
        }
        if self._setup:
            n_fam = max(max(f, t) for _, f, t in self._setup) + 1
            n_fam = max(n_fam, max((op.family for op in ops), default=0) + 1)
            setup = np.zeros((m, n_fam, n_fam), np.int64)
            for (mach, f, t), time in self._setup.items():
                setup[mach.index, f, t] = time
            optional["setup"] = setup
        if self._transport:
            transport = np.zeros((m, m), np.int64)
            for (a, b), time in self._transport.items():
                transport[a.index, b.index] = time
            optional["transport"] = transport
        if self._windows:
            per = sorted(self._windows, key=lambda w: (w[0].index, w[1]))
            ptr = np.searchsorted([w[0].index for w in per], np.arange(m + 1), side="left")
            optional["window_ptr"] = ptr
            optional["window_start"] = [w[1] for w in per]
            optional["window_end"] = [w[2] for w in per]
        return ProblemData.from_jobs(jobs, num_machines=m, **optional)
