"""The CP-SAT variables of a flexible job shop, kept together so constraints,
objective and hints can address them by operation, mode and machine.

Every operation has a start and an end; an operation with several (active) modes
has one optional interval per mode with its own presence literal, an operation with
one mode a plain interval and no literal (its end is then ``start + duration``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from scheduler.calendar import RESUME
from scheduler.cpsat.bounds import heads, tails
from scheduler.cpsat.instance import Instance
from scheduler.cpsat.size import CIRCUIT
from scheduler.problem import ProblemData
from scheduler.result import Schedule

__all__ = [
    "Arc",
    "BuildClock",
    "BuildTimeout",
    "Variables",
    "ZeroPair",
    "build_variables",
    "paused_upto",
    "read_schedule",
]

CHECK_EVERY = 512  # model-building steps between two looks at the clock


class BuildTimeout(Exception):
    """Building a model passed its deadline, or the caller asked the solve to stop."""


@dataclass
class BuildClock:
    """Looks at the deadline and the stop event every ``CHECK_EVERY`` building steps
    (an operation, a mode, a circuit arc), so a model too large for its time limit is
    abandoned within milliseconds of it."""

    deadline: float = math.inf
    stop: threading.Event | None = None
    steps: int = 0

    def tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps < CHECK_EVERY:
            return
        self.steps = 0
        if time.perf_counter() > self.deadline or (self.stop is not None and self.stop.is_set()):
            raise BuildTimeout


Expr = cp_model.LinearExpr


@dataclass(frozen=True)
class Arc:
    """A circuit arc on ``machine`` from operation ``tail`` to ``head`` (-1 = depot)."""

    literal: cp_model.IntVar
    machine: int
    tail: int
    head: int


@dataclass(frozen=True)
class ZeroPair:
    """Literal of "zero-length ``op`` starts no later than ``other`` starts (or than the
    window ``[lo, hi)`` opens)"; false means it starts at or after the other's end."""

    literal: cp_model.IntVar
    op: int
    other: int  # -1 for a window
    lo: int = 0


@dataclass
class Variables:
    """All decision variables; ``present[a]`` exists only for ops with several modes."""

    model: cp_model.CpModel
    inst: Instance
    horizon: int
    start: list[cp_model.IntVar]
    end: list[Expr]
    end_var: dict[int, cp_model.IntVar]  # operations whose end is its own variable
    present: dict[int, cp_model.IntVar]
    interval: dict[int, cp_model.IntervalVar]
    makespan: cp_model.IntVar
    tardiness: dict[int, cp_model.IntVar] = field(default_factory=dict)
    arcs: list[Arc] = field(default_factory=list)
    circuit_empty: dict[int, cp_model.IntVar] = field(default_factory=dict)
    zero_pairs: list[ZeroPair] = field(default_factory=list)
    setups: str = CIRCUIT  # or PADDED (see scheduler.cpsat.size)
    clock: BuildClock = field(default_factory=BuildClock)
    # calendars (scheduler.cpsat.calendar): the variable span of each RESUME mode, and
    # per mode its time outside windows before its start and before its end
    length: dict[int, cp_model.IntVar] = field(default_factory=dict)
    work_start: dict[int, Expr] = field(default_factory=dict)
    work_end: dict[int, Expr] = field(default_factory=dict)
    # how to hint each work-clock variable: (variable, op, from its start?, value of t)
    crossings: list[tuple[cp_model.IntVar, int, bool, Callable[[int], int]]] = field(
        default_factory=list
    )

    def presence(self, mode: int) -> list[cp_model.IntVar]:
        """Enforcement literals meaning "this mode is chosen" (empty if always)."""
        lit = self.present.get(mode)
        return [] if lit is None else [lit]


def paused_upto(data: ProblemData, machine: int, lo: int, hi: int) -> int:
    """Window time of ``machine`` within ``[lo, hi)``: the most a span there can pause."""
    return sum(max(0, min(hi, b) - max(lo, a)) for a, b in data.windows(machine))


def build_variables(
    inst: Instance,
    horizon: int,
    makespan_lb: int,
    *,
    tardiness: bool,
    setups: str = CIRCUIT,
    clock: BuildClock | None = None,
) -> Variables:
    """Starts, ends, mode intervals, makespan (and tardiness per job if asked).

    Raises
    ------
    BuildTimeout
        When ``clock`` runs out while building (the constraints check it too).
    """
    clock = clock or BuildClock()
    model = cp_model.CpModel()
    head, tail = heads(inst), tails(inst)
    start, end, end_var, present, interval = [], [], {}, {}, {}
    length: dict[int, cp_model.IntVar] = {}
    data = inst.data
    for o, modes in enumerate(inst.modes):
        clock.tick(len(modes))
        fixed = int(inst.fixed_start[o])
        lo, hi = (fixed, fixed) if fixed >= 0 else (int(head[o]), horizon - int(tail[o]))
        s = model.new_int_var(lo, max(lo, hi), f"s{o}")
        start.append(s)
        for a in modes:  # attended work spans the windows it meets: a variable length
            if data.has_windows and data.mode_calendar[a] == RESUME and inst.duration(a) > 0:
                d = inst.duration(a)
                off = paused_upto(data, inst.machine(a), lo, max(lo, horizon))
                length[a] = model.new_int_var(d, d + off, f"l{o}_{inst.machine(a)}")
        if len(modes) == 1 and modes[0] not in length:
            a = modes[0]
            d = inst.duration(a)
            interval[a] = model.new_fixed_size_interval_var(s, d, f"i{o}")
            end.append(s + d)
            continue
        if len(modes) == 1:
            a = modes[0]
            e = model.new_int_var(lo + inst.duration(a), max(lo + inst.duration(a), horizon),
                                  f"e{o}")  # fmt: skip
            end.append(e)
            end_var[o] = e
            interval[a] = model.new_interval_var(s, length[a], e, f"i{o}")
            continue
        e = model.new_int_var(lo + int(inst.min_dur[o]), horizon, f"e{o}")
        end.append(e)
        end_var[o] = e
        for a in modes:
            x = model.new_bool_var(f"x{o}_{inst.machine(a)}")
            present[a] = x
            interval[a] = model.new_optional_interval_var(
                s, length.get(a, inst.duration(a)), e, x, f"i{o}_{inst.machine(a)}"
            )
    makespan = model.new_int_var(makespan_lb, max(makespan_lb, horizon), "makespan")
    out = Variables(model, inst, horizon, start, end, end_var, present, interval, makespan,
                    setups=setups, clock=clock, length=length)  # fmt: skip
    if tardiness:
        for j in range(inst.data.num_jobs):
            if inst.due[j] >= 0 and inst.weight[j] > 0:
                out.tardiness[j] = model.new_int_var(0, horizon, f"tardiness{j}")
    return out


def read_schedule(solver: cp_model.CpSolver, v: Variables) -> Schedule:
    """The schedule of the solver's last solution (chosen machine, start, end)."""
    inst = v.inst
    machine, start, end = [], [], []
    for o, modes in enumerate(inst.modes):
        chosen = next(a for a in modes if a not in v.present or solver.boolean_value(v.present[a]))
        s = int(solver.value(v.start[o]))
        machine.append(inst.machine(chosen))
        start.append(s)
        end.append(int(solver.value(v.end[o])) if o in v.end_var else s + inst.duration(chosen))
    return Schedule(np.array(machine), np.array(start), np.array(end))
