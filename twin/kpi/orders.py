"""Orders: lead time, lateness and the cause of each lot's delay, from the event log.

Pure analysis (no plotting, no simulation). :func:`order_delays` splits every lot's
time in the shop, from its ``release`` to its ``finish`` (or the end of the window if
it has not finished), into :data:`CAUSES`. At each instant the lot is in exactly one
cause, taken by this precedence:

1. ``processing``: one of its operations runs (``op_start`` .. ``op_end`` on a unit;
   loading by a robot or an operator inside that span is part of the operation, as
   are breakdowns or breaks that stretch it);
2. ``setup``: its own changeover (``setup_start`` .. ``setup_end`` with its job);
3. ``transport``: it is moved (``transport_start`` .. ``transport_end`` with its job);
4. otherwise it waits, and the wait is charged to what the unit of its **next**
   operation (the first one that starts at or after the wait) was doing meanwhile:

   ==================================  ===============
   that unit's state                   cause
   ==================================  ===============
   ``busy``, ``setup`` (another lot)   ``machine``
   ``waiting_operator``                ``operator``
   ``starved`` (work not brought in)   ``robot`` (a robot or loader; the log does not
                                       say which)
   ``down``                            ``breakdown``
   ``planned_down``                    ``maintenance``
   ``off``                             ``off_shift``
   ``blocked``                         ``blocked``
   ``idle``, ``no_order``, unknown     ``other``
   ==================================  ===============

   A wait with no later operation is ``queued`` if the lot is still open at the window
   end (its next operation has not started: the log cannot say on which unit it will
   run), else ``other`` (after its last operation, before its ``finish``).

The causes of a lot add up to its lead time (``finish`` or window end, minus
``release``). Lateness follows docs/KPIS.md: delivery - due for a delivered lot, window
end - due for a lot open or scrapped at the end (never delivered).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from twin.eventlog import EventLog
from twin.shopinfo import JobInfo

__all__ = ["CAUSES", "DELAY_CAUSES", "OrderDelay", "order_delays"]

#: Every cause a lot's time in the shop is split into, in display order.
CAUSES = (
    "processing", "setup", "transport", "machine", "operator", "robot", "breakdown",
    "maintenance", "off_shift", "blocked", "queued", "other",
)  # fmt: skip
#: The causes that are not processing: what a delay is made of.
DELAY_CAUSES = CAUSES[1:]

#: The state of the next operation's unit -> the cause of the lot's wait.
_WAIT_CAUSE = {
    "busy": "machine",
    "setup": "machine",
    "waiting_operator": "operator",
    "starved": "robot",
    "down": "breakdown",
    "planned_down": "maintenance",
    "off": "off_shift",
    "blocked": "blocked",
}
_OWN = ("processing", "setup", "transport")  # precedence of the lot's own activities


@dataclass(frozen=True)
class OrderDelay:
    """One lot: when it was released, finished and due, and where its time went."""

    job: int
    name: str
    product: str
    release: float
    finish: float | None  # None: not finished by the window end
    due: float | None
    scrapped: bool
    lead_time: float  # (finish, else window end) - release
    lateness: float | None  # None without a due date; negative: early
    causes: dict[str, float] = field(default_factory=dict)  # cause -> time, all CAUSES

    @property
    def delivered(self) -> bool:
        return self.finish is not None and not self.scrapped

    @property
    def late(self) -> bool:
        return self.lateness is not None and self.lateness > 0

    @property
    def waiting(self) -> float:
        """Time in the shop not processing."""
        return sum(self.causes[c] for c in DELAY_CAUSES)

    @property
    def top_cause(self) -> str | None:
        """The delay cause with the most time (None if the lot never waited)."""
        best = max(DELAY_CAUSES, key=lambda c: self.causes[c])
        return best if self.causes[best] > 0 else None


@dataclass
class _Lot:
    release: float
    product: str
    finish: float | None = None
    scrapped: bool = False
    # (start, end, unit) per operation; (start, end) per own setup and transport
    ops: list[tuple[float, float, str]] = field(default_factory=list)
    setups: list[tuple[float, float]] = field(default_factory=list)
    moves: list[tuple[float, float]] = field(default_factory=list)


def order_delays(
    log: EventLog,
    jobs: Sequence[JobInfo] = (),
    *,
    due_after: float | None = None,
    end: float | None = None,
) -> list[OrderDelay]:
    """Every released lot's lead time, lateness and time per cause (see the module
    docstring for the rule), in job order.

    Parameters
    ----------
    log
        The run's event log (need not be in time order: it is sorted stably).
    jobs
        The lots known before the run, by job index (name and due date); a lot past
        the list (an arrival) is named ``J{job}`` and due at release + ``due_after``.
    end
        The window end (the horizon); None: the last event.
    """
    rows = sorted(log.rows(), key=itemgetter(0))
    stop = (rows[-1][0] if rows else 0.0) if end is None else float(end)
    lots: dict[int, _Lot] = {}
    timeline: dict[str, tuple[list[float], list[str]]] = {}
    open_ops: dict[tuple[int, int, str], float] = {}
    open_setups: dict[tuple[int, str], float] = {}
    open_moves: dict[tuple[int, str], float] = {}
    for t, kind, unit, j, o, state, _value, product in rows:
        if kind == "state":
            times, states = timeline.setdefault(unit, ([], []))
            times.append(t)
            states.append(state)
        elif kind == "release":
            lots[j] = _Lot(t, product)
        elif kind == "op_start":
            open_ops[(j, o, unit)] = t
        elif kind == "op_end":
            began = open_ops.pop((j, o, unit), None)
            if began is not None and j in lots:
                lots[j].ops.append((began, t, unit))
        elif kind == "setup_start":
            open_setups[(j, unit)] = t
        elif kind == "setup_end":
            began = open_setups.pop((j, unit), None)
            if began is not None and j in lots:
                lots[j].setups.append((began, t))
        elif kind == "transport_start":
            open_moves[(j, unit)] = t
        elif kind == "transport_end":
            began = open_moves.pop((j, unit), None)
            if began is not None and j in lots:
                lots[j].moves.append((began, t))
        elif kind == "finish" and j in lots:
            lots[j].finish = t
            lots[j].scrapped = state == "scrap"
    # activities still running at the end run to it
    for (j, _o, unit), began in open_ops.items():
        if j in lots:
            lots[j].ops.append((began, stop, unit))
    for opened, spans in ((open_setups, "setups"), (open_moves, "moves")):
        for (j, _unit), began in opened.items():
            if j in lots:
                getattr(lots[j], spans).append((began, stop))

    out = []
    totals = _Totals()
    for j in sorted(lots):
        lot = lots[j]
        info = jobs[j] if 0 <= j < len(jobs) else None
        if info is not None:
            name, product, due = info.id, info.product or lot.product, info.due
        else:
            name, product = f"J{j}", lot.product
            due = None if due_after is None else lot.release + due_after
        until = lot.finish if lot.finish is not None else max(stop, lot.release)
        causes = _split(lot, until, timeline, totals)
        gone = lot.finish if lot.finish is not None and not lot.scrapped else None
        lateness = None if due is None else (gone if gone is not None else stop) - due
        out.append(
            OrderDelay(
                job=j,
                name=name,
                product=product,
                release=lot.release,
                finish=lot.finish,
                due=due,
                scrapped=lot.scrapped,
                lead_time=until - lot.release,
                lateness=lateness,
                causes=causes,
            )
        )
    return out


def _split(
    lot: _Lot,
    until: float,
    timeline: Mapping[str, tuple[list[float], list[str]]],
    totals: _Totals | None = None,
) -> dict[str, float]:
    """Time per cause over ``[release, until]``: a sweep over the lot's own activities
    (counted per kind, so overlapping spans of one kind are no trouble), then the waits."""
    causes = dict.fromkeys(CAUSES, 0.0)
    t0 = lot.release
    if until <= t0:
        return causes
    marks: list[tuple[float, int, int]] = []  # (time, activity, +1 opens / -1 closes)
    kinds: list[list[tuple[float, float]]] = [[(a, b) for a, b, _u in lot.ops], lot.setups]
    kinds.append(lot.moves)
    for k, spans in enumerate(kinds):
        for began, ended in spans:
            a, b = max(began, t0), min(ended, until)
            if b > a:
                marks += [(a, k, 1), (b, k, -1)]
    marks.sort()
    starts = sorted((a, unit) for a, _b, unit in lot.ops)
    start_times = [a for a, _ in starts]
    active = [0, 0, 0]
    at = t0
    for t, k, step in [*marks, (until, 0, 0)]:
        if t > at:
            doing = next((i for i in range(3) if active[i] > 0), None)
            if doing is not None:
                causes[_OWN[doing]] += t - at
            else:
                i = bisect_left(start_times, t)
                if i < len(starts):
                    _wait(causes, timeline.get(starts[i][1]), at, t, totals)
                else:
                    causes["queued" if lot.finish is None else "other"] += t - at
            at = t
        active[k] += step
    return causes


#: A wait over more state changes than this is charged from running totals
#: (:class:`_Totals`) instead of change by change.
_WALK = 64
_CAUSE_INDEX = {c: k for k, c in enumerate(CAUSES)}


class _Totals:
    """Running totals of the time each unit's timeline charges to each cause, built the
    first time a wait spans more than :data:`_WALK` of its changes (a lot queued for
    weeks in a long run): such a wait is then two look-ups, not a walk over every
    change."""

    def __init__(self) -> None:
        self._by_line: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def charged(self, line: tuple[list[float], list[str]], t: float) -> np.ndarray:
        """Time per cause (by :data:`CAUSES` index) from the unit's first state change
        to ``t`` (negative "other" before it: the unit is idle then)."""
        times, _states = line
        codes, totals = self._of(line)
        i = bisect_right(times, t) - 1
        out = np.zeros(len(CAUSES))
        if i < 0:
            out[_CAUSE_INDEX["other"]] = t - times[0]
            return out
        out += totals[i]
        out[codes[i]] += t - times[i]
        return out

    def _of(self, line: tuple[list[float], list[str]]) -> tuple[np.ndarray, np.ndarray]:
        hit = self._by_line.get(id(line))
        if hit is None:
            times, states = line
            codes = np.array([_CAUSE_INDEX[_WAIT_CAUSE.get(s, "other")] for s in states])
            steps = np.zeros((len(times), len(CAUSES)))
            steps[np.arange(1, len(times)), codes[:-1]] = np.diff(np.asarray(times, float))
            hit = self._by_line[id(line)] = (codes, np.cumsum(steps, axis=0))
        return hit


def _wait(
    causes: dict[str, float],
    line: tuple[list[float], list[str]] | None,
    a: float,
    b: float,
    totals: _Totals | None = None,
) -> None:
    """Charge the wait ``[a, b]`` by the states of the unit the lot waits for (``line``:
    its state times and states; None: it logged none; a unit is idle before its first
    state event)."""
    if line is None:
        causes["other"] += b - a
        return
    times, states = line
    i = bisect_right(times, a) - 1  # the latest state at or before a (ties: the last)
    if totals is not None and times and bisect_right(times, b) - i > _WALK:
        spent = totals.charged(line, b) - totals.charged(line, a)  # a long wait
        for k in np.flatnonzero(spent):
            causes[CAUSES[k]] += float(spent[k])
        return
    at = a
    while at < b:
        state = states[i] if i >= 0 else "idle"
        nxt = times[i + 1] if i + 1 < len(times) else math.inf
        upto = min(nxt, b)
        if upto > at:
            causes[_WAIT_CAUSE.get(state, "other")] += upto - at
            at = upto
        i += 1
