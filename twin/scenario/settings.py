"""How a scenario is run (horizon, seed, scheduling) and its energy coefficients."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from twin.scenario.blocks import Positive, Scheduling, StrictModel
from twin.scenario.durations import Duration, Seconds

__all__ = ["Coefficient", "EnergySpec", "RunSpec"]


class RunSpec(StrictModel):
    """How to run: horizon and warm-up in the base unit, ``time_limit`` in seconds."""

    horizon: Duration | None = None
    warmup: Duration = 0.0
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=1, ge=1)
    scheduling: Scheduling = "auto"
    time_limit: Seconds = 10.0
    breakdowns: bool = True
    variability: bool = True


class Coefficient(StrictModel):
    """A dated conversion factor with its source (e.g. 等价值 kgce/kWh of a given year)."""

    value: Positive
    unit: str = "kgce/kWh"
    source: str = Field(min_length=1)
    date: date


class EnergySpec(StrictModel):
    """``kgce_per_kwh``: 当量值 0.1229 (GB/T 2589-2020); the 等价值 primary-energy
    coefficient varies by year and is reported separately when given."""

    kgce_per_kwh: Positive = 0.1229
    primary_energy_coefficient: Coefficient | None = None
