"""One pass over an event log: state times, busy clocks and lots, for :mod:`twin.kpi`.

:func:`scan_rows` is the pass as a loop over the rows (the reference, and the path for
logs with rework, scrap or print-cell builds); :func:`scan_columns` computes the same
scan, to the last bit, over the log's numpy columns; :func:`scan_log` takes the columns
when it can."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twin.eventlog import EventLog
from twin.shopinfo import STATES, ShopInfo

__all__ = ["LotRecord", "Scan", "UnitTally", "scan_columns", "scan_log", "scan_rows"]


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
    """What :func:`scan_rows` returns, computed over the log's numpy columns when the
    log allows it (see :func:`scan_columns`: a log without rework, scrap, builds or
    units unknown to the metadata, the common case), else by the row loop."""
    fast = scan_columns(shop, log, end)
    return scan_rows(shop, log, end) if fast is None else fast


def scan_rows(shop: ShopInfo, log: EventLog, end: float | None) -> Scan:
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


#: operations whose terms are computed together (bounds the temporaries' memory)
BLOCK = 1 << 16
_READ = ("state", "op_start", "op_end", "release", "finish", "failure")
#: kinds only :func:`scan_rows` reads: a log with any of them takes that path
_ROW_ONLY = frozenset(("rework", "scrap", "build_start", "build_end"))


def _unique_keys(keys: NDArray[np.int64]) -> bool:
    return len(keys) < 2 or bool(np.all(np.diff(np.sort(keys)) != 0))


def scan_columns(shop: ShopInfo, log: EventLog, end: float | None) -> Scan | None:
    """:func:`scan_rows` over the log's columns with numpy; None when the log needs the
    row loop: rework, scrap or print-cell builds, a unit or state unknown to the
    metadata, a NaN time, a lot released twice or an operation of a lot not yet
    released, one (lot, operation, unit) started or ended twice, or a lot finished
    with fewer good parts than it holds (no scrap event took them out).

    The same results to the last bit: every sum adds the same terms in the same order
    (per-unit running sums with ``np.cumsum``, per-unit totals with ``np.add.at``, both
    sequential), every term is the same floating-point expression. Operations are
    taken :data:`BLOCK` at a time, so that the temporaries stay small.
    """
    kind_codes, kinds = log.codes("kind")
    n = len(kind_codes)
    if any(k in _ROW_ONLY for k in kinds):
        return None
    names = [u.name for u in shop.units]
    index = {name: i for i, name in enumerate(names)}
    if len(index) != len(names):
        return None
    nu = len(names)

    none = np.zeros(0, dtype=np.int64)
    at_kind = {k: np.flatnonzero(kind_codes == i) for i, k in enumerate(kinds) if k in _READ}
    del kind_codes
    state_rows, start_rows, end_rows, release_rows, finish_rows, failure_rows = (
        at_kind.get(k, none) for k in _READ
    )
    t = log.column("time") if n else np.zeros(0)
    if n and bool(np.isnan(t).any()):
        return None
    # the rows read below, column by column (the whole columns are not kept)
    st_codes, st_table = log.codes("station")
    # station code -> unit index (-1: not a unit)
    unit_of = np.array([index.get(s, -1) for s in st_table] or [-1], dtype=np.int64)
    su, b_unit, e_unit = (unit_of[st_codes[r]] for r in (state_rows, start_rows, end_rows))
    failure_station = [st_table[c] for c in st_codes[failure_rows].tolist()]
    del st_codes
    if bool((su < 0).any() or (b_unit < 0).any() or (e_unit < 0).any()):
        return None  # a unit unknown to the metadata (a clock of its own)
    printer = np.array([u.kind == "printer3d" for u in shop.units] or [False])
    if bool(printer[e_unit].any()):
        return None
    state_codes, state_table = log.codes("state")
    state_index = {s: i for i, s in enumerate(STATES)}
    state_of = np.array([state_index.get(s, -1) for s in state_table] or [-1], dtype=np.int64)
    ss = state_of[state_codes[state_rows]]
    finish_state = [state_table[c] for c in state_codes[finish_rows].tolist()]
    del state_codes
    if bool((ss < 0).any()):
        return None
    product_codes, product_table = log.codes("product")
    release_product = product_codes[release_rows]
    del product_codes
    job = log.column("job") if n else np.zeros(0, dtype=np.int64)
    r_job, b_job, e_job, f_job = (job[r] for r in (release_rows, start_rows, end_rows, finish_rows))
    del job
    op = log.column("operation") if n else np.zeros(0, dtype=np.int64)
    b_op, e_op = op[start_rows], op[end_rows]
    del op
    value = log.column("value") if n else np.zeros(0)
    r_value, e_value, f_value = value[release_rows], value[end_rows], value[finish_rows]
    del value

    start = float(shop.warmup)
    clip = math.inf if end is None else end
    lo, hi = float(shop.warmup), math.inf if shop.horizon is None else float(shop.horizon)
    busy_code, idle_code = state_index["busy"], state_index["idle"]

    # -- state clocks: per unit, its state events in row order ---------------------------
    order = np.argsort(su, kind="stable")
    s_rows, s_unit, s_state, s_t = state_rows[order], su[order], ss[order], t[state_rows[order]]
    del order, su, ss, state_rows
    m = len(s_rows)
    # the clock before each state event: the unit's previous one, or idle since 0.0
    first = np.ones(m, dtype=bool)
    first[1:] = s_unit[1:] != s_unit[:-1]
    prev_state = np.empty(m, dtype=np.int64)
    prev_since = np.empty(m)
    prev_state[1:], prev_since[1:] = s_state[:-1], s_t[:-1]
    prev_state[first], prev_since[first] = idle_code, 0.0
    was_busy = prev_state == busy_code
    busy_after = np.where(was_busy, s_t - prev_since, 0.0)
    cut = was_busy & ~(prev_since >= lo)
    pre_after = np.where(cut, np.maximum(0.0, np.minimum(s_t, lo) - prev_since), 0.0)
    del was_busy, cut
    for a, b in pairwise(np.flatnonzero(np.append(first, True)).tolist()):
        busy_after[a:b] = np.cumsum(busy_after[a:b])  # per unit: sequential sums
        pre_after[a:b] = np.cumsum(pre_after[a:b])
    del first
    # state times: min(t, clip) - max(since, start), where positive
    span = np.minimum(s_t, clip) - np.maximum(prev_since, start)
    span = np.where(span > 0, span, 0.0)
    ns = len(STATES)
    spent = np.bincount(s_unit * ns + prev_state, weights=span, minlength=nu * ns)
    del span, prev_state, prev_since
    times = {
        u: {s: float(spent[i * ns + k]) for k, s in enumerate(STATES)} for i, u in enumerate(names)
    }
    # the clock at any other row: the unit's last state event before it
    s_keys = s_unit * (n + 1) + s_rows

    def clock_at(rows: NDArray[np.int64], units: NDArray[np.int64]) -> tuple[Any, Any]:
        """Busy time so far (total, before the window) at ``rows`` on ``units``."""
        if not m:
            return np.zeros(len(rows)), np.zeros(len(rows))
        at = t[rows]
        k = np.searchsorted(s_keys, units * (n + 1) + rows) - 1
        kk = np.maximum(k, 0)
        has = (k >= 0) & (s_unit[kk] == units)
        state = np.where(has, s_state[kk], idle_code)
        since = np.where(has, s_t[kk], 0.0)
        busy = np.where(has, busy_after[kk], 0.0)
        pre = np.where(has, pre_after[kk], 0.0)
        running = state == busy_code
        busy = np.where(running, busy + (at - since), busy)
        more = running & ~(since >= lo)
        pre = np.where(more, pre + np.maximum(0.0, np.minimum(at, lo) - since), pre)
        return busy, pre

    # -- lots --------------------------------------------------------------------------
    jobs, products, due_after = shop.jobs, shop.products, shop.due_after
    if not _unique_keys(r_job):
        return None
    lots: dict[int, LotRecord] = {}
    r_t = t[release_rows].tolist()
    for k, j in enumerate(r_job.tolist()):
        info = jobs[j] if 0 <= j < len(jobs) else None
        at = r_t[k]
        if info is not None:
            lots[j] = LotRecord(info.product, info.quantity, at, info.due)
        else:
            due = None if due_after is None else at + due_after
            lots[j] = LotRecord(product_table[release_product[k]], int(r_value[k]), at, due)
    lot_list = list(lots.values())  # in release-row order (each lot released once)
    product_names = list(products)
    product_index = {p: i for i, p in enumerate(product_names)}
    lot_product = np.array([product_index.get(x.product, -1) for x in lot_list], dtype=np.int64)
    lot_quantity = np.array([x.quantity for x in lot_list], dtype=np.float64)

    # -- operations --------------------------------------------------------------------
    # each end's lot, by its release row (n: not released)
    r_order = np.argsort(r_job, kind="stable")
    r_sorted = r_job[r_order]
    which = np.minimum(np.searchsorted(r_sorted, e_job), max(len(r_job) - 1, 0))
    if len(r_job):
        released = r_sorted[which] == e_job
        which = r_order[which]
        if not bool((released & (release_rows[which] < end_rows)).all()):
            return None  # an operation of a lot not released before it
    elif len(e_job):
        return None
    del r_order, r_sorted
    width = int(max(e_op.max(initial=0), b_op.max(initial=0), 0)) + 2
    e_key = (e_job * width + e_op + 1) * max(nu, 1) + e_unit
    b_key = (b_job * width + b_op + 1) * max(nu, 1) + b_unit
    del b_job, b_op, b_unit
    if not (_unique_keys(e_key) and _unique_keys(b_key)):
        return None
    e_product = lot_product[which] if len(which) else np.zeros(0, dtype=np.int64)
    if bool((e_product < 0).any()):
        return None
    # each end's start (same lot, operation and unit; -1: none)
    b_order = np.argsort(b_key, kind="stable")
    b_sorted, b_rows = b_key[b_order], start_rows[b_order]
    del b_key, b_order
    pos = np.minimum(np.searchsorted(b_sorted, e_key), max(len(b_sorted) - 1, 0))
    if len(b_sorted):
        b_row = np.where(b_sorted[pos] == e_key, b_rows[pos], -1)
    else:
        b_row = np.full(len(e_key), -1, dtype=np.int64)
    del b_sorted, b_rows, pos, e_key
    if bool((b_row > end_rows).any()):
        return None  # a start after its end: the row loop pairs them differently
    # per (product, operation, unit): cycle and key-process flag, looked up once
    combo = (e_product * width + e_op) * max(nu, 1) + e_unit
    uniq, first_of, inverse = np.unique(combo, return_index=True, return_inverse=True)
    del combo
    cycles = np.empty(len(uniq))
    keys = np.empty(len(uniq), dtype=bool)
    unit_station = [u.station for u in shop.units]
    for i, f in enumerate(first_of.tolist()):
        info = products[product_names[e_product[f]]][int(e_op[f])]
        cycles[i] = info.cycle.get(unit_station[e_unit[f]], 0.0)
        keys[i] = info.key_process
    inverse = inverse.ravel()
    del e_product
    handling = np.array([u.handling[0] for u in shop.units] or [0.0])
    per_parts = np.array([u.handling[1] for u in shop.units] or [1])
    tot_nominal, tot_hours, tot_made = np.zeros(nu), np.zeros(nu), np.zeros(nu)
    for a in range(0, len(end_rows), BLOCK):
        sl = slice(a, a + BLOCK)
        rows, units, matched = end_rows[sl], e_unit[sl], b_row[sl] >= 0
        e_t = t[rows]
        b_busy, b_pre = clock_at(np.where(matched, b_row[sl], rows), units)
        began = np.where(matched, t[np.maximum(b_row[sl], 0)], e_t)
        busy0 = np.where(matched, b_busy, 0.0)
        pre0 = np.where(matched, b_pre, 0.0)
        del b_busy, b_pre
        busy1, pre1 = clock_at(rows, units)
        window = (lo <= e_t) & (e_t <= hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.minimum(hi, e_t) - np.maximum(lo, began)
            part = np.where(part > 0.0, part, 0.0) / (e_t - began)
            inside = np.where(e_t > began, part, np.where(window, 1.0, 0.0))
            busy_inside = np.where(busy1 > busy0, 1.0 - (pre1 - pre0) / (busy1 - busy0), inside)
        del part, busy0, busy1, pre0, pre1
        quantity = lot_quantity[which[sl]]
        nominal = quantity * cycles[inverse[sl]]
        per_load = handling[units]
        with np.errstate(divide="ignore", invalid="ignore"):
            loaded = nominal + np.ceil(quantity / per_parts[units]) * per_load
        nominal = np.where(per_load != 0, loaded, nominal)
        np.add.at(tot_nominal, units, np.where(window, nominal * busy_inside, 0.0))
        hours = np.where(e_value[sl] > 0, e_value[sl], e_t - began) * inside
        np.add.at(tot_hours, units, np.where(keys[inverse[sl]] & (e_t > began), hours, 0.0))
        np.add.at(tot_made, units, np.where(window, quantity, 0.0))
    per_unit: dict[str, UnitTally] = {}
    for u in e_unit[np.sort(np.unique(e_unit, return_index=True)[1])].tolist():
        per_unit[names[u]] = UnitTally(
            float(tot_nominal[u]), float(tot_hours[u]), float(tot_made[u]), 0.0
        )
    # each lot's last unit: the unit of its last op_end
    _, from_end = np.unique(e_job[::-1], return_index=True)
    last_end = len(e_job) - 1 - from_end
    for j, u in zip(e_job[last_end].tolist(), e_unit[last_end].tolist(), strict=True):
        lots[j].last_unit = names[u]

    # -- finishes and failures ---------------------------------------------------------
    f_t = t[finish_rows].tolist()
    for j, at, state, good in zip(f_job.tolist(), f_t, finish_state, f_value.tolist(),
                                  strict=True):  # fmt: skip
        lot = lots.get(j)
        if lot is None:
            continue
        lot.finish = at
        lot.scrapped = state == "scrap"
        lot.good = 0.0 if lot.scrapped else good
        if lot.good != lot.parts:
            return None  # parts no scrap event took out (charged in the row loop)
        lot.parts = lot.good
    failures: dict[str, int] = {}
    for at, station in zip(t[failure_rows].tolist(), failure_station, strict=True):
        if lo <= at <= hi:
            failures[station] = failures.get(station, 0) + 1
    # each unit's clock at the end of the log
    open_: dict[str, tuple[str, float]] = {u: ("idle", 0.0) for u in names}
    if m:
        last = np.flatnonzero(np.append(s_unit[1:] != s_unit[:-1], True))
        for i in last.tolist():
            open_[names[s_unit[i]]] = (STATES[s_state[i]], float(s_t[i]))
    return Scan(times, open_, lots, per_unit, failures)
