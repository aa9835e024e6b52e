"""Scenario sections that describe equipment: stations, calendars, buffers, transport."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import ConfigDict, Field, model_validator

from twin.scenario.blocks import (
    CV,
    Id,
    MeanTime,
    Places,
    Positive,
    Power,
    StationKind,
    StrictModel,
    UnitCount,
)
from twin.scenario.durations import (
    WEEKDAYS,
    Clock,
    Duration,
    Weekday,
    day_on_intervals,
    field_error,
    parse_clock,
    week_on_intervals,
)
from twin.scenario.labour import Loading
from twin.scenario.maintenance import MaintenanceSpec

# -- stations -----------------------------------------------------------------------


class PowerDraw(StrictModel):
    """Electrical power in kW per station state; blocked/starved draw ``idle``."""

    @model_validator(mode="before")
    @classmethod
    def _yaml11_off(cls, data: Any) -> Any:
        # YAML 1.1 parsers (yaml.safe_load) read the key ``off`` as False.
        if isinstance(data, Mapping) and False in data and "off" not in data:
            return {("off" if k is False else k): v for k, v in data.items()}
        return data

    off: Power = 0.0
    idle: Power = 0.0
    setup: Power = 0.0
    busy: Power = 0.0
    down: Power = 0.0


class SetupSpec(StrictModel):
    """Sequence-dependent setups by product family: ``families[from][to]``, else
    ``default`` on a family change; none within a family or before the first job.
    ``per_lot``: a minor setup before every lot besides (program change, first-article
    check), which the scheduler plans as part of each operation."""

    default: Duration = 0.0
    families: dict[str, dict[str, Duration]] = Field(default_factory=dict)
    per_lot: Duration = 0.0

    def time(self, from_family: str | None, to_family: str) -> float:
        """Setup before an operation of ``to_family`` after one of ``from_family``."""
        if from_family is None or from_family == to_family:
            return 0.0
        return self.families.get(from_family, {}).get(to_family, self.default)


class BuildTime(StrictModel):
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

    def linear(self) -> tuple[float, float]:
        """``(base, per part)``: the build time of n parts is ``base + per_part * n``."""
        if self.per_part is not None:
            return self.base, self.per_part
        assert self.per_layer is not None and self.layers_per_part is not None
        return self.base, self.per_layer * self.layers_per_part

    def for_parts(self, parts: int) -> float:
        """Build time of one plate carrying ``parts`` parts."""
        if self.per_part is not None:
            return self.base + self.per_part * parts
        assert self.per_layer is not None and self.layers_per_part is not None
        return self.base + self.per_layer * self.layers_per_part * parts


_KIND_DEFAULTS: dict[str, tuple[bool, bool, bool, float]] = {
    # kind: (numerically controlled, key process, unattended, variability cv); a CNC
    # machine is attended (load / unload, setup) unless the file says it runs lights-out
    "cnc": (True, True, False, 0.03),
    "manual": (False, True, False, 0.15),
    "robot": (True, False, True, 0.05),
    "printer3d": (True, True, True, 0.05),
    "generic": (False, True, False, 0.05),
    # a subcontractor (heat treatment, plating): a delay per lot, no equipment of ours
    "outsourced": (False, False, True, 0.2),
}
PRINTER_FIELDS = (
    "plate_capacity", "max_wait", "build_time", "cooldown", "post_process",
    "post_process_capacity",
)  # fmt: skip
ROBOT_FIELDS = ("tends", "load_time")


class Station(StrictModel):
    """A kind of equipment with ``count`` identical units (named ``id`` or ``id#1..#n``).

    ``kind: outsourced`` is work sent out (heat treatment, plating): the routing's time
    on it is the lead time of the whole lot (not per part), ``count`` is how many lots
    may be away at once; it is not equipment of the shop (no OEE, 数控化率, 设备联网率,
    energy)."""

    id: Id
    name: str = ""
    kind: StationKind = "generic"
    count: UnitCount = 1
    numerically_controlled: bool | None = None
    networked: bool | None = None
    key_process: bool | None = None
    #: Runs without an operator (lights-out, robot-tended, bar-fed): only setups need one.
    unattended: bool | None = None
    #: What an attended station needs an operator for: ``cycle`` (the whole cycle; the
    #: default of manual and generic stations) or ``load`` (setup, load and unload; the
    #: default of CNC machines and print cells). See :mod:`twin.scenario.labour`.
    attendance: Literal["cycle", "load"] | None = None
    loading: Loading = Field(default_factory=Loading)
    variability_cv: CV | None = None
    power_kw: PowerDraw = Field(default_factory=PowerDraw)
    mtbf: MeanTime | None = None
    mttr: MeanTime | None = None
    #: What the time between failures counts: ``operating`` (busy) time, as wear-out
    #: failures do and the twin's default; or ``calendar`` time, at rest too (e.g.
    #: electronics, hydraulics under pressure).
    failure_basis: Literal["operating", "calendar"] = "operating"
    #: Planned maintenance of each unit: an interval and/or dated windows.
    maintenance: MaintenanceSpec | None = None
    setup: SetupSpec = Field(default_factory=SetupSpec)
    calendar: str | None = None
    plate_capacity: Annotated[Places, Field(ge=1)] | None = None
    max_wait: Duration | None = None
    build_time: BuildTime | None = None
    cooldown: Duration | None = None
    post_process: Duration | None = None
    #: Places at the post-processing bench (parts post-processed at once).
    post_process_capacity: Annotated[Places, Field(ge=1)] | None = None
    tends: list[str] | None = None
    load_time: Duration | None = None

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Station:
        nc, key, unattended, cv = _KIND_DEFAULTS[self.kind]
        if self.numerically_controlled is None:
            self.numerically_controlled = nc
        if self.networked is None:
            # Being on the network is the installation's own fact (a CNC can be off it,
            # a PLC-driven washer on it): 设备联网率 counts only what the file says.
            self.networked = False
        if self.key_process is None:
            self.key_process = key
        if self.unattended is None:
            self.unattended = unattended
        if self.attendance is None:
            self.attendance = "cycle" if self.kind in ("manual", "generic") else "load"
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
    def needs(self) -> str:
        """What an operator is needed for: ``cycle``, ``load`` or ``setup`` (unattended)."""
        return "setup" if self.unattended else str(self.attendance)

    @property
    def cv(self) -> float:
        return float(self.variability_cv or 0.0)


class DateRange(StrictModel):
    """Consecutive days, both ends included (``{from: 2026-10-01, to: 2026-10-07}``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if not self.first <= self.last <= self.first + timedelta(days=366):
            raise field_error(
                "dates", f"expected from <= to within a year, got {self.first} .. {self.last}"
            )
        return self


class CalendarSpec(StrictModel):
    """Weekly shifts: ``shifts``/``breaks`` as ``["HH:MM", "HH:MM"]`` (end <= start runs
    past midnight), ``days_off`` as weekday names. Dated exceptions beside the week:
    ``holidays`` (dates or ``{from, to}`` ranges, e.g. 春节, 国庆) are off all day;
    ``workdays`` (make-up days, 调休) are worked with the usual shifts and breaks."""

    shifts: list[tuple[Clock, Clock]] = Field(min_length=1)
    breaks: list[tuple[Clock, Clock]] = Field(default_factory=list)
    days_off: list[Weekday] = Field(default_factory=list)
    holidays: list[date | DateRange] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)

    def dated_days(self) -> tuple[set[date], set[date]]:
        """(holiday dates, make-up working dates), ranges expanded."""
        off: set[date] = set()
        for item in self.holidays:
            if isinstance(item, DateRange):
                off.update(
                    item.first + timedelta(days=k) for k in range((item.last - item.first).days + 1)
                )
            else:
                off.add(item)
        return off, set(self.workdays)

    def day_minutes(self) -> list[tuple[float, float]]:
        """On-intervals in minutes of one worked day on its own (a make-up day)."""
        return day_on_intervals(
            [(parse_clock(a), parse_clock(b)) for a, b in self.shifts],
            [(parse_clock(a), parse_clock(b)) for a, b in self.breaks],
        )

    @model_validator(mode="after")
    def _works_sometime(self) -> CalendarSpec:
        holidays, workdays = self.dated_days()
        both = sorted(holidays & workdays)
        if both:
            raise field_error("calendar", f"{both[0]} is both a holiday and a workday")
        if not self.week_minutes():
            raise field_error(
                "calendar",
                "no working time in the week: every day is off or inside a break; "
                "a unit on this calendar could never work",
            )
        return self

    def week_minutes(self) -> list[tuple[float, float]]:
        """On-intervals in minutes of a week starting Monday 00:00."""
        return week_on_intervals(
            [(parse_clock(a), parse_clock(b)) for a, b in self.shifts],
            [(parse_clock(a), parse_clock(b)) for a, b in self.breaks],
            [WEEKDAYS.index(d) for d in self.days_off],
        )


class Buffer(StrictModel):
    """A finite buffer after a station: the station blocks when it is full."""

    id: Id
    capacity: Places
    after: str


class Fleet(StrictModel):
    """Vehicles (AGVs) that carry lots between stations. Each vehicle is a unit of the
    shop like any other: its states, its energy and its place in 设备联网率.
    ``home``: the station where the vehicles start; with it, a vehicle travels empty
    from where it left its last lot to the next pickup, and a request takes the idle
    vehicle nearest to the pickup (without it, the one idle longest).
    ``calendar``: a name from ``calendars``; vehicles start moves only on shift (a move
    under way finishes) and show ``off`` at rest off shift. Default: always on.
    ``park``: ``stay`` (wait where the last lot was dropped) or ``home`` (drive back
    empty to ``home`` when no request waits; busy power on the way; needs ``home``)."""

    id: Id = "agv"
    count: UnitCount = 1
    home: str | None = None
    calendar: str | None = None
    park: Literal["stay", "home"] = "stay"
    networked: bool = False
    power_kw: PowerDraw = Field(default_factory=lambda: PowerDraw())


class TravelTimes(StrictModel):
    """Symmetric travel times between stations; ``default`` for unlisted pairs."""

    default: Duration = 0.0
    pairs: list[tuple[str, str, Duration]] = Field(default_factory=list)


class Layout(StrictModel):
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


class Transport(StrictModel):
    fleet: Fleet | None = None
    travel_time: TravelTimes | None = None
    layout: Layout | None = None
