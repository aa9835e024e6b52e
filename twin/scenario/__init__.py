"""Scenario files: the schema, its building blocks, durations and units, loading, checks.

The first room of the data flow (scenario file -> shop and problem -> simulation ->
event log -> KPIs -> plots and report). It imports no simulation, KPI or plot code.

- :mod:`~twin.scenario.durations`: human durations, time units, shift clocks;
- :mod:`~twin.scenario.blocks`: field types and distributions shared by the sections;
- :mod:`~twin.scenario.station`: stations, calendars, buffers, transport;
- :mod:`~twin.scenario.demand`: products and routings, orders, arrivals;
- :mod:`~twin.scenario.settings`: run settings and energy coefficients;
- :mod:`~twin.scenario.checks`: cross-checks no single field can see;
- :mod:`~twin.scenario.model`: :class:`Scenario`, the whole file;
- :mod:`~twin.scenario.messages`: validation errors as readable lines;
- :mod:`~twin.scenario.load`: reading YAML files into a :class:`Scenario`.
"""

from twin.scenario.blocks import CountDistribution, Distribution
from twin.scenario.demand import Arrivals, Order, Product, RoutingStep
from twin.scenario.load import load_scenario
from twin.scenario.model import Scenario
from twin.scenario.settings import Coefficient, EnergySpec, RunSpec, Targets
from twin.scenario.station import (
    Buffer,
    BuildTime,
    CalendarSpec,
    PowerDraw,
    SetupSpec,
    Station,
    Transport,
)

__all__ = [
    "Arrivals",
    "Buffer",
    "BuildTime",
    "CalendarSpec",
    "Coefficient",
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
    "Targets",
    "Transport",
    "load_scenario",
]
