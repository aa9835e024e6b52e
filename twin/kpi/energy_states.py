"""Energy by state, by station and by product, and the shop's load profile.

Pure analysis of the event log and each unit's ``power_kw`` (no summary.json needed).
Which power a state draws is :func:`twin.kpi.formulas.energy_kwh`'s rule (blocked,
starved, no-order and waiting-for-operator time draw idle power, planned downtime draws
off power, a state missing from ``power_kw`` draws 0): every number here goes through
it, so the totals are the ``energy_kwh`` KPI's.

- kWh per unit and state: time in the state within ``[start, end]`` x its power;
- idle share: kWh drawn while not ``busy`` or ``setup`` / all kWh;
- load profile: the shop's total kW as a step function of time (each unit draws the
  power of its current state; a unit is idle before its first state event). Events at
  one instant are applied together, so the profile only shows the power after them; the
  peak is the highest step and the first time it is reached;
- kWh per product: each unit's ``busy`` kWh split over the products of what it ran
  (``op_start`` .. ``op_end``; for robots and vehicles ``transport_start`` ..
  ``transport_end``), in proportion to that time within the window. Busy kWh of a unit
  that logged no such span is ``unattributed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from twin.eventlog import EventLog
from twin.kpi.formulas import energy_kwh, state_times
from twin.shopinfo import HOURS_PER_UNIT, UnitInfo

__all__ = [
    "EnergyStates",
    "LoadProfile",
    "energy_states",
    "kwh_by_product",
    "kwh_by_state",
    "load_profile",
]

_WORKING = ("busy", "setup")


@dataclass(frozen=True)
class LoadProfile:
    """Total kW from ``time[i]`` to ``time[i + 1]``; the last step runs to ``end``."""

    time: tuple[float, ...]
    kw: tuple[float, ...]
    end: float
    peak_kw: float
    peak_time: float


@dataclass(frozen=True)
class EnergyStates:
    """What :func:`energy_states` returns; kWh throughout."""

    by_unit: dict[str, dict[str, float]]  # unit -> state -> kWh (states as logged)
    by_station: dict[str, dict[str, float]]  # station -> state -> kWh
    total: float
    idle_share: float  # NaN when nothing was drawn
    profile: LoadProfile
    by_product: dict[str, float]
    unattributed: float  # busy kWh of units that ran no logged operation


def _kw(unit: UnitInfo, state: str) -> float:
    """The power ``unit`` draws in ``state`` (energy_kwh's rule, for one hour)."""
    return energy_kwh(unit, {state: 1.0}, 1.0)


def kwh_by_state(
    units: Sequence[UnitInfo], log: EventLog, time_unit: str, start: float, end: float
) -> dict[str, dict[str, float]]:
    """kWh per unit and state within ``[start, end]`` (states drawing nothing included)."""
    hours = HOURS_PER_UNIT[time_unit]
    times = state_times(log, [u.name for u in units], start, end)
    return {
        u.name: {s: energy_kwh(u, {s: t}, hours) for s, t in times[u.name].items()} for u in units
    }


def load_profile(units: Sequence[UnitInfo], log: EventLog, start: float, end: float) -> LoadProfile:
    """The shop's total kW over ``[start, end]`` as a step function, and its peak."""
    power = {u.name: u for u in units}
    current = {u.name: _kw(u, "idle") for u in units}
    kw_of: dict[tuple[str, str], float] = {}  # (unit, state) -> kW, worked out once
    total = sum(current.values())
    steps: list[tuple[float, float]] = []
    for t, kind, unit, _j, _o, state, _v, _p in sorted(log.rows(), key=itemgetter(0)):
        if kind != "state" or unit not in power:
            continue
        if t > end:
            break
        kw = kw_of.get((unit, state))
        if kw is None:
            kw = kw_of[(unit, state)] = _kw(power[unit], state)
        total += kw - current[unit]
        current[unit] = kw
        at = max(t, start)
        if steps and steps[-1][0] == at:
            steps[-1] = (at, total)  # events at one instant act together
        else:
            steps.append((at, total))
    if not steps or steps[0][0] > start:
        steps.insert(0, (start, sum(_kw(u, "idle") for u in units)))
    # drop steps that do not change the power
    kept = [steps[0]]
    for step in steps[1:]:
        if step[1] != kept[-1][1]:
            kept.append(step)
    peak_time, peak = max(kept, key=lambda s: (s[1], -s[0]))
    return LoadProfile(
        tuple(s[0] for s in kept),
        tuple(s[1] for s in kept),
        float(end),
        float(peak),
        float(peak_time),
    )


def kwh_by_product(
    units: Sequence[UnitInfo],
    log: EventLog,
    busy_kwh: dict[str, float],
    start: float,
    end: float,
) -> tuple[dict[str, float], float]:
    """Each unit's busy kWh (``busy_kwh``: unit -> kWh) split over the products it ran,
    by operation time in ``[start, end]``; and the kWh left unattributed."""
    names = {u.name for u in units}
    ran: dict[str, dict[str, float]] = {}  # unit -> product -> time
    opened: dict[tuple[str, str, int, int], float] = {}
    pairs = {"op_start": "op_end", "transport_start": "transport_end"}
    ends = {v: k for k, v in pairs.items()}
    for t, kind, unit, j, o, _s, _v, product in sorted(log.rows(), key=itemgetter(0)):
        if unit not in names:
            continue
        if kind in pairs:
            opened[(kind, unit, j, o)] = t
        elif kind in ends:
            began = opened.pop((ends[kind], unit, j, o), None)
            if began is None:
                continue
            span = min(t, end) - max(start, began)
            if span > 0:
                per = ran.setdefault(unit, {})
                per[product] = per.get(product, 0.0) + span
    out: dict[str, float] = {}
    unattributed = 0.0
    for unit, kwh in busy_kwh.items():
        spent_on = ran.get(unit, {})
        spent = sum(spent_on.values())
        if spent <= 0:
            unattributed += kwh
            continue
        for product, time in spent_on.items():
            out[product] = out.get(product, 0.0) + kwh * time / spent
    return out, unattributed


def energy_states(
    units: Sequence[UnitInfo],
    log: EventLog,
    time_unit: str,
    start: float = 0.0,
    end: float | None = None,
) -> EnergyStates:
    """kWh by unit, station, state and product, the idle share and the load profile over
    the window ``[start, end]`` (``end`` None: the last event)."""
    stop = log.end() if end is None else float(end)
    by_unit = kwh_by_state(units, log, time_unit, start, stop)
    by_station: dict[str, dict[str, float]] = {}
    for u in units:
        acc = by_station.setdefault(u.station, {})
        for state, kwh in by_unit[u.name].items():
            acc[state] = acc.get(state, 0.0) + kwh
    total = sum(sum(per.values()) for per in by_unit.values())
    working = sum(per.get(s, 0.0) for per in by_unit.values() for s in _WORKING)
    idle_share = (total - working) / total if total > 0 else math.nan
    busy = {u: per.get("busy", 0.0) for u, per in by_unit.items() if per.get("busy", 0.0) > 0}
    by_product, unattributed = kwh_by_product(units, log, busy, start, stop)
    return EnergyStates(
        by_unit=by_unit,
        by_station=by_station,
        total=total,
        idle_share=idle_share,
        profile=load_profile(units, log, start, stop),
        by_product=by_product,
        unattributed=unattributed,
    )
