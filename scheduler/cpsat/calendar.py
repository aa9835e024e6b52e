"""Calendars in the CP-SAT model: the work clock of every mode that needs one.

A mode's *work clock* ``W(t)`` counts the time before ``t`` outside its machine's
windows. Where a time can never fall inside a window (the start of a ``RESUME``,
``RUN`` or ``BLOCK`` mode, the end of a ``RESUME`` or ``BLOCK`` one), one literal per
window it may meet says whether it lies after the window, and the mode is forbidden
to start or end inside it; elsewhere (a ``FREE`` mode's start and end, a ``RUN``
mode's end) the window's partial overlap is an integer variable of its own, so
``W`` stays exact. Then

- a ``RESUME`` mode's length is its duration plus the windows it spans:
  ``length = d + sum(len_w * (c_w - a_w))`` (an intensity of 0 in the windows, 100 %
  elsewhere, as CP Optimizer's intensity functions put it, made exact with literals
  because the windows are fixed);
- a setup counts work-clock time only: on a circuit arc ``i -> j`` on machine ``m``,
  ``W(start_j) >= W(end_i) + setup``.

Only windows that the mode's start and end domains reach get literals; windows wholly
before the earliest start are a constant. ``RUN`` modes keep their start out of
windows (by their literals, or without a clock by a unit-length interval in the
windows' no-overlap). ``LOADS`` modes are declined before a model is built
(:func:`scheduler.cpsat.size.unsupported`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ortools.sat.python import cp_model

from scheduler.calendar import FREE, RUN
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


def _hint(
    v: Variables, var: cp_model.IntVar, o: int, at_start: bool, value: Callable[[int], int]
) -> None:
    """Record how to hint ``var`` from op ``o``'s start (or end) in a schedule."""
    v.crossings.append((var, o, at_start, value))


def _outside(
    v: Variables, x: Any, o: int, at_start: bool, windows: list[tuple[int, int]],
    enf: list[cp_model.IntVar], strict_start: bool, name: str,
) -> tuple[Any, list[tuple[int, cp_model.IntVar]]]:  # fmt: skip
    """Window time before ``x``, a time that lies outside every window (enforced when
    present): a literal per window, "x is past it". ``strict_start``: ``x`` may not
    sit on a window's first instant either (a positive-length start)."""
    model = v.model
    terms: list[tuple[int, cp_model.IntVar]] = []
    for lo, hi in windows:
        past = model.new_bool_var(f"{name}{lo}")
        model.add(x >= hi).only_enforce_if([past, *enf])
        model.add(x <= lo - (1 if strict_start else 0)).only_enforce_if([~past, *enf])
        if terms:
            model.add_implication(past, terms[-1][1])  # monotone
        terms.append((hi - lo, past))
        _hint(v, past, o, at_start, partial(_at_or_after, hi))
    return _weighted(terms), terms


def _anywhere(
    v: Variables, x: Any, o: int, at_start: bool, windows: list[tuple[int, int]],
    name: str,
) -> Any:  # fmt: skip
    """Window time before ``x``, a time that may lie inside a window: per window, "x is
    past its start", "x is past its end" and the partial overlap when inside."""
    model = v.model
    parts: list[Any] = []
    for lo, hi in windows:
        opened = model.new_bool_var(f"{name}o{lo}")  # x > lo
        closed = model.new_bool_var(f"{name}c{lo}")  # x >= hi
        inside = model.new_bool_var(f"{name}i{lo}")  # lo < x < hi
        part = model.new_int_var(0, hi - lo - 1, f"{name}p{lo}")
        model.add(x >= lo + 1).only_enforce_if(opened)
        model.add(x <= lo).only_enforce_if(~opened)
        model.add(x >= hi).only_enforce_if(closed)
        model.add(x <= hi - 1).only_enforce_if(~closed)
        model.add_implication(closed, opened)
        model.add_bool_and([opened, ~closed]).only_enforce_if(inside)
        model.add_bool_or([~opened, closed, inside])
        model.add(part == x - lo).only_enforce_if(inside)
        model.add(part == 0).only_enforce_if(~inside)
        parts.append((hi - lo) * closed + part)
        _hint(v, opened, o, at_start, partial(_after, lo))
        _hint(v, closed, o, at_start, partial(_at_or_after, hi))
        _hint(v, inside, o, at_start, partial(_within, lo, hi))
        _hint(v, part, o, at_start, partial(_into, lo, hi))
    return sum(parts) if parts else 0


def add_work_clocks(v: Variables) -> None:
    """Literals, work-clock expressions and RESUME lengths of every mode that needs them."""
    inst, model = v.inst, v.model
    data = inst.data
    for o, modes in enumerate(inst.modes):
        for a in modes:
            if not needs_clock(v, a):
                continue
            m, d = inst.machine(a), inst.duration(a)
            kind = int(data.mode_calendar[a])
            s = v.start[o]
            e = v.end_var.get(o)
            end: cp_model.LinearExpr = e if e is not None else v.end[o]
            s_lo, _ = _bounds(v, s)
            before = sum(hi - lo for lo, hi in data.windows(m) if hi <= s_lo)
            reach = [(lo, hi) for lo, hi in data.windows(m) if hi > s_lo and lo < v.horizon]
            v.clock.tick(1 + len(reach))  # each window costs literals: count them
            enf = v.presence(a)
            tag = f"w{o}_{m}_"
            if kind == FREE:
                off_s: Any = _anywhere(v, s, o, True, reach, tag + "s")
            else:  # a start never lies inside a window (zero-length: may touch one)
                off_s, past_s = _outside(v, s, o, True, reach, enf, d > 0, tag + "a")
            if kind == FREE or (kind == RUN and d > 0):  # may end inside a window
                off_e: Any = _anywhere(v, end, o, False, reach, tag + "e")
            else:
                off_e, past_e = _outside(v, end, o, False, reach, enf, False, tag + "c")
                if kind != FREE:
                    for (_, x), (_, y) in zip(past_s, past_e, strict=True):
                        model.add_implication(x, y)
            v.work_start[a] = s - before - off_s
            v.work_end[a] = end - before - off_e
            if a in v.length:
                model.add(v.length[a] == d + off_e - off_s).only_enforce_if(enf)


def _weighted(terms: list[tuple[int, cp_model.IntVar]]) -> cp_model.LinearExpr:
    """``sum(n * literal)`` as one linear expression."""
    return cp_model.LinearExpr.weighted_sum([lit for _, lit in terms], [n for n, _ in terms])


def _at_or_after(threshold: int, t: int) -> int:
    return int(t >= threshold)


def _after(threshold: int, t: int) -> int:
    return int(t > threshold)


def _within(lo: int, hi: int, t: int) -> int:
    return int(lo < t < hi)


def _into(lo: int, hi: int, t: int) -> int:
    return t - lo if lo < t < hi else 0
