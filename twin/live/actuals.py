"""The actuals: what the accepted MES events say happened, as the twin's event log.

:func:`actuals_log` applies the live twin's journal (its accepted events, in time
order) to fresh :class:`~twin.live.state.Facts` and writes what each event changed as
the rows a simulated run writes (:mod:`models.recorder`), so that :mod:`twin.kpi`,
:mod:`twin.plot` and ``twin report`` read a replayed stream exactly as a simulated run:

==========================  ===========================================================
MES event                   event-log rows
==========================  ===========================================================
(every order)               ``release`` at its release time (the scenario's, or the
                            ``order_released`` event's)
``operation_started``       ``op_start``; the unit's ``state`` ``busy``
``operation_finished``      ``op_end`` (value: the processing time, repairs excluded),
                            ``scrap`` (value: scrapped parts), ``finish`` of the lot
                            after its last step (value: good parts; ``state`` ``scrap``
                            if none is left); the unit's ``state`` ``idle`` when nothing
                            else runs on it. With ``start``, the ``op_start`` is dated
                            at the reported start.
``machine_down`` / ``_up``  ``failure`` (value: the expected repair time) / ``repair``;
                            ``state`` ``down``, then ``busy`` or ``idle``
``machine_setup``           ``setup_start`` (``state``: the family), ``state`` ``setup``;
                            ``setup_end`` when the next operation starts
``operator_absent``/``back``  the operator's ``state`` ``off`` / ``idle``
==========================  ===========================================================

Nothing is invented: an operation still running at the end has an ``op_start`` and no
``op_end``, an open lot no ``finish`` (the KPIs count it as open, and as overdue past
its due date). What an MES does not report is not in the log: the reason a unit is
idle (starved, no order, off shift), operators' work, transport, 3D-print builds.

The lots are the orders of :func:`twin.live.problem.live_scenario` of the final facts
(scenario orders first, then the orders the MES released; an order cancelled before it
started is left out), with the due date and priority in force at the end and the
quantity as released (scrap takes parts out through ``scrap`` rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from models import Calendar, DatedCalendar
from scheduler.calendar import LOADS, RESUME
from twin.eventlog import EventLog
from twin.live.clock import Clock
from twin.live.problem import live_scenario
from twin.live.state import Catalog, Facts
from twin.scenario import Scenario
from twin.sim.build import calendar_kind, tending
from twin.sim.staffing import operator_names

__all__ = ["Actuals", "actuals_log"]


@dataclass
class Actuals:
    """The event log of the actuals, the scenario its job indices refer to, and the
    facts at the end (rebuilt from the journal)."""

    log: EventLog
    scenario: Scenario
    facts: Facts

    end: float = 0.0  # the end of the actuals (the twin's clock)

    def open_work(self) -> dict[str, Any]:
        """What the stream leaves open: released orders not done, orders not released
        yet, running operations, machines down and operators absent."""
        facts, end = self.facts, self.end
        open_ = [o for o in facts.orders.values() if o.status == "open"]
        running = [
            {"order": o, "step": k, "machine": op.machine, "start": op.start}
            for (o, k), op in facts.ops.items()
            if op.end is None
        ]
        return {
            "orders_open": [o.id for o in open_ if o.release <= end],
            "orders_not_released": [o.id for o in open_ if o.release > end],
            "orders_cancelled": [o.id for o in facts.orders.values() if o.status == "cancelled"],
            "operations_running": running,
            "machines_down": [u for u, m in facts.machines.items() if m.state == "down"],
            "operators_absent": sorted(facts.absent),
        }


# A row before the lots are numbered: (time, order of writing, kind, station, order id,
# operation, state, value, product)
_Row = tuple[float, int, str, str, str, int, str, float, str]


def actuals_log(
    scenario: Scenario,
    catalog: Catalog,
    clock: Clock,
    journal: Iterable[tuple[float, int, Any]],
    until: float | None = None,
) -> Actuals:
    """The event log of the accepted MES events ``journal`` (``(model time, arrival,
    event)`` entries, as :attr:`twin.live.LiveTwin.journal` holds them) up to ``until``
    (the twin's clock; default the last event): orders released later are not in it."""
    facts = Facts.initial(scenario, catalog)
    rows: list[_Row] = []
    released = {o.id: o.quantity for o in facts.orders.values()}
    shown: dict[str, str] = {}  # unit -> the state last written for it

    def row(t: float, kind: str, unit: str, order: str = "", k: int = -1, state: str = "",
            value: float = 0.0) -> None:  # fmt: skip
        product = facts.orders[order].product if order else ""
        rows.append((t, len(rows), kind, unit, order, k, state, value, product))

    def state(unit: str, t: float) -> None:
        now = facts.machines[unit].state
        if shown.get(unit, "idle") != now:
            if shown.get(unit) == "setup":
                row(t, "setup_end", unit)
            shown[unit] = now
            row(t, "state", unit, state=now)

    for t, _, e in sorted(journal, key=lambda r: (r[0], r[1])):
        kind = e.type
        unit: str = getattr(e, "machine", None) or ""
        before = facts.machines[unit].state if unit in facts.machines else None
        key = None
        if kind in ("operation_started", "operation_finished"):
            key = (e.order, facts.step(facts.orders[e.order], e.step))
        new_op = key is not None and key not in facts.ops
        facts.apply(e, t, clock)
        if kind in ("order_released", "order_changed"):
            order = facts.orders[e.order]
            if e.quantity is not None or order.new:
                released[e.order] = order.quantity
        elif key is not None:
            op = facts.ops[key]
            unit = op.machine
            if new_op:
                if shown.get(unit) == "setup":
                    row(op.start, "setup_end", unit)
                    shown[unit] = "idle"
                if shown.get(unit, "idle") != "busy":
                    shown[unit] = "busy"
                    row(op.start, "state", unit, state="busy")
                row(op.start, "op_start", unit, key[0], key[1])
            if op.end is not None:
                row(t, "op_end", unit, key[0], key[1], value=max(0.0, t - op.start - op.paused))
                if op.scrap:
                    row(t, "scrap", unit, key[0], key[1], value=float(op.scrap))
                order = facts.orders[key[0]]
                if order.status == "done" and order.completed_at == t:
                    row(t, "finish", unit, key[0], state="" if op.good else "scrap",
                        value=float(op.good))  # fmt: skip
            state(unit, t)
        elif kind == "machine_down":
            machine = facts.machines[unit]
            if before != "down":
                up = machine.expected_up
                row(t, "failure", unit, value=0.0 if up is None else max(0.0, up - t))
            state(unit, t)
        elif kind == "machine_up":
            row(t, "repair", unit)
            state(unit, t)
        elif kind == "machine_setup":
            if before == "setup":  # a new setup replaces the one under way
                row(t, "setup_end", unit)
            row(t, "setup_start", unit, state=e.family or "")
            shown[unit] = "setup"
            row(t, "state", unit, state="setup")
        elif kind == "operator_absent":
            row(t, "state", e.operator, state="off")
        elif kind == "operator_back":
            row(t, "state", e.operator, state="idle")
    end = max((r[0] for r in rows), default=0.0) if until is None else until
    rows = _off_shift(scenario, rows, end)
    return _numbered(scenario, facts, rows, released, end)


def _off_shift(scenario: Scenario, rows: list[_Row], end: float) -> list[_Row]:
    """The units' states with their calendars laid over them, as a simulated run has
    them: off shift, an idle or setting-up unit is ``off``, and so is a busy one whose
    work pauses off shift (attended work; not unattended, outsourced or print work)."""
    calendars = {}
    for name in scenario.calendars:
        period, on = scenario.calendar_intervals(name)
        overrides = scenario.calendar_overrides(name)
        weekly = Calendar(period, on)
        calendars[name] = DatedCalendar(weekly, overrides) if overrides else weekly
    robots = tending(scenario)
    shifts: dict[str, tuple[list[tuple[float, float]], bool]] = {}

    def off_windows(name: str | None) -> list[tuple[float, float]] | None:
        cal = calendars.get(name) if name else None
        if cal is None or cal.is_always:
            return None
        out, t = [], 0.0
        while t < end:
            off = cal.next_off(t)
            if not off < end:
                break
            on = cal.next_on(off)
            out.append((off, on))
            t = on
        return out

    for s in scenario.stations:
        found = off_windows(s.calendar)
        if found is not None:
            pauses = calendar_kind(s, robots.get(s.id)) in (RESUME, LOADS)
            shifts.update((unit, (found, pauses)) for unit in s.unit_names)
    for pool in scenario.operators:
        found = off_windows(pool.calendar)
        if found is not None:
            shifts.update((name, (found, False)) for name in operator_names(pool.id, pool.count))
    if not shifts:
        return rows
    kept = [r for r in rows if not (r[2] == "state" and r[3] in shifts) and r[2] != "op_end"]
    started = {(r[4], r[5], r[3]): r[0] for r in rows if r[2] == "op_start"}
    for r in rows:  # an op_end's processing time leaves out the shifts' pauses
        if r[2] != "op_end":
            continue
        windows, pauses = shifts.get(r[3], ([], False))
        if pauses:
            begun = started.get((r[4], r[5], r[3]), r[0])
            idle = sum(max(0.0, min(b, r[0]) - max(a, begun)) for a, b in windows)
            r = (*r[:7], max(0.0, r[7] - idle), r[8])
        kept.append(r)
    changes: dict[str, list[tuple[float, int, str, str]]] = {unit: [] for unit in shifts}
    for r in rows:
        if r[2] == "state" and r[3] in changes:
            changes[r[3]].append((r[0], r[1], "state", r[6]))
    for unit, (windows, pauses) in shifts.items():
        points = sorted(
            changes[unit]
            + [(a, -1, "off", "") for a, _ in windows]
            + [(b, -1, "on", "") for _, b in windows if b < end]
        )
        state, off, shown = "idle", False, "idle"
        for t, seq, what, value in points:
            if what == "state":
                state = value
            else:
                off = what == "off"
            now = state
            if off and (state in ("idle", "setup", "off") or (state == "busy" and pauses)):
                now = "off"
            if now != shown:
                shown = now
                kept.append((t, seq, "state", unit, "", -1, now, 0.0, ""))
    return kept


def _numbered(
    scenario: Scenario, facts: Facts, rows: list[_Row], released: dict[str, int], end: float
) -> Actuals:
    """Number the lots as the live scenario does and write the log in time order."""
    live = live_scenario(scenario, facts)
    orders = [o.model_copy(update={"quantity": released[o.id]}) for o in live.orders]
    live = live.model_copy(update={"orders": orders})
    index = {o.id: j for j, o in enumerate(orders)}
    rows = rows + [
        (facts.orders[o.id].release, -1, "release", "", o.id, -1, "", float(o.quantity), o.product)
        for o in orders
        if facts.orders[o.id].release <= end
    ]
    log = EventLog()
    for t, _, kind, unit, order, k, state, value, product in sorted(rows, key=lambda r: r[:2]):
        if order and order not in index:
            continue  # an order cancelled before it started
        j = index[order] if order else -1
        log.record(t, kind, unit, job=j, operation=k, state=state, value=value, product=product)
    return Actuals(log, live, facts, end)
