"""`Instance`: the per-operation facts every part of the CP-SAT model reads.

A thin view over :class:`~scheduler.ProblemData` that narrows its optional arrays
(always filled after validation) and applies fixed machines once: an operation fixed
to a machine keeps only that mode.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from scheduler.problem import IntArray, ProblemData

__all__ = ["Instance"]


def _req(value: IntArray | None) -> IntArray:
    if value is None:  # ProblemData.__post_init__ fills every optional array
        raise TypeError("ProblemData field was not normalised")
    return value


@dataclass(frozen=True)
class Instance:
    """Non-optional arrays and the active modes of each operation."""

    data: ProblemData
    release: IntArray
    due: IntArray
    weight: IntArray
    family: IntArray
    setup: IntArray
    transport: IntArray
    fixed_machine: IntArray
    fixed_start: IntArray
    modes: tuple[tuple[int, ...], ...]
    min_dur: IntArray
    max_dur: IntArray
    job_pred: IntArray

    @classmethod
    def of(cls, data: ProblemData) -> Instance:
        fixed_machine = _req(data.fixed_machine)
        modes = []
        for o in range(data.num_ops):
            lo, hi = int(data.op_mode_ptr[o]), int(data.op_mode_ptr[o + 1])
            keep = [
                a
                for a in range(lo, hi)
                if fixed_machine[o] < 0 or data.mode_machine[a] == fixed_machine[o]
            ]
            modes.append(tuple(keep))
        durs = [data.mode_duration[list(ms)] for ms in modes]
        job_pred = np.arange(-1, data.num_ops - 1, dtype=np.int64)
        job_pred[data.job_op_ptr[:-1]] = -1
        return cls(
            data=data,
            release=_req(data.release),
            due=_req(data.due),
            weight=_req(data.weight),
            family=_req(data.op_family),
            setup=_req(data.setup),
            transport=_req(data.transport),
            fixed_machine=fixed_machine,
            fixed_start=_req(data.fixed_start),
            modes=tuple(modes),
            min_dur=np.array([int(d.min()) for d in durs], np.int64),
            max_dur=np.array([int(d.max()) for d in durs], np.int64),
            job_pred=job_pred,
        )

    @property
    def num_ops(self) -> int:
        return self.data.num_ops

    def machine(self, mode: int) -> int:
        return int(self.data.mode_machine[mode])

    def duration(self, mode: int) -> int:
        return int(self.data.mode_duration[mode])

    def lag(self, m1: int, m2: int) -> int:
        """Transport lag between consecutive operations of a job on ``m1`` then ``m2``."""
        return int(self.transport[m1, m2]) if self.data.has_transport else 0

    def setup_time(self, m: int, a: int, b: int) -> int:
        """Setup on ``m`` between operation ``a`` and the next operation ``b``."""
        if not self.data.has_setups:
            return 0
        return int(self.setup[m, self.family[a], self.family[b]])

    def restricted(self, keep: dict[int, int]) -> Instance:
        """A copy where each operation ``o`` in ``keep`` may only use mode ``keep[o]``."""
        modes = tuple((keep[o],) if o in keep else ms for o, ms in enumerate(self.modes))
        durs = [self.data.mode_duration[list(ms)] for ms in modes]
        return replace(
            self,
            modes=modes,
            min_dur=np.array([int(d.min()) for d in durs], np.int64),
            max_dur=np.array([int(d.max()) for d in durs], np.int64),
        )
