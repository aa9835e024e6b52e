"""Cross-checks: what no single field of a scenario can see.

Dangling references, duplicate ids, fields of the wrong station kind, no demand, a
transport layout that does not connect what the routings need. :class:`Scenario`'s
validator runs :func:`cross_check` once every field is valid, so its problems come out
through pydantic like any field error. It reads the scenario through
:class:`ScenarioParts` (the sections it needs), so this module does not import the
scenario model that calls it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import networkx as nx

from twin.scenario.bounds import MAX_ARRIVALS, MAX_DURATION_SECONDS, MAX_OPERATIONS, MAX_UNITS
from twin.scenario.demand import Arrivals, Order, Product
from twin.scenario.durations import UNIT_SECONDS
from twin.scenario.labour import Loading, OperatorPool
from twin.scenario.maintenance import CrewSpec
from twin.scenario.messages import suggest
from twin.scenario.settings import RunSpec
from twin.scenario.station import (
    PRINTER_FIELDS,
    ROBOT_FIELDS,
    Buffer,
    CalendarSpec,
    Fleet,
    Station,
    Transport,
)

__all__ = ["Loc", "Problem", "ScenarioParts", "cross_check"]

Loc = tuple[str | int, ...]
#: (field path, error kind, message, offending value)
Problem = tuple[Loc, str, str, object]


class ScenarioParts(Protocol):
    """The sections of a scenario that :func:`cross_check` reads."""

    calendars: dict[str, CalendarSpec]
    stations: list[Station]
    buffers: list[Buffer]
    transport: Transport | None
    products: list[Product]
    orders: list[Order]
    arrivals: Arrivals | None
    run: RunSpec
    start: datetime | None
    operators: list[OperatorPool]
    maintenance_crew: CrewSpec | None

    @property
    def time_unit(self) -> str: ...

    @property
    def unit_station(self) -> dict[str, str]: ...

    def operation_variability(
        self, product_id: str, step: int, station_id: str
    ) -> tuple[str, float]: ...


class _Problems(list[Problem]):
    def add(self, loc: Loc, message: str, value: object = None, kind: str = "scenario") -> None:
        self.append((loc, kind, message, value))

    def ref(self, loc: Loc, what: str, value: str, known: Sequence[str]) -> None:
        if value not in known:
            self.add(loc, suggest(what, value, known), value, "reference")

    def unique(self, key: str, ids: Sequence[str]) -> None:
        first: dict[str, int] = {}
        for i, value in enumerate(ids):
            if value in first:
                self.add(
                    (key, i, "id"), f'duplicate id "{value}" (also {key}[{first[value]}])', value
                )
            first.setdefault(value, i)


def cross_check(s: ScenarioParts) -> list[Problem]:
    """Every problem no single field can see, in document order. Also resolves each
    routing step's ``key_process`` default (it depends on the stations)."""
    found = _Problems()
    for key in ("stations", "buffers", "products", "orders"):
        found.unique(key, [item.id for item in getattr(s, key)])
    stations = {st.id: st for st in s.stations}
    products = list(dict.fromkeys(p.id for p in s.products))
    families = sorted({p.family_name for p in s.products})
    kind_fields = [(f, "printer3d") for f in PRINTER_FIELDS] + [(f, "robot") for f in ROBOT_FIELDS]
    for i, st in enumerate(s.stations):
        at: Loc = ("stations", i)
        if st.calendar is not None:
            found.ref((*at, "calendar"), "calendar", st.calendar, list(s.calendars))
        for name, kind in kind_fields:
            if st.kind != kind and getattr(st, name) is not None:
                message = f"only a {kind} station has {name} (this one is {st.kind})"
                found.add((*at, name), message, getattr(st, name))
        if st.kind == "printer3d" and st.build_time is None:
            found.add((*at, "build_time"), "missing required field (printer3d stations)")
        others = [x for x in stations if x != st.id]
        for k, target in enumerate(st.tends or []):
            found.ref((*at, "tends", k), "station", target, others)
        if (st.mtbf is None) != (st.mttr is None):
            found.add(
                (*at, "mttr" if st.mttr is None else "mtbf"), "missing (mtbf and mttr go together)"
            )
        for src, targets in st.setup.families.items():
            found.ref((*at, "setup", "families", src), "product family", src, families)
            for dst in targets:
                found.ref((*at, "setup", "families", src, dst), "product family", dst, families)
    for name, spec in s.calendars.items():
        if (spec.holidays or spec.workdays) and s.start is None:
            where = "holidays" if spec.holidays else "workdays"
            found.add(("calendars", name, where), "dated days need the scenario's start")
    for i, buf in enumerate(s.buffers):
        found.ref(("buffers", i, "after"), "station", buf.after, list(stations))
        if buf.id in stations or buf.id in s.unit_station:
            found.add(("buffers", i, "id"), f'buffer id "{buf.id}" is also a station name', buf.id)
    for i, product in enumerate(s.products):
        for k, step in enumerate(product.routing):
            for station_id in step.stations:
                at = ("products", i, "routing", k, "stations", station_id)
                found.ref(at, "station", station_id, list(stations))
            if step.dist == "triangular":
                _check_triangular(found, s, i, k)
            if step.key_process is None:
                step.key_process = any(
                    stations[x].is_key_process for x in step.stations if x in stations
                )
    for i, order in enumerate(s.orders):
        found.ref(("orders", i, "product"), "product", order.product, products)
        if order.due is not None and order.due < order.release:
            message = f"due ({order.due:g}) is before release ({order.release:g})"
            found.add(("orders", i, "due"), message, order.due)
    if s.arrivals is not None:
        for product_id in s.arrivals.mix:
            found.ref(("arrivals", "mix", product_id), "product", product_id, products)
        if s.run.horizon is None:
            found.add(("run", "horizon"), "missing required field (needed with arrivals)")
    if not s.orders and s.arrivals is None:
        found.add(("orders",), "no orders and no arrivals: give at least one of them")
    if s.run.horizon is not None and s.run.warmup >= s.run.horizon > 0:
        message = f"warmup ({s.run.warmup:g}) must be shorter than the horizon ({s.run.horizon:g})"
        found.add(("run", "warmup"), message, s.run.warmup)
    if s.transport is not None:
        _check_transport(found, s, s.transport)
    _check_robots_in_routings(found, s, stations)
    _check_rework(found, s, stations)
    _check_operators(found, s, stations)
    _check_maintenance(found, s)
    _check_size(found, s, stations)
    return found


def _check_operators(found: _Problems, s: ScenarioParts, stations: dict[str, Station]) -> None:
    """Operator pools name real calendars and stations, and cover every attended
    station; ``loading`` and ``attendance`` only where someone loads parts."""
    found.unique("operators", [pool.id for pool in s.operators])
    names = set(s.unit_station) | set(stations)
    robot_tended = {t for st in s.stations if st.kind == "robot" for t in st.tends or []}
    processing = [x for x, st in stations.items() if st.kind != "robot"]
    covered: set[str] = set()
    for i, pool in enumerate(s.operators):
        at: Loc = ("operators", i)
        if pool.calendar is not None:
            found.ref((*at, "calendar"), "calendar", pool.calendar, list(s.calendars))
        for k, station_id in enumerate(pool.skills or []):
            found.ref((*at, "skills", k), "station", station_id, processing)
        covered.update(processing if pool.skills is None else pool.skills)
        clash = sorted(
            n for n in (f"{pool.id}.{k}" for k in range(1, pool.count + 1)) if n in names
        )
        if pool.id in names or clash:
            found.add(
                (*at, "id"), f'operator pool "{pool.id}" clashes with a station name', pool.id
            )
    for i, st in enumerate(s.stations):
        at = ("stations", i)
        if st.kind in ("robot", "printer3d", "outsourced") and st.loading != Loading():
            found.add((*at, "loading"), f"a {st.kind} station has no loading of its own")
        if st.kind == "outsourced" and (st.setup != type(st.setup)() or st.id in robot_tended):
            what = "setup" if st.id not in robot_tended else "id"
            found.add((*at, what), "an outsourced station has no setups and no robot: it is a "
                      "lead time per lot at a subcontractor")  # fmt: skip
        if st.id in robot_tended and st.loading.handling > 0:
            found.add(
                (*at, "loading"),
                "the robot that tends this station loads and unloads it (its load_time); "
                "give only loading.parts here",
            )
        operated = st.kind not in ("robot", "printer3d", "outsourced") and st.id not in robot_tended
        needs_operator = operated and st.needs != "setup"
        if s.operators and needs_operator and st.id not in covered:
            found.add(
                (*at, "id"),
                f'station "{st.id}" needs an operator ({st.needs}) but no operator pool lists '
                "it in its skills (or set unattended: true)",
                st.id,
            )


def _check_maintenance(found: _Problems, s: ScenarioParts) -> None:
    """Planned maintenance that can be done (an interval longer than the work, dated
    windows with a start, not overlapping) and a crew on a defined calendar."""
    crew = s.maintenance_crew
    if crew is not None and crew.calendar is not None:
        found.ref(("maintenance_crew", "calendar"), "calendar", crew.calendar, list(s.calendars))
    for i, st in enumerate(s.stations):
        spec = st.maintenance
        if spec is None:
            continue
        at: Loc = ("stations", i, "maintenance")
        every, duration = spec.every, spec.duration
        if every is None and duration is None and not spec.windows:
            found.add(at, "nothing planned: give every and duration, or windows")
        elif (every is None) != (duration is None):
            missing = "duration" if duration is None else "every"
            found.add((*at, missing), "missing (every and duration go together)")
        elif every is not None and duration is not None and not duration < every:
            unit = s.time_unit
            message = (
                f"duration ({duration:g} {unit}) must be shorter than every ({every:g} {unit})"
            )
            found.add((*at, "duration"), message, duration)
        if spec.windows and s.start is None:
            found.add((*at, "windows"), "dated windows need the scenario's start")
        order = sorted(range(len(spec.windows)), key=lambda k: spec.windows[k].wall_clock)
        for before, k in itertools.pairwise(order):
            if spec.windows[k].wall_clock[0] < spec.windows[before].wall_clock[1]:
                found.add((*at, "windows", k), f"overlaps windows[{before}]")


def _check_rework(found: _Problems, s: ScenarioParts, stations: dict[str, Station]) -> None:
    """A routing step's rework station exists, processes parts (not a robot or a print
    cell) and is used by no routing step: plans and rules never send work to it, so
    the rework queues on its units alone."""
    routed: dict[str, tuple[int, int]] = {}  # station -> first (product, step) using it
    for i, product in enumerate(s.products):
        for k, step in enumerate(product.routing):
            for station_id in step.stations:
                routed.setdefault(station_id, (i, k))
    for i, product in enumerate(s.products):
        for k, step in enumerate(product.routing):
            if step.rework is None:
                continue
            at: Loc = ("products", i, "routing", k, "rework", "station")
            target = step.rework.station
            station = stations.get(target)
            if station is None:
                found.ref(at, "station", target, list(stations))
            elif station.kind in ("robot", "printer3d"):
                found.add(
                    at,
                    f'station "{target}" is a {station.kind}; a rework station processes '
                    "parts itself (a machine or a bench)",
                    target,
                )
            elif target in routed:
                i2, k2 = routed[target]
                found.add(
                    at,
                    f'station "{target}" is in a routing (products[{i2}].routing[{k2}]); a '
                    "rework station must be one that no routing step uses",
                    target,
                )


def _check_robots_in_routings(
    found: _Problems, s: ScenarioParts, stations: dict[str, Station]
) -> None:
    """A robot loads and unloads the stations it tends; it is not a place to route to."""
    for i, product in enumerate(s.products):
        for k, step in enumerate(product.routing):
            for station_id in step.stations:
                station = stations.get(station_id)
                if station is not None and station.kind == "robot":
                    tends = ", ".join(station.tends or []) or "none"
                    found.add(
                        ("products", i, "routing", k, "stations", station_id),
                        f'station "{station_id}" is a robot: it loads and unloads the stations '
                        f"it tends ({tends}) and processes no parts; route to one of those",
                        station_id,
                    )


def _check_size(found: _Problems, s: ScenarioParts, stations: dict[str, Station]) -> None:
    """What no single field sees but a run would choke on (see :mod:`twin.scenario.bounds`)."""
    units = sum(st.count for st in s.stations)
    if units > MAX_UNITS:
        found.add(("stations",), f"{units} units in all, more than the bound {MAX_UNITS}", units)
    products = {p.id: p for p in s.products}
    operations = 0
    for i, order in enumerate(s.orders):
        product = products.get(order.product)
        if product is None:
            continue  # reported as a dangling reference
        operations += len(product.routing)
        for k, step in enumerate(product.routing):
            cycles = [c for x, c in step.stations.items() if x in stations]
            if cycles and order.quantity * min(cycles) > MAX_DURATION_SECONDS / _unit_seconds(s):
                found.add(
                    ("orders", i, "quantity"),
                    f"{order.quantity} parts x {min(cycles):g} {s.time_unit} per part at step "
                    f"{k + 1} ({step.name}) take more than 10 years; check quantity and cycle time",
                    order.quantity,
                )
                break
    if operations > MAX_OPERATIONS:
        found.add(
            ("orders",),
            f"{len(s.orders)} orders need {operations} operations, more than the bound "
            f"{MAX_OPERATIONS}",
        )
    if s.arrivals is not None and s.run.horizon is not None:
        mean = s.arrivals.interarrival.expected
        expected = math.inf if mean <= 0 else s.run.horizon / mean
        if expected > MAX_ARRIVALS:
            found.add(
                ("arrivals", "interarrival"),
                f"{expected:.3g} arrivals expected in the horizon ({s.run.horizon:g} "
                f"{s.time_unit} / mean {mean:g}), more than the bound {MAX_ARRIVALS}",
                mean,
            )


def _unit_seconds(s: ScenarioParts) -> float:
    return UNIT_SECONDS[s.time_unit]


def _check_triangular(found: _Problems, s: ScenarioParts, i: int, k: int) -> None:
    """A symmetric triangular law around the nominal time goes negative past cv 1/sqrt(6)."""
    product, step = s.products[i], s.products[i].routing[k]
    known = {station.id for station in s.stations}
    for station_id in step.stations:
        if station_id not in known:
            continue  # reported as a dangling reference
        _, cv = s.operation_variability(product.id, k, station_id)
        if cv > 6**-0.5:
            at: Loc = ("products", i, "routing", k, "cv")
            message = f"a triangular operation needs cv <= 0.408 (1/sqrt(6)), got {cv:g}"
            found.add(at, message + f" on station {station_id}", cv)
            return


def _check_fleet(found: _Problems, s: ScenarioParts, fleet: Fleet) -> None:
    """The fleet's calendar is a defined one; parking at home needs a home."""
    at: Loc = ("transport", "fleet")
    if fleet.calendar is not None:
        found.ref((*at, "calendar"), "calendar", fleet.calendar, list(s.calendars))
    if fleet.park == "home" and fleet.home is None:
        found.add((*at, "home"), "missing required field (needed with park: home)")


def _check_transport(found: _Problems, s: ScenarioParts, transport: Transport) -> None:
    names = [st.id for st in s.stations]
    fleet = transport.fleet
    if fleet is not None and fleet.home is not None:
        found.ref(("transport", "fleet", "home"), "station", fleet.home, names)
    if fleet is not None:
        _check_fleet(found, s, fleet)
    if transport.travel_time is not None and transport.layout is not None:
        found.add(("transport", "layout"), "give travel_time or layout, not both")
        return
    if transport.travel_time is not None:
        for k, (a, b, _) in enumerate(transport.travel_time.pairs):
            found.ref(("transport", "travel_time", "pairs", k, 0), "station", a, names)
            found.ref(("transport", "travel_time", "pairs", k, 1), "station", b, names)
    if transport.layout is None:
        return
    graph = transport.layout.graph()
    at: Loc = ("transport", "layout", "edges")
    for i, product in enumerate(s.products):
        for k in range(1, len(product.routing)):
            need = f"products[{i}].routing[{k}]"
            for a in product.routing[k - 1].stations:
                for b in product.routing[k].stations:
                    missing = [x for x in (a, b) if x not in graph]
                    if missing:
                        found.add(at, f'station "{missing[0]}" is not in the layout ({need})')
                        return
                    if a != b and not nx.has_path(graph, a, b):
                        found.add(at, f'no path from "{a}" to "{b}" ({need} needs one)')
                        return
