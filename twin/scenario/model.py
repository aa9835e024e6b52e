"""The scenario: a validated description of one shop, its products, orders and run.

A scenario is YAML (or a dict) checked by the pydantic models of this package with
``extra="forbid"`` everywhere, then cross-checked (every reference resolves, ids are
unique, the transport layout connects what the routings need). Any problem becomes
ONE :class:`~twin.errors.ScenarioError` whose first line names the file, the field path
and the value, e.g. ``pilot.yaml: stations[3].mtbf: expected a duration like "120h",
got -5``.

Durations are stored as floats in the scenario's base unit (``time_unit``) whatever
way the file wrote them (``90``, ``"1.5h"``); the solver ``time_limit`` is wall-clock
seconds. Defaults that depend on the station kind (NC flag, networked, key process,
unattended, variability) are resolved at load time, so after loading every such field
holds a concrete value; the ``is_*`` properties give them typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, Literal

import networkx as nx
from pydantic import Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from twin.errors import ScenarioError, ScenarioIssue
from twin.scenario.blocks import Id, StrictModel
from twin.scenario.checks import cross_check
from twin.scenario.demand import Arrivals, Order, Product
from twin.scenario.durations import (
    MINUTES_PER_WEEK,
    UNIT_SECONDS,
    base_unit,
    field_error,
    parse_duration,
    rotate_intervals,
)
from twin.scenario.labour import OperatorPool
from twin.scenario.maintenance import CrewSpec
from twin.scenario.messages import issues_from_validation_error
from twin.scenario.settings import EnergySpec, RunSpec, Targets
from twin.scenario.station import Buffer, CalendarSpec, Station, Transport

__all__ = ["Scenario"]


# -- the scenario -------------------------------------------------------------------


class Scenario(StrictModel):
    """One shop, its products, orders and run settings; see the module docstring."""

    name: str = Field(min_length=1)
    description: str = ""
    time_unit: Literal["s", "min", "h"] = "min"
    start: datetime | None = None
    calendars: dict[Id, CalendarSpec] = Field(default_factory=dict)
    stations: list[Station] = Field(min_length=1)
    buffers: list[Buffer] = Field(default_factory=list)
    transport: Transport | None = None
    operators: list[OperatorPool] = Field(default_factory=list)
    maintenance_crew: CrewSpec | None = None
    products: list[Product] = Field(min_length=1)
    orders: list[Order] = Field(default_factory=list)
    arrivals: Arrivals | None = None
    run: RunSpec = Field(default_factory=lambda: RunSpec())
    energy: EnergySpec = Field(default_factory=lambda: EnergySpec())
    targets: Targets = Field(default_factory=lambda: Targets())

    _source: str = PrivateAttr(default="<dict>")
    _distances: dict[str, dict[str, float]] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _validate(cls, data: Any, handler: Any) -> Scenario:
        unit = data.get("time_unit", "min") if isinstance(data, Mapping) else "min"
        with base_unit(unit):
            scenario: Scenario = handler(data)
        problems = cross_check(scenario)
        if problems:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(type=field_error(kind, message), loc=loc, input=value)
                    for loc, kind, message, value in problems
                ],
            )
        return scenario

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: object, source: str = "<dict>") -> Scenario:
        """Validate a parsed document; raises one :class:`ScenarioError` on problems."""
        if not isinstance(data, Mapping):
            got = "nothing" if data is None else type(data).__name__
            raise ScenarioError(
                source, [ScenarioIssue("", f"expected a mapping of fields, got {got}")]
            )
        try:
            scenario = cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(source, issues_from_validation_error(exc, cls)) from None
        scenario._source = source
        return scenario

    @property
    def source(self) -> str:
        """Where the scenario came from (file name, or ``"<dict>"``)."""
        return self._source

    # -- lookups --------------------------------------------------------------------

    def station(self, station_id: str) -> Station:
        for station in self.stations:
            if station.id == station_id:
                return station
        raise KeyError(station_id)

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)

    @property
    def units(self) -> list[str]:
        """Every station unit name, in station order."""
        return [name for station in self.stations for name in station.unit_names]

    @property
    def unit_station(self) -> dict[str, str]:
        """Station id of every unit name."""
        return {name: s.id for s in self.stations for name in s.unit_names}

    def duration(self, value: object) -> float:
        """A duration (number or ``"1.5h"``) in this scenario's base unit."""
        return parse_duration(value, self.time_unit)

    def operation_variability(
        self, product_id: str, step: int, station_id: str
    ) -> tuple[str, float]:
        """``(dist, cv)`` of an operation on a station: the step's ``cv`` overrides the
        station's ``variability_cv``; ``dist`` defaults to lognormal, constant when
        the cv is 0; an exponential step has cv 1."""
        spec = self.product(product_id).routing[step]
        if spec.dist == "exponential":
            return "exponential", 1.0
        cv = spec.cv if spec.cv is not None else self.station(station_id).cv
        if cv == 0:
            return "constant", 0.0
        return spec.dist or "lognormal", cv

    def calendar_intervals(self, name: str) -> tuple[float, list[tuple[float, float]]]:
        """``(period, on_intervals)`` of a named calendar in the base unit, periodic
        over one week, with time 0 at :attr:`start` (Monday 00:00 when unset)."""
        per_minute = 60.0 / UNIT_SECONDS[self.time_unit]
        offset = 0.0
        if self.start is not None:
            offset = self.start.weekday() * 1440 + self.start.hour * 60 + self.start.minute
            offset += self.start.second / 60
        on = rotate_intervals(self.calendars[name].week_minutes(), offset, MINUTES_PER_WEEK)
        return MINUTES_PER_WEEK * per_minute, [(a * per_minute, b * per_minute) for a, b in on]

    def calendar_overrides(self, name: str) -> list[tuple[float, float, list[tuple[float, float]]]]:
        """The dated exceptions of a named calendar as override windows in the base unit
        (``(day start, day end, on-intervals)``): a holiday has none, a make-up day the
        usual shifts. Days before :attr:`start` are left out; validation makes sure a
        calendar with dates comes with a ``start``."""
        holidays, workdays = self.calendars[name].dated_days()
        if not (holidays or workdays) or self.start is None:
            return []
        per_minute = 60.0 / UNIT_SECONDS[self.time_unit]
        worked = self.calendars[name].day_minutes()
        origin = self.start.replace(tzinfo=None)
        windows = []
        for day in sorted(holidays | workdays):
            begin = (datetime.combine(day, time()) - origin).total_seconds() / 60.0
            if begin + 1440.0 <= 0:
                continue
            on = [] if day in holidays else [(begin + a, begin + b) for a, b in worked]
            on = [(max(a, 0.0), b) for a, b in on if b > 0]
            windows.append(
                (
                    max(begin, 0.0) * per_minute,
                    (begin + 1440.0) * per_minute,
                    [(a * per_minute, b * per_minute) for a, b in on],
                )
            )
        return windows

    def travel_time(self, from_station: str, to_station: str) -> float:
        """Transport time between two stations in the base unit (0 within a station).

        With a layout: the shortest path (computed once, all pairs); pairs the layout
        does not connect count 0 (validation ensures routings never need them)."""
        if from_station == to_station or self.transport is None:
            return 0.0
        if self.transport.layout is not None:
            if self._distances is None:
                graph = self.transport.layout.graph()
                self._distances = dict(nx.all_pairs_dijkstra_path_length(graph, weight="weight"))
            # No path (never needed by a routing: validation checks those): no transport.
            return float(self._distances.get(from_station, {}).get(to_station, 0.0))
        if self.transport.travel_time is None:
            return 0.0
        for a, b, t in self.transport.travel_time.pairs:
            if {a, b} == {from_station, to_station}:
                return t
        return self.transport.travel_time.default

    def summary(self) -> str:
        """``24 stations, 40 orders`` (station units; arrivals when open-ended)."""
        n_units, n_orders = len(self.units), len(self.orders)
        parts = [f"{n_units} station{'s' if n_units != 1 else ''}"]
        if self.orders:
            parts.append(f"{n_orders} order{'s' if n_orders != 1 else ''}")
        if self.arrivals is not None:
            parts.append("arrivals")
        return ", ".join(parts)
