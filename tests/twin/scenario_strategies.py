"""Hypothesis strategies that build small VALID scenario dicts for `Scenario.from_dict`.

The scenarios mix what the twin simulates around an operation (robots tending
machines, a 3D printer with plates, finite buffers, a transport fleet or travel
times, a shift calendar with breaks, failures, family setups, duration noise) so that
property tests exercise the interactions, not one feature at a time. Sizes stay small
(2-6 stations, 1-4 products, 1-8 orders) so one run takes milliseconds.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

__all__ = ["DISPATCH_RULES", "scenarios"]

#: Online dispatch rules of `twin.sim.execute.RULES` (duplicated so a new rule is a choice here).
DISPATCH_RULES = ("spt", "lpt", "mwkr", "mor", "edd", "fifo", "random", "ect")
FAMILIES = ("fa", "fb", "fc")
PROCESSING_KINDS = ("cnc", "manual", "generic")
CALENDAR = {
    "shifts": [["06:00", "14:00"], ["14:00", "22:00"]],
    "breaks": [["10:00", "10:30"], ["18:00", "18:20"]],
}

cycle_times = st.integers(1, 12).map(float) | st.sampled_from(["30s", "2min", "0.1h"])
cvs = st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.5])


@st.composite
def _station(draw: st.DrawFn, index: int, kind: str, with_calendar: bool) -> dict[str, Any]:
    station: dict[str, Any] = {"id": f"s{index}", "kind": kind, "count": draw(st.integers(1, 2))}
    if draw(st.booleans()):
        station["variability_cv"] = draw(cvs)
    if draw(st.integers(0, 3)) == 0:
        station["mtbf"] = draw(st.sampled_from([10.0, 40.0, 120.0, "5h"]))
        station["mttr"] = draw(
            st.sampled_from([5.0, {"dist": "lognormal", "mean": 10, "cv": 0.5}, "15min"])
        )
    if draw(st.booleans()):
        setup: dict[str, Any] = {"default": draw(st.integers(0, 6))}
        if draw(st.booleans()):
            src, dst = draw(st.permutations(FAMILIES))[:2]
            setup["families"] = {src: {dst: draw(st.integers(1, 9))}}
        station["setup"] = setup
    if with_calendar and draw(st.booleans()):
        station["calendar"] = "shifts"
        if kind != "manual" and draw(st.booleans()):
            station["unattended"] = False
    station["power_kw"] = {"idle": 1.0, "busy": draw(st.integers(0, 20)), "down": 0.5}
    if kind == "printer3d":
        station["count"] = 1
        station["plate_capacity"] = draw(st.integers(1, 4))
        station["max_wait"] = draw(st.sampled_from([0, 10, 60]))
        station["build_time"] = {"base": draw(st.integers(0, 20)), "per_part": 5}
        station["cooldown"] = draw(st.sampled_from([0, 5]))
        station["post_process"] = draw(st.sampled_from([0, 3]))
    return station


@st.composite
def _routing(draw: st.DrawFn, eligible: list[str]) -> list[dict[str, Any]]:
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = draw(st.lists(st.sampled_from(eligible), min_size=1, max_size=3, unique=True))
        step: dict[str, Any] = {"stations": {s: draw(cycle_times) for s in chosen}}
        if draw(st.integers(0, 3)) == 0:
            step["cv"] = draw(cvs)
            if step["cv"] <= 0.4 and draw(st.booleans()):
                step["dist"] = draw(st.sampled_from(["lognormal", "triangular", "constant"]))
        steps.append(step)
    return steps


@st.composite
def scenarios(draw: st.DrawFn, arrivals: bool | None = None) -> dict[str, Any]:
    """A valid scenario dict; ``arrivals`` True/False forces (or forbids) open-ended
    arrivals with a horizon, None lets hypothesis choose (one time in four)."""
    with_calendar = draw(st.booleans())
    n_processing = draw(st.integers(2, 5))
    kinds = [draw(st.sampled_from(PROCESSING_KINDS)) for _ in range(n_processing)]
    if draw(st.integers(0, 2)) == 0:
        kinds[-1] = "printer3d"
    stations = [_station_of(draw, i, k, with_calendar) for i, k in enumerate(kinds)]
    ids = [s["id"] for s in stations]
    machines = [s["id"] for s in stations if s["kind"] != "printer3d"]
    if draw(st.booleans()) and machines:
        tends = draw(st.lists(st.sampled_from(machines), min_size=1, max_size=2, unique=True))
        stations.append(
            {
                "id": "robot",
                "kind": "robot",
                "tends": tends,
                "load_time": draw(st.sampled_from([0.5, 1, "30s"])),
            }
        )
    data: dict[str, Any] = {"name": "generated", "time_unit": "min", "stations": stations}
    if with_calendar:
        data["calendars"] = {"shifts": dict(CALENDAR)}
        if draw(st.booleans()):
            data["calendars"]["shifts"]["days_off"] = ["sun"]
            data["start"] = draw(st.sampled_from(["2026-01-03T21:30:00", "2026-01-05T06:00:00"]))
    transport = draw(st.integers(0, 3))
    if transport == 3:  # a layout graph: a chain of aisles through every station
        edges = [[a, b, draw(st.integers(0, 3))] for a, b in itertools.pairwise(ids)]
        data["transport"] = {"layout": {"edges": edges}, "fleet": {"count": 1}}
    elif transport:
        travel: dict[str, Any] = {"default": draw(st.integers(0, 4))}
        if len(ids) >= 2 and draw(st.booleans()):
            travel["pairs"] = [[ids[0], ids[1], draw(st.integers(1, 6))]]
        data["transport"] = {"travel_time": travel}
        if transport == 2:
            data["transport"]["fleet"] = {"id": "agv", "count": draw(st.integers(1, 2))}
    products = []
    for p in range(draw(st.integers(1, 4))):
        product: dict[str, Any] = {"id": f"p{p}", "routing": draw(_routing(ids))}
        if draw(st.booleans()):
            product["family"] = draw(st.sampled_from(FAMILIES))
        if draw(st.integers(0, 3)) == 0:
            product["scrap_rate"] = 0.2
        products.append(product)
    data["products"] = products
    _keep_known_families(stations, {p.get("family", p["id"]) for p in products})
    # a finite buffer after a station some lot leaves for a next step (else it never fills)
    feeding = sorted({s for p in products for step in p["routing"][:-1] for s in step["stations"]})
    if draw(st.booleans()):
        after = draw(st.sampled_from(feeding or ids))
        data["buffers"] = [{"id": "buf", "capacity": draw(st.integers(0, 2)), "after": after}]
    product_ids = [p["id"] for p in products]
    open_ended = draw(st.integers(0, 3)) == 0 if arrivals is None else arrivals
    n_orders = draw(st.integers(0 if open_ended else 1, 8))
    orders = []
    for k in range(n_orders):
        release = draw(st.integers(0, 60))
        order: dict[str, Any] = {
            "id": f"O{k}",
            "product": draw(st.sampled_from(product_ids)),
            "quantity": draw(st.integers(1, 5)),
            "release": release,
        }
        if draw(st.booleans()):
            order["due"] = release + draw(st.integers(0, 200))
        orders.append(order)
    data["orders"] = orders
    run: dict[str, Any] = {
        "breakdowns": draw(st.integers(0, 3)) > 0,
        "variability": draw(st.booleans()),
    }
    if open_ended:
        data["arrivals"] = {
            "interarrival": {"dist": "exponential", "mean": draw(st.integers(5, 40))},
            "mix": {p: draw(st.integers(1, 3)) for p in product_ids},
            "quantity": draw(st.sampled_from([1, 3, {"dist": "uniform", "low": 1, "high": 4}])),
            "due_after": draw(st.integers(10, 300)),
        }
        run["horizon"] = draw(st.integers(100, 600))
        if draw(st.booleans()):
            run["warmup"] = 30
    data["run"] = run
    return data


def _keep_known_families(stations: list[dict[str, Any]], known: set[str]) -> None:
    """Drop setup entries between families no product has (the loader rejects them)."""
    for station in stations:
        families = station.get("setup", {}).get("families")
        if families is None:
            continue
        kept = {
            src: {dst: t for dst, t in row.items() if dst in known}
            for src, row in families.items()
            if src in known
        }
        kept = {src: row for src, row in kept.items() if row}
        if kept:
            station["setup"]["families"] = kept
        else:
            del station["setup"]["families"]


def _station_of(draw: st.DrawFn, index: int, kind: str, with_calendar: bool) -> dict[str, Any]:
    return draw(_station(index, kind, with_calendar))
