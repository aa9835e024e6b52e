"""The constraint families of the model, one short private function each.

Zero-length operations are kept out of ``add_no_overlap`` (CP-SAT may place a
zero-size interval strictly inside another); explicit disjunctions give them the
checker's rule instead: at or before the other's start, or at or after its end.

With padded setups (:mod:`scheduler.cpsat.padded`) the no-overlap holds padded
intervals of every mode instead, and there are neither circuits nor disjunctions.
Every family ticks the model's :class:`~scheduler.cpsat.model.BuildClock`.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.calendar import BLOCK, LOADS, RUN
from scheduler.cpsat.calendar import add_work_clocks
from scheduler.cpsat.model import Arc, Variables, ZeroPair
from scheduler.cpsat.padded import padded_lengths
from scheduler.cpsat.size import PADDED

__all__ = ["add_constraints"]


def add_constraints(v: Variables) -> None:
    """Every constraint of the problem on the variables ``v``."""
    _one_mode(v)
    add_work_clocks(v)
    _precedence_and_transport(v)
    if v.setups == PADDED:
        _padded_no_overlap(v)
    else:
        _no_overlap_and_windows(v)
        _zero_length(v)
        if v.inst.data.has_setups:
            _setups(v)
    _makespan(v)
    if v.inst.data.has_resources:
        _resources(v)
    if v.tardiness:
        _tardiness(v)


def _one_mode(v: Variables) -> None:
    for modes in v.inst.modes:
        v.clock.tick()
        if len(modes) > 1:
            v.model.add_exactly_one(v.present[a] for a in modes)


def _precedence_and_transport(v: Variables) -> None:
    """Job order; with transport, the lag depends on both chosen machines, so the
    smallest lag is unconditional and larger ones are enforced per mode pair."""
    inst = v.inst
    for o in range(inst.num_ops):
        p = int(inst.job_pred[o])
        if p < 0:
            continue
        pairs = [(a, b) for a in inst.modes[p] for b in inst.modes[o]]
        v.clock.tick(len(pairs))
        lags = {(a, b): inst.lag(inst.machine(a), inst.machine(b)) for a, b in pairs}
        base = min(lags.values())
        v.model.add(v.start[o] >= v.end[p] + base)
        for (a, b), lag in lags.items():
            if lag > base:
                v.model.add(v.start[o] >= v.end[p] + lag).only_enforce_if(
                    v.presence(a) + v.presence(b)
                )


def _no_overlap_and_windows(v: Variables) -> None:
    """One no-overlap per machine over its positive-length modes and its windows; on a
    machine with modes of other calendar kinds, the windows go into a second
    no-overlap with the BLOCK modes and the start instants of the RUN modes."""
    inst = v.inst
    data = inst.data
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    blocking: dict[int, list[cp_model.IntervalVar]] = {}
    mixed: set[int] = set()
    for o, modes in enumerate(inst.modes):
        v.clock.tick()
        for a in modes:
            if inst.duration(a) <= 0:
                continue
            m = inst.machine(a)
            per_machine.setdefault(m, []).append(v.interval[a])
            kind = int(data.mode_calendar[a])
            if kind in (BLOCK, LOADS):  # loads fit in one stretch: stricter, never wrong
                blocking.setdefault(m, []).append(v.interval[a])
                continue
            mixed.add(m)
            if kind == RUN and a not in v.work_start:  # its start stays out of windows
                blocking.setdefault(m, []).append(
                    v.model.new_optional_fixed_size_interval_var(
                        v.start[o],
                        1,
                        v.presence(a)[0] if a in v.present else True,
                        f"r{o}_{m}",
                    )
                )
    if not data.has_windows or not mixed:
        _add_no_overlaps(v, per_machine)
        return
    for m, intervals in per_machine.items():
        if m in mixed:
            if len(intervals) > 1:
                v.model.add_no_overlap(intervals)
        else:
            blocking[m] = intervals
    _add_no_overlaps(v, {m: blocking.get(m, []) for m in per_machine})


def _add_no_overlaps(v: Variables, per_machine: dict[int, list[cp_model.IntervalVar]]) -> None:
    """One no-overlap per machine over ``per_machine[m]`` and its windows."""
    data = v.inst.data
    for m, intervals in per_machine.items():
        windows = [
            v.model.new_fixed_size_interval_var(lo, hi - lo, f"w{m}_{lo}")
            for lo, hi in data.windows(m)
        ]
        if len(intervals) + len(windows) > 1:
            v.model.add_no_overlap(intervals + windows)


def _padded_no_overlap(v: Variables) -> None:
    """Each mode's interval lengthened by its largest setup (at least one unit), in
    its machine's no-overlap: an operation's successor on the machine starts after
    its end plus any setup it could need."""
    inst, model = v.inst, v.model
    length = padded_lengths(inst)
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    for o, modes in enumerate(inst.modes):
        v.clock.tick(len(modes))
        for a in modes:
            size = int(length[a])
            if a in v.present:
                iv = model.new_optional_fixed_size_interval_var(
                    v.start[o], size, v.present[a], f"p{o}_{inst.machine(a)}"
                )
            else:
                iv = model.new_fixed_size_interval_var(v.start[o], size, f"p{o}")
            per_machine.setdefault(inst.machine(a), []).append(iv)
    _add_no_overlaps(v, per_machine)


def _zero_length(v: Variables) -> None:
    """A zero-length operation starts outside (or on the border of) every window and,
    unless the setup circuit already orders it, every positive-length operation."""
    inst, data = v.inst, v.inst.data
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for o, modes in enumerate(inst.modes):
        for a in modes:
            by_machine.setdefault(inst.machine(a), []).append((o, a))
    for m, entries in by_machine.items():
        zeros = [(o, a) for o, a in entries if inst.duration(a) == 0]
        for o, a in zeros:
            v.clock.tick(len(entries))
            for lo, hi in data.windows(m):
                lit = v.model.new_bool_var(f"z{o}_w{lo}")
                v.model.add(v.start[o] <= lo).only_enforce_if([lit, *v.presence(a)])
                v.model.add(v.start[o] >= hi).only_enforce_if([~lit, *v.presence(a)])
                v.zero_pairs.append(ZeroPair(lit, o, -1, lo))
            if data.has_setups:
                continue
            for p, b in entries:
                if p == o or inst.duration(b) == 0:
                    continue
                lit = v.model.new_bool_var(f"z{o}_{p}")
                both = v.presence(a) + v.presence(b)
                v.model.add(v.start[o] <= v.start[p]).only_enforce_if([lit, *both])
                v.model.add(v.start[o] >= v.end[p]).only_enforce_if([~lit, *both])
                v.zero_pairs.append(ZeroPair(lit, o, p))


def _setups(v: Variables) -> None:
    """Sequence-dependent setups: one circuit per machine through its present
    operations; an arc i -> j means j starts after i's end plus the setup."""
    inst, model = v.inst, v.model
    nodes: dict[int, list[tuple[int, int]]] = {}
    for o, modes in enumerate(inst.modes):
        for a in modes:
            nodes.setdefault(inst.machine(a), []).append((o, a))
    for m, ops in nodes.items():
        arcs: list[tuple[int, int, cp_model.LiteralT]] = []
        for k, (o, a) in enumerate(ops, start=1):
            first = model.new_bool_var(f"c{m}_first{o}")
            last = model.new_bool_var(f"c{m}_last{o}")
            arcs += [(0, k, first), (k, 0, last)]
            v.arcs += [Arc(first, m, -1, o), Arc(last, m, o, -1)]
            if a in v.present:
                arcs.append((k, k, ~v.present[a]))
        for k, (o, a) in enumerate(ops, start=1):
            v.clock.tick(len(ops))
            for k2, (o2, a2) in enumerate(ops, start=1):
                if k == k2:
                    continue
                lit = model.new_bool_var(f"c{m}_{o}_{o2}")
                arcs.append((k, k2, lit))
                v.arcs.append(Arc(lit, m, o, o2))
                gap = inst.setup_time(m, o, o2)
                if inst.duration(a) == 0 and inst.duration(a2) == 0 and o > o2:
                    # the checker reads simultaneous zero-length operations in index order
                    model.add(v.start[o2] >= v.start[o] + max(gap, 1)).only_enforce_if(lit)
                else:
                    model.add(v.start[o2] >= v.end[o] + gap).only_enforce_if(lit)
                if gap > 0 and a in v.work_end and a2 in v.work_start:
                    # the setup pauses in the windows: it counts work-clock time
                    model.add(v.work_start[a2] >= v.work_end[a] + gap).only_enforce_if(lit)
        if all(a in v.present for _, a in ops):
            empty = model.new_bool_var(f"c{m}_empty")
            arcs.append((0, 0, empty))
            v.circuit_empty[m] = empty
        model.add_circuit(arcs)


def _resources(v: Variables) -> None:
    """One cumulative per renewable resource over what holds it: a mode's interval, or
    with a partial hold a fixed-size interval at its start and one ending with it."""
    inst = v.inst
    data = inst.data
    per_resource: dict[int, tuple[list[cp_model.IntervalVar], list[int]]] = {}
    for o, modes in enumerate(inst.modes):
        v.clock.tick()
        for a in modes:
            r, q = int(data.mode_resource[a]), int(data.mode_demand[a])
            if r < 0 or q <= 0 or inst.duration(a) <= 0:
                continue
            intervals, demands = per_resource.setdefault(r, ([], []))
            held = _held_parts(v, o, a)
            intervals += held
            demands += [q] * len(held)
    for r, (intervals, demands) in per_resource.items():
        v.model.add_cumulative(intervals, demands, int(data.resource_capacity[r]))


def _held_parts(v: Variables, o: int, a: int) -> list[cp_model.IntervalVar]:
    """The intervals over which mode ``a`` of operation ``o`` holds its resource."""
    data = v.inst.data
    head, tail = int(data.mode_hold_head[a]), int(data.mode_hold_tail[a])
    if head <= 0 and tail <= 0:
        return [v.interval[a]]
    lit = v.present.get(a)
    out = []
    for at, size, tag in ((v.start[o], head, "h"), (v.end[o] - tail, tail, "t")):
        if size > 0:
            name = f"hold{o}_{a}{tag}"
            out.append(
                v.model.new_fixed_size_interval_var(at, size, name)
                if lit is None
                else v.model.new_optional_fixed_size_interval_var(at, size, lit, name)
            )
    return out


def _makespan(v: Variables) -> None:
    data = v.inst.data
    for j in range(data.num_jobs):
        v.model.add(v.makespan >= v.end[int(data.job_op_ptr[j + 1]) - 1])


def _tardiness(v: Variables) -> None:
    data = v.inst.data
    for j, t in v.tardiness.items():
        v.model.add(t >= v.end[int(data.job_op_ptr[j + 1]) - 1] - int(v.inst.due[j]))
