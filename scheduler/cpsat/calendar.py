"""Calendars in the CP-SAT model: the work clock of every mode that needs one.

A mode's *work clock* counts time outside its machine's windows. For a mode on a
machine with windows, one literal per window it may meet says whether it starts after
the window (``a``) and one whether it ends after it (``c``); starts and ends never
fall inside a window (a ``RESUME`` mode would have ended as the window opened). Then

- a ``RESUME`` mode's length is its duration plus the windows it spans:
  ``length = d + sum(len_w * (c_w - a_w))`` (an intensity of 0 in the windows, 100 %
  elsewhere, as CP Optimizer's intensity functions put it, made exact with literals
  because the windows are fixed);
- a setup counts work-clock time only: on a circuit arc ``i -> j`` on machine ``m``,
  ``W(start_j) >= W(end_i) + setup``, with ``W(t) = t - (window time before t)``.

Only windows that the mode's start and end domains reach get literals; windows wholly
before the earliest start are a constant. On machines with setups every mode gets a
clock (a ``RUN`` or ``FREE`` mode then may not end inside a window either: stricter
than the checker, so every solution stays feasible). ``RUN`` modes without a clock
keep their start out of windows by a unit-length interval in the windows' no-overlap.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat.model import Variables
from scheduler.cpsat.size import CIRCUIT

__all__ = ["add_work_clocks", "needs_clock"]


def needs_clock(v: Variables, mode: int) -> bool:
    """True when ``mode`` gets work-clock literals (a RESUME span, or setups that pause
    in its machine's windows)."""
    data = v.inst.data
    m = v.inst.machine(mode)
    if data.window_ptr[m] == data.window_ptr[m + 1]:
        return False
    return mode in v.length or (data.has_setups and v.setups == CIRCUIT)


def _bounds(v: Variables, var: cp_model.IntVar) -> tuple[int, int]:
    dom = v.model.proto.variables[var.index].domain
    return int(dom[0]), int(dom[-1])


def add_work_clocks(v: Variables) -> None:
    """Literals, work-clock expressions and RESUME lengths of every mode that needs them."""
    inst, model = v.inst, v.model
    data = inst.data
    for o, modes in enumerate(inst.modes):
        for a in modes:
            if not needs_clock(v, a):
                continue
            v.clock.tick()
            m, d = inst.machine(a), inst.duration(a)
            s = v.start[o]
            e = v.end_var.get(o)
            end: cp_model.LinearExpr = e if e is not None else v.end[o]
            s_lo, _ = _bounds(v, s)
            e_hi = v.horizon
            before = 0
            crossed_s: list[tuple[int, cp_model.IntVar]] = []
            crossed_e: list[tuple[int, cp_model.IntVar]] = []
            enf = v.presence(a)
            prev_a = prev_c = None
            for lo, hi in data.windows(m):
                if hi <= s_lo:
                    before += hi - lo
                    continue
                if lo >= e_hi:
                    break
                after_s = model.new_bool_var(f"a{o}_{m}_{lo}")
                after_e = model.new_bool_var(f"c{o}_{m}_{lo}")
                model.add(s >= hi).only_enforce_if([after_s, *enf])
                model.add(s <= lo - (1 if d > 0 else 0)).only_enforce_if([~after_s, *enf])
                model.add(end >= hi).only_enforce_if([after_e, *enf])
                model.add(end <= lo).only_enforce_if([~after_e, *enf])
                model.add_implication(after_s, after_e)
                if prev_a is not None and prev_c is not None:  # literals are monotone
                    model.add_implication(after_s, prev_a)
                    model.add_implication(after_e, prev_c)
                prev_a, prev_c = after_s, after_e
                crossed_s.append((hi - lo, after_s))
                crossed_e.append((hi - lo, after_e))
                v.crossings += [(after_s, o, True, hi), (after_e, o, False, hi)]
            off_s = _weighted(crossed_s)
            off_e = _weighted(crossed_e)
            v.work_start[a] = s - before - off_s
            v.work_end[a] = end - before - off_e
            if a in v.length:
                model.add(v.length[a] == d + off_e - off_s).only_enforce_if(enf)


def _weighted(terms: list[tuple[int, cp_model.IntVar]]) -> cp_model.LinearExpr:
    """``sum(n * literal)`` as one linear expression."""
    return cp_model.LinearExpr.weighted_sum([lit for _, lit in terms], [n for n, _ in terms])
