"""Obvious reasons why no schedule exists, found before any model is built.

CP-SAT would prove these too, but a message naming the operations is what a user
rescheduling around a running job needs.
"""

from __future__ import annotations

from scheduler.calendar import BLOCK
from scheduler.compact import placement
from scheduler.cpsat.bounds import heads
from scheduler.cpsat.instance import Instance

__all__ = ["infeasibility_reason"]


def _meets(s1: int, e1: int, s2: int, e2: int) -> bool:
    """Whether [s1, e1) meets [s2, e2); a zero-length span only strictly inside."""
    if e1 == s1:
        return s2 < s1 < e2
    if e2 == s2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def infeasibility_reason(inst: Instance) -> str:
    """A sentence naming why the instance is infeasible, or ``""`` if none is obvious."""
    data = inst.data
    head = heads(inst)
    placed: list[tuple[int, int, int, int]] = []  # (machine, start, end, op)
    for o in range(inst.num_ops):
        s = int(inst.fixed_start[o])
        if s < 0:
            continue
        p = int(inst.job_pred[o])
        if p >= 0 and s < head[p] + inst.min_dur[p]:
            return (
                f"operation {o} is fixed to start at {s}, but its job predecessors cannot "
                f"finish before {int(head[p] + inst.min_dur[p])}"
            )
        fits = []
        for a in inst.modes[o]:
            m, d = inst.machine(a), inst.duration(a)
            if data.mode_calendar[a] != BLOCK and d > 0:  # not a fixed span: not checked here
                fits.append((m, s, placement(data, a, s)[1], o))
            elif not any(_meets(s, s + d, w0, w1) for w0, w1 in data.windows(m)):
                fits.append((m, s, s + d, o))
        if not fits:
            a = inst.modes[o][0]
            m, d = inst.machine(a), inst.duration(a)
            window = next(w for w in data.windows(m) if _meets(s, s + d, *w))
            return (
                f"operation {o} is fixed to start at {s} on machine {m} (until {s + d}), which "
                f"overlaps the unavailability window [{window[0]}, {window[1]})"
                if len(inst.modes[o]) == 1
                else f"operation {o} is fixed to start at {s}, but every eligible machine is "
                f"unavailable then"
            )
        if len(fits) == 1 and len(inst.modes[o]) == 1:
            placed.append(fits[0])
    for i, (m1, s1, e1, o1) in enumerate(placed):
        for m2, s2, e2, o2 in placed[i + 1 :]:
            if m1 == m2 and _meets(s1, e1, s2, e2):
                return (
                    f"operations {o1} [{s1}, {e1}) and {o2} [{s2}, {e2}) are both fixed on "
                    f"machine {m1} and overlap"
                )
    return ""
