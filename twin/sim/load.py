"""Offered load of open-ended arrivals, station by station, before a run.

With ``arrivals`` the twin runs to the horizon whatever happens; a station that
arrivals load beyond its capacity has a queue that grows without bound, and the run's
KPIs then describe a transient, not the shop. :func:`overloaded` finds such stations
from the scenario alone, so the run can say so up front.

The load counted is a lower bound: the work of routing steps that only this station
can do (steps with alternatives may go elsewhere) = arrival rate x mean quantity x
sum over products (mix share x cycle of its steps tied to the station), over the
station's capacity = units x the share of the week its calendar is on.
"""

from __future__ import annotations

from twin.scenario import Scenario

__all__ = ["offered_load", "overloaded"]


def offered_load(scenario: Scenario) -> dict[str, float]:
    """Station id -> the utilisation that arrivals alone force on it (see the module
    docstring); empty without arrivals."""
    spec = scenario.arrivals
    if spec is None:
        return {}
    mean_gap = spec.interarrival.expected
    if mean_gap <= 0:
        return {}
    rate = spec.quantity.expected / mean_gap  # parts per time unit
    work: dict[str, float] = {}
    for product_id, share in spec.probabilities.items():
        for step in scenario.product(product_id).routing:
            if len(step.stations) == 1:
                ((station_id, cycle),) = step.stations.items()
                station = scenario.station(station_id)
                if station.kind == "outsourced":
                    continue  # a lead time, capacity in lots: not a machine's load
                # a print cell: its per-part cycle, the scheduler's planning figure
                work[station_id] = work.get(station_id, 0.0) + share * cycle
    out = {}
    for station_id, per_part in work.items():
        station = scenario.station(station_id)
        on = 1.0
        if station.calendar is not None:
            period, intervals = scenario.calendar_intervals(station.calendar)
            on = sum(b - a for a, b in intervals) / period
        out[station_id] = rate * per_part / (station.count * on) if on > 0 else float("inf")
    return out


def overloaded(scenario: Scenario, limit: float = 1.0) -> list[str]:
    """A message naming the stations whose offered load reaches ``limit`` (1: their
    queues grow without bound over the horizon), most loaded first; empty if none."""
    over = sorted(
        ((load, station_id) for station_id, load in offered_load(scenario).items()
         if load >= limit), key=lambda x: (-x[0], x[1]),
    )  # fmt: skip
    if not over:
        return []
    named = ", ".join(f"{station_id} {100 * load:.0f} %" for load, station_id in over)
    return [
        f"arrivals alone load {len(over)} station{'s' if len(over) > 1 else ''} at or above "
        f"{100 * limit:.0f} % ({named}): the queues grow without bound, the run ends at "
        "the horizon with the backlog open and the KPIs describe a transient"
    ]
