"""One pass over an event log: state times, busy clocks and lots, for :mod:`twin.kpi`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from twin.eventlog import EventLog
from twin.shopinfo import STATES, ShopInfo

__all__ = ["LotRecord", "Scan", "UnitTally", "scan_log"]


@dataclass(slots=True)
class LotRecord:
    """What the event log says about one lot (its metadata, finish, good parts, last unit)."""

    product: str
    quantity: int
    release: float
    due: float | None
    finish: float = math.inf
    good: float = 0.0
    last_unit: str = ""
    scrapped: bool = False
    parts: float = -1.0  # good parts still in the lot (scrap events take them out)
    reworked: float = 0.0  # parts found bad and reworked (rework events), all operations

    def __post_init__(self) -> None:
        self.parts = float(self.quantity)


@dataclass(slots=True)
class UnitTally:
    """What a unit's operations that ended in the window add up to."""

    nominal: float = 0.0  # nominal time of what they produced (performance)
    key_hours: float = 0.0  # key-process operation time (数控化率 by process hours)
    made: float = 0.0  # parts they processed
    spoiled: float = 0.0  # parts they scrapped or sent to rework (not good first time)


@dataclass(slots=True)
class _Clock:
    """A unit's current state since when, and its busy time so far (in total and before
    the window opens) up to ``since``; ``times`` accumulates its state times (None for
    a unit unknown to the metadata)."""

    state: str
    since: float
    busy: float = 0.0
    busy_before: float = 0.0
    times: dict[str, float] | None = field(default=None)


class _Started(NamedTuple):
    """An operation's start and its unit's busy clock then."""

    at: float
    busy: float
    busy_before: float


class _Unit(NamedTuple):
    clock: _Clock
    printer: bool
    station: str
    handling: tuple[float, int]


@dataclass
class Scan:
    """What one pass over the event log yields (see :func:`scan_log`)."""

    times: dict[str, dict[str, float]]  # unit -> state -> time, open intervals excluded
    open: dict[str, tuple[str, float]]  # unit -> (current state, since)
    lots: dict[int, LotRecord]
    per_unit: dict[str, UnitTally]
    failures: dict[str, int]  # unit -> breakdowns that began in the window


def scan_log(shop: ShopInfo, log: EventLog, end: float | None) -> Scan:
    """State times (as :func:`state_times`, up to each unit's last ``state`` event),
    lots from the metadata and the ``release``/``op_end``/``finish`` events, and the
    nominal and key-process time of operations per unit, in one pass over the rows.

    ``end`` clips the state intervals (the horizon; None: no clipping, since the window
    then ends at or after the last event). Alongside, each unit's busy clock: its busy
    time so far, in total and before the window opens, so that an operation counts the
    share of its processing inside the window however failures or breaks stretch it.
    """
    start = float(shop.warmup)
    clip = math.inf if end is None else end  # min(t, clip) == t without a horizon
    lo, hi = shop.warmup, math.inf if shop.horizon is None else shop.horizon
    names = [u.name for u in shop.units]
    times = {u: dict.fromkeys(STATES, 0.0) for u in names}
    # a unit is idle before its first state event
    clock = {u: _Clock("idle", 0.0, times=times[u]) for u in names}
    lots: dict[int, LotRecord] = {}
    per_unit: dict[str, UnitTally] = {}

    def tally(unit: str) -> UnitTally:
        found = per_unit.get(unit)
        if found is None:
            found = per_unit[unit] = UnitTally()
        return found

    # one lookup per op_end
    meta = {
        u.name: _Unit(clock[u.name], u.kind == "printer3d", u.station, u.handling)
        for u in shop.units
    }
    started: dict[tuple[int, int, str], _Started] = {}
    failures: dict[str, int] = {}
    printed: set[tuple[int, int]] = set()  # (job, operation) a print cell has counted
    builds: dict[str, tuple[float, float]] = {}  # print cell -> (start, parts) of its build
    printers = {u.name: u for u in shop.units if u.kind == "printer3d"}
    # (job, operation) -> parts sent to rework: the next op_end of that operation is
    # the rework, on a rework unit (see twin.sim.quality), not the operation itself
    reworks: dict[tuple[int, int], float] = {}
    key_units = {u.name for u in shop.units if u.key_process}
    jobs, products, due_after = shop.jobs, shop.products, shop.due_after
    for t, kind, station, j, o, state, value, product in log.rows():
        if kind == "state":
            c = clock.get(station)
            if c is None:
                clock[station] = _Clock(state, t)
                continue
            old, since, spent = c.state, c.since, c.times
            if old == "busy":
                c.busy += t - since
                if not since >= lo:  # else the term below is 0.0
                    c.busy_before += max(0.0, min(t, lo) - since)
            if spent is not None:
                # min(t, clip) - max(since, start) as conditionals (same results, NaN
                # included; cheaper than builtin calls in this per-event loop)
                span = (clip if clip < t else t) - (start if start > since else since)
                if span > 0:
                    spent[old] = spent.get(old, 0.0) + span
            c.state = state
            c.since = t
        elif kind == "op_start":
            c = clock.get(station)
            if c is None:
                started[(j, o, station)] = _Started(t, 0.0, 0.0)
            elif c.state == "busy":
                since, pre = c.since, c.busy_before
                if not since >= lo:
                    pre += max(0.0, min(t, lo) - since)
                started[(j, o, station)] = _Started(t, c.busy + (t - since), pre)
            else:
                started[(j, o, station)] = _Started(t, c.busy, c.busy_before)
        elif kind == "op_end":
            lot = lots.get(j)
            if lot is None:
                continue
            redo = reworks.pop((j, o), None) if reworks else None
            if redo is None:  # a rework is not the operation's completion
                lot.last_unit = station
            acc = tally(station)
            op = products[lot.product][o]
            begun = started.pop((j, o, station), None)
            unit = meta.get(station)
            if unit is not None and unit.printer:  # a print cell ends each part of a lot
                if lo <= t <= hi and (j, o) not in printed:
                    printed.add((j, o))
                    acc.made += lot.parts
                continue  # its time is counted per build (build_end below)
            if lo <= t <= hi:
                acc.made += lot.parts if redo is None else redo
            began, busy0, pre0 = (t, 0.0, 0.0) if begun is None else begun
            # the share of the operation inside the window (an operation cut by the
            # warm-up counts only its part after it): elapsed time, or for a machine
            # (one operation at a time) its busy time, which failures and breaks
            # do not stretch
            if t > began:  # max(0.0, min(t, hi) - max(began, lo)) / (t - began)
                part = (hi if hi < t else t) - (lo if lo > began else began)
                inside = (part if part > 0.0 else 0.0) / (t - began)
            else:
                inside = 1.0 if lo <= t <= hi else 0.0
            busy_inside = inside
            if unit is None:  # a unit unknown to the metadata
                c, station_id = clock.get(station), station
            else:
                c, station_id = unit.clock, unit.station
            if c is None:
                busy1, pre1 = 0.0, 0.0
            elif c.state == "busy":
                since, pre1 = c.since, c.busy_before
                busy1 = c.busy + (t - since)
                if not since >= lo:
                    pre1 += max(0.0, min(t, lo) - since)
            else:
                busy1, pre1 = c.busy, c.busy_before
            if busy1 > busy0:
                busy_inside = 1.0 - (pre1 - pre0) / (busy1 - busy0)
            if lo <= t <= hi:
                nominal = lot.parts * op.cycle.get(station_id, 0.0)
                per_load, parts = unit.handling if unit is not None else (0.0, 1)
                if per_load:  # loading is part of the operation (see UnitInfo.handling)
                    nominal += math.ceil(lot.parts / parts) * per_load
                if redo is not None:  # the log has no rework cycle: the time it reports
                    nominal = value
                acc.nominal += nominal * busy_inside
            key = op.key_process if redo is None else station in key_units
            if key and t > began:
                # operation hours: the processing time the unit reports (op_end value),
                # else the elapsed time; prorated to the part inside the window
                acc.key_hours += (value if value > 0 else t - began) * inside
        elif kind == "rework":  # parts found bad, reworked and back in the lot
            lot = lots.get(j)
            if lot is not None:
                lot.reworked += value
                reworks[(j, o)] = reworks.get((j, o), 0.0) + value
            if lo <= t <= hi:  # charged where the defect arose: not good first time
                tally(station).spoiled += value
        elif kind == "scrap":
            lot = lots.get(j)
            if lot is not None:
                lot.parts -= value
            if lo <= t <= hi:
                tally(station).spoiled += value
        elif kind == "failure":
            if lo <= t <= hi:
                failures[station] = failures.get(station, 0) + 1
        elif kind == "build_start":
            builds[station] = (t, value)
        elif kind == "build_end":
            # One build is the print cell's operation: its nominal time is the build
            # model's for the parts on the plate (the scheduler's estimate too), its
            # operation hours the build's duration, shared by every part on the plate.
            built, parts = builds.pop(station, (t, value))
            info = printers.get(station)
            if info is None or t <= built:
                continue
            part = (hi if hi < t else t) - (lo if lo > built else built)
            inside = (part if part > 0.0 else 0.0) / (t - built)
            acc = tally(station)
            base, per_part = info.build_time or (0.0, 0.0)
            acc.nominal += (base + per_part * parts) * inside
            if info.key_process:
                acc.key_hours += (t - built) * inside
        elif kind == "release":
            info = jobs[j] if 0 <= j < len(jobs) else None
            if info is not None:
                lots[j] = LotRecord(info.product, info.quantity, t, info.due)
            else:
                due = None if due_after is None else t + due_after
                lots[j] = LotRecord(product, int(value), t, due)
        elif kind == "finish":
            lot = lots.get(j)
            if lot is not None:
                lot.finish = t
                lot.scrapped = state == "scrap"
                lot.good = 0.0 if lot.scrapped else value
                # Bad parts no scrap event accounted for (a log that reports scrap only
                # at the end, as many MESs do) are charged to the last operation's unit.
                missing = lot.parts - lot.good
                if missing > 0 and lot.last_unit in per_unit and lo <= t <= hi:
                    per_unit[lot.last_unit].spoiled += missing
                lot.parts = lot.good
    open_ = {u: (clock[u].state, clock[u].since) for u in names}
    return Scan(times, open_, lots, per_unit, failures)
