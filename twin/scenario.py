"""The scenario file: a validated description of one shop, its products, orders and run.

A scenario is YAML (or a dict) checked by the pydantic models below with
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

import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import networkx as nx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from twin.durations import (
    MINUTES_PER_WEEK,
    UNIT_SECONDS,
    WEEKDAYS,
    Clock,
    Duration,
    Seconds,
    Weekday,
    base_unit,
    field_error,
    parse_clock,
    parse_duration,
    rotate_intervals,
    to_base_unit,
    week_on_intervals,
)
from twin.errors import ScenarioError, ScenarioIssue
from twin.scenario_errors import cross_check, issues_from_validation_error, read_yaml

__all__ = [
    "Arrivals",
    "Buffer",
    "BuildTime",
    "CalendarSpec",
    "CountDistribution",
    "Distribution",
    "EnergySpec",
    "Order",
    "PowerDraw",
    "Product",
    "RoutingStep",
    "RunSpec",
    "Scenario",
    "SetupSpec",
    "Station",
    "Transport",
    "load_scenario",
]

StationKind = Literal["cnc", "manual", "robot", "printer3d", "generic"]
DistKind = Literal[
    "constant", "exponential", "lognormal", "gamma", "triangular", "uniform", "normal", "weibull"
]
StepDist = Literal["lognormal", "triangular", "constant"]
Scheduling = Literal[
    "cpsat", "auto", "tabu", "spt", "lpt", "mwkr", "mor", "edd", "fifo", "random", "ect"
]

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1)]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
NonNeg = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


if TYPE_CHECKING:
    from models.distributions import Distribution as SamplerLike

# -- distributions ------------------------------------------------------------------

#: Parameter sets that define each distribution (any one of them).
DIST_PARAMETERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "constant": (("mean",),),
    "exponential": (("mean",),),
    "lognormal": (("mean", "cv"),),
    "gamma": (("mean", "cv"),),
    "normal": (("mean", "cv"), ("mean", "sd")),
    "triangular": (("low", "mode", "high"), ("mean", "cv")),
    "uniform": (("low", "high"), ("mean", "cv")),
    "weibull": (("shape", "scale"), ("mean", "cv")),
}
_DIST_FIELDS = ("mean", "cv", "sd", "low", "mode", "high", "shape", "scale")


class Distribution(_Model):
    """A random duration: ``{dist: lognormal, mean: 2h, cv: 0.5}``; a plain duration
    means a constant. Parameter sets per ``dist`` are in :data:`DIST_PARAMETERS`
    (normal is truncated at 0; triangular, uniform and weibull may be given by mean and
    cv). :meth:`sampler` builds the matching :mod:`models.distributions` object."""

    dist: DistKind
    mean: Duration | None = None
    cv: NonNeg | None = None
    sd: Duration | None = None
    low: Duration | None = None
    mode: Duration | None = None
    high: Duration | None = None
    shape: Positive | None = None
    scale: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, data: Any) -> Any:
        if isinstance(data, Mapping | BaseModel):
            return data
        return {"dist": "constant", "mean": cls._scalar(data)}

    @staticmethod
    def _scalar(value: object) -> float:
        return to_base_unit(value)

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        given = {f for f in _DIST_FIELDS if getattr(self, f) is not None}
        options = DIST_PARAMETERS[self.dist]
        allowed = {f for option in options for f in option}
        sets = " or ".join("(" + ", ".join(o) + ")" for o in options)
        for name in sorted(given - allowed, key=_DIST_FIELDS.index):
            raise field_error(
                "dist", f'"{name}" is not a parameter of a {self.dist} distribution; use {sets}'
            )
        if not any(given == set(option) for option in options):
            missing = min((set(o) - given for o in options), key=len)
            raise field_error(
                "dist",
                f"a {self.dist} distribution needs {sets}; missing "
                + ", ".join(sorted(missing, key=_DIST_FIELDS.index)),
            )
        if self.low is not None and self.high is not None:
            mode = self.low if self.mode is None else self.mode
            if not self.low <= mode <= self.high or self.low == self.high:
                raise field_error(
                    "dist",
                    "expected low <= mode <= high and low < high, "
                    f"got {self.low:g}, {mode:g}, {self.high:g}",
                )
        try:
            self.sampler()
        except (ValueError, ZeroDivisionError) as exc:
            raise field_error("dist", f"invalid {self.dist} distribution: {exc}") from None
        return self

    def sampler(self) -> SamplerLike:
        """The :mod:`models.distributions` object that draws from this distribution."""
        from models import distributions as md

        def value(name: str) -> float:
            number = getattr(self, name)
            assert number is not None, name
            return float(number)

        if self.dist == "constant":
            return md.Constant(value("mean"))
        if self.dist == "exponential":
            return md.Exponential(value("mean"))
        if self.mean is not None and self.cv is not None:
            return md.with_cv(self.mean, self.cv, self.dist)
        if self.dist == "normal":
            return md.Normal(value("mean"), value("sd"))
        if self.dist == "weibull":
            return md.Weibull(value("shape"), value("scale"))
        if self.dist == "triangular":
            return md.Triangular(value("low"), value("mode"), value("high"))
        return md.Uniform(value("low"), value("high"))

    @property
    def expected(self) -> float:
        """The expected value (in the field's unit)."""
        if self.mean is not None:
            return self.mean
        if self.dist == "weibull" and self.mean is None:
            assert self.scale is not None and self.shape is not None
            return self.scale * math.gamma(1.0 + 1.0 / self.shape)
        assert self.low is not None and self.high is not None
        if self.dist == "triangular":
            assert self.mode is not None
            return (self.low + self.mode + self.high) / 3.0
        return (self.low + self.high) / 2.0

    @property
    def is_constant(self) -> bool:
        """True if sampling never varies (a constant, or zero spread)."""
        return self.dist == "constant" or (self.cv == 0 and self.sd is None) or self.sd == 0


class CountDistribution(Distribution):
    """A random count (e.g. an arrival's quantity): same shapes as :class:`Distribution`
    but plain numbers; samples are rounded to an integer >= 1 by the twin."""

    mean: NonNeg | None = None
    sd: NonNeg | None = None
    low: NonNeg | None = None
    mode: NonNeg | None = None
    high: NonNeg | None = None
    scale: NonNeg | None = None

    @staticmethod
    def _scalar(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
            raise field_error("count", f"expected a count >= 1 or a distribution, got {value!r}")
        return float(value)


def _exponential(value: object) -> object:
    if value is None or isinstance(value, Mapping | BaseModel):
        return value
    return {"dist": "exponential", "mean": to_base_unit(value)}


#: A mean time (mtbf, mttr): a plain duration is the mean of an exponential distribution.
MeanTime = Annotated[Distribution, BeforeValidator(_exponential)]


# -- stations -----------------------------------------------------------------------


class PowerDraw(_Model):
    """Electrical power in kW per station state; blocked/starved draw ``idle``."""

    @model_validator(mode="before")
    @classmethod
    def _yaml11_off(cls, data: Any) -> Any:
        # YAML 1.1 parsers (yaml.safe_load) read the key ``off`` as False.
        if isinstance(data, Mapping) and False in data and "off" not in data:
            return {("off" if k is False else k): v for k, v in data.items()}
        return data

    off: NonNeg = 0.0
    idle: NonNeg = 0.0
    setup: NonNeg = 0.0
    busy: NonNeg = 0.0
    down: NonNeg = 0.0


class SetupSpec(_Model):
    """Sequence-dependent setups by product family: ``families[from][to]``, else
    ``default`` on a family change; none within a family or before the first job."""

    default: Duration = 0.0
    families: dict[str, dict[str, Duration]] = Field(default_factory=dict)

    def time(self, from_family: str | None, to_family: str) -> float:
        """Setup before an operation of ``to_family`` after one of ``from_family``."""
        if from_family is None or from_family == to_family:
            return 0.0
        return self.families.get(from_family, {}).get(to_family, self.default)


class BuildTime(_Model):
    """3D-print build duration: ``base + per_part * n`` or
    ``base + per_layer * layers_per_part * n`` for ``n`` parts on the plate."""

    base: Duration = 0.0
    per_part: Duration | None = None
    per_layer: Duration | None = None
    layers_per_part: Positive | None = None

    @model_validator(mode="after")
    def _check(self) -> BuildTime:
        layered = self.per_layer is not None or self.layers_per_part is not None
        if self.per_part is not None and layered:
            raise field_error(
                "build_time", "give per_part or per_layer with layers_per_part, not both"
            )
        if self.per_part is None and (self.per_layer is None or self.layers_per_part is None):
            raise field_error("build_time", "expected per_part, or per_layer with layers_per_part")
        return self

    def for_parts(self, parts: int) -> float:
        """Build time of one plate carrying ``parts`` parts."""
        if self.per_part is not None:
            return self.base + self.per_part * parts
        assert self.per_layer is not None and self.layers_per_part is not None
        return self.base + self.per_layer * self.layers_per_part * parts


_KIND_DEFAULTS: dict[str, tuple[bool, bool, bool, float]] = {
    # kind: (numerically controlled, key process, unattended, variability cv)
    "cnc": (True, True, True, 0.03),
    "manual": (False, True, False, 0.15),
    "robot": (True, False, True, 0.05),
    "printer3d": (True, True, True, 0.05),
    "generic": (False, True, False, 0.05),
}
PRINTER_FIELDS = ("plate_capacity", "max_wait", "build_time", "cooldown", "post_process")
ROBOT_FIELDS = ("tends", "load_time")


class Station(_Model):
    """A kind of equipment with ``count`` identical units (named ``id`` or ``id#1..#n``)."""

    id: Id
    name: str = ""
    kind: StationKind = "generic"
    count: int = Field(default=1, ge=1)
    numerically_controlled: bool | None = None
    networked: bool | None = None
    key_process: bool | None = None
    unattended: bool | None = None
    variability_cv: NonNeg | None = None
    power_kw: PowerDraw = Field(default_factory=PowerDraw)
    mtbf: MeanTime | None = None
    mttr: MeanTime | None = None
    setup: SetupSpec = Field(default_factory=SetupSpec)
    calendar: str | None = None
    plate_capacity: int | None = Field(default=None, ge=1)
    max_wait: Duration | None = None
    build_time: BuildTime | None = None
    cooldown: Duration | None = None
    post_process: Duration | None = None
    tends: list[str] | None = None
    load_time: Duration | None = None

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Station:
        nc, key, unattended, cv = _KIND_DEFAULTS[self.kind]
        if self.numerically_controlled is None:
            self.numerically_controlled = nc
        if self.networked is None:
            self.networked = self.numerically_controlled
        if self.key_process is None:
            self.key_process = key
        if self.unattended is None:
            self.unattended = unattended
        if self.variability_cv is None:
            self.variability_cv = cv
        return self

    @property
    def unit_names(self) -> list[str]:
        """``[id]`` for one unit, else ``[id#1, ..., id#count]``."""
        if self.count == 1:
            return [self.id]
        return [f"{self.id}#{k}" for k in range(1, self.count + 1)]

    @property
    def is_nc(self) -> bool:
        return bool(self.numerically_controlled)

    @property
    def is_networked(self) -> bool:
        return bool(self.networked)

    @property
    def is_key_process(self) -> bool:
        return bool(self.key_process)

    @property
    def is_unattended(self) -> bool:
        return bool(self.unattended)

    @property
    def cv(self) -> float:
        return float(self.variability_cv or 0.0)


class CalendarSpec(_Model):
    """Weekly shifts: ``shifts``/``breaks`` as ``["HH:MM", "HH:MM"]`` (end <= start runs
    past midnight), ``days_off`` as weekday names."""

    shifts: list[tuple[Clock, Clock]] = Field(min_length=1)
    breaks: list[tuple[Clock, Clock]] = Field(default_factory=list)
    days_off: list[Weekday] = Field(default_factory=list)

    def week_minutes(self) -> list[tuple[float, float]]:
        """On-intervals in minutes of a week starting Monday 00:00."""
        return week_on_intervals(
            [(parse_clock(a), parse_clock(b)) for a, b in self.shifts],
            [(parse_clock(a), parse_clock(b)) for a, b in self.breaks],
            [WEEKDAYS.index(d) for d in self.days_off],
        )


class Buffer(_Model):
    """A finite buffer after a station: the station blocks when it is full."""

    id: Id
    capacity: int = Field(ge=0)
    after: str


class Fleet(_Model):
    id: Id = "agv"
    count: int = Field(default=1, ge=1)


class TravelTimes(_Model):
    """Symmetric travel times between stations; ``default`` for unlisted pairs."""

    default: Duration = 0.0
    pairs: list[tuple[str, str, Duration]] = Field(default_factory=list)


class Layout(_Model):
    """A graph of travel times (edges between stations or aisle nodes); the travel time
    is the shortest path."""

    edges: list[tuple[str, str, Duration]] = Field(min_length=1)

    def graph(self) -> nx.Graph:
        """Undirected graph with the travel time as edge ``weight`` (shortest of repeats)."""
        graph = nx.Graph()
        for a, b, t in self.edges:
            if graph.has_edge(a, b):
                t = min(t, graph[a][b]["weight"])
            graph.add_edge(a, b, weight=t)
        return graph


class Transport(_Model):
    fleet: Fleet | None = None
    travel_time: TravelTimes | None = None
    layout: Layout | None = None


# -- products, orders, run ----------------------------------------------------------


class RoutingStep(_Model):
    """One operation: eligible stations with the cycle time PER UNIT on each."""

    name: str | None = None
    stations: dict[str, Duration] = Field(min_length=1)
    cv: NonNeg | None = None
    dist: StepDist | None = None
    key_process: bool | None = None


class Product(_Model):
    id: Id
    name: str = ""
    family: str | None = None
    scrap_rate: Fraction = 0.0
    routing: list[RoutingStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Product:
        if self.family is None:
            self.family = self.id
        for k, step in enumerate(self.routing):
            if step.name is None:
                step.name = f"op{k + 1}"
        return self

    @property
    def family_name(self) -> str:
        return self.family or self.id


class Order(_Model):
    """A lot of ``quantity`` parts released at ``release`` and due at ``due`` (absolute
    times from the scenario origin); ``priority`` weighs its tardiness."""

    id: Annotated[str, Field(min_length=1)]
    product: str
    quantity: int = Field(default=1, ge=1)
    release: Duration = 0.0
    due: Duration | None = None
    priority: int = Field(default=1, ge=0)


class Arrivals(_Model):
    """Open-ended order arrivals; each arrival is one order of a product drawn from
    ``mix`` (weights, normalised) due ``due_after`` after it arrives."""

    interarrival: Distribution
    mix: dict[str, Positive] = Field(min_length=1)
    quantity: CountDistribution = Field(
        default_factory=lambda: CountDistribution(dist="constant", mean=1.0)
    )
    due_after: Duration | None = None
    priority: int = Field(default=1, ge=0)

    @property
    def probabilities(self) -> dict[str, float]:
        total = sum(self.mix.values())
        return {product: weight / total for product, weight in self.mix.items()}


class RunSpec(_Model):
    """How to run: horizon and warm-up in the base unit, ``time_limit`` in seconds."""

    horizon: Duration | None = None
    warmup: Duration = 0.0
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=1, ge=1)
    scheduling: Scheduling = "auto"
    time_limit: Seconds = 10.0
    breakdowns: bool = True
    variability: bool = True


class Coefficient(_Model):
    """A dated conversion factor with its source (e.g. 等价值 kgce/kWh of a given year)."""

    value: Positive
    unit: str = "kgce/kWh"
    source: str = Field(min_length=1)
    date: date


class EnergySpec(_Model):
    """``kgce_per_kwh``: 当量值 0.1229 (GB/T 2589-2020); the 等价值 primary-energy
    coefficient varies by year and is reported separately when given."""

    kgce_per_kwh: Positive = 0.1229
    primary_energy_coefficient: Coefficient | None = None


# -- the scenario -------------------------------------------------------------------


class Scenario(_Model):
    """One shop, its products, orders and run settings; see the module docstring."""

    name: str = Field(min_length=1)
    description: str = ""
    time_unit: Literal["s", "min", "h"] = "min"
    start: datetime | None = None
    calendars: dict[Id, CalendarSpec] = Field(default_factory=dict)
    stations: list[Station] = Field(min_length=1)
    buffers: list[Buffer] = Field(default_factory=list)
    transport: Transport | None = None
    products: list[Product] = Field(min_length=1)
    orders: list[Order] = Field(default_factory=list)
    arrivals: Arrivals | None = None
    run: RunSpec = Field(default_factory=lambda: RunSpec())
    energy: EnergySpec = Field(default_factory=lambda: EnergySpec())

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
        the cv is 0."""
        spec = self.product(product_id).routing[step]
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


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raises one :class:`ScenarioError`
    (file name, field path, expected and given) on any problem."""
    path = Path(path)
    data = read_yaml(path)
    return Scenario.from_dict(data, source=path.name)
